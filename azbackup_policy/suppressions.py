"""Suppressions: findings that a person accepted, with a reason and maybe an expiry date.

Two kinds, one behaviour:

* **inline**, written at the resource: HCL ``# azbackup-policy: ignore[RULE] reason="..."
  until=2027-01-31``, Bicep ``//`` the same, ARM through the resource's ``metadata``
  (``"metadata": {"azbackup-policy": "ignore[RULE] reason=\\"...\\""}``). Parsers keep that
  text verbatim in :attr:`Resource.comments`; :func:`parse_comment` reads it.
* **config**, in the ``suppressions`` list of the configuration: rule, resource address
  (``[*]`` matches any index), file glob, reason and ``until``. This is the way for plan
  JSON and for generated files that cannot carry a comment.

A suppressed finding stays in the report with its :class:`Suppression` (source
``inline`` or ``config``) and does not count for the exit code. An expired suppression
stops suppressing and says so; a suppression naming an unknown rule, a malformed one and
one that matched nothing are reported as warnings.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from azbackup_policy.document import Document
from azbackup_policy.model import Estate, VirtualMachine
from azbackup_policy.report import Finding, Suppression
from azbackup_policy.rules import Rule

MARKER = "azbackup-policy"
COVERAGE_RULE = "BKP-COV-001"
_MARKER_RE = re.compile(r"azbackup-policy\s*:", re.IGNORECASE)
_IGNORE_RE = re.compile(r"\s*ignore\s*\[([^\]]*)\](.*)", re.IGNORECASE | re.DOTALL)
_PAIR_RE = re.compile(r"""([A-Za-z_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s"']+)""")
_KEYS = ("reason", "until")


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` as a date; ValueError with a readable message otherwise."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD") from None


@dataclass(frozen=True, slots=True)
class Directive:
    """One ``ignore[...]`` read from a comment."""

    rules: tuple[str, ...]
    reason: str
    until: dt.date | None = None


def parse_comment(text: str) -> tuple[list[Directive], list[str]]:
    """The directives in one comment (or ARM metadata) text, and what was wrong with it.

    Tolerates a leading ``#``, ``//``, ``/*`` or nothing, a trailing ``*/``, and the JSON
    text of an ARM ``metadata`` object.
    """
    directives: list[Directive] = []
    problems: list[str] = []
    for body in _bodies(text):
        try:
            directives.append(_parse_body(body))
        except ValueError as exc:
            problems.append(str(exc))
    return directives, problems


def _bodies(text: str) -> Iterator[str]:
    """The text after each ``azbackup-policy:`` marker, up to the next marker."""
    decoded = _json_bodies(text)
    if decoded is not None:
        yield from decoded
        return
    cleaned = text.strip().removesuffix("*/")
    matches = list(_MARKER_RE.finditer(cleaned))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(cleaned)
        body = cleaned[match.end():end]
        yield body.replace('\\"', '"') if '\\"' in body and '="' not in body else body


def _json_bodies(text: str) -> list[str] | None:
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        data = json.loads(stripped)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    bodies: list[str] = []
    for key, value in data.items():
        if str(key).lower() != MARKER:
            continue
        values = value if isinstance(value, list) else [value]
        bodies.extend(str(v) for v in values)
    return bodies


def _parse_body(body: str) -> Directive:
    match = _IGNORE_RE.match(body)
    if match is None:
        raise ValueError(f"expected ignore[RULE] reason=\"...\" after '{MARKER}:', "
                         f"got {body.strip()[:60]!r}")
    rules = tuple(r for r in re.split(r"[\s,]+", match.group(1)) if r)
    if not rules:
        raise ValueError("ignore[] names no rule")
    pairs = _pairs(match.group(2))
    reason = pairs.get("reason", "").strip()
    if not reason:
        raise ValueError(f"ignore[{','.join(rules)}] has no reason: write reason=\"why\"")
    until = pairs.get("until")
    return Directive(rules, reason, None if until is None else parse_date(until))


def _pairs(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for key, raw in _PAIR_RE.findall(text):
        name = key.lower()
        if name not in _KEYS:
            raise ValueError(f"unknown key {key!r} in a suppression (expected reason, until)")
        pairs[name] = _unquote(raw)
    return pairs


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    return raw


# --- the suppressions of a scan -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InlineSuppression:
    """A directive found at the resource ``address`` (declared at ``where``)."""

    address: str
    directive: Directive
    where: str  # "main.tf:12": where the resource is declared

    @property
    def label(self) -> str:
        return f"{self.where}: inline suppression ignore[{','.join(self.directive.rules)}]"


@dataclass(frozen=True, slots=True)
class ConfigSuppression:
    """A ``suppressions`` entry of the configuration file."""

    rule: str
    reason: str
    address: str | None = None
    file: str | None = None
    until: dt.date | None = None
    origin: str = ""  # ".azbackup-policy.yaml: suppressions[0]"
    base_dir: str | None = None

    @property
    def label(self) -> str:
        target = " ".join(f"{k} {v}" for k, v in (("address", self.address),
                                                   ("file", self.file)) if v)
        return f"{self.origin}: suppression of {self.rule}" + (f" for {target}" if target else "")


def inline_suppressions(document: Document) -> tuple[list[InlineSuppression], list[str]]:
    """The inline suppressions of every resource of ``document``, and malformed ones."""
    found: list[InlineSuppression] = []
    problems: dict[str, None] = {}
    for resource in document.resources:
        where = f"{resource.span.file}:{resource.span.line}"
        for text in resource.comments:
            directives, wrong = parse_comment(text)
            found.extend(InlineSuppression(resource.address, d, where) for d in directives)
            problems.update((f"{where}: suppression ignored: {p}", None) for p in wrong)
    return found, list(problems)


def _rule_matches(token: str, finding: Finding) -> bool:
    wanted = token.lower()
    return wanted in (finding.rule_id.lower(), finding.rule_name.lower())


_INDEX = object()  # the ``[*]`` token of an address pattern


def address_matches(pattern: str, address: str) -> bool:
    """Whether ``address`` matches ``pattern``: ``[*]`` matches any one index (``[0]``,
    ``["a"]``), ``*`` any text, everything else itself.

    In time proportional to the lengths multiplied (never exponential: a pattern such as
    ``*a*a*a*b`` comes from a configuration file and must not stall the scan). The star
    last passed is retried one character further on a mismatch; each other token matches
    in at most one way, so that is enough.
    """
    tokens = _address_tokens(pattern)
    t = i = 0
    star: tuple[int, int] | None = None  # (token after the star, text position tried)
    while i < len(address) or (t < len(tokens) and tokens[t] == "*"):
        if t < len(tokens) and tokens[t] == "*":
            star = (t + 1, i)
            t += 1
            continue
        step = _token_length(tokens[t], address, i) if t < len(tokens) else None
        if step is not None:
            t, i = t + 1, i + step
        elif star is not None and star[1] < len(address):
            t, i = star[0], star[1] + 1
            star = (star[0], i)
        else:
            return False
    return t == len(tokens)


def _address_tokens(pattern: str) -> list[object]:
    tokens: list[object] = []
    for n, part in enumerate(pattern.split("[*]")):
        if n:
            tokens.append(_INDEX)
        for m, text in enumerate(part.split("*")):
            if m and tokens[-1:] != ["*"]:
                tokens.append("*")
            tokens.extend(f"={char}" for char in text)
    return tokens


def _token_length(token: object, text: str, at: int) -> int | None:
    """How many characters of ``text`` from ``at`` the (non-star) ``token`` matches."""
    if token is _INDEX:
        if not text.startswith("[", at):
            return None
        close = text.find("]", at + 1)
        return None if close < 0 else close - at + 1
    assert isinstance(token, str)
    return 1 if text.startswith(token[1:], at) else None


def _file_matches(pattern: str, file: str, base_dir: str | None) -> bool:
    candidates = {file}
    if base_dir is not None:
        candidates.add(os.path.relpath(os.path.abspath(file), base_dir).replace(os.sep, "/"))
    patterns = {pattern, pattern.removeprefix("**/")}
    return any(fnmatch.fnmatchcase(c, p) for c in candidates for p in patterns)


def _config_matches(item: ConfigSuppression, finding: Finding) -> bool:
    if not _rule_matches(item.rule, finding):
        return False
    if item.address and not address_matches(item.address, finding.resource.address):
        return False
    return not item.file or _file_matches(item.file, finding.location.file, item.base_dir)


def opt_out_reason(vm: Any, tag: str) -> str | None:
    """The reason value of the opt-out ``tag`` on ``vm`` (tag names ignore case)."""
    tags = vm.tags if isinstance(vm, VirtualMachine) else None
    if not isinstance(tags, Mapping):
        return None
    for name, value in tags.items():
        if str(name).lower() == tag.lower() and isinstance(value, str) and value.strip():
            return value.strip()
    return None


@dataclass(slots=True)
class Suppressor:
    """Applies suppressions unit by unit, remembering which were used, for the warnings."""

    config: Sequence[ConfigSuppression] = ()
    rules: Sequence[Rule] = ()  # every rule known (to tell unknown ids)
    ran: frozenset[str] = frozenset()  # ids of the rules that ran (unused is only told then)
    today: dt.date = field(default_factory=dt.date.today)
    opt_out_tag: str | None = None
    _inline: dict[str, InlineSuppression] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)

    def apply(self, findings: Iterable[Finding], inline: Sequence[InlineSuppression],
              estate: Estate) -> list[Finding]:
        """``findings`` of one unit, each suppressed by the first suppression that matches."""
        for item in inline:
            self._inline.setdefault(item.label, item)
        return [self._one(finding, inline, estate) for finding in findings]

    def _one(self, finding: Finding, inline: Sequence[InlineSuppression],
             estate: Estate) -> Finding:
        chosen: Suppression | None = None
        for item in inline:
            if item.address == finding.resource.address and self._active_for(
                    item.label, item.directive.rules, item.directive.until, finding):
                until = item.directive.until
                chosen = chosen or Suppression(item.directive.reason, "inline", _iso(until))
        for entry in self.config:
            if _config_matches(entry, finding) and self._active_for(
                    entry.label, (entry.rule,), entry.until, finding):
                chosen = chosen or Suppression(entry.reason, "config", _iso(entry.until))
        chosen = chosen or self._opt_out(finding, estate)
        return finding if chosen is None else replace(finding, suppression=chosen)

    def _active_for(self, label: str, rules: Sequence[str], until: dt.date | None,
                    finding: Finding) -> bool:
        if not any(_rule_matches(token, finding) for token in rules):
            return False
        self._used.add(label)
        return until is None or until >= self.today

    def _opt_out(self, finding: Finding, estate: Estate) -> Suppression | None:
        if self.opt_out_tag is None or finding.rule_id != COVERAGE_RULE:
            return None
        reason = opt_out_reason(estate.lookup(finding.resource.address), self.opt_out_tag)
        if reason is None:
            return None
        return Suppression(f"opted out of backup by tag {self.opt_out_tag}: {reason}", "config")

    def warnings(self) -> list[str]:
        """Expired, unknown-rule and unused suppressions, in a stable order."""
        items: list[tuple[str, Sequence[str], dt.date | None]] = [
            (i.label, i.directive.rules, i.directive.until) for i in self._inline.values()
        ]
        items.extend((c.label, (c.rule,), c.until) for c in self.config)
        out: dict[str, None] = {}
        for label, tokens, until in sorted(items, key=lambda t: t[0]):
            out.update((w, None) for w in self._check(label, tokens, until))
        return list(out)

    def _check(self, label: str, tokens: Sequence[str], until: dt.date | None) -> Iterator[str]:
        known = {name.lower(): rule.id for rule in self.rules for name in (rule.id, rule.name)}
        unknown = [t for t in tokens if t.lower() not in known]
        if unknown:
            yield f"{label} names unknown rule {', '.join(unknown)}"
        if until is not None and until < self.today:
            yield f"{label} expired on {until.isoformat()}: the findings it covered are " \
                  "reported again"
        elif label not in self._used and any(
                known.get(t.lower()) in self.ran for t in tokens):
            yield f"{label} is unused: it matched no finding"


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()
