"""The ARM/Bicep speed-ups keep results: each fast path agrees with a plain reference.

Every ARM template and Bicep file of the fixtures is read twice, once as shipped and
once with a fast path swapped for the straightforward code it replaced (kept here as the
reference); the Documents (values, spans, references, problems) or the input errors
must be equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from azbackup_policy.discover import FileLoader, discover
from azbackup_policy.document import Document
from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers import BUILTIN_PARSERS, ParseContext, ParseOptions, load_parser
from azbackup_policy.parsers.arm import evaluator, expressions, jsonc, links, spans, template
from azbackup_policy.parsers.arm.evaluator import Evaluator, Frame, JsonPath
from azbackup_policy.parsers.arm.values import get_ci

ROOT = Path(__file__).resolve().parent.parent
INPUTS = sorted(
    [p for p in (ROOT / "fixtures").rglob("*.json")
     if "deploymentTemplate" in p.read_text(encoding="utf-8-sig")[:2000]]
    + [p for p in (ROOT / "fixtures").rglob("*.bicep") if p.is_file()]
    + [p for p in (ROOT / "fixtures").rglob("*.bicepparam") if p.is_file()]
)


def read(path: Path) -> list[Any]:
    """The Documents of ``path`` (or its input error), as a scan would parse it."""
    loader = FileLoader([str(path.parent)])
    results: list[Any] = []
    for source in discover([str(path)], loader=loader).sources:
        parse = load_parser(BUILTIN_PARSERS[source.kind])
        try:
            results.append(list(parse(source, ParseContext(loader, ParseOptions()))))
        except InputError as error:
            results.append((error.file, error.line, error.column, error.message))
    return results


def _leaves(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, value


def reference_add_references(resources: Any, _: Any = None) -> list[Any]:
    """``add_references`` as it was: ``id_key`` of every leaf of every body (the leaves
    the span walk collected are ignored)."""
    from dataclasses import replace

    index: dict[Any, list[str]] = {}
    for resource in resources:
        key = links.id_key(resource.id)
        if key is not None:
            index.setdefault(key, []).append(resource.address)
    result = []
    for resource in resources:
        found: dict[str, tuple[str, ...]] = {}
        for path, value in _leaves(resource.properties, ""):
            key = links.id_key(value)
            targets = [a for a in index.get(key, []) if a != resource.address] if key else []
            if targets:
                found[path] = tuple(targets)
        result.append(replace(resource, references=found) if found else resource)
    return result


NO_FRAME = Frame()


class ReferenceEvaluator(Evaluator):
    """The evaluator's walk as it was: ``isinstance`` dispatch, a parse per string."""

    def value(self, raw: Any, path: JsonPath, frame: Frame = NO_FRAME) -> Any:
        if isinstance(raw, str):
            return self.string(raw, path, frame)
        if isinstance(raw, list):
            return [self.value(item, (*path, i), frame) for i, item in enumerate(raw)]
        if isinstance(raw, dict):
            return self.obj(raw, path, frame)
        return raw

    def parsed(self, raw: str) -> Any:
        return expressions.parse_expression(raw[1:-1])

    def obj(self, raw: dict[str, Any], path: JsonPath, frame: Frame) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in raw.items():
            if key.lower() == "copy" and isinstance(item, list):
                result.update(self.property_copy(item, (*path, key), frame))
            else:
                result[key] = self.value(item, (*path, key), frame)
        return result


