"""No output of any format lets untrusted text run a CI command, drive the terminal or
crash the writer (reporters/_safe.py).

A Hypothesis property renders a report whose every untrusted string (resource names,
addresses, messages, file names, input errors, warnings, rule failures) is hostile, in
every built-in format, and scans the result the way the GitHub runner and the Azure
Pipelines agent would (tests/ci_scanner.py). A format added to ``BUILTIN_REPORTERS``
is covered without a change here.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET

import pytest
from ci_scanner import github_commands, injected, lines, unsafe_characters
from hypothesis import given
from hypothesis import strategies as st
from report_factory import build_report, validate_junit, validate_sarif

from azbackup_policy.document import NotFollowed
from azbackup_policy.model import SourceSpan
from azbackup_policy.report import (
    InputProblem,
    Report,
    ResourceRef,
    RuleFailure,
    SkippedFile,
    Suppression,
)
from azbackup_policy.reporters import BUILTIN_REPORTERS, RenderOptions, _safe, load_reporter

ATTACKS = (
    "::", "::error::injected", "::stop-commands::abc", "::add-mask::x", "  ::warning::w",
    "##vso[task.setvariable variable=a]1", "##[error]e", "##VSO[task.complete]", "###vso[",
    "##[command]c", "\n", "\r", "\r\n", "\x1b]52;c;ZXZpbA==\x07", "\x1b[2J", "\x9b", "\x85",
    "\u2028", "\ud800", "\u202e", "\udcff", "%0A", "%AZP25", "]", ";", ",", "|", "`", "<b>",
    "&", "\x00", "\x0c",
)
HOSTILE = st.lists(st.one_of(st.sampled_from(ATTACKS), st.text(max_size=4)),
                   min_size=1, max_size=6).map("".join)
ENVIRONMENT = {"GITHUB_ACTIONS": "true", "TF_BUILD": "True", "SOURCE_DATE_EPOCH": "0"}


def hostile_report(name: str) -> Report:
    """The factory report with ``name`` in every string a scanned repository controls."""
    base = build_report()
    findings = tuple(
        dataclasses.replace(
            f, resource=ResourceRef(f"{f.resource.address}[\"{name}\"]", f.resource.type, name),
            vm=name, message=f"{f.message} {name}",
            location=SourceSpan(name + ".tf", 3, 4, 2) if index % 2 else f.location,
            suppression=Suppression(name, "inline") if f.suppression else None)
        for index, f in enumerate(base.findings))
    return dataclasses.replace(
        base, findings=findings,
        errors=(*base.errors, InputProblem(name, 1, 2, f"unexpected {name}")),
        warnings=(name,), skipped=(SkippedFile(name, name),),
        rule_failures=(RuleFailure(name, name, name),),
        not_followed=(NotFollowed(name, 3, name, name),))


def render_all(report: Report) -> dict[str, str]:
    options = RenderOptions(fail_on="note", cwd="/work", environment=ENVIRONMENT)
    return {spec.name: load_reporter(spec.name)(report, options) for spec in BUILTIN_REPORTERS}


def own_commands(fmt: str, output: str) -> dict[str, int]:
    """How many commands the format emits itself: every line of the annotation formats."""
    count = len([line for line in lines(output) if line])
    return {"github": {"ours_github": count}, "azure-devops": {"ours_azure": count}}.get(fmt, {})


def assert_safe(outputs: dict[str, str]) -> None:
    for fmt, output in outputs.items():
        assert injected(output, **own_commands(fmt, output)) == [], fmt
        assert unsafe_characters(output) == [], fmt
        output.encode("utf-8")  # no lone surrogate left: every writer can encode it


@given(HOSTILE)
def test_no_output_runs_a_command_we_did_not_emit(name: str) -> None:
    assert_safe(render_all(hostile_report(name)))


def test_every_attack_at_once_in_every_format() -> None:
    name = "".join(ATTACKS)
    outputs = render_all(hostile_report(name))
    assert_safe(outputs)
    # Still well-formed and valid documents, with the data kept where the syntax allows.
    data = json.loads(outputs["json"])
    assert any(f["resource"]["name"] == name for f in data["findings"])
    sarif = validate_sarif(outputs["sarif"])
    assert any(r["message"]["text"].endswith(name) for r in sarif["runs"][0]["results"])
    validate_junit(outputs["junit"])
    ET.fromstring(outputs["junit"].split("\n", 1)[1])
    # The annotation formats: one command per finding and problem, nothing else.
    assert {c.name for c in github_commands(outputs["github"])} <= {"error", "warning",
                                                                       "notice"}


def test_the_scanner_finds_what_the_agents_run() -> None:
    """Guard against a scanner that finds nothing: raw attacks are found."""
    assert [c.name for c in github_commands("x\n  ::error file=a:b::m\nq ##[group]g")] == [
        "error", "group"]
    assert [c.name for c in github_commands(
        "::stop-commands::t\n::error::hidden\n::t::\n::warning::shown")] == [
        "stop-commands", "t", "warning"]
    assert len(injected("a ##vso[task.setvariable variable=x]1\nb ##[section]s")) == 3
    assert unsafe_characters("a\x1b]0;t\x07\u2028") == ["\x07", "\x1b", "\u2028"]


@pytest.mark.parametrize("value, expected", [
    ("a\nb\rc\x1bd\x85e\u2028f\u202eg\ud800h\udcffi", "a\\nb\\rc\\x1bd\\x85e\\u2028f\\u202eg"
                                                   "\\ud800h\\udcffi"),
    ("::error::x", ":\u200b:error::x"),
    (" \u00a0::x", " \u00a0:\u200b:x"),
    ("a ##vso[x] ##[y] ###VSO[z]", "a #\u200b#vso[x] #\u200b#[y] ##\u200b#VSO[z]"),
    ("tab\tkept, plain text kept: a::b #1 [x]", "tab\tkept, plain text kept: a::b #1 [x]"),
])
def test_text_escapes_and_breaks(value: str, expected: str) -> None:
    assert _safe.text(value) == expected


def test_json_and_xml_keep_the_data() -> None:
    value = "##vso[x]\x1b\u2028\ud800 ::y"
    document = _safe.json_document(json.dumps({"k": value}, ensure_ascii=False))
    assert "##" not in document and json.loads(document) == {"k": value}
    assert unsafe_characters(document) == []
    element = ET.Element("e", {"a": "##[x]"})
    element.text = "line\n::error::x ##vso[y]"
    xml = _safe.xml_document(ET.tostring(element, encoding="unicode"))
    assert ET.fromstring(xml).text == "line\n::error::x ##vso[y]"
    assert ET.fromstring(xml).get("a") == "##[x]"
    assert injected(xml) == []


def test_guard_document_keeps_colour_and_lines() -> None:
    coloured = "\x1b[1mpath\x1b[0m \x1b]52;c;eA==\x07\n::error::x\n"
    assert _safe.guard_document(coloured, color=True) == (
        "\x1b[1mpath\x1b[0m \\x1b]52;c;eA==\\x07\n:\u200b:error::x\n")
    assert _safe.guard_document("a\tb\nc\n") == "a\tb\nc\n"


def test_uri_path_keeps_the_bytes_of_a_file_name() -> None:
    assert _safe.uri_path("dir/caf\udce9 x.tf") == "dir/caf%E9%20x.tf"
    assert _safe.uri_path("lone\ud800.tf") == "lone%5Cud800.tf"


def test_lone_surrogates_reach_fingerprints_and_hcl_functions() -> None:
    from azbackup_policy.engine import fingerprint
    from azbackup_policy.parsers.hcl.functions import base64encode

    assert fingerprint("R", "a\ud800", None, unit="u") != \
        fingerprint("R", "a\udcff", None, unit="u")
    assert fingerprint("R", "vm", None, unit="u") == fingerprint("R", "vm", None, unit="u")
    assert base64encode("\ud800") == "7aCA"


def test_the_progress_line_escapes_the_path() -> None:
    import io

    from azbackup_policy.progress import TerminalProgress

    stream = io.StringIO()
    progress = TerminalProgress(stream, delay=0, interval=0, clock=lambda: 1.0)
    progress(0, 2, "dir/\x1b]0;owned\x07\n::error::x.tf")
    assert stream.getvalue() == "\r\x1b[K[1/2] dir/\\x1b]0;owned\\x07\\n::error::x.tf"
