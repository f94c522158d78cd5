"""Organisation requirements from the configuration: the BKP-ORG rules and their wiring."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from azbackup_policy.policies import organisation as org
from test_suppressions import fake_inputs, unit

from azbackup_policy.cli import main
from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.model import BackupPolicy, Estate, Unknown, Vault, VirtualMachine
from azbackup_policy.pipeline import available_rules
from azbackup_policy.rules import Kind, Rule


def outcome(rule: Rule, estate: Estate, settings: dict[str, Any],
            strict: bool = False) -> dict[str, Kind]:
    engine = EngineSettings(strict=strict, options={"organisation": settings})
    result = run([("main.tf", estate)], [rule], engine)
    assert not result.failures
    return {f.resource.address: f.kind for f in result.findings}


def policies(**values: object) -> Estate:
    return Estate(policies=tuple(BackupPolicy(address=k, name=k, **v)  # type: ignore[arg-type]
                                 for k, v in values.items()))


def vaults(**values: object) -> Estate:
    return Estate(vaults=tuple(Vault(address=k, name=k, **v)  # type: ignore[arg-type]
                               for k, v in values.items()))


def test_the_rules_are_registered_through_the_entry_point() -> None:
    found = {r.id: (r.name, r.origin) for r in available_rules() if r.area == "organisation"}
    origin = "azbackup-policy:organisation"
    assert found == {
        "BKP-ORG-001": ("policy-type-not-allowed", origin),
        "BKP-ORG-002": ("daily-retention-too-short", origin),
        "BKP-ORG-003": ("vault-redundancy-not-allowed", origin),
        "BKP-ORG-004": ("vault-cross-region-restore-required", origin),
        "BKP-ORG-005": ("vault-soft-delete-required", origin),
        "BKP-ORG-006": ("backup-opt-out-without-reason", origin),
    }


def test_every_rule_is_silent_without_its_setting() -> None:
    estate = Estate(
        vms=(VirtualMachine(address="vm", tags={"backup-exempt": ""}),),
        policies=(BackupPolicy(address="p", policy_type="V1", retention_daily=7),),
        vaults=(Vault(address="v", redundancy="LocallyRedundant", soft_delete="Disabled"),),
    )
    for rule in org.azbackup_policy_rules():
        assert outcome(rule, estate, {}) == {}, rule.id


def test_policy_type() -> None:
    estate = policies(fail_v1={"policy_type": "V1"}, pass_v2={"policy_type": "v2"},
                      unknown={"policy_type": Unknown("var.type")})
    settings = {"allowed_policy_types": ("V2",)}
    assert outcome(org.policy_type, estate, settings) == {"fail_v1": Kind.VIOLATION}
    assert outcome(org.policy_type, estate, settings, strict=True)["unknown"] is Kind.REVIEW


def test_daily_retention() -> None:
    estate = policies(fail_short={"retention_daily": 7}, pass_long={"retention_daily": 30},
                      pass_weekly={"retention_daily": None})
    assert outcome(org.daily_retention, estate, {"min_daily_retention_days": 30}) == {
        "fail_short": Kind.VIOLATION}


def test_vault_redundancy_treats_unset_as_geo_redundant() -> None:
    estate = vaults(fail_lrs={"redundancy": "LocallyRedundant"},
                    pass_zrs={"redundancy": "ZoneRedundant"}, fail_default={})
    result = run([("m", estate)], [org.redundancy], EngineSettings(
        options={"organisation": {"allowed_vault_redundancy": ("ZoneRedundant",)}})).findings
    assert {f.resource.address for f in result} == {"fail_lrs", "fail_default"}
    default = next(f for f in result if f.resource.address == "fail_default")
    assert "not set, so GeoRedundant" in default.message


def test_cross_region_restore() -> None:
    estate = vaults(fail_off={"cross_region_restore": False},
                    pass_on={"cross_region_restore": True})
    assert outcome(org.cross_region, estate, {"require_cross_region_restore": True}) == {
        "fail_off": Kind.VIOLATION}


def test_soft_delete_or_immutability() -> None:
    estate = vaults(fail_off={"soft_delete": "Disabled"},
                    pass_immutable={"soft_delete": "Disabled", "immutability": "Locked"},
                    pass_default={}, pass_on={"soft_delete": "AlwaysON"})
    assert outcome(org.soft_delete, estate, {"require_soft_delete_or_immutability": True}) == {
        "fail_off": Kind.VIOLATION}


def test_opt_out_tag_needs_a_reason() -> None:
    estate = Estate(vms=(VirtualMachine(address="fail_empty", tags={"Backup-Exempt": " "}),
                         VirtualMachine(address="pass_reason", tags={"backup-exempt": "lab"}),
                         VirtualMachine(address="pass_untagged")))
    assert outcome(org.opt_out_reason, estate, {"opt_out_tag": "backup-exempt"}) == {
        "fail_empty": Kind.VIOLATION}


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err, environ={}), out.getvalue(), err.getvalue()


def scan_json(tmp_path: Path, config: str, *argv: str) -> tuple[int, dict[str, Any]]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / ".azbackup-policy.yaml").write_text(config, encoding="utf-8")
    code, out, err = cli("scan", ".", "--format", "json", *argv)
    assert code in (0, 1), err
    return code, json.loads(out)


@pytest.fixture
def jump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An unprotected VM ``vm-jump`` tagged ``backup-exempt: rebuilt from image``."""
    document, estate = unit("terraform-plan")
    tagged = estate.vms[0].__class__(**{**_fields(estate.vms[0]),
                                        "tags": {"backup-exempt": "rebuilt from image"}})
    fake_inputs(monkeypatch, tmp_path, [(document, Estate(vms=(tagged,)))])
    return tmp_path


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


def test_require_protection_makes_coverage_an_error(jump: Path) -> None:
    _, data = scan_json(jump, "organisation: {require-protection: true}\n")
    (finding,) = [f for f in data["findings"] if f["rule_id"] == "BKP-COV-001"]
    assert finding["severity"] == "error"


def test_opt_out_tag_from_config_suppresses_coverage_with_the_reason(jump: Path) -> None:
    code, data = scan_json(jump, "organisation: {opt-out-tag: backup-exempt}\n"
                           "select: [BKP-COV-001, BKP-ORG]\n")
    assert code == 0
    (finding,) = data["findings"]
    assert finding["suppression"] == {
        "reason": "opted out of backup by tag backup-exempt: rebuilt from image",
        "source": "config", "until": None}


def test_command_line_fail_on_overrides_the_config(jump: Path) -> None:
    assert scan_json(jump, "fail-on: never\n")[0] == 0
    assert scan_json(jump, "fail-on: never\n", "--fail-on", "warning")[0] == 1
