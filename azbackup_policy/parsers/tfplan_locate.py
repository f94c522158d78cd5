"""Where each resource of a plan sits in the plan text itself.

One forward pass over the ``planned_values`` section finds every ``"address": "..."``
member; the resource object starts at the ``{`` just before it. Line numbers are
counted incrementally between matches, so a one-line plan of many megabytes costs one
scan. For pretty-printed plans the top-level keys of ``values`` get spans too.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field

from azbackup_policy.model import SourceSpan

_ADDRESS = re.compile(r'"address"\s*:\s*"((?:[^"\\]|\\.)*)"')
_SECTION = re.compile(r'"planned_values"\s*:')
_STATE_SECTION = re.compile(r'"values"\s*:')
_AFTER = re.compile(
    r'"(?:resource_drift|resource_changes|output_changes|prior_state|relevant_attributes'
    r'|deferred_changes|terraform_version)"\s*:'
)
_VALUES = re.compile(r'"values"\s*:\s*\{')
_KEY_LINE = re.compile(r'^([ \t]*)"((?:[^"\\]|\\.)*)"\s*:', re.MULTILINE)


@dataclass(slots=True)
class PlanLocations:
    """Spans of resource objects (by instance address) and of their top-level values."""

    file: str
    resources: dict[str, SourceSpan] = field(default_factory=dict)
    values: dict[str, dict[str, SourceSpan]] = field(default_factory=dict)

    def span(self, address: str) -> SourceSpan:
        return self.resources.get(address) or SourceSpan(self.file, 1, 1, 1)


def locate(text: str, file: str, *, with_values: bool = True) -> PlanLocations:
    """Find every resource object of ``planned_values`` (and ``prior_state``) in ``text``."""
    found = PlanLocations(file)
    with contextlib.suppress(ValueError, IndexError):  # never let locations break a parse
        _scan(text, found, with_values)
    return found


def _scan(text: str, found: PlanLocations, with_values: bool) -> None:
    section = _SECTION.search(text)
    if section is None and '"resource_changes"' not in text:  # a state: its top "values"
        section = _STATE_SECTION.search(text)
    start = section.end() if section else 0
    stop_match = _AFTER.search(text, start)
    stop = stop_match.start() if stop_match else len(text)
    matches = [m for m in _ADDRESS.finditer(text, start, stop)]
    # prior_state holds data sources read during planning; give them spans as well.
    prior = re.search(r'"prior_state"\s*:', text)
    if prior is not None:
        matches += _prior_matches(text, prior.end())
    matches.sort(key=lambda m: m.start())
    line, mark, line_start = 1, 0, -1
    patterns: dict[str, re.Pattern[str]] = {}
    for index, match in enumerate(matches):
        brace = text.rfind("{", mark, match.start())
        brace = brace if brace >= 0 else match.start()
        passed = text.count("\n", mark, brace)
        if passed:
            line += passed
            line_start = text.rfind("\n", mark, brace)
        mark = brace
        quoted = match.group(1)
        address = json.loads('"' + quoted + '"') if "\\" in quoted else quoted
        if address in found.resources:
            continue
        column = brace - line_start
        end = matches[index + 1].start() if index + 1 < len(matches) else stop
        found.resources[address] = SourceSpan(found.file, line, line, column)
        if with_values and "\n" in text[brace:end]:
            found.values[address] = _value_keys(text, brace, end, line, found.file, patterns)


def _prior_matches(text: str, start: int) -> list[re.Match[str]]:
    stop_match = re.compile(r'"(?:configuration|relevant_attributes|checks|timestamp)"\s*:')
    stop = stop_match.search(text, start)
    return [m for m in _ADDRESS.finditer(text, start, stop.start() if stop else len(text))
            if m.group(1).startswith(("data.", "module."))]


def _value_keys(text: str, start: int, end: int, line: int, file: str,
                patterns: dict[str, re.Pattern[str]]) -> dict[str, SourceSpan]:
    """Top-level keys of the ``values`` object between ``start`` and ``end`` (pretty JSON)."""
    values = _VALUES.search(text, start, end)
    if values is None:
        return {}
    sensitive = text.find('"sensitive_values"', values.end(), end)
    end = sensitive if sensitive >= 0 else end
    first = _KEY_LINE.search(text, values.end(), end)
    if first is None:
        return {}
    indent = first.group(1)
    base = line + text.count("\n", start, values.end())
    spans: dict[str, SourceSpan] = {}
    mark, current = values.end(), base
    pattern = patterns.get(indent)
    if pattern is None:
        pattern = patterns[indent] = re.compile(
            "^" + re.escape(indent) + r'"((?:[^"\\]|\\.)*)"\s*:', re.MULTILINE)
    for key in pattern.finditer(text, values.end(), end):
        current += text.count("\n", mark, key.start())
        mark = key.start()
        name = key.group(1)
        spans.setdefault(name, SourceSpan(file, current, current, len(indent) + 1))
    return spans
