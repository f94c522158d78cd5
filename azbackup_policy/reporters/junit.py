"""JUnit XML in the strict Ant format (``testsuites/testsuite/testcase``).

Two forms. The default (``junit``, :func:`render`): one ``testsuite`` per scanned unit
(module folder, template, plan), one ``testcase`` per rule with findings in that unit
(classname = the unit, name = rule id and name), whose ``<failure>`` lists that rule's
failing findings in the unit with ``file:line:col``; the rules that ran on the unit and
found nothing are one passing case, ``rules without findings`` (their ids are the
suite property ``passed-rules``, consecutive ids of an area as a range:
``BKP-CMP-001..012 BKP-COV-002``). So a CI server shows one line per problem, not one
per (rule, resource): one case per evaluated rule would be ~24,000 cases and 1.9 MB for
``fixtures/``. The per-resource form (``junit-resources``, :func:`render_resources`):
one suite per scanned file, one case per (rule, resource) evaluated
(``Report.evaluations``), placed in the suite of the file that declares the resource.

A case fails when it has an unsuppressed violation at or above ``options.fail_on``. A
case whose findings are all reviews (could not verify) is ``<skipped>`` with the
reviews as its message, so they show per case. Notes, suppressed findings and findings
below the threshold pass; they are listed in the suite's ``system-out``, each line
starting with its case name (the strict Ant schema allows no ``system-out`` inside a
``testcase``). Input errors are ``<error>`` cases in a suite for their file; rule
failures are ``<error>`` cases, and files not scanned are ``<skipped>`` cases, in a
run-level suite named ``azbackup-policy``.

The time stamp is ``SOURCE_DATE_EPOCH`` when set (reproducible output), else now; it
carries no time zone, as the Ant schema requires (UTC).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from azbackup_policy.report import Finding, Report, ScannedUnit
from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters._common import TOOL_NAME, is_failing, label, ordered, timestamp
from azbackup_policy.reporters._safe import xml_document, xml_value
from azbackup_policy.rules import FailOn

RUN_SUITE = TOOL_NAME


@dataclass(slots=True)
class _Case:
    classname: str
    name: str
    findings: list[Finding] = field(default_factory=list)
    outcome: tuple[str, str, str, str] | None = None  # (tag, type, message, text)


@dataclass(slots=True)
class _Suite:
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    cases: dict[tuple[str, str], _Case] = field(default_factory=dict)
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def case(self, classname: str, name: str) -> _Case:
        return self.cases.setdefault((classname, name), _Case(classname, name))


def _clean(text: str) -> str:
    return xml_value(text)


def _where(finding: Finding) -> str:
    loc = finding.location
    return f"{loc.file}:{loc.line}:{loc.column}"


def _unit_file(unit: ScannedUnit) -> str:
    """The file that stands for a unit (its path, or its first file for a module folder)."""
    return unit.path if unit.path in unit.files or not unit.files else sorted(unit.files)[0]


def _resource_file(unit: ScannedUnit, address: str) -> str:
    declared = unit.estate.lookup(address)
    span = getattr(declared, "span", None)
    return span.file if span is not None else _unit_file(unit)


class _Builder:
    """Collects suites and cases from a report; ``element()`` gives the XML tree."""

    def __init__(self, report: Report, options: RenderOptions) -> None:
        self.report, self.options = report, options
        self.suites: dict[str, _Suite] = {}
        self.units = {unit.path: unit for unit in report.units}
        self.unit_of_file = {f: unit for unit in report.units for f in unit.files}
        names = {rule.id: rule.name for rule in report.rules}
        names.update({f.rule_id: f.rule_name for f in report.findings if f.rule_id not in names})
        self.rule_names = names
        self.where: dict[tuple[str, str, str], tuple[str, str]] = {}  # unit, rule, address

    def suite(self, name: str) -> _Suite:
        return self.suites.setdefault(name, _Suite(name))

    def suite_for(self, file: str) -> str:
        """The suite a problem in ``file`` belongs to: the file's (this form)."""
        return file

    def classname(self, rule_id: str) -> str:
        name = self.rule_names.get(rule_id)
        return f"{rule_id}.{name}" if name else rule_id

    def add_case(self, unit_path: str, rule_id: str, address: str, file: str) -> _Case:
        self.where.setdefault((unit_path, rule_id, address), (file, address))
        file, address = self.where[(unit_path, rule_id, address)]
        return self.suite(file).case(self.classname(rule_id), address)

    def collect(self) -> None:
        for unit in sorted(self.report.units, key=lambda u: u.path):
            for file in unit.files:
                self.suite(file).properties.update({"unit": unit.path, "format": unit.format})
        estate_level = self._evaluations()
        self._findings()
        self._estate_level(estate_level)
        self._problems()

    def _evaluations(self) -> list[tuple[str, str]]:
        estate_level = []
        for unit_path, rule_id, address in self.report.evaluations:
            unit = self.units.get(unit_path)
            if unit is None or address == unit_path:
                estate_level.append((unit_path, rule_id))
                continue
            self.add_case(unit_path, rule_id, address, _resource_file(unit, address))
        return estate_level

    def _findings(self) -> None:
        for finding in ordered(self.report.findings):
            file = finding.location.file
            unit = self.unit_of_file.get(file)
            unit_path = unit.path if unit is not None else file
            case = self.add_case(unit_path, finding.rule_id, finding.resource.address, file)
            case.findings.append(finding)

    def _estate_level(self, evaluations: list[tuple[str, str]]) -> None:
        """A rule run over a whole unit: a case of its own only when it found nothing."""
        flagged = {(unit, rule) for unit, rule, _address in self.where}
        for unit_path, rule_id in sorted(set(evaluations)):
            if (unit_path, rule_id) in flagged:
                continue
            unit = self.units.get(unit_path)
            file = _unit_file(unit) if unit is not None else unit_path
            self.add_case(unit_path, rule_id, unit_path, file)

    def _problems(self) -> None:
        for problem in self.report.errors:
            case = self.suite(self.suite_for(problem.file)).case(
                f"{TOOL_NAME}.input", f"{problem.file}:{problem.line}:{problem.column}")
            case.outcome = ("error", "InputError", problem.message, str(problem))
        for failure in self.report.rule_failures:
            case = self.suite(RUN_SUITE).case(self.classname(failure.rule_id),
                                              f"rule {failure.rule_id}")
            text = f"rule {failure.rule_id} ({failure.origin}) {failure.message}"
            case.outcome = ("error", "RuleFailure", failure.message, text)
        for skipped in self.report.skipped:
            case = self.suite(RUN_SUITE).case(f"{TOOL_NAME}.discover", skipped.file)
            case.outcome = ("skipped", "", f"not scanned: {skipped.reason}", "")
        for module in self.report.not_followed:
            case = self.suite(self.suite_for(module.file)).case(f"{TOOL_NAME}.module",
                                                                module.source)
            case.outcome = ("skipped", "", f"not followed: {module.explained}", "")
        if self.report.warnings:
            self.suite(RUN_SUITE).err.extend(sorted(self.report.warnings))


