from __future__ import annotations

import io
import json
from pathlib import Path

from azbackup_policy import __version__
from azbackup_policy.cli import main


def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ=env or {})
    return code, out.getvalue(), err.getvalue()


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.strip() == f"azbackup-policy {__version__}"


def test_usage_errors_exit_2() -> None:
    assert run()[0] == 2
    assert run("scan")[0] == 2
    assert run("scan", "x", "--fail-on", "sometimes")[0] == 2


def test_unknown_json_named_explicitly_is_an_input_error(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text('{"a": 1}')
    code, out, err = run("scan", str(settings))
    assert code == 2
    assert "settings.json:1:1: input error JSON of no known kind" in out
    assert "settings.json" not in err  # printed once, in the text report
    assert "Traceback" not in err


def test_empty_folder_scans_clean_as_json(tmp_path: Path) -> None:
    code, out, err = run("scan", str(tmp_path), "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["schema_version"] == 1
    assert data["findings"] == []
    assert "BKP-COV-001" in data["rules"]


def test_output_file_per_format(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    code, out, _ = run("scan", str(tmp_path), "--format", "json", "--output", str(target),
                       "--format", "text")
    assert code == 0
    assert json.loads(target.read_text())["schema_version"] == 1
    assert "0 errors, 0 warnings, 0 notes" in out


def test_ci_annotations_are_added_to_text_output(in_repo: Path) -> None:
    example = "fixtures/example/terraform"
    _, plain, _ = run("scan", example)
    assert "::warning" not in plain and "##vso" not in plain
    _, github, _ = run("scan", example, env={"GITHUB_ACTIONS": "true"})
    # The text (untrusted) inside a stop-commands region, our annotations after it.
    start, _, rest = github.partition("\n")
    token = start.removeprefix("::stop-commands::")
    assert start.startswith("::stop-commands::") and len(token) == 32
    assert rest.startswith(plain + f"::{token}::\n::")
    assert "::warning file=fixtures/example/terraform/main.tf,line=107" in github
    _, devops, _ = run("scan", example, env={"TF_BUILD": "True"})
    assert devops.startswith(plain)
    assert "##vso[task.logissue type=warning;sourcepath=" in devops
    # Only when text goes to the terminal: a JSON report stays pure JSON.
    _, as_json, _ = run("scan", example, "--format", "json", env={"GITHUB_ACTIONS": "true"})
    assert json.loads(as_json)["schema_version"] == 1
