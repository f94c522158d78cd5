"""Snapshots of every built-in format on the hand-built report, and determinism.

Regenerate with ``UPDATE_SNAPSHOTS=1 pytest tests/test_reporters_snapshots.py`` and
review the diff. The tool version and time stamps are masked.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest
from report_factory import VERSION, build_report, validate_junit, validate_sarif

from azbackup_policy.report import Report
from azbackup_policy.reporters import BUILTIN_REPORTERS, RenderOptions, load_reporter

SNAPSHOTS = Path(__file__).parent / "snapshots"
ROOT = "/home/runner/work/infra/infra"
ENVIRONMENT = {"SOURCE_DATE_EPOCH": "1767225600", "GITHUB_WORKSPACE": ROOT,
               "HOSTNAME": "ci-runner"}
NAMES = sorted(spec.name for spec in BUILTIN_REPORTERS)
EXTENSIONS = {spec.name: spec.extension for spec in BUILTIN_REPORTERS}  # ".xml"
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?")


def _options(color: bool = False) -> RenderOptions:
    return RenderOptions(color=color, fail_on="warning", cwd=ROOT, environment=ENVIRONMENT)


def _mask(text: str) -> str:
    text = text.replace(f'"{VERSION}"', '"<version>"')
    return _TIMESTAMP.sub("<timestamp>", text)


def _reversed(report: Report) -> Report:
    """The same report with every collection in the opposite order."""
    return dataclasses.replace(
        report,
        findings=report.findings[::-1], rules=report.rules[::-1], units=report.units[::-1],
        skipped=report.skipped[::-1], errors=report.errors[::-1],
        rule_failures=report.rule_failures[::-1], not_followed=report.not_followed[::-1],
        warnings=report.warnings[::-1], evaluations=report.evaluations[::-1],
    )


def _check(name: str, text: str) -> None:
    if name == "sarif":
        validate_sarif(text)
    elif name.startswith("junit"):
        validate_junit(text)


@pytest.mark.parametrize("name", NAMES)
def test_snapshot(name: str) -> None:
    text = load_reporter(name)(build_report(), _options())
    _check(name, text)
    path = SNAPSHOTS / f"report.{name}{EXTENSIONS[name]}"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(_mask(text), encoding="utf-8")
    assert path.is_file(), f"missing snapshot {path.name}: run with UPDATE_SNAPSHOTS=1"
    assert _mask(text) == path.read_text(encoding="utf-8")


def test_every_format_has_an_extension_and_a_snapshot_file() -> None:
    """A reporter row needs an extension (".txt"); each built-in has its two snapshots."""
    for name, extension in EXTENSIONS.items():
        assert extension.startswith(".") and len(extension) > 1, name
    named = {p.name for p in SNAPSHOTS.iterdir()}
    assert {f"report.{n}{EXTENSIONS[n]}" for n in NAMES} <= named


@pytest.mark.parametrize("name", NAMES)
def test_output_is_deterministic(name: str) -> None:
    render = load_reporter(name)
    assert render(build_report(), _options()) == render(build_report(), _options())


@pytest.mark.parametrize("name", NAMES)
def test_output_does_not_depend_on_the_report_order(name: str) -> None:
    render = load_reporter(name)
    assert render(_reversed(build_report()), _options()) == render(build_report(), _options())


def test_colour_snapshot_of_text() -> None:
    text = load_reporter("text")(build_report(), _options(color=True))
    path = SNAPSHOTS / "report.text-color.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_snapshot_of_the_bundled_example(name: str, in_repo: Path) -> None:
    """Every format on a real estate: the whole pipeline over fixtures/example."""
    from azbackup_policy.pipeline import scan

    report = scan(["fixtures/example"])
    options = RenderOptions(fail_on="warning", cwd=str(in_repo),
                            environment={"SOURCE_DATE_EPOCH": "1767225600",
                                         "HOSTNAME": "ci-runner"})
    text = load_reporter(name)(report, options)
    _check(name, text)
    path = SNAPSHOTS / f"example.{name}{EXTENSIONS[name]}"
    masked = _mask(text).replace(f'"{report.tool_version}"', '"<version>"')
    masked = masked.replace(in_repo.as_uri() + "/", "file:///<checkout>/")
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(masked, encoding="utf-8")
    assert path.is_file(), f"missing snapshot {path.name}: run with UPDATE_SNAPSHOTS=1"
    assert masked == path.read_text(encoding="utf-8")