Passing = list[tuple[tuple[str, int, str, str, str], str]]


def _outcome(case: _Case, fail_on: FailOn, out: Passing) -> tuple[str, str, str, str] | None:
    """The case's ``failure`` from its findings; the others go to ``out``."""
    failing = [f for f in case.findings if is_failing(f, fail_on)]
    for finding in case.findings:
        if finding in failing:
            continue
        out.append((finding.sort_key(),
                    f"[{case.name}] {_where(finding)}: {label(finding)} {finding.rule_id} "
                    f"{finding.message} [{finding.resource.address}] ({_why_passing(finding)})"))
    if case.outcome is not None:
        return case.outcome
    if not failing:
        return _reviews_only(case.findings)
    worst = max(failing, key=lambda f: f.severity.rank)
    message = failing[0].message if len(failing) == 1 else f"{len(failing)} violations"
    text = "\n".join(f"{_where(f)}: {f.severity.value} {f.rule_id} {f.message}"
                     for f in failing)
    return ("failure", worst.severity.value, message, text)


def _reviews_only(findings: list[Finding]) -> tuple[str, str, str, str] | None:
    """A case whose findings are all unsuppressed reviews is skipped: it could not verify."""
    if not findings or any(label(f) != "review" or f.suppressed for f in findings):
        return None
    text = "; ".join(f"{_where(f)}: {f.message}" for f in findings)
    return ("skipped", "", f"could not verify: {text}", "")


def _why_passing(finding: Finding) -> str:
    suppression = finding.suppression
    if suppression is not None:
        return f"suppressed ({suppression.source}): {suppression.reason}"
    if label(finding) == "review":
        return "could not verify"
    return "below the fail-on threshold"


def _case_element(parent: ET.Element, case: _Case, outcome: tuple[str, str, str, str] | None,
                  ) -> str | None:
    element = ET.SubElement(parent, "testcase", {
        "classname": _clean(case.classname), "name": _clean(case.name), "time": "0"})
    if outcome is None:
        return None
    tag, kind, message, text = outcome
    attributes = {"message": _clean(message)}
    if tag != "skipped":
        attributes["type"] = kind
    child = ET.SubElement(element, tag, attributes)
    child.text = _clean(text) if text else None
    return tag


