"""Source spans of evaluated resource properties, and suppression comments.

An evaluated property path (``properties.storageProfile.dataDisks.1.lun``) is traced
back through the raw resource object: through property ``copy`` entries (to the
``input`` of the copy) and into expression strings (whose span covers everything the
expression produced).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from azbackup_policy.model import SourceSpan
from azbackup_policy.parsers.arm.values import get_ci

JsonPath = tuple[str | int, ...]
MARKER = "azbackup-policy"


def _has(raw: Any, step: str | int) -> bool:
    if isinstance(raw, dict):
        return isinstance(step, str) and step in raw
    return isinstance(raw, list) and isinstance(step, int) and 0 <= step < len(raw)


def _copy_input(raw: dict[str, Any], name: str) -> tuple[str, int] | None:
    """(the ``copy`` key, the index of its entry named ``name``) when there is one."""
    key = next((k for k in raw if k.lower() == "copy"), None)
    specs = raw.get(key) if key else None
    if not isinstance(specs, list):
        return None
    for index, spec in enumerate(specs):
        if isinstance(spec, dict) and get_ci(spec, "name") == name:
            return key, index  # type: ignore[return-value]
    return None


def source_path(raw: Any, out_path: Sequence[str | int]) -> JsonPath:
    """The path in the raw object that produced ``out_path`` of the evaluated one."""
    path: list[str | int] = []
    steps = list(out_path)
    while steps:
        step = steps.pop(0)
        if _has(raw, step):
            raw = raw[step]
            path.append(step)
        elif isinstance(raw, dict) and isinstance(step, str):
            found = _copy_input(raw, step)
            if found is None:
                break
            key, index = found
            raw = get_ci(raw[key][index], "input")
            path.extend((key, index, "input"))
            if steps and isinstance(steps[0], int):
                steps.pop(0)
        else:
            break
    return tuple(path)


def walk(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every path inside ``value`` (objects and arrays), parents before children."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from walk(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from walk(item, (*prefix, index))


def property_spans(
    raw: Mapping[str, Any],
    evaluated: Mapping[str, Any],
    base: JsonPath,
    positions: Mapping[JsonPath, SourceSpan],
    fallback: SourceSpan,
) -> dict[str, SourceSpan]:
    """Dotted property path -> span, for every path of ``evaluated``."""
    spans: dict[str, SourceSpan] = {}
    for out_path in walk(evaluated):
        probe = (*base, *source_path(raw, out_path))
        while probe not in positions and len(probe) > len(base):
            probe = probe[:-1]
        spans[".".join(str(p) for p in out_path)] = positions.get(probe, fallback)
    return spans


def suppression_texts(raw: Mapping[str, Any], span: SourceSpan,
                      comments: Sequence[tuple[int, str]]) -> tuple[str, ...]:
    """``metadata``/``comments`` of the resource and ``//`` comments mentioning the tool."""
    found: list[str] = []
    for key in ("comments", "metadata"):
        value = get_ci(raw, key)
        text = value if isinstance(value, str) else json.dumps(value) if value else ""
        if MARKER in text:
            found.append(text)
    for line, text in comments:
        if span.line - 1 <= line <= span.end_line and MARKER in text:
            found.append(text)
    return tuple(found)
