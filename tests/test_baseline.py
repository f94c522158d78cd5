"""The baseline: record findings once, then report only new ones."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from azbackup_policy.policies.coverage import vm_not_protected
from test_suppressions import fake_inputs, unit

from azbackup_policy.baseline import (
    Baseline,
    apply_baseline,
    parse_baseline,
    render_baseline,
)
from azbackup_policy.cli import main
from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.errors import ConfigError
from azbackup_policy.model import Estate, SourceSpan, VirtualMachine
from azbackup_policy.report import Suppression


def findings(*addresses: str) -> list:
    vms = tuple(VirtualMachine(address=a, name=a.rsplit(".", 1)[-1], span=SourceSpan("m.tf", 1, 2))
                for a in addresses)
    return run([("m.tf", Estate(vms=vms))], [vm_not_protected], EngineSettings()).findings


def test_baseline_file_is_sorted_json_for_humans() -> None:
    found = findings("x.b", "x.a")
    found.append(dataclasses.replace(findings("x.c")[0],
                                     suppression=Suppression("accepted", "inline")))
    data = json.loads(render_baseline(found + findings("x.a")))
    assert data["version"] == 2
    assert [e["address"] for e in data["findings"]] == ["x.a", "x.b"]
    entry = data["findings"][0]
    assert set(entry) == {"fingerprint", "file", "rule_id", "address", "attribute", "message"}
    assert entry["file"] == "m.tf"
    assert entry["rule_id"] == "BKP-COV-001"
    assert "x.a" in entry["message"]
    assert render_baseline(found) == render_baseline(list(reversed(found)))


def test_recorded_findings_are_suppressed_and_new_ones_are_not() -> None:
    baseline = parse_baseline(render_baseline(findings("x.a", "x.gone")), "b.json")
    out, warnings = apply_baseline(findings("x.a", "x.new"), baseline)
    state = {f.resource.address: f.suppression for f in out}
    assert state["x.new"] is None
    assert state["x.a"] == Suppression("recorded in the baseline b.json", "baseline")
    assert warnings == ["b.json: 1 baseline entry matches no finding any more (fixed?); "
                        "write the baseline again to drop them"]


def test_an_inline_suppression_is_kept_over_the_baseline() -> None:
    accepted = dataclasses.replace(findings("x.a")[0],
                                   suppression=Suppression("why", "inline"))
    baseline = Baseline("b.json", frozenset({accepted.fingerprint}))
    out, _ = apply_baseline([accepted], baseline)
    assert out[0].suppression == Suppression("why", "inline")


@pytest.mark.parametrize(("text", "key_path"), [
    ("not json", ""),
    ('{"version": 3, "findings": []}', "version"),
    ('{"version": true, "findings": []}', "version"),
    ('{"version": 2, "findings": {}}', "findings"),
    ('{"version": 2, "findings": [{"rule_id": "X"}]}', "findings[0].fingerprint"),
    ('{"version": 1, "findings": [{"fingerprint": "f", "rule_id": "X"}]}', "findings[0]"),
])
def test_a_wrong_baseline_is_a_config_error(text: str, key_path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_baseline(text, "b.json")
    assert (caught.value.file, caught.value.key_path) == ("b.json", key_path)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err, environ={}), out.getvalue(), err.getvalue()


def test_write_then_use_the_baseline_through_the_cli(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-plan")])
    args = ("scan", ".", "--no-config", "--select", "BKP-COV-001")
    assert cli(*args)[0] == 1
    code, _, err = cli(*args, "--write-baseline", "baseline.json")
    assert code == 0
    assert "wrote 1 finding to the baseline baseline.json" in err
    assert json.loads((tmp_path / "baseline.json").read_text())["findings"][0]["rule_id"] == \
        "BKP-COV-001"
    code, out, _ = cli(*args, "--baseline", "baseline.json", "--format", "json")
    assert code == 0
    (finding,) = json.loads(out)["findings"]
    assert finding["suppression"]["source"] == "baseline"


def test_baseline_from_the_config_and_a_missing_one(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-plan")])
    (tmp_path / ".git").mkdir()
    (tmp_path / ".azbackup-policy.yaml").write_text("baseline: missing.json\n", encoding="utf-8")
    code, _, err = cli("scan", ".", "--select", "BKP-COV-001")
    assert code == 2
    assert "missing.json: cannot read the baseline" in err


def test_a_version_1_baseline_is_read_warned_about_once_and_upgraded() -> None:
    old = {"tool": "azbackup-policy", "version": 1, "findings": [
        {"fingerprint": "0" * 32, "rule_id": "BKP-COV-001", "address": "x.a",
         "attribute": None, "message": "m"},
        {"fingerprint": "1" * 32, "rule_id": "BKP-COV-001", "address": "x.gone",
         "attribute": None, "message": "m"}]}
    baseline = parse_baseline(json.dumps(old), "b.json")
    out, warnings = apply_baseline(findings("x.a", "x.new"), baseline)
    assert {f.resource.address: f.suppressed for f in out} == {"x.a": True, "x.new": False}
    assert len([w for w in warnings if "version 1" in w]) == 1
    assert "--write-baseline to upgrade" in warnings[0]
    assert "1 baseline entry matches no finding" in warnings[1]
    assert json.loads(render_baseline(out))["version"] == 2


ENV = """resource "azurerm_linux_virtual_machine" "vm" {
  name                = "vm-app"
  resource_group_name = "rg"
  location            = "westeurope"
  size                = "Standard_D2s_v5"
}
"""


def test_two_environments_sharing_code_have_their_own_fingerprints(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """envs/dev and envs/prod hold the same code: a baseline of prod does not hide dev."""
    (tmp_path / ".git").mkdir()
    for env in ("dev", "prod"):
        (tmp_path / "envs" / env).mkdir(parents=True)
        (tmp_path / "envs" / env / "main.tf").write_text(ENV, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ("--no-config", "--select", "BKP-COV-001")
    assert cli("scan", "envs/prod", *args, "--write-baseline", "baseline.json")[0] == 0
    code, out, err = cli("scan", "envs", *args, "--baseline", "baseline.json", "--format", "json")
    assert code == 1, err
    state = {f["location"]["file"]: f.get("suppression") is not None
             for f in json.loads(out)["findings"]}
    assert state == {"envs/dev/main.tf": False, "envs/prod/main.tf": True}
    # The same fingerprints from another working directory inside the repository.
    monkeypatch.chdir(tmp_path / "envs")
    _, out_inside, _ = cli("scan", ".", *args, "--format", "json")
    assert ({f["fingerprint"] for f in json.loads(out)["findings"]}
            == {f["fingerprint"] for f in json.loads(out_inside)["findings"]})
