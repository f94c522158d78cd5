"""The baseline: findings accepted once, so that only new ones fail the build.

``scan --write-baseline FILE`` records the current findings by fingerprint (the unit's
path in the repository + rule id + resource address + attribute, never line numbers, so
the baseline survives edits); ``scan --baseline FILE`` then reports the recorded ones as
suppressed (source ``baseline``) and only new ones count. The file is JSON, sorted, with
the unit, rule id, address and message of each finding for the humans who review it.

Version 1 files (fingerprints without the unit) are still read: their entries match by
rule id, address and attribute in any unit, a warning says so once, and
``--write-baseline`` writes the file again as version 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from azbackup_policy.errors import ConfigError
from azbackup_policy.report import Finding, Suppression

BASELINE_VERSION = 2
_READABLE = (1, BASELINE_VERSION)

Triple = tuple[str, str, str]  # rule id, resource address, attribute ("" when none)


@dataclass(frozen=True, slots=True)
class Baseline:
    file: str
    fingerprints: frozenset[str]
    version: int = BASELINE_VERSION
    # Version 1 entries, which hold no unit: matched by rule id, address and attribute.
    legacy: frozenset[Triple] = frozenset()

    def holds(self, finding: Finding) -> bool:
        if self.version == BASELINE_VERSION:
            return finding.fingerprint in self.fingerprints
        return _triple(finding) in self.legacy

    def key(self, finding: Finding) -> str | Triple:
        return finding.fingerprint if self.version == BASELINE_VERSION else _triple(finding)

    def size(self) -> int:
        return len(self.fingerprints) if self.version == BASELINE_VERSION else len(self.legacy)


def _triple(finding: Finding) -> Triple:
    return (finding.rule_id, finding.resource.address, finding.attribute or "")


def recordable(findings: Iterable[Finding]) -> list[Finding]:
    """The findings a new baseline holds: all but those a person suppressed explicitly."""
    return [f for f in findings if f.suppression is None or f.suppression.source == "baseline"]


def render_baseline(findings: Iterable[Finding]) -> str:
    """The baseline file for ``findings`` (pure; the CLI writes it)."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in recordable(findings):
        entries.setdefault(finding.fingerprint, {
            "fingerprint": finding.fingerprint,
            "file": finding.location.file,
            "rule_id": finding.rule_id,
            "address": finding.resource.address,
            "attribute": finding.attribute,
            "message": finding.message,
        })
    ordered = sorted(entries.values(),
                     key=lambda e: (e["rule_id"], e["address"], e["fingerprint"]))
    document = {"tool": "azbackup-policy", "version": BASELINE_VERSION, "findings": ordered}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def parse_baseline(text: str, file: str) -> Baseline:
    """A baseline from its JSON text; a wrong file is a :class:`ConfigError`."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError(file, "", f"not a baseline: invalid JSON ({exc})") from exc
    except RecursionError:
        raise ConfigError(file, "", "not a baseline: JSON nested too deeply") from None
    version = document.get("version") if isinstance(document, dict) else None
    if version not in _READABLE or isinstance(version, bool):
        raise ConfigError(file, "version", "not a baseline of version "
                          + " or ".join(str(v) for v in _READABLE))
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise ConfigError(file, "findings", "must be a list")
    fingerprints, legacy = [], []
    for index, entry in enumerate(entries):
        value = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not value:
            raise ConfigError(file, f"findings[{index}].fingerprint", "missing")
        fingerprints.append(value)
        if version == 1:
            legacy.append(_legacy_entry(entry, file, index))
    return Baseline(file, frozenset(fingerprints), version, frozenset(legacy))


def _legacy_entry(entry: dict[str, Any], file: str, index: int) -> Triple:
    rule_id, address = entry.get("rule_id"), entry.get("address")
    attribute = entry.get("attribute") or ""
    if not (isinstance(rule_id, str) and isinstance(address, str)
            and isinstance(attribute, str)):
        raise ConfigError(file, f"findings[{index}]",
                          "a version 1 entry needs rule_id, address and attribute")
    return (rule_id, address, attribute)


def load_baseline(path: str) -> Baseline:
    from azbackup_policy.bounded import CONFIG_MAX_BYTES, read_file
    from azbackup_policy.errors import InputError

    try:
        text = read_file(path, path, CONFIG_MAX_BYTES).decode("utf-8-sig")
    except (InputError, UnicodeDecodeError) as exc:
        reason = exc.message.removeprefix("cannot read file: ") if isinstance(
            exc, InputError) else str(exc)
        raise ConfigError(path, "", f"cannot read the baseline ({reason})") from None
    return parse_baseline(text, path)


def apply_baseline(findings: Sequence[Finding], baseline: Baseline) -> tuple[list[Finding],
                                                                            list[str]]:
    """Suppress the findings recorded in ``baseline``; warnings when some entries are gone,
    and (once) when the file is of the old version."""
    reason = f"recorded in the baseline {baseline.file}"
    out: list[Finding] = []
    seen: set[str | Triple] = set()
    for finding in findings:
        if baseline.holds(finding):
            seen.add(baseline.key(finding))
            if finding.suppression is None:
                finding = replace(finding, suppression=Suppression(reason, "baseline"))
        out.append(finding)
    warnings = []
    if baseline.version != BASELINE_VERSION:
        warnings.append(f"{baseline.file}: a baseline of version {baseline.version}, whose "
                        "entries do not name their file: they match the same rule and resource "
                        "in any scanned unit; write it again with --write-baseline to upgrade")
    gone = baseline.size() - len(seen)
    if gone:
        entries = "1 baseline entry matches" if gone == 1 else f"{gone} baseline entries match"
        warnings.append(f"{baseline.file}: {entries} no finding any more (fixed?); write the "
                        "baseline again to drop them")
    return out, warnings
