"""Terraform plan JSON (``terraform show -json PLANFILE``) -> one azurerm Document.

Values come from ``planned_values`` (plus data sources read during planning, from
``prior_state``), the action and ``before`` from ``resource_changes``, unknown leaves
from ``after_unknown`` and references from ``configuration`` (see ``tfplan_refs``).
Resources whose only action is ``delete`` are left out. Spans point at the ``resource``
blocks of ``.tf`` sources when they are available, else into the plan text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from azbackup_policy.discover import Source
from azbackup_policy.document import Document, Resource, value_at
from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.limits import check_json_depth
from azbackup_policy.parsers.tfplan_address import Address, parse_address
from azbackup_policy.parsers.tfplan_locate import PlanLocations, locate
from azbackup_policy.parsers.tfplan_refs import Configuration, expression_at, walk_references
from azbackup_policy.parsers.tfplan_sources import SourceMap, root_dir_for
from azbackup_policy.parsers.tfplan_values import KNOWN_AFTER_APPLY, merge_values, redact

FORMAT = "terraform-plan"
_REPLACE = ({"delete", "create"}, 2)


def parse(source: Source, context: ParseContext) -> list[Document]:
    """The Document of the plan at ``source.path``; InputError for anything malformed."""
    text = context.loader.read_text(source.path)
    plan = _load(text, source.path)
    check_json_depth(plan, text, source.path, context.options.max_nesting_depth)
    _check(plan, text, source.path)
    builder = _Builder(plan, text, source, context)
    del plan, text  # the builder lets go of them as soon as it can (peak memory)
    try:
        return [builder.build()]
    except InputError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
        raise InputError(source.path, 1, 1,
                         f"unexpected shape in Terraform plan: {type(exc).__name__}") from None


def _load(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(file, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(file, 1, 1, "JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise InputError(file, 1, 1, f"invalid JSON: {exc}") from None


def _where(text: str, key: str) -> tuple[int, int]:
    match = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    if match is None:
        return 1, 1
    start = match.start()
    return text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)


def _check(plan: Any, text: str, file: str) -> None:
    if not isinstance(plan, dict):
        raise InputError(file, 1, 1, "not a Terraform plan: the top level is not an object")
    version = plan.get("format_version")
    if not isinstance(version, str) or not (
            "planned_values" in plan or "resource_changes" in plan):
        raise InputError(file, 1, 1, "not a Terraform plan: format_version and "
                         "planned_values are required (use `terraform show -json PLANFILE`)")
    # 0.1 (Terraform 0.12-0.14), 0.2 (0.15-1.0), 1.x (1.1 and later): same shape for us.
    if not re.fullmatch(r"(0\.[12]|1\.\d+)", version):
        line, column = _where(text, "format_version")
        raise InputError(file, line, column,
                         f"unsupported plan format_version {version!r} (0.1, 0.2 and 1.x are "
                         "read)")
    for key in ("planned_values", "prior_state", "configuration"):
        if key in plan and not isinstance(plan[key], dict):
            line, column = _where(text, key)
            raise InputError(file, line, column, f"{key} must be an object")
    if "resource_changes" in plan and not isinstance(plan["resource_changes"], list):
        line, column = _where(text, "resource_changes")
        raise InputError(file, line, column, "resource_changes must be a list")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _walk_module(module: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    module = _dict(module)
    for item in _list(module.get("resources")):
        if isinstance(item, dict):
            yield item
    if depth < 64:
        for child in _list(module.get("child_modules")):
            yield from _walk_module(child, depth + 1)


def action_of(actions: Any) -> str | None:
    """The Resource action for a change's ``actions``; None when it is left out."""
    if not isinstance(actions, list) or not actions:
        return "no-op"
    names = [str(a) for a in actions]
    if len(names) == _REPLACE[1] and set(names) == _REPLACE[0]:
        return "replace"
    if names in (["delete"], ["forget"]):
        return None
    if "create" in names:
        return "create"
    return names[0]


@dataclass(slots=True)
class _Entry:
    """One resource instance gathered from the plan before conversion."""

    address: Address
    raw: dict[str, Any]
    values: Any
    sensitive: Any
    change: dict[str, Any]
    action: str