def _suite_element(root: ET.Element, suite: _Suite, index: int, stamp: str, host: str,
                   fail_on: FailOn) -> None:
    element = ET.SubElement(root, "testsuite", {"name": _clean(suite.name)})
    properties = ET.SubElement(element, "properties")
    for key, value in sorted(suite.properties.items()):
        ET.SubElement(properties, "property", {"name": key, "value": _clean(value)})
    tally = {"failure": 0, "error": 0, "skipped": 0}
    out: Passing = []
    for case_key in sorted(suite.cases):
        case = suite.cases[case_key]
        tag = _case_element(element, case, _outcome(case, fail_on, out))
        if tag is not None:
            tally[tag] += 1
    ET.SubElement(element, "system-out").text = _clean("\n".join(text for _, text in sorted(out)))
    ET.SubElement(element, "system-err").text = _clean("\n".join(suite.err))
    element.attrib.update({
        "timestamp": stamp, "hostname": host, "tests": str(len(suite.cases)),
        "failures": str(tally["failure"]), "errors": str(tally["error"]),
        "skipped": str(tally["skipped"]), "time": "0", "id": str(index),
        "package": _clean(suite.name),
    })


class _UnitBuilder(_Builder):
    """The default form: a suite per unit, a case per rule with findings in it."""

    PASSED = "rules without findings"

    def collect(self) -> None:
        ran: dict[str, set[str]] = {}
        for unit_path, rule_id, _address in self.report.evaluations:
            ran.setdefault(unit_path, set()).add(rule_id)
        for unit in sorted(self.report.units, key=lambda u: u.path):
            self.suite(unit.path).properties.update({
                "unit": unit.path, "format": unit.format, "files": str(len(unit.files))})
        flagged: dict[str, set[str]] = {}
        for finding in ordered(self.report.findings):
            name = self.suite_for(finding.location.file)
            self.suite(name).case(name, self.case_name(finding.rule_id)).findings.append(
                finding)
            flagged.setdefault(name, set()).add(finding.rule_id)
        for unit_path, rule_ids in sorted(ran.items()):
            passed = sorted(rule_ids - flagged.get(unit_path, set()))
            if passed:
                suite = self.suite(unit_path)
                suite.case(unit_path, self.PASSED)
                suite.properties["passed-rules"] = rule_ranges(passed)
        self._problems()

    def suite_for(self, file: str) -> str:
        unit = self.unit_of_file.get(file)
        return unit.path if unit is not None else file

    def case_name(self, rule_id: str) -> str:
        name = self.rule_names.get(rule_id)
        return f"{rule_id} {name}" if name else rule_id


def _hostname(options: RenderOptions) -> str:
    for variable in ("HOSTNAME", "COMPUTERNAME"):
        value = options.environment.get(variable, "").strip()
        if value:
            return _clean(value)
    return "localhost"


def render(report: Report, options: RenderOptions) -> str:
    """The default form: one suite per scanned unit, one case per rule with findings."""
    return _document(_UnitBuilder(report, options), options)


def render_resources(report: Report, options: RenderOptions) -> str:
    """The per-resource form: one suite per file, one case per (rule, resource) evaluated."""
    return _document(_Builder(report, options), options)


def _document(builder: _Builder, options: RenderOptions) -> str:
    builder.collect()
    root = ET.Element("testsuites")
    stamp = timestamp(options.environment).strftime("%Y-%m-%dT%H:%M:%S")
    names = sorted(n for n in builder.suites if n != RUN_SUITE)
    names += [RUN_SUITE] if RUN_SUITE in builder.suites else []
    for index, name in enumerate(names):
        _suite_element(root, builder.suites[name], index, stamp, _hostname(options),
                       options.fail_on)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml_document(body) + "\n"


_NUMBERED = re.compile(r"^(.*-)(\d+)$")


def rule_ranges(rule_ids: Sequence[str]) -> str:
    """Sorted rule ids with consecutive numbers of one prefix as a range: ``BKP-CMP-001..012``
    (about a fifth of the text of the full list, which every unit's suite carries)."""
    parts: list[str] = []
    run: list[tuple[str, int, str]] = []

    def flush() -> None:
        if run:
            first, last = run[0], run[-1]
            parts.append(first[2] if len(run) == 1 else
                         f"{first[2]}..{last[2][len(last[0]):]}")
            run.clear()

    for rule_id in sorted(rule_ids):
        match = _NUMBERED.match(rule_id)
        if match is None:
            flush()
            parts.append(rule_id)
            continue
        prefix, number = match.group(1), int(match.group(2))
        if run and (run[-1][0] != prefix or run[-1][1] + 1 != number):
            flush()
        run.append((prefix, number, rule_id))
    flush()
    return " ".join(parts)
