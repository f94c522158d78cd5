"""A block body -> the shape of a plan's ``values``, with spans, links and secrets.

Nested blocks become lists of objects (``os_disk[0].caching``), ``dynamic`` blocks are
expanded when their ``for_each`` is known, attributes that are not set (or set to null)
are absent, and meta-arguments (``count``, ``for_each``, ``depends_on``, ``lifecycle``...)
are left out, as in a plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan
from azbackup_policy.parsers.budget import BudgetExceeded
from azbackup_policy.parsers.hcl.evaluate import Evaluator, Trace
from azbackup_policy.parsers.hcl.syntax import Attr, Block
from azbackup_policy.parsers.hcl.values import (
    SENSITIVE_TEXT,
    Pending,
    TfSet,
    has_pending,
    refs_in,
)

META_ATTRIBUTES = frozenset({"count", "for_each", "depends_on", "provider"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
SENSITIVE_ATTRIBUTES = frozenset({"admin_password", "custom_data", "protected_settings"})
# Secret, but read by the rules: its value goes to the Resource only (never to other
# resources' expressions, which see it as sensitive, and never to any output).
CUSTOM_DATA = "custom_data"


@dataclass(slots=True)
class Evaluated:
    properties: dict[str, Any] = field(default_factory=dict)
    references: dict[str, set[str]] = field(default_factory=dict)
    spans: dict[str, SourceSpan] = field(default_factory=dict)
    sensitive: set[str] = field(default_factory=set)
    secrets: dict[str, Any] = field(default_factory=dict)  # path -> the custom data or Pending


def secret_unknown(trace: Trace) -> str:
    """The text of an unknown secret: why it is unknown (file reads), never its source."""
    if not trace.notes:
        return SENSITIVE_TEXT
    return f"{SENSITIVE_TEXT[:-1]}: {'; '.join(trace.notes)})"


def place(properties: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at the dotted ``path`` of ``properties`` (list steps are numbers)."""
    *steps, last = path.split(".")
    here: Any = properties
    for step in steps:
        if isinstance(here, list):
            here = here[int(step)] if step.isdigit() and int(step) < len(here) else None
        else:
            here = here.get(step)
        if not isinstance(here, (dict, list)):
            return
    if isinstance(here, dict):
        here[last] = value


def span_of(item: Attr | Block) -> SourceSpan:
    return SourceSpan(item.src.shown, item.line, item.end_line)


class BodyReader:
    def __init__(self, evaluator: Evaluator, out: Evaluated, max_loop: int) -> None:
        self.ev = evaluator
        self.out = out
        self.max_loop = max_loop

    def body(self, block: Block, prefix: str, top: bool) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for name, attr in block.attrs.items():
            if top and name in META_ATTRIBUTES:
                continue
            value = self.attribute(attr, prefix + name)
            if value is not None:
                props[name] = value
        for child in block.blocks:
            if top and child.type in META_BLOCKS:
                continue
            if child.type == "dynamic" and child.labels:
                self.dynamic(child, props, prefix)
                continue
            items = props.setdefault(child.type, [])
            if isinstance(items, list):
                path = f"{prefix}{child.type}.{len(items)}"
                self.out.spans[path] = span_of(child)
                items.append(self.body(child, path + ".", top=False))
        return props

    def attribute(self, attr: Attr, path: str) -> Any:
        trace = Trace()
        self.ev.trace = trace
        value = self.ev.value(attr.expr, attr.src.text, attr.line, attr.src.shown)
        refs = set(trace.refs)
        refs_in(value, refs)
        self.out.spans[path] = span_of(attr)
        if refs:
            self.out.references[path] = refs
        if attr.name == CUSTOM_DATA and value is not None:
            self.out.secrets[path] = value if isinstance(value, str) else Pending(
                secret_unknown(trace), frozenset(refs))
        if value is not None and (trace.sensitive or attr.name in SENSITIVE_ATTRIBUTES):
            self.out.sensitive.add(path)  # null is not set, as in a plan: no secret
            return Pending(SENSITIVE_TEXT, frozenset(refs))
        return value

    def dynamic(self, block: Block, props: dict[str, Any], prefix: str) -> None:
        label = block.labels[0]
        content = next((b for b in block.blocks if b.type == "content"), None)
        for_each = block.attrs.get("for_each")
        if content is None or for_each is None:
            return
        iterator = label
        if "iterator" in block.attrs:
            iterator = self.ev.source_of(block.attrs["iterator"])
        self.ev.trace = Trace()
        src = for_each.src
        collection = self.ev.value(for_each.expr, src.text, for_each.line, src.shown)
        path = prefix + label
        if has_pending(collection) and not isinstance(collection, (list, dict)):
            props[label] = Pending(self.ev.source_of(for_each))
            self.out.spans[path] = span_of(block)
            return
        try:
            size = len(collection) if isinstance(collection, (list, dict)) else 0
            self.ev.budget.expand(min(size, self.max_loop + 1), "a dynamic block")
        except BudgetExceeded as exc:
            self.ev.scope.over_budget(src.shown, for_each.line, exc)
            props[label] = Pending(self.ev.source_of(for_each))
            return
        items = props.setdefault(label, [])
        if not isinstance(items, list):
            return
        for key, value in self.iterate(collection, for_each):
            item_path = f"{path}.{len(items)}"
            self.out.spans[item_path] = span_of(block)
            reader = BodyReader(self.ev.with_bindings({iterator: {"key": key, "value": value}}),
                                self.out, self.max_loop)
            items.append(reader.body(content, item_path + ".", top=False))
        if not items:
            del props[label]  # no block at all: absent, like an unset block

    def iterate(self, collection: Any, attr: Attr) -> Iterator[tuple[Any, Any]]:
        if collection is None:
            return
        size = len(collection) if isinstance(collection, (list, dict)) else 0
        if size > self.max_loop:
            raise InputError(attr.src.shown, attr.line, 1,
                             f"for_each has {size} elements, over the limit of {self.max_loop}")
        if isinstance(collection, dict):
            for key in sorted(collection):
                yield key, collection[key]
        elif isinstance(collection, TfSet):
            for item in collection:
                yield item, item
        elif isinstance(collection, list):
            yield from enumerate(collection)
