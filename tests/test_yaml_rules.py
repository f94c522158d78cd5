"""YAML rules: schema, field paths, operators, unknowns, and loading from CLI and config."""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from test_suppressions import fake_inputs, unit

from azbackup_policy.cli import main
from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.errors import ConfigError
from azbackup_policy.model import (
    BackupPolicy,
    Disk,
    Estate,
    Protection,
    SourceSpan,
    Unknown,
    VirtualMachine,
)
from azbackup_policy.rules import Kind, Severity, Target
from azbackup_policy.yaml_rules import load_rule_files, load_rules

PROD_PREMIUM = """\
rules:
  - id: ACME-VM-001
    name: prod-vm-premium-os-disk
    area: organisation
    severity: warning
    matrix_rows: [ST1]
    summary: Production VMs use a Premium SSD OS disk.
    help: Our restore objective needs Premium OS disks in production.
    target: vm
    condition:
      all:
        - {field: tags.env, equals: PROD}
        - {field: os_disk.storage_type, not_in: [Premium_LRS, Premium_ZRS]}
    message: "VM {name} in {tags.env} has a {os_disk.storage_type} OS disk"
"""


def rule_with(condition: str, target: str = "vm", message: str = "m {name}") -> str:
    return (f"rules:\n  - id: T-1\n    name: t\n    area: a\n    severity: error\n"
            f"    summary: s\n    help: h\n    target: {target}\n    message: \"{message}\"\n"
            f"    condition: {condition}\n")


def vm(name: str, **fields: object) -> VirtualMachine:
    return VirtualMachine(address=f"azurerm_linux_virtual_machine.{name}", name=name,
                          span=SourceSpan("main.tf", 1, 9), **fields)


def disk(storage: object, size: object = 64) -> Disk:
    return Disk(role="os", storage_type=storage, size_gb=size)


def fired(text: str, estate: Estate, strict: bool = False) -> dict[str, tuple[Kind, str]]:
    rules = load_rules(text, "rules.yaml")
    result = run([("main.tf", estate)], rules, EngineSettings(strict=strict))
    assert not result.failures, result.failures
    return {f.resource.address.rsplit(".", 1)[-1]: (f.kind, f.message) for f in result.findings}


def test_the_schema_is_valid_and_shipped() -> None:
    text = resources.files("azbackup_policy").joinpath("yaml_rules.schema.json").read_text()
    jsonschema.Draft202012Validator.check_schema(json.loads(text))


def test_metadata_becomes_a_rule() -> None:
    (rule,) = load_rules(PROD_PREMIUM, "org.yaml")
    assert (rule.id, rule.name, rule.area, rule.severity, rule.target, rule.matrix_rows) == (
        "ACME-VM-001", "prod-vm-premium-os-disk", "organisation", Severity.WARNING, Target.VM,
        ("ST1",))
    assert rule.origin == "yaml:org.yaml"


def test_rule_fires_with_the_message_template_filled_in() -> None:
    estate = Estate(vms=(
        vm("fail_std", tags={"env": "prod"}, os_disk=disk("StandardSSD_LRS")),
        vm("pass_premium", tags={"env": "prod"}, os_disk=disk("premium_lrs")),
        vm("pass_dev", tags={"env": "dev"}, os_disk=disk("Standard_LRS")),
        vm("pass_untagged", os_disk=disk("Standard_LRS")),
    ))
    assert fired(PROD_PREMIUM, estate) == {
        "fail_std": (Kind.VIOLATION, "VM fail_std in prod has a StandardSSD_LRS OS disk")}


def test_unknown_is_never_a_violation_but_a_review_in_strict_mode() -> None:
    estate = Estate(vms=(vm("u", tags={"env": "prod"}, os_disk=disk(Unknown("var.sku"))),))
    assert fired(PROD_PREMIUM, estate) == {}
    kind, message = fired(PROD_PREMIUM, estate, strict=True)["u"]
    assert kind is Kind.REVIEW and "var.sku" in message


def test_a_false_branch_wins_over_an_unknown_one() -> None:
    estate = Estate(vms=(vm("d", tags={"env": "dev"}, os_disk=disk(Unknown("var.sku"))),))
    assert fired(PROD_PREMIUM, estate, strict=True) == {}


