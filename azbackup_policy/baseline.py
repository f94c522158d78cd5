"""The baseline: findings accepted once, so that only new ones fail the build.

``scan --write-baseline FILE`` records the current findings by fingerprint (rule id +
resource address + attribute, never line numbers, so the baseline survives edits);
``scan --baseline FILE`` then reports the recorded ones as suppressed (source
``baseline``) and only new ones count. The file is JSON, sorted, with the rule id,
address and message of each finding for the humans who review it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from azbackup_policy.errors import ConfigError
from azbackup_policy.report import Finding, Suppression

BASELINE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Baseline:
    file: str
    fingerprints: frozenset[str]


def recordable(findings: Iterable[Finding]) -> list[Finding]:
    """The findings a new baseline holds: all but those a person suppressed explicitly."""
    return [f for f in findings if f.suppression is None or f.suppression.source == "baseline"]


def render_baseline(findings: Iterable[Finding]) -> str:
    """The baseline file for ``findings`` (pure; the CLI writes it)."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in recordable(findings):
        entries.setdefault(finding.fingerprint, {
            "fingerprint": finding.fingerprint,
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
    if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
        raise ConfigError(file, "version", f"not a baseline of version {BASELINE_VERSION}")
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise ConfigError(file, "findings", "must be a list")
    fingerprints = []
    for index, entry in enumerate(entries):
        value = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not value:
            raise ConfigError(file, f"findings[{index}].fingerprint", "missing")
        fingerprints.append(value)
    return Baseline(file, frozenset(fingerprints))


def load_baseline(path: str) -> Baseline:
    from azbackup_policy.config import read_config_text

    return parse_baseline(read_config_text(path, "the baseline"), path)


def apply_baseline(findings: Sequence[Finding], baseline: Baseline) -> tuple[list[Finding],
                                                                            list[str]]:
    """Suppress the findings recorded in ``baseline``; a warning when some entries are gone."""
    reason = f"recorded in the baseline {baseline.file}"
    out, seen = [], set()
    for finding in findings:
        if finding.fingerprint in baseline.fingerprints:
            seen.add(finding.fingerprint)
            if finding.suppression is None:
                finding = replace(finding, suppression=Suppression(reason, "baseline"))
        out.append(finding)
    gone = len(baseline.fingerprints - seen)
    warnings = [f"{baseline.file}: {gone} baseline entries match no finding any more (fixed?); "
                "write the baseline again to drop them"] if gone else []
    return out, warnings