class _Builder:
    def __init__(self, plan: dict[str, Any], text: str, source: Source,
                 context: ParseContext) -> None:
        self.plan = plan
        self.text = text
        self.source = source
        self.context = context
        self.file = source.path

    def build(self) -> Document:
        self.sources = SourceMap(self.context.loader,
                                 root_dir_for(self.file, self.context.options.source_dir),
                                 self.plan.get("configuration"))
        self.locations: PlanLocations | None = None
        self.release_text()
        entries = self.entries()
        if len(entries) > self.context.options.max_resources:
            raise InputError(self.file, 1, 1, f"plan has {len(entries)} resources, over the "
                             f"limit of {self.context.options.max_resources}")
        self.config = Configuration(self.plan.get("configuration"),
                                    [e.address for e in entries])
        for key in ("planned_values", "resource_changes", "prior_state"):
            self.plan.pop(key, None)  # the entries hold what is still needed
        entries.reverse()
        resources: list[Resource] = []
        while entries:  # each entry (and the plan values it holds) is freed once converted
            resources.append(self.resource(entries.pop()))
        files = (self.file, *sorted(set(self.sources.files)))
        return Document(self.file, FORMAT, "azurerm", tuple(resources), files=files)

    def release_text(self) -> None:
        """Locate the resources in the plan text now and drop it, when no ``.tf`` sources
        can give spans instead: the text is then not held while resources are built."""
        if not self.sources.has_sources():
            self.locations = locate(self.text, self.file)
            self.text = ""

    # -- gathering --------------------------------------------------------------------
    def changes(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for item in _list(self.plan.get("resource_changes")):
            if isinstance(item, dict) and isinstance(item.get("address"), str) \
                    and not item.get("deposed"):
                found[item["address"]] = item
        return found

    def entries(self) -> list[_Entry]:
        changes = self.changes()
        entries: dict[str, _Entry] = {}
        planned = _walk_module(_dict(self.plan.get("planned_values")).get("root_module"))
        for raw in planned:
            self.add(entries, raw, raw.get("values"), raw.get("sensitive_values"), changes)
        for address, item in changes.items():
            change = _dict(item.get("change"))
            if address not in entries:
                self.add(entries, item, change.get("after"), change.get("after_sensitive"),
                         changes)
        prior = _dict(_dict(self.plan.get("prior_state")).get("values")).get("root_module")
        for raw in _walk_module(prior):
            if raw.get("mode") == "data" and raw.get("address") not in entries:
                self.add(entries, raw, raw.get("values"), raw.get("sensitive_values"), {})
        return list(entries.values())

    def add(self, entries: dict[str, _Entry], raw: dict[str, Any], values: Any,
            sensitive: Any, changes: dict[str, dict[str, Any]]) -> None:
        text = raw.get("address")
        address = parse_address(text) if isinstance(text, str) else None
        if address is None or address.rest:
            return
        item = changes.get(text, {})
        change = _dict(item.get("change"))
        if item:
            action = action_of(change.get("actions"))
        else:
            action = "read" if address.mode == "data" else "no-op"
        if action is None:
            return
        if sensitive is None:
            sensitive = change.get("after_sensitive")
        entries[text] = _Entry(address, raw, values, sensitive, change, action)

    # -- conversion -------------------------------------------------------------------
    def resource(self, entry: _Entry) -> Resource:
        scope = self.config.scope_of(entry.address)
        config = self.config.resource(entry.address)
        expressions = config.get("expressions")
        properties, sensitive_paths = merge_values(
            entry.values, entry.change.get("after_unknown"), entry.sensitive,
            lambda path: self.unknown_text(expressions, path, scope))
        references: dict[str, tuple[str, ...]] = {}
        for path, refs in walk_references(expressions):
            many = isinstance(value_at(properties, path), list)
            resolved = self.config.resolve(refs, scope, many)
            if resolved:
                references[path] = tuple(resolved)
        span, property_spans, comments = self.spans(entry.address)
        before = redact(entry.change.get("before"), entry.change.get("before_sensitive"))
        ident = properties.get("id")
        return Resource(
            type=entry.address.type, address=entry.address.instance(), span=span,
            properties=properties, references=references, property_spans=property_spans,
            id=ident if isinstance(ident, (str, Unknown)) else None,
            mode=entry.address.mode, action=entry.action, before=before,
            sensitive_paths=sensitive_paths, comments=comments,
        )

    def unknown_text(self, expressions: Any, path: str, scope: Any) -> str:
        refs = _dict(expression_at(expressions, path)).get("references")
        if not isinstance(refs, list) or not refs:
            return KNOWN_AFTER_APPLY
        resolved = self.config.resolve([r for r in refs if isinstance(r, str)], scope, False)
        longest = max((r for r in refs if isinstance(r, str)), key=len, default="")
        if len(resolved) != 1:
            return longest or KNOWN_AFTER_APPLY
        target = parse_address(longest)
        if target is not None and target.rest:
            return resolved[0] + "." + ".".join(name for name, _ in target.rest)
        leaf = next((p for p in reversed(path.split(".")) if not p.isdigit()), "")
        return resolved[0] + (".id" if leaf.endswith(("_id", "_ids")) else "")

    def spans(self, address: Address
              ) -> tuple[SourceSpan, dict[str, SourceSpan], tuple[str, ...]]:
        """The span, attribute spans and marked comments (from ``.tf`` sources if any)."""
        block = self.sources.block(address)
        if block is not None:
            return block.span, dict(block.attributes), block.comments
        if self.locations is None:
            self.locations = locate(self.text, self.file)
        shown = address.instance()
        return self.locations.span(shown), dict(self.locations.values.get(shown, {})), ()
