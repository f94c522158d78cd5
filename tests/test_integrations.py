"""The CI integrations: the pre-commit manifest, the GitHub Action, the example workflow and
the Azure Pipelines template are valid for their platforms, and their scripts really run."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

from azbackup_policy.cli import FAIL_ON, SCAN_FORMATS

BIN = Path(sys.executable).parent
ACTION = REPO / "action.yml"
WORKFLOW = REPO / "docs" / "github-actions-example.yml"
ADO_TEMPLATE = REPO / "templates" / "azure-pipelines" / "azbackup-policy.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
EXPRESSION = re.compile(
    r"\$\{\{\s*(inputs|parameters|steps\.install\.outputs)\.([\w-]+)\s*\}\}")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (pip install -e '.[test]')")
    return found


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


# --- schema validation (and proof that the schema check can fail) --------------------------

@pytest.mark.parametrize(("schema", "path"), [
    ("vendor.github-actions", ACTION),
    ("vendor.github-workflows", WORKFLOW),
    ("vendor.azure-pipelines", ADO_TEMPLATE),
])
def test_file_is_valid_for_its_platform_schema(schema: str, path: Path) -> None:
    result = check_jsonschema(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("schema", "path", "old", "new"), [
    ("vendor.github-actions", ACTION, "      shell: bash", "      shelll: bash"),
    ("vendor.github-workflows", WORKFLOW, "    runs-on:", "    runs_on:"),
    ("vendor.azure-pipelines", ADO_TEMPLATE, "testResultsFormat: JUnit",
     "testResultsFormat: Junit4"),
])
def test_schema_check_rejects_a_broken_copy(schema: str, path: Path, old: str, new: str,
                                            tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / path.name
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert check_jsonschema(schema, broken).returncode == 1


def test_example_workflow_passes_actionlint() -> None:
    if not (sys.platform == "linux" and platform.machine() == "x86_64"):
        pytest.skip("the actionlint wheel of the test extra exists for Linux x86_64 only")
    actionlint = tool("actionlint")  # installed by the test extra: missing is a failure
    result = subprocess.run([actionlint, "-no-color", str(WORKFLOW)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


LOCAL_USE = """name: two scans
on: [push]
permissions:
  contents: read
  security-events: write
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: ./
        with:
          path: envs/dev
          upload-sarif: "true"
          category: dev
          args: |
            --strict
            --var-file=envs/dev/dev vars.tfvars
      - uses: ./
        with:
          path: envs/prod
          upload-sarif: "true"
          category: prod
          {extra}
