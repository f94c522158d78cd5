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
    assert data["version"] == 1
    assert [e["address"] for e in data["findings"]] == ["x.a", "x.b"]
    entry = data["findings"][0]
    assert set(entry) == {"fingerprint", "rule_id", "address", "attribute", "message"}
    assert entry["rule_id"] == "BKP-COV-001"
    assert "x.a" in entry["message"]
    assert render_baseline(found) == render_baseline(list(reversed(found)))


def test_recorded_findings_are_suppressed_and_new_ones_are_not() -> None:
    baseline = parse_baseline(render_baseline(findings("x.a", "x.gone")), "b.json")
    out, warnings = apply_baseline(findings("x.a", "x.new"), baseline)
    state = {f.resource.address: f.suppression for f in out}
    assert state["x.new"] is None
    assert state["x.a"] == Suppression("recorded in the baseline b.json", "baseline")
    assert warnings == ["b.json: 1 baseline entries match no finding any more (fixed?); "
                        "write the baseline again to drop them"]


def test_an_inline_suppression_is_kept_over_the_baseline() -> None:
    accepted = dataclasses.replace(findings("x.a")[0],
                                   suppression=Suppression("why", "inline"))
    baseline = Baseline("b.json", frozenset({accepted.fingerprint}))
    out, _ = apply_baseline([accepted], baseline)
    assert out[0].suppression == Suppression("why", "inline")


@pytest.mark.parametrize(("text", "key_path"), [
    ("not json", ""),
    ('{"version": 2, "findings": []}', "version"),
    ('{"version": 1, "findings": {}}', "findings"),
    ('{"version": 1, "findings": [{"rule_id": "X"}]}', "findings[0].fingerprint"),
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
    assert "wrote 1 findings to the baseline baseline.json" in err
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
