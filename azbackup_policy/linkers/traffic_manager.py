"""Traffic Manager endpoints that target a VM's public IP (MATRIX.md N9), for both vocabularies.

A linker collects each endpoint's name and target (a public IP id, or the Unknown expression that
names it) and ``with_endpoints`` records the endpoint on every VM whose IP configuration uses
that public IP: the same string id (any case), or the same expression text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from azbackup_policy.model import Unknown, VirtualMachine

Endpoint = tuple[str, object]  # (endpoint name, target resource id or Unknown)


def _key(value: object) -> str | None:
    """A comparable key; None for nothing, and for an unknown that names no resource (a plan's
    ``(known after apply)`` says nothing about which public IP it is)."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, Unknown) and not value.expression.startswith("("):
        return "expr:" + value.expression.replace(" ", "").lower()
    return None


def with_endpoints(vms: Iterable[VirtualMachine], endpoints: Iterable[Endpoint]
                   ) -> list[VirtualMachine]:
    """``vms`` with ``traffic_manager_endpoint`` set where an endpoint targets their public IP."""
    targets: dict[str, str] = {}
    for name, target in endpoints:
        key = _key(target)
        if key is not None:
            targets.setdefault(key, name)
    out = []
    for vm in vms:
        keys = [_key(config.public_ip_id) for nic in vm.nics for config in nic.ip_configurations]
        found = next((targets[k] for k in keys if k is not None and k in targets), None)
        out.append(replace(vm, traffic_manager_endpoint=found) if found else vm)
    return out