@pytest.mark.parametrize(("condition", "expected"), [
    ("{field: size, in: [standard_b1s, Standard_B1ls]}", {"small"}),
    ("{field: os_disk.size_gb, gt: 100}", {"big"}),
    ("{field: os_disk.size_gb, lt: 100}", {"small"}),
    ("{field: zone, exists: false}", {"small", "big", "unsized"}),
    ("{field: zone, exists: true}", set()),
    ("{field: size, is_unknown: true}", {"unsized"}),
    ("{not: {field: size, in: [Standard_B1s]}}", {"big"}),
    ("{any: [{field: size, equals: Standard_B1s}, {field: os_disk.size_gb, gt: 500}]}",
     {"small", "big"}),
    ("{field: data_disks.*.storage_type, equals: UltraSSD_LRS}", {"big"}),
    ("{field: data_disks.0.size_gb, gt: 1000}", {"big"}),
    ("{field: linked.policy.policy_type, equals: V1}", {"small"}),
    ("{field: linked.vault.name, not_in: [rsv-prod]}", set()),
    ("{field: tags.missing, not_in: [x]}", set()),
    ("{field: tags.missing, equals: null}", {"small", "big", "unsized"}),
])
def test_operators(condition: str, expected: set[str]) -> None:
    policy = BackupPolicy(address="pol", name="pol-daily", policy_type="V1")
    estate = Estate(
        vms=(vm("small", size="Standard_B1s", os_disk=disk("Standard_LRS", 30)),
             vm("big", size="Standard_E64s_v5", os_disk=disk("Premium_LRS", 1024),
                data_disks=(Disk(storage_type="UltraSSD_LRS", size_gb=4096),)),
             vm("unsized", size=Unknown("var.size"))),
        policies=(policy,),
        protections=(Protection(address="p", vm="azurerm_linux_virtual_machine.small",
                                policy="pol"),),
    )
    assert set(fired(rule_with(condition), estate)) == expected


def test_policy_target_and_placeholders_of_several_values() -> None:
    text = rule_with("{field: retention_daily, lt: 30}", target="policy",
                     message="{name} keeps {retention_daily} days")
    estate = Estate(policies=(BackupPolicy(address="p.a", name="pol-a", retention_daily=7),
                              BackupPolicy(address="p.b", name="pol-b", retention_daily=30)))
    assert fired(text, estate) == {"a": (Kind.VIOLATION, "pol-a keeps 7 days")}


def test_the_finding_points_at_the_deciding_field() -> None:
    spans = {"os_disk.storage_type": SourceSpan("main.tf", 7, 7)}
    from azbackup_policy.model import AttrSpans

    machine = vm("x", tags={"env": "prod"}, os_disk=disk("Standard_LRS"))
    machine = VirtualMachine(**{**{f: getattr(machine, f) for f in (
        "address", "name", "span", "tags", "os_disk")}, "attr_spans": AttrSpans(spans)})
    result = run([("main.tf", Estate(vms=(machine,)))], load_rules(PROD_PREMIUM, "r.yaml"),
                 EngineSettings())
    assert result.findings[0].attribute == "tags.env"
    rule_text = PROD_PREMIUM.replace("- {field: tags.env, equals: PROD}\n        ", "")
    result = run([("main.tf", Estate(vms=(machine,)))], load_rules(rule_text, "r.yaml"),
                 EngineSettings())
    assert result.findings[0].location.line == 7


