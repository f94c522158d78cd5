"""The ARM/Bicep speed-ups keep results: each fast path agrees with a plain reference.

Every ARM template and Bicep file of the fixtures is read twice, once as shipped and
once with a fast path swapped for the straightforward code it replaced (kept here as the
reference); the Documents (values, spans, references, problems) or the input errors
must be equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from azbackup_policy.discover import FileLoader, discover
from azbackup_policy.document import Document
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import BUILTIN_PARSERS, ParseContext, ParseOptions, load_parser
from azbackup_policy.parsers.arm import links

ROOT = Path(__file__).resolve().parent.parent
INPUTS = sorted(
    [p for p in (ROOT / "fixtures").rglob("*.json")
     if "deploymentTemplate" in p.read_text(encoding="utf-8-sig")[:2000]]
    + list((ROOT / "fixtures").rglob("*.bicep"))
    + list((ROOT / "fixtures").rglob("*.bicepparam"))
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


def reference_add_references(resources: Any) -> list[Any]:
    """``add_references`` as it was: ``id_key`` of every leaf of every body."""
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


def _same(path: Path, monkeypatch: pytest.MonkeyPatch, **swaps: tuple[Any, str, Any]) -> None:
    fast = read(path)
    for target, name, replacement in swaps.values():
        monkeypatch.setattr(target, name, replacement)
    slow = read(path)
    assert fast == slow
    assert any(isinstance(r, list) for r in fast) or fast == [] or isinstance(fast[0], tuple)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_reference_leaf_walk_finds_the_same_references(path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import azbackup_policy.parsers.arm as arm

    _same(path, monkeypatch, refs=(arm, "add_references", reference_add_references))


def test_fixtures_exercise_references_and_copies() -> None:
    documents = [d for p in INPUTS for r in read(p) if isinstance(r, list) for d in r]
    assert all(isinstance(d, Document) for d in documents)
    assert sum(bool(r.references) for d in documents for r in d.resources) > 20
    raw = [p.read_text(encoding="utf-8-sig") for p in INPUTS if p.suffix == ".json"]
    assert any('"copy"' in text for text in raw)