"""


def test_actionlint_checks_the_inputs_of_the_action_itself(tmp_path: Path) -> None:
    """actionlint reads a local action's action.yml when a workflow uses it as ``./``."""
    if not (sys.platform == "linux" and platform.machine() == "x86_64"):
        pytest.skip("the actionlint wheel of the test extra exists for Linux x86_64 only")
    shutil.copy(ACTION, tmp_path / "action.yml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    results = []
    for extra in ("summary: \"false\"", "not-an-input: x"):
        (workflows / "scan.yml").write_text(LOCAL_USE.format(extra=extra), encoding="utf-8")
        results.append(subprocess.run([tool("actionlint"), "-no-color"], cwd=tmp_path,
                                      capture_output=True, text=True, timeout=120))
    assert results[0].returncode == 0, results[0].stdout + results[0].stderr
    assert results[1].returncode == 1 and "not-an-input" in results[1].stdout


def test_precommit_manifest_is_valid_and_matches_our_inputs() -> None:
    result = subprocess.run([tool("pre-commit"), "validate-manifest", str(HOOKS)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    (hook,) = load(HOOKS)
    assert (hook["id"], hook["language"]) == ("azbackup-policy", "python")
    assert hook["entry"].split()[:3] == ["azbackup-policy", "scan", "--changed-files"]
    # every changed file reaches the hook (a module may read cloud-init.yaml, setup.sh...),
    # in one invocation, and it runs on commits that only delete files
    assert "files" not in hook and hook.get("types", ["file"]) == ["file"]
    assert (hook["require_serial"], hook["always_run"], hook["args"]) == (True, True, ["--"])


# --- the GitHub Action ----------------------------------------------------------------------

def test_action_is_composite_with_the_documented_inputs() -> None:
    action = load(ACTION)
    assert {"path", "format", "fail-on", "config", "sarif-file", "upload-sarif"} <= set(
        action["inputs"])
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/setup-python", "github/codeql-action/upload-sarif"]
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    install = next(s for s in steps if s.get("id") == "install")
    assert "-m venv" in install["run"] and "pip install" in install["run"]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    python = next(s for s in steps if s.get("id") == "python")
    assert python["with"]["update-environment"] is False  # the job's Python is not changed
    assert upload["with"]["category"] == "${{ inputs.category }}"


def test_action_scripts_never_paste_inputs_into_shell() -> None:
    for step in load(ACTION)["runs"]["steps"]:
        assert "inputs." not in step.get("run", ""), step["name"]
    for step in load(ADO_TEMPLATE)["steps"]:
        script = step.get("bash", step.get("script", ""))
        assert "parameters." not in script, step["displayName"]


def test_choices_match_the_cli() -> None:
    (fail_on,) = [p for p in load(ADO_TEMPLATE)["parameters"] if p["name"] == "failOn"]
    assert tuple(fail_on["values"]) == FAIL_ON
    description = load(ACTION)["inputs"]["format"]["description"]
    assert all(fmt in description for fmt in SCAN_FORMATS)


def substitute(value: str, values: Mapping[str, str]) -> str:
    return EXPRESSION.sub(lambda m: values[m.group(2)], value)


def defaults_of_action(**overrides: str) -> dict[str, str]:
    values = {name: str(spec.get("default", "")) for name, spec in load(ACTION)["inputs"].items()}
    return {**values, "python": sys.executable, **overrides}  # the install step's venv


def run_action_scan(workdir: Path, github_actions: bool = False, **inputs: str,
                    ) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    """Run the action's Scan step the way the runner does (bash -eo pipefail)."""
    step = next(s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "scan")
    values = defaults_of_action(**inputs)
    output, summary = workdir / "github_output", workdir / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
           **{k: substitute(v, values) for k, v in step["env"].items()}}
    env.pop("GITHUB_ACTIONS", None)
    if github_actions:
        env["GITHUB_ACTIONS"] = "true"
    script = workdir / "scan.sh"
    script.write_text(step["run"])
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                            cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result, outputs, summary.read_text()


def test_action_scan_step_writes_sarif_summary_and_exit_code(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    result, outputs, summary = run_action_scan(tmp_path, path="infra",
                                               **{"sarif-file": "out/results.sarif"})
    assert result.returncode == 0, result.stderr
    assert outputs == {"exit-code": "0", "sarif-file": "out/results.sarif"}
    assert json.loads((tmp_path / "out" / "results.sarif").read_text())["runs"]
    assert summary.startswith("#"), "the Markdown report goes to the job summary"


def test_action_scan_step_reports_the_exit_code_without_failing(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"a": 1}')
    (tmp_path / "infra").mkdir()
    result, outputs, _ = run_action_scan(tmp_path, path="infra\nsettings.json",
                                         summary="false", **{"sarif-file": "results.sarif"})
    assert result.returncode == 0, result.stderr
    assert outputs["exit-code"] == "2"  # the explicit JSON of no known kind
    sarif = json.loads((tmp_path / "results.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert outputs["sarif-file"] == "results.sarif"
    assert "settings.json:1:1: input error JSON of no known kind" in result.stdout


UNPROTECTED_VM = """resource "azurerm_linux_virtual_machine" "vm" {
  name                = "vm-app"
  resource_group_name = "rg"
  location            = "westeurope"
  size                = "Standard_D2s_v5"
}
"""


def test_action_args_are_one_per_line_and_survive_spaces(tmp_path: Path) -> None:
    (tmp_path / "infra" / "keep").mkdir(parents=True)
    (tmp_path / "infra" / "skip me").mkdir()
    (tmp_path / "infra" / "skip me" / "main.tf").write_text(UNPROTECTED_VM)
    result, outputs, _ = run_action_scan(tmp_path, path="infra", summary="false",
                                         args="--exclude=skip me\r\n\n--strict\n")
    assert outputs["exit-code"] == "0", result.stdout + result.stderr  # the VM was excluded


def test_uploading_sarif_leaves_out_the_workflow_annotations(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(UNPROTECTED_VM)
    shown, _, _ = run_action_scan(tmp_path, github_actions=True, path="infra", summary="false")
    assert "::warning file=" in shown.stdout
    uploaded, outputs, _ = run_action_scan(tmp_path, github_actions=True, path="infra",
                                           summary="false", **{"upload-sarif": "true",
                                                               "category": "infra-prod"})
    assert outputs["exit-code"] == "1"
    assert "::warning" not in uploaded.stdout and "BKP-COV-001" in uploaded.stdout
    sarif = json.loads((tmp_path / "azbackup-policy.sarif").read_text())
    assert sarif["runs"][0]["automationDetails"]["id"] == "infra-prod/"


def test_workflow_uses_the_action_with_sarif_upload_permission() -> None:
    workflow = load(WORKFLOW)
    (job,) = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    step = next(s for s in job["steps"] if s.get("uses", "").startswith("azbackup-policy/"))
    assert step["with"]["upload-sarif"] == "true"
    assert set(step["with"]) <= set(load(ACTION)["inputs"])


# --- the Azure Pipelines template -----------------------------------------------------------

def test_ado_template_publishes_junit_and_code_analysis_logs() -> None:
    template = load(ADO_TEMPLATE)
    names = {p["name"] for p in template["parameters"]}
    assert {"path", "failOn", "configFile", "pythonVersion"} <= names
    tasks = {s["task"]: s for s in template["steps"] if "task" in s}
    assert tasks["PublishTestResults@2"]["inputs"]["testResultsFormat"] == "JUnit"
    assert tasks["PublishBuildArtifacts@1"]["inputs"]["ArtifactName"] == "CodeAnalysisLogs"
    for task in ("PublishTestResults@2", "PublishBuildArtifacts@1"):
        assert tasks[task]["condition"] == "succeededOrFailed()"


def run_ado_scan(workdir: Path, **parameters: str) -> subprocess.CompletedProcess[str]:
    """Run the template's scan script as the Bash task does."""
    template = load(ADO_TEMPLATE)
    values = {p["name"]: str(p.get("default", "")) for p in template["parameters"]}
    values.update(parameters)
    step = next(s for s in template["steps"]
                if s.get("displayName") == "Scan with azbackup-policy")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           **{k: substitute(v, values) for k, v in step["env"].items()}}
    env.pop("TF_BUILD", None)
    script = workdir / "scan.sh"
    script.write_text(step["bash"])
    return subprocess.run(["bash", "--noprofile", "--norc", str(script)], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120)


def test_ado_scan_script_writes_junit_and_sarif(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    out = tmp_path / "out"
    result = run_ado_scan(tmp_path, path="infra", outputDirectory=str(out),
                          extraArgs="--fail-on error")
    assert result.returncode == 0, result.stdout + result.stderr
    ET.parse(out / "azbackup-policy.junit.xml")
    sarif = json.loads((out / "CodeAnalysisLogs" / "azbackup-policy.sarif").read_text())
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "azbackup-policy"


def test_ado_scan_script_fails_the_step_on_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"a": 1}')
    result = run_ado_scan(tmp_path, path="settings.json", outputDirectory=str(tmp_path / "o"))
    assert result.returncode == 2
    assert (tmp_path / "o" / "CodeAnalysisLogs" / "azbackup-policy.sarif").is_file()
