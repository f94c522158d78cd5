from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.engine import EngineSettings, Selection, fingerprint, run, select_rules
from azbackup_policy.model import (
    AttrSpans,
    Disk,
    Estate,
    Protection,
    SourceSpan,
    Unknown,
    VirtualMachine,
)
from azbackup_policy.rules import Kind, Observation, Rule, RuleContext, Severity, Target

SPAN = SourceSpan("main.tf", 10, 30)
DISK_SPAN = SourceSpan("main.tf", 14, 14)


def ephemeral(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    disk = vm.os_disk
    if disk is None:
        return
    if isinstance(disk.ephemeral, Unknown):
        yield from ctx.unknown(vm, disk.ephemeral, "the OS disk kind", attribute="ephemeral",
                               vm=vm)
    elif disk.ephemeral:
        yield Observation(subject=disk, message="ephemeral", attribute="ephemeral", vm=vm)


def boom(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    raise ValueError("bug")
    yield  # pragma: no cover


def make_rule(rule_id: str, check, area: str = "storage") -> Rule:
    return Rule(id=rule_id, name=f"name-{rule_id.lower()}", area=area, severity=Severity.ERROR,
                matrix_rows=("ST17",), summary="s", help="h", target=Target.VM, check=check,
                origin="test")


def vm(address: str, value: object) -> VirtualMachine:
    disk = Disk(role="os", ephemeral=value, attr_spans=AttrSpans({"ephemeral": DISK_SPAN}))
    return VirtualMachine(address=address, resource_type="azurerm_linux_virtual_machine",
                          name=address.split(".")[-1], span=SPAN, os_disk=disk)


def test_finding_points_at_the_attribute_and_names_the_vm() -> None:
    estate = Estate(vms=(vm("azurerm_linux_virtual_machine.a", True),
                         vm("azurerm_linux_virtual_machine.b", False)))
    result = run([("main.tf", estate)], [make_rule("T-1", ephemeral)], EngineSettings())
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert finding.resource.address == "azurerm_linux_virtual_machine.a"
    assert finding.vm == "a"
    assert finding.location == DISK_SPAN
    # sha256("v2\x1fmain.tf\x1fT-1\x1fazurerm_linux_virtual_machine.a\x1fephemeral")[:32],
    # computed outside (format 2: the unit's path in the repository comes first)
    assert finding.fingerprint == "d615e47a6e9bc4534f886719986c2b85"
    assert len(result.evaluations) == 2


def test_unknown_gives_nothing_unless_strict() -> None:
    estate = Estate(vms=(vm("x.u", Unknown("var.ephemeral")),))
    rule = make_rule("T-1", ephemeral)
    assert run([("m", estate)], [rule], EngineSettings()).findings == []
    strict = run([("m", estate)], [rule], EngineSettings(strict=True)).findings
    assert [f.kind for f in strict] == [Kind.REVIEW]
    assert "var.ephemeral" in strict[0].message


def test_a_failing_rule_does_not_hide_others() -> None:
    estate = Estate(vms=(vm("x.a", True),))
    result = run([("m", estate)], [make_rule("T-0", boom), make_rule("T-1", ephemeral)],
                 EngineSettings())
    assert [f.rule_id for f in result.findings] == ["T-1"]
    assert [(f.rule_id, f.origin) for f in result.failures] == [("T-0", "test")]
    assert "ValueError" in result.failures[0].message


def test_severity_override() -> None:
    estate = Estate(vms=(vm("x.a", True),))
    settings = EngineSettings(severity_overrides={"T-1": Severity.NOTE})
    result = run([("m", estate)], [make_rule("T-1", ephemeral)], settings)
    assert result.findings[0].severity is Severity.NOTE


def test_selection_by_id_name_area_and_prefix() -> None:
    rules = [make_rule("BKP-STO-001", ephemeral), make_rule("BKP-COV-001", ephemeral, "coverage")]
    ids = lambda sel: [r.id for r in select_rules(rules, sel)]  # noqa: E731
    assert ids(Selection(select=("coverage",))) == ["BKP-COV-001"]
    assert ids(Selection(select=("BKP-STO",))) == ["BKP-STO-001"]
    assert ids(Selection(ignore=("name-bkp-sto-001",))) == ["BKP-COV-001"]
    assert ids(Selection(select=("bkp-*",), ignore=("BKP-COV-001",))) == ["BKP-STO-001"]


def test_protection_lookup() -> None:
    machine = vm("x.a", False)
    item = Protection(address="p", vm="x.a", policy="pol", vault="v")
    estate = Estate(vms=(machine,), protections=(item,))
    assert estate.protections_of(machine) == (item,)
    assert estate.policy_of(item) is None


def test_the_fingerprint_names_the_unit_so_two_environments_differ() -> None:
    estate = Estate(vms=(vm("azurerm_linux_virtual_machine.a", True),))
    rule = make_rule("T-1", ephemeral)
    dev, prod = (run([(unit, estate)], [rule], EngineSettings()).findings[0].fingerprint
                 for unit in ("envs/dev", "envs/prod"))
    assert dev != prod
    keyed = run([("../dev", estate)], [rule], EngineSettings(),
                unit_keys={"../dev": "envs\\dev"}).findings[0]
    assert keyed.fingerprint == dev  # the key, with forward slashes, not the shown path
    # The format, written out: sha256 of "v2", unit, rule, address, attribute joined by US.
    assert fingerprint("T-1", "a", None, unit="envs/dev") == "034972265215b43082423bf16be01701"
