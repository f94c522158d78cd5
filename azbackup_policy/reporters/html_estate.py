"""What the HTML report shows, taken from a Report: VM, policy and vault rows.

Pure data, no markup: :mod:`html` and :mod:`html_graph` draw it. Every scanned unit
keeps its own objects (``envs/dev`` and ``envs/prod`` may declare the same addresses), and
each row gets a node id made of numbers only, so no text from the scanned files ever
becomes an id or a class.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from azbackup_policy.model import BackupPolicy, Estate, SourceSpan, Unknown, Vault, VirtualMachine
from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters._common import label
from azbackup_policy.reporters._safe import text as safe_text

SEVERITY_ORDER = ("error", "warning", "note", "review")
_RANK = {name: len(SEVERITY_ORDER) - index for index, name in enumerate(SEVERITY_ORDER)}


def shown(value: object) -> str:
    """A model value as text: unknown values as ``(unknown: <expression>)``."""
    if value is None:
        return ""
    if isinstance(value, Unknown):
        return f"(unknown: {value.expression})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (tuple, list)):
        return ", ".join(shown(v) for v in value)
    return str(value)


def text(value: object) -> str:
    """``value`` as escaped HTML text, safe in an element and in an attribute: the
    reporters' sanitiser first (control characters and lone surrogates shown escaped, CI
    log markers broken, one line), then HTML escaping, quotes included."""
    raw = value if isinstance(value, str) else shown(value)
    return escape(safe_text(raw), quote=True)


def worst(findings: Iterable[Finding]) -> str:
    """The highest label of ``findings`` (``error`` ... ``review``), or ``clean``."""
    labels = [label(f) for f in findings]
    return max(labels, key=lambda name: _RANK[name]) if labels else "clean"


@dataclass(slots=True)
class VaultRow:
    node: str
    unit: str
    vault: Vault
    policies: list[str] = field(default_factory=list)  # node ids
    vms: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class PolicyRow:
    node: str
    unit: str
    policy: BackupPolicy
    vault: str | None = None  # node id
    vms: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class VmRow:
    node: str
    unit: str
    vm: VirtualMachine
    policies: list[str] = field(default_factory=list)  # node ids
    vaults: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def protected(self) -> bool:
        return bool(self.policies or self.vaults)

    @property
    def worst(self) -> str:
        return worst(self.findings)


@dataclass(slots=True)
class EstateView:
    vms: list[VmRow] = field(default_factory=list)
    policies: list[PolicyRow] = field(default_factory=list)
    vaults: list[VaultRow] = field(default_factory=list)
    other_findings: list[Finding] = field(default_factory=list)
    _policies: dict[str, PolicyRow] = field(default_factory=dict)  # by node id
    _vaults: dict[str, VaultRow] = field(default_factory=dict)

    def add(self, vms: Iterable[VmRow], policies: Iterable[PolicyRow],
            vaults: Iterable[VaultRow]) -> None:
        self.vms.extend(vms)
        for policy in policies:
            self.policies.append(policy)
            self._policies[policy.node] = policy
        for vault in vaults:
            self.vaults.append(vault)
            self._vaults[vault.node] = vault

    def policy(self, node: str) -> PolicyRow:
        return self._policies[node]

    def vault(self, node: str) -> VaultRow:
        return self._vaults[node]


def view(report: Report) -> EstateView:
    """The VMs, policies and vaults of every unit, linked, with their findings."""
    result = EstateView()
    placed: set[int] = set()
    findings = [f for f in report.findings if not f.suppressed]
    by_file: dict[str, list[tuple[int, Finding]]] = {}
    for number, finding in enumerate(findings):
        by_file.setdefault(finding.location.file, []).append((number, finding))
    for index, unit in enumerate(sorted(report.units, key=lambda u: (u.path, u.format))):
        mine = sorted(item for file in set(unit.files) for item in by_file.get(file, ())
                      if item[0] not in placed)
        placed.update(_add_unit(result, index, unit.path, unit.estate, mine))
    result.other_findings = [f for n, f in enumerate(findings) if n not in placed]
    return result


def _add_unit(result: EstateView, index: int, path: str, estate: Estate,
              findings: list[tuple[int, Finding]]) -> set[int]:
    vaults = {v.address: VaultRow(f"u{index}v{k}", path, v) for k, v in enumerate(estate.vaults)}
    policies = {p.address: PolicyRow(f"u{index}p{k}", path, p)
                for k, p in enumerate(estate.policies)}
    for policy in policies.values():
        owner = estate.vault_of_policy(policy.policy)
        if owner is not None and owner.address in vaults:
            policy.vault = vaults[owner.address].node
            vaults[owner.address].policies.append(policy.node)
    vms = {vm.address: VmRow(f"u{index}m{k}", path, vm) for k, vm in enumerate(estate.vms)}
    for row in vms.values():
        for protection in estate.protections_of(row.vm):
            declared_policy = estate.policy_of(protection)
            declared_vault = estate.vault_of(protection)
            if declared_policy is not None and declared_policy.address in policies:
                policy_row = policies[declared_policy.address]
                _link(row.policies, policy_row.vms, policy_row.node, row.node)
            if declared_vault is not None and declared_vault.address in vaults:
                vault_row = vaults[declared_vault.address]
                _link(row.vaults, vault_row.vms, vault_row.node, row.node)
    named: dict[object, list[VmRow]] = {}
    for row in vms.values():
        named.setdefault(row.vm.name, []).append(row)
    placed: set[int] = set()
    for number, finding in findings:
        target = _target(finding, vms, policies, vaults, named)
        if target is not None:
            target.findings.append(finding)
            placed.add(number)
    result.add(vms.values(), policies.values(), vaults.values())
    return placed


def _link(mine: list[str], theirs: list[str], their_node: str, my_node: str) -> None:
    if their_node not in mine:
        mine.append(their_node)
    if my_node not in theirs:
        theirs.append(my_node)


def _target(finding: Finding, vms: dict[str, VmRow], policies: dict[str, PolicyRow],
            vaults: dict[str, VaultRow], named: dict[object, list[VmRow]]
            ) -> VmRow | PolicyRow | VaultRow | None:
    """The row a finding belongs to: its resource, else the VM it names (when only one VM
    has that name)."""
    address = finding.resource.address
    found = vms.get(address) or policies.get(address) or vaults.get(address)
    if found is not None:
        return found
    candidates = named.get(finding.vm, []) if finding.vm is not None else []
    return candidates[0] if len(candidates) == 1 else None


def location(span: SourceSpan | None) -> str:
    return f"{span.file}:{span.line}" if span is not None else ""
