"""The command-line conventions of the ecosystem (Checkov, Trivy, tflint, conftest); the
list, with what was left out and why, is docs/cli-conventions.md."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from azbackup_policy.cli import main
from azbackup_policy.cli_support import use_color

PLAN = FIXTURES / "plan" / "legacy-vhd" / "tfplan.json"
UNPROTECTED = """resource "azurerm_linux_virtual_machine" "vm" {
  name                = "vm-app"
  resource_group_name = "rg"
  location            = "westeurope"
  size                = "Standard_D2s_v5"
}
"""


def cli(*argv: str, env: dict[str, str] | None = None,
        stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ=env or {},
                stdin=io.BytesIO(stdin) if stdin is not None else None)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(UNPROTECTED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_scan_without_a_path_scans_the_current_folder(infra: Path) -> None:
    code, out, _ = cli("scan", "--no-config")
    assert code == 1
    assert out.startswith("main.tf:1:1: warning BKP-COV-001")


def test_a_plan_piped_to_scan_dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("scan", "-", "--no-config", "--format", "json",
                       stdin=PLAN.read_bytes())
    assert code == 1
    report = json.loads(out)
    assert report["files_scanned"] == ["-"]
    assert {(f["rule_id"], f["location"]["file"]) for f in report["findings"]} == {
        ("BKP-COV-001", "-")}


def test_stdin_that_is_not_json_and_a_pipe_path_are_explained(tmp_path: Path) -> None:
    code, out, _ = cli("scan", "-", "--no-config", stdin=UNPROTECTED.encode())
    assert code == 2 and "-:1:1: input error stdin is not JSON" in out
    if not hasattr(os, "mkfifo"):
        return
    fifo = tmp_path / "plan.pipe"
    os.mkfifo(fifo)
    code, out, _ = cli("scan", str(fifo), "--no-config")
    assert code == 2 and "not a regular file (a pipe or a device): give - to read" in out


def test_terraform_show_piped_into_the_command(tmp_path: Path) -> None:
    command = shutil.which("azbackup-policy", path=str(Path(sys.executable).parent))
    assert command is not None
    run = subprocess.run([command, "scan", "-", "--no-config"], input=PLAN.read_bytes(),
                         capture_output=True, cwd=tmp_path, timeout=120, check=False)
    assert run.returncode == 1, run.stderr
    assert b"-:12:9: warning BKP-COV-001" in run.stdout


def test_quiet_prints_only_findings_and_nothing_when_clean(infra: Path) -> None:
    code, out, err = cli("scan", "--no-config", "--quiet")
    assert code == 1 and out.splitlines() == [out.splitlines()[0]] and "BKP-COV-001" in out
    assert err == ""
    code, out, err = cli("scan", "--no-config", "-q", "--select", "BKP-STO-003")
    assert (code, out, err) == (0, "", "")


@pytest.mark.parametrize(("choice", "env", "tty", "expected"), [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"NO_COLOR": ""}, True, True),  # only a non-empty NO_COLOR counts
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"FORCE_COLOR": ""}, False, False),
    ("auto", {"TERM": "dumb"}, True, False),
    ("always", {"NO_COLOR": "1"}, False, True),
    ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_colour(choice: str, env: dict[str, str], tty: bool, expected: bool) -> None:
    assert use_color(choice, env, tty) is expected


def test_colour_reaches_the_text_report(infra: Path) -> None:
    assert "\x1b[" in cli("scan", "--no-config", "--color", "always")[1]
    assert "\x1b[" in cli("scan", "--no-config", env={"FORCE_COLOR": "1"})[1]
    assert "\x1b[" not in cli("scan", "--no-config")[1]


def test_config_from_the_environment_and_verbose_names_it(infra: Path) -> None:
    (infra / "strict-ci.yaml").write_text("fail-on: error\n", encoding="utf-8")
    code, _, err = cli("scan", "-v", env={"AZBACKUP_POLICY_CONFIG": "strict-ci.yaml"})
    assert code == 0  # the warning no longer fails
    assert "azbackup-policy: configuration: strict-ci.yaml" in err
    code, _, err = cli("scan", "-v")
    assert code == 1 and "configuration: none found" in err


def test_rules_as_json() -> None:
    code, out, _ = cli("rules", "--format", "json", "--no-config")
    rules = json.loads(out)
    assert code == 0 and [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    coverage = next(r for r in rules if r["id"] == "BKP-COV-001")
    assert coverage["name"] == "vm-not-protected" and coverage["severity"] == "warning"
    assert coverage["matrix_rows"] and coverage["origin"]


def test_two_formats_to_stdout_is_a_usage_error_before_the_scan(infra: Path) -> None:
    code, out, err = cli("scan", "--no-config", "--format", "json", "--format", "sarif")
    assert (code, out) == (2, "")
    assert err.startswith("usage: azbackup-policy scan")
    assert "--format json and --format sarif would both go to stdout" in err


def test_an_output_that_cannot_be_written_is_reported_before_the_scan(infra: Path) -> None:
    code, out, err = cli("scan", "--no-config", "--format", "sarif", "--output",
                         "missing/results.sarif", "--write-baseline", "main.tf/x")
    assert (code, out) == (2, "")
    assert "--output missing/results.sarif: the folder missing does not exist" in err
    assert "main.tf/x" in err
    assert not (infra / "missing").exists()


def test_an_error_after_a_command_prints_that_commands_usage() -> None:
    code, _, err = cli("scan", "--bogus")
    assert code == 2
    assert err.startswith("usage: azbackup-policy scan")
    assert "unrecognized arguments: --bogus" in err
    code, _, err = cli("inventory", "--format", "xml")
    assert code == 2 and err.startswith("usage: azbackup-policy inventory")


def test_input_errors_are_printed_once_with_plurals(infra: Path) -> None:
    (infra / "broken.json").write_text('{"$schema": "https://schema.management.azure.com/'
                                       'schemas/2019-04-01/deploymentTemplate.json#", ',
                                       encoding="utf-8")
    code, out, err = cli("scan", "--no-config", ".")
    assert code == 2
    assert out.count("broken.json:") == 1 and "broken.json" not in err
    assert out.rstrip().endswith("1 input error")
    code, out, err = cli("inventory", "--no-config", ".")
    assert "1 VM, 0 vaults, 0 policies; 1 input error" in out and "broken.json" not in err


def test_help_has_examples_and_exit_codes() -> None:
    for argv in (["--help"], ["scan", "--help"]):
        out = io.StringIO()
        sys_stdout, sys.stdout = sys.stdout, out
        try:
            assert main(argv) == 0
        finally:
            sys.stdout = sys_stdout
        text = out.getvalue()
        assert "examples:" in text and "exit codes:" in text
        assert "azbackup-policy scan -" in text and "3  a rule or plugin failed" in text


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    code, out, _ = cli("completion", shell)
    assert code == 0 and "scan" in out and "fail-on" in out and "sarif" in out
    binary = shutil.which(shell)
    if binary is not None:  # the shell's own syntax check
        check = ["-n"] if shell != "fish" else ["--no-execute"]
        run = subprocess.run([binary, *check], input=out, capture_output=True, text=True,
                             timeout=60, check=False)
        assert run.returncode == 0, run.stderr


def test_bash_completion_completes_commands_and_option_values(tmp_path: Path) -> None:
    script = tmp_path / "completion.bash"
    script.write_text(cli("completion", "bash")[1], encoding="utf-8")
    probe = (f"source {script}; COMP_WORDS=(azbackup-policy sc); COMP_CWORD=1; "
             "_azbackup_policy; echo \"${COMPREPLY[*]}\"; "
             "COMP_WORDS=(azbackup-policy scan --fail-on e); COMP_CWORD=3; "
             "_azbackup_policy; echo \"${COMPREPLY[*]}\"")
    run = subprocess.run(["bash", "--noprofile", "--norc", "-c", probe], capture_output=True,
                         text=True, timeout=60, check=False)
    assert run.stdout.splitlines() == ["scan", "error"], run.stderr
