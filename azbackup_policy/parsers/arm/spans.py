"""Source spans of evaluated resource properties, and suppression comments.

An evaluated property path (``properties.storageProfile.dataDisks.1.lun``) is traced
back through the raw resource object: through property ``copy`` entries (to the
``input`` of the copy) and into expression strings (whose span covers everything the
expression produced).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from azbackup_policy.model import SourceSpan
from azbackup_policy.parsers.arm.links import may_be_id
from azbackup_policy.parsers.arm.values import Keys, get_ci

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
    id_leaves: list[tuple[str, Any]] | None = None,
) -> dict[str, SourceSpan]:
    """Dotted property path -> span, for every path of ``evaluated``.

    The span of a path is that of the raw path that produced it,
    or of its closest parent with a position. One walk over ``evaluated`` follows the
    raw object along, so each path costs one step rather than a walk from the root.
    When ``id_leaves`` is given, the walk also collects there, in document order, the
    leaves that may be ids (:func:`~.links.may_be_id`) with their dotted paths, which
    :func:`~.links.add_references` would otherwise walk the body again for.
    """
    spans: dict[str, SourceSpan] = {}
    walker = _SpanWalker(spans, positions, len(base), id_leaves)
    walker.walk(evaluated, raw, base, False, positions.get(base, fallback), "")
    return spans


_BROKEN: Any = object()  # the raw side has no counterpart (the raw walk stopped here)


class _SpanWalker:
    def __init__(self, spans: dict[str, SourceSpan],
                 positions: Mapping[JsonPath, SourceSpan], floor: int,
                 id_leaves: list[tuple[str, Any]] | None = None) -> None:
        self.spans = spans
        self.positions = positions
        self.floor = floor
        self.id_leaves = id_leaves

    def walk(self, value: Any, raw: Any, full: JsonPath, skip_index: bool,
             span: SourceSpan, prefix: str) -> None:
        if isinstance(value, dict):
            items: Iterable[tuple[str | int, Any]] = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            return
        spans, get, leaves = self.spans, self.positions.get, self.id_leaves
        # The common step (the raw value has the same key or index, no copy) is taken
        # inline: one position look-up, as span() does for a path one step longer.
        kind = type(raw)
        plain = not skip_index and (kind is dict or kind is list)
        for step, item in items:
            if plain and (step in raw if kind is dict and type(step) is str
                          else kind is list and type(step) is int and 0 <= step < len(raw)):
                child_raw, child_skip = raw[step], False
                child_full = (*full, step)
                child_span = get(child_full, span)
            else:
                child_raw, child_full, child_skip = self.step(raw, full, skip_index, step)
                child_span = span if child_full is full else self.span(child_full, len(full),
                                                                       span)
            dotted = f"{prefix}.{step}" if prefix else str(step)
            spans[dotted] = child_span
            if isinstance(item, (dict, list)):
                if item:
                    self.walk(item, child_raw, child_full, child_skip, child_span, dotted)
            elif leaves is not None and may_be_id(item):
                leaves.append((dotted, item))

    def step(self, raw: Any, full: JsonPath, skip_index: bool, step: str | int
             ) -> tuple[Any, JsonPath, bool]:
        """The raw value, full raw path and skip flag after one evaluated step."""
        if raw is _BROKEN:
            return raw, full, False
        if skip_index and isinstance(step, int):  # the copy index: same input template
            return raw, full, False
        if _has(raw, step):
            return raw[step], (*full, step), False
        if isinstance(raw, dict) and isinstance(step, str):
            found = _copy_input(raw, step)
            if found is not None:
                key, index = found
                return get_ci(raw[key][index], "input"), (*full, key, index, "input"), True
        return _BROKEN, full, False

    def span(self, full: JsonPath, parent_length: int, parent: SourceSpan) -> SourceSpan:
        """The position of ``full``, or of its longest prefix longer than the parent's."""
        positions = self.positions
        for length in range(len(full), max(parent_length, self.floor), -1):
            found = positions.get(full[:length] if length < len(full) else full)
            if found is not None:
                return found
        return parent


def suppression_texts(raw: Mapping[str, Any] | Keys, span: SourceSpan,
                      comments: Sequence[tuple[int, str]]) -> tuple[str, ...]:
    """``metadata``/``comments`` of the resource and ``//`` comments mentioning the tool."""
    found: list[str] = []
    keys = raw if isinstance(raw, Keys) else Keys(raw)
    for key in ("comments", "metadata"):
        value = keys.get(key)
        text = value if isinstance(value, str) else json.dumps(value) if value else ""
        if MARKER in text:
            found.append(text)
    for line, text in comments:
        if span.line - 1 <= line <= span.end_line and MARKER in text:
            found.append(text)
    return tuple(found)
