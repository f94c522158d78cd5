"""What the tool understood: the estates of a run as plain JSON-ready data.

``azbackup-policy inventory`` prints this so people can check the tool. Unknown
values print as ``{"unknown": "<expression>"}``; secrets are never included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from azbackup_policy.model import (
    BackupPolicy,
    Estate,
    ModelObject,
    SourceSpan,
    Unknown,
    Vault,
    VirtualMachine,
)
from azbackup_policy.report import InputProblem, ScannedUnit
from azbackup_policy.reporters._safe import text as safe

SCHEMA_VERSION = 1
_HIDDEN = frozenset({"span", "attr_spans", "custom_data", "address", "resource_type", "name"})


def plain(value: Any) -> Any:
    """A model value as JSON data."""
    if isinstance(value, Unknown):
        return {"unknown": value.expression}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return object_fields(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return value


def location(span: SourceSpan | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"file": span.file, "line": span.line, "end_line": span.end_line}


def object_fields(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(obj, ModelObject):
        out["name"] = plain(obj.name)
        if obj.address:
            out["address"] = obj.address
            out["type"] = obj.resource_type
        if obj.span is not None:
            out["location"] = location(obj.span)
    for item in dataclasses.fields(obj):
        if item.name in _HIDDEN or item.name.startswith("_"):
            continue
        # ``location`` is where the object is declared; the Azure region is ``region``.
        key = "region" if item.name == "location" else item.name
        out[key] = plain(getattr(obj, item.name))
    return out


def _protection(vm: VirtualMachine, estate: Estate) -> dict[str, Any] | list[Any] | None:
    entries = []
    for item in estate.protections_of(vm):
        policy = estate.policy_of(item)
        vault = estate.vault_of(item)
        entries.append({
            "vault": plain(vault.name) if vault else None,
            "policy": plain(policy.name) if policy else None,
            "policy_type": plain(policy.policy_type) if policy else None,
            "address": item.address,
        })
    if not entries:
        return None
    return entries[0] if len(entries) == 1 else entries


def vm_entry(vm: VirtualMachine, estate: Estate) -> dict[str, Any]:
    entry = object_fields(vm)
    entry["disks"] = [plain(d) for d in vm.disks]
    entry["protection"] = _protection(vm, estate)
    for key in ("os_disk", "data_disks"):
        entry.pop(key, None)
    return entry


def policy_entry(policy: BackupPolicy) -> dict[str, Any]:
    entry = object_fields(policy)
    entry.pop("vault", None)
    return entry


def vault_entry(vault: Vault) -> dict[str, Any]:
    return object_fields(vault)


def inventory(units: Sequence[ScannedUnit], errors: Sequence[InputProblem]) -> dict[str, Any]:
    """The inventory document for a run."""
    vms: list[dict[str, Any]] = []
    vaults: list[dict[str, Any]] = []
    policies: list[dict[str, Any]] = []
    extra: dict[str, list[Any]] = {"protections": [], "locks": [], "scale_sets": [],
                                   "storage_accounts": [], "unresolved": []}
    for unit in units:
        estate = unit.estate
        vms += [vm_entry(vm, estate) | {"source": unit.path} for vm in estate.vms]
        vaults += [vault_entry(v) | {"source": unit.path} for v in estate.vaults]
        policies += [policy_entry(p) | {"source": unit.path} for p in estate.policies]
        extra["protections"] += [object_fields(p) | {"source": unit.path}
                                 for p in estate.protections]
        extra["locks"] += [object_fields(lock) for lock in estate.locks]
        extra["scale_sets"] += [object_fields(s) for s in estate.scale_sets]
        extra["storage_accounts"] += [object_fields(s) for s in estate.storage_accounts]
        extra["unresolved"] += [
            {"address": u.address, "message": u.message, "location": location(u.span)}
            for u in estate.unresolved
        ]
    return {
        "schema_version": SCHEMA_VERSION,
        "vms": vms,
        "vaults": vaults,
        "policies": policies,
        **extra,
        "units": [{"path": u.path, "format": u.format, "files": list(u.files)} for u in units],
        "errors": [
            {"file": e.file, "line": e.line, "column": e.column, "message": e.message}
            for e in errors
        ],
    }


def render_text(data: Mapping[str, Any]) -> str:
    """A short human summary of an inventory document."""
    lines = []
    for vm in data["vms"]:
        where = vm.get("location") or {}
        prot = vm["protection"]
        if prot is None:
            status = "NOT PROTECTED"
        elif isinstance(prot, list):
            status = "protected by " + ", ".join(
                f"{_show(p['vault'])}/{_show(p['policy'])}" for p in prot)
        else:
            status = (f"protected by {_show(prot['vault'])}/{_show(prot['policy'])} "
                      f"({_show(prot['policy_type'])})")
        lines.append(
            f"{_show(where.get('file'))}:{where.get('line')}: VM {_show(vm['name'])} "
            f"[{_show(vm.get('address', ''))}] {_show(vm.get('os_type'))} "
            f"{_show(vm.get('size'))}: {status}"
        )
    lines.append(
        f"{_count(data['vms'], 'VM')}, {_count(data['vaults'], 'vault')}, "
        f"{_count(data['policies'], 'policy', 'policies')}; "
        f"{_count(data['errors'], 'input error')}"
    )
    lines.extend(f"{_show(e['file'])}:{e['line']}:{e['column']}: {_show(e['message'])}"
                 for e in data["errors"])
    lines.extend(f"{_show(n['file'])}:{n['line']}: not followed {_show(n['source'])} "
                 f"({_show(n['reason'])}" + (f"; {_show(n['hint'])})" if n.get("hint") else ")")
                 for n in sorted(data.get("not_followed", ()),
                                 key=lambda n: (n["file"], n["line"], n["source"])))
    return "\n".join(lines) + "\n"


def _count(items: Any, word: str, many: str | None = None) -> str:
    return f"{len(items)} {word if len(items) == 1 else (many or word + 's')}"


def _show(value: Any) -> str:
    """A value from the scanned files, made safe for a line of text."""
    if isinstance(value, dict) and "unknown" in value:
        return f"<unknown: {safe(str(value['unknown']))}>"
    return safe(str(value))