def _same(path: Path, monkeypatch: pytest.MonkeyPatch, **swaps: tuple[Any, str, Any]) -> None:
    fast = read(path)
    for target, name, replacement in swaps.values():
        monkeypatch.setattr(target, name, replacement)
    slow = read(path)
    assert fast == slow
    assert any(isinstance(r, list) for r in fast) or fast == [] or isinstance(fast[0], tuple)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_leaves_collected_by_the_span_walk_give_the_reference_references(path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import azbackup_policy.parsers.arm as arm

    _same(path, monkeypatch, refs=(arm, "add_references", reference_add_references))


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_evaluator_fast_paths_give_the_reference_values(path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _same(path, monkeypatch, evaluator=(template, "Evaluator", ReferenceEvaluator))


def test_fixtures_exercise_references_and_copies() -> None:
    documents = [d for p in INPUTS for r in read(p) if isinstance(r, list) for d in r]
    assert all(isinstance(d, Document) for d in documents)
    assert sum(bool(r.references) for d in documents for r in d.resources) > 20
    raw = [p.read_text(encoding="utf-8-sig") for p in INPUTS if p.suffix == ".json"]
    assert any('"copy"' in text for text in raw)


def test_expression_cache_keeps_repeated_trees_and_repeats_syntax_errors() -> None:
    scope = evaluator.Scope("t.json", {})
    ev = Evaluator(scope, template.all_functions())
    text = "[concat('a', 'b')]"
    first = ev.parsed(text)
    assert first == expressions.parse_expression(text[1:-1])
    second = ev.parsed(text)
    assert second == first and ev.parsed(text) is second  # kept from the second use on
    assert ev.parsed("[concat('c')]") is not ev.parsed("[concat('c')]")  # met once: none
    assert ev.value(text, ("x",)) == ev.value(text, ("y",)) == "ab"
    messages = []
    for key in ("p", "q", "r"):
        assert ev.value("[concat('a',]", ("properties", key)) == Unknown("concat('a',")
        messages.append(scope.problems[-1].message)
    assert len(set(messages)) == 1 and "bad template expression" in messages[0]
    nested = ev.with_scope(evaluator.Scope("u.json", {}))
    assert nested.trees is ev.trees


def test_plain_values_and_escapes_evaluate_as_before() -> None:
    raw = {"a": [1, 2.5, True, None, "[[x]", "[b", "x]"], "Copy": [],
           "b": {"COPY": [{"name": "d", "count": 2, "input": "[copyIndex('d')]"}]}}
    fast = Evaluator(evaluator.Scope("t.json", {}), template.all_functions())
    slow = ReferenceEvaluator(evaluator.Scope("t.json", {}), template.all_functions())
    assert fast.value(raw, ()) == slow.value(raw, ()) == {
        "a": [1, 2.5, True, None, "[x]", "[b", "x]"], "b": {"d": [0, 1]}}
    assert get_ci(fast.value(raw, ()), "copy") is None


class ReferenceSpanWalker(spans._SpanWalker):
    """The span walk as it was: every step through ``step()`` and ``span()``, no id
    leaves collected (the reference ``add_references`` walks the bodies itself)."""

    def walk(self, value: Any, raw: Any, full: JsonPath, skip_index: bool,
             span: SourceSpan, prefix: str) -> None:
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            return
        for step, item in items:
            child_raw, child_full, child_skip = self.step(raw, full, skip_index, step)
            child_span = span if child_full is full else self.span(child_full, len(full), span)
            dotted = f"{prefix}.{step}" if prefix else str(step)
            self.spans[dotted] = child_span
            self.walk(item, child_raw, child_full, child_skip, child_span, dotted)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_inline_span_steps_give_the_reference_spans(path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import azbackup_policy.parsers.arm as arm

    _same(path, monkeypatch, walker=(spans, "_SpanWalker", ReferenceSpanWalker),
          refs=(arm, "add_references", reference_add_references))


def test_span_maker_builds_equal_spans_and_falls_back_to_the_dataclass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made = jsonc.span_maker()("a.json", 3, 5, 7)
    assert made == SourceSpan("a.json", 3, 5, 7)
    assert hash(made) == hash(SourceSpan("a.json", 3, 5, 7))
    assert (made.file, made.line, made.end_line, made.column) == ("a.json", 3, 5, 7)
    with pytest.raises(AttributeError):
        made.line = 4  # type: ignore[misc]
    monkeypatch.setattr(SourceSpan, "__post_init__", lambda self: None, raising=False)
    assert jsonc.span_maker() is SourceSpan


def test_bicep_positions_build_spans_once_and_answer_like_a_mapping() -> None:
    from azbackup_policy.parsers.bicep.emit import Positions

    positions = Positions()
    positions.put(("a",), ("m.bicep", [0, 4, 9], 5, 12))
    positions.put(("b",), ("m.bicep", [0, 4, 9], 2, 2))
    assert positions.get(("a",)) == SourceSpan("m.bicep", 2, 3, 2)
    assert positions.get(("a",)) is positions[("a",)]
    assert positions[("b",)] == SourceSpan("m.bicep", 1, 1, 3)
    assert positions.get(("c",)) is None and positions.get(("c",), 1) == 1
    with pytest.raises(KeyError):
        positions[("c",)]
    assert dict(positions) == {("a",): positions[("a",)], ("b",): positions[("b",)]}


@pytest.mark.parametrize("key", ["name", "NAME", "copy", "Copy", "missing", "İd", "k", "\u212a"])
def test_keys_view_reads_like_get_ci(key: str) -> None:
    from azbackup_policy.parsers.arm.values import Keys

    mapping: dict[Any, Any] = {"Name": 1, "name": 2, "NAME": 3, "COPY": [4], "copy": [5],
                               "cOpY": 6, 7: "seven", "i̇d": 8, "K": 9}
    for candidate in (mapping, {k: v for k, v in reversed(mapping.items())}, {}):
        keys = Keys(candidate)
        assert keys.get(key) == get_ci(candidate, key)
        assert keys.get(key, "absent") == get_ci(candidate, key, "absent")


def test_add_references_walks_the_bodies_itself_without_collected_leaves() -> None:
    documents = [d for p in INPUTS for r in read(p) if isinstance(r, list) for d in r]
    for document in documents:
        bare = [replace(r, references={}) for r in document.resources]
        assert links.add_references(bare) == list(document.resources)
