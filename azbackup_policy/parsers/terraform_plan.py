"""Terraform plan JSON (``terraform show -json PLANFILE``) -> one azurerm Document.

A Terraform state in JSON (``terraform show -json`` with no plan file, or
``terraform show -json terraform.tfstate``) is read the same way: its ``values`` are the
planned values of a plan in which nothing changes (format ``terraform-state``).

Values come from ``planned_values`` (plus data sources read during planning, from
``prior_state``), the action and ``before`` from ``resource_changes``, unknown leaves
from ``after_unknown`` and references from ``configuration`` (see ``tfplan_refs``).
Resources whose only action is ``delete`` are left out. Spans point at the ``resource``
blocks of ``.tf`` sources when they are available, else into the plan text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azbackup_policy.discover import Source
from azbackup_policy.document import Document, Resource, value_at
from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.tfplan_address import Address, parse_address
from azbackup_policy.parsers.tfplan_locate import PlanLocations
from azbackup_policy.parsers.tfplan_read import (
    as_dict,
    as_list,
    is_state,
    read_plan,
    walk_module,
)
from azbackup_policy.parsers.tfplan_refs import Configuration, expression_at, walk_references
from azbackup_policy.parsers.tfplan_sources import SourceMap, root_dir_for
from azbackup_policy.parsers.tfplan_values import (
    CUSTOM_DATA,
    KNOWN_AFTER_APPLY,
    hide_hashed_custom_data,
    merge_values,
    redact,
)

FORMAT = "terraform-plan"
STATE_FORMAT = "terraform-state"
_REPLACE = ({"delete", "create"}, 2)


def parse(source: Source, context: ParseContext) -> list[Document]:
    """The Document of the plan at ``source.path``; InputError for anything malformed."""
    try:
        plan, locations = read_plan(lambda: context.loader.read_text(source.path),
                                    source.path, context.options.max_nesting_depth)
        fmt = FORMAT
        if is_state(plan):  # what is deployed: the same resources, each already there
            plan = {"format_version": plan["format_version"], "planned_values": plan["values"]}
            fmt = STATE_FORMAT
        builder = _Builder(plan, locations, source, context, fmt)
        del plan  # the builder lets go of it as soon as it can (peak memory)
        return [builder.build()]
    except InputError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
        raise InputError(source.path, 1, 1,
                         f"unexpected shape in Terraform plan: {type(exc).__name__}") from None


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
    values: Any
    sensitive: Any
    change: dict[str, Any]
    action: str


class _Builder:
    def __init__(self, plan: dict[str, Any], locations: PlanLocations, source: Source,
                 context: ParseContext, fmt: str = FORMAT) -> None:
        self.plan = plan
        self.format = fmt
        self.locations = locations
        self.source = source
        self.context = context
        self.file = source.path

    def build(self) -> Document:
        self.sources = SourceMap(self.context.loader,
                                 root_dir_for(self.file, self.context.options.source_dir),
                                 self.plan.get("configuration"))
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
        return Document(self.file, self.format, "azurerm", tuple(resources), files=files)

    # -- gathering --------------------------------------------------------------------
    def changes(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for item in as_list(self.plan.get("resource_changes")):
            if isinstance(item, dict) and isinstance(item.get("address"), str) \
                    and not item.get("deposed"):
                found[item["address"]] = item
        return found

    def entries(self) -> list[_Entry]:
        changes = self.changes()
        entries: dict[str, _Entry] = {}
        planned = walk_module(as_dict(self.plan.get("planned_values")).get("root_module"))
        for raw in planned:
            self.add(entries, raw, raw.get("values"), raw.get("sensitive_values"), changes)
        for address, item in changes.items():
            change = as_dict(item.get("change"))
            if address not in entries:
                self.add(entries, item, change.get("after"), change.get("after_sensitive"),
                         changes)
        prior = as_dict(as_dict(self.plan.get("prior_state")).get("values")).get("root_module")
        for raw in walk_module(prior):
            if raw.get("mode") == "data" and raw.get("address") not in entries:
                self.add(entries, raw, raw.get("values"), raw.get("sensitive_values"), {})
        return list(entries.values())

    def add(self, entries: dict[str, _Entry], raw: dict[str, Any], values: Any,
            sensitive: Any, changes: dict[str, dict[str, Any]]) -> None:
        text = raw.get("address")
        if not isinstance(text, str):
            return
        address = parse_address(text)
        if address is None or address.rest:
            return
        item = changes.get(text, {})
        change = as_dict(item.get("change"))
        if item:
            action = action_of(change.get("actions"))
        else:
            action = "read" if address.mode == "data" else "no-op"
        if action is None:
            return
        if sensitive is None:
            sensitive = change.get("after_sensitive")
        entries[text] = _Entry(address, values, sensitive, change, action)

    # -- conversion -------------------------------------------------------------------
    def resource(self, entry: _Entry) -> Resource:
        scope = self.config.scope_of(entry.address)
        config = self.config.resource(entry.address)
        expressions = config.get("expressions")
        properties, sensitive_paths = merge_values(
            entry.values, entry.change.get("after_unknown"), entry.sensitive,
            lambda path: self.unknown_text(expressions, path, scope),
            CUSTOM_DATA.get(entry.address.type, frozenset()))
        hide_hashed_custom_data(entry.address.type, properties)
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
        refs = as_dict(expression_at(expressions, path)).get("references")
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
        shown = address.instance()
        return self.locations.span(shown), dict(self.locations.values.get(shown, {})), ()