@pytest.mark.parametrize(("condition", "key_path", "fragment"), [
    ("{field: size, equal: x}", "rules[0].condition.equal", "did you mean 'equals'?"),
    ("{field: size, equals: x, in: [y]}", "rules[0].condition", "exactly one operator"),
    ("{all: [{field: size, equals: x}], any: [{field: size, equals: y}]}",
     "rules[0].condition", "exactly one of all, any, not or field"),
    ("{field: size}", "rules[0].condition", "exactly one operator"),
    ("{field: os_disk.storge_type, equals: x}", "rules[0].condition.field",
     "Disk has no field 'storge_type'; did you mean 'storage_type'?"),
    ("{field: sise, equals: x}", "rules[0].condition.field", "did you mean 'size'?"),
    ("{all: [{field: custom_data, exists: true}]}", "rules[0].condition.all[0].field",
     "secret fields cannot be read"),
    ("{field: size.name, equals: x}", "rules[0].condition.field", "plain value"),
    ("{field: data_disks.storage_type, equals: x}", "rules[0].condition.field",
     "followed by * (any item) or an index"),
    ("{field: linked.image.sku, equals: x}", "rules[0].condition.field",
     "write linked.<protection|policy|vault>"),
    ("{field: size, gt: big}", "rules[0].condition.gt", "must be a number"),
])
def test_wrong_rules_name_the_key_path(condition: str, key_path: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_rules(rule_with(condition), "rules.yaml")
    assert (caught.value.file, caught.value.key_path) == ("rules.yaml", key_path)
    assert fragment in caught.value.message


@pytest.mark.parametrize(("text", "key_path", "fragment"), [
    (PROD_PREMIUM.replace("    message:", "    mesage:"), "rules[0].mesage",
     "did you mean 'message'?"),
    (PROD_PREMIUM.replace("id: ACME-VM-001", "id: acme_1"), "rules[0].id", "upper-case"),
    (PROD_PREMIUM.replace("{os_disk.storage_type} OS", "{os_disk.type} OS"),
     "rules[0].message", "Disk has no field 'type'"),
    ("rules: []\n", "rules", "non-empty"),
])
def test_wrong_metadata_names_the_key_path(text: str, key_path: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_rules(text, "rules.yaml")
    assert caught.value.key_path == key_path
    assert fragment in caught.value.message


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(PROD_PREMIUM, encoding="utf-8")
    with pytest.raises(ConfigError, match="already defined"):
        load_rule_files([str(path)], taken={"ACME-VM-001"})


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err, environ={}), out.getvalue(), err.getvalue()


NOT_NAMED_JUMP = rule_with("{field: name, equals: vm-jump}", message="found {name}")


@pytest.mark.parametrize("fmt", ["terraform-hcl", "bicep", "arm", "terraform-plan"])
def test_rules_file_from_the_command_line(fmt: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit(fmt)])
    (tmp_path / "rules.yaml").write_text(NOT_NAMED_JUMP, encoding="utf-8")
    code, out, _ = cli("scan", ".", "--no-config", "--rules", "rules.yaml", "--select", "T-1",
                       "--format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert (finding["rule_id"], finding["message"]) == ("T-1", "found vm-jump")


def test_rules_file_from_the_config_relative_to_it(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-plan")])
    (tmp_path / ".git").mkdir()
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "org.yaml").write_text(NOT_NAMED_JUMP, encoding="utf-8")
    (tmp_path / ".azbackup-policy.yaml").write_text("rules: [policy/org.yaml]\nselect: [T-1]\n",
                                                    encoding="utf-8")
    code, out, _ = cli("scan", ".", "--format", "json")
    assert code == 1
    assert [f["rule_id"] for f in json.loads(out)["findings"]] == ["T-1"]


def test_a_broken_rules_file_exits_2_naming_it(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-plan")])
    (tmp_path / "rules.yaml").write_text(rule_with("{field: sise, equals: x}"), encoding="utf-8")
    code, _, err = cli("scan", ".", "--no-config", "--rules", "rules.yaml")
    assert code == 2
    assert "rules.yaml: rules[0].condition.field: sise: VirtualMachine has no field" in err


def test_available_rules_include_rule_files(tmp_path: Path) -> None:
    from azbackup_policy.pipeline import available_rules

    path = tmp_path / "org.yaml"
    path.write_text(PROD_PREMIUM, encoding="utf-8")
    found = {r.id: r.origin for r in available_rules([str(path)])}
    assert found["ACME-VM-001"] == f"yaml:{path}"
    assert "BKP-COV-001" in found


def test_explain_knows_rules_from_the_config(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "org.yaml").write_text(PROD_PREMIUM, encoding="utf-8")
    (tmp_path / ".azbackup-policy.yaml").write_text("rules: [org.yaml]\n", encoding="utf-8")
    code, out, err = cli("explain", "ACME-VM-001")
    assert code == 0, err
    assert "Production VMs use a Premium SSD OS disk." in out
    assert cli("explain", "ACME-VM-001", "--no-config")[0] == 2


def test_protection_target_reaches_its_vm_and_policy() -> None:
    text = rule_with("{all: [{field: linked.vm.security_type, equals: TrustedLaunch}, "
                     "{field: linked.policy.policy_type, equals: V1}]}", target="protection",
                     message="{linked.vm.name} is Trusted Launch on {linked.policy.name}")
    estate = Estate(
        vms=(vm("tl", security_type="TrustedLaunch"), vm("std")),
        policies=(BackupPolicy(address="pol", name="pol-daily", policy_type="V1"),),
        protections=tuple(Protection(address=f"item.{n}", vm=f"azurerm_linux_virtual_machine.{n}",
                                     policy="pol") for n in ("tl", "std")),
    )
    assert fired(text, estate) == {"tl": (Kind.VIOLATION, "tl is Trusted Launch on pol-daily")}
