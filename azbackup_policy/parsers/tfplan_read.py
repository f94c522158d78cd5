"""Reading a plan file: its text, where its resources are, and its JSON, section by section.

A plan of 80 MB decodes to about 270 MB of Python objects, and ``json.loads`` holds the
whole text and the whole tree at once. Here the resources are located in the text first
(:mod:`tfplan_locate`), then the top-level members are decoded one at a time
(:class:`ObjectStream`, which lets go of the text already read) and slimmed as they
arrive: resource objects keep only the keys the builder reads; ``resource_changes`` is
decoded element by element, without the ``after`` values that ``planned_values``
already holds and with its unknown/sensitive markers pruned to their ``true`` leaves;
``prior_state`` keeps only its data sources. Malformed
input is decoded once more with ``json.loads`` from a fresh read of the file, so every
error is reported exactly as ``json`` words it, with its line and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.jsonstream import NotStreamable, ObjectStream
from azbackup_policy.parsers.limits import check_json_depth, json_depth_exceeds, too_deep_error
from azbackup_policy.parsers.tfplan_locate import PlanLocations, locate

_PLANNED_KEYS = ("address", "mode", "values", "sensitive_values")
_CONFIG_KEYS = ("address", "mode", "expressions", "count_expression", "for_each_expression")
_MARKERS = ("after_unknown", "after_sensitive", "before_sensitive")

ReadText = Callable[[], str]


class _TooDeep(Exception):
    pass


def read_plan(read_text: ReadText, file: str, max_depth: int
              ) -> tuple[dict[str, Any], PlanLocations]:
    """The checked plan (slimmed) and the spans of its resources in the plan text.

    ``read_text`` is called once, and again only to word an error.
    """
    text = read_text()
    locations = locate(text, file)
    stream = ObjectStream(text)
    del text  # the stream now holds the only reference and drops what it has read
    plan = _load(stream, read_text, file, max_depth)
    _check(plan, read_text, file)
    return plan, locations


def _load(stream: ObjectStream, read_text: ReadText, file: str, max_depth: int) -> Any:
    try:
        try:
            return _stream(stream, max_depth)
        except NotStreamable:
            pass
        except _TooDeep:
            raise too_deep_error(read_text(), file, max_depth) from None
        del stream
        text = read_text()
        plan = json.loads(text)  # not a well-formed object: json says what and where
        check_json_depth(plan, text, file, max_depth)
        return plan
    except json.JSONDecodeError as exc:
        raise InputError(file, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(file, 1, 1, "JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise InputError(file, 1, 1, f"invalid JSON: {exc}") from None


def _stream(stream: ObjectStream, max_depth: int) -> dict[str, Any]:
    """Decode the plan member by member, and ``resource_changes`` element by element.

    ``planned_values`` comes before ``resource_changes`` in Terraform's output, so a
    change can drop ``after`` when the planned values hold the same resource.
    """
    plan: dict[str, Any] = {}
    planned: set[str] = set()
    keys: dict[str, str] = {}  # one string object for each key of the kept markers
    for key in stream.members():
        if key == "resource_changes" and stream.at_list():
            changes = []
            for item in stream.elements():
                _check_depth(item, 2, max_depth)
                changes.append(_slim_change(item, planned, keys))
            plan[key] = changes
            continue
        value = stream.value()
        _check_depth(value, 1, max_depth)
        if key in ("planned_values", "values"):  # a plan's, or a state's resources
            _slim_modules(as_dict(value).get("root_module"), _PLANNED_KEYS, "child_modules")
            planned = {item["address"] for item in walk_module(as_dict(value).get("root_module"))
                       if isinstance(item.get("address"), str)}
        elif key == "configuration":
            _slim_modules(as_dict(value).get("root_module"), _CONFIG_KEYS, "module_calls")
        elif key == "prior_state":
            value = _slim_prior(value)
        plan[key] = value
    return plan


def _check_depth(value: Any, level: int, max_depth: int) -> None:
    """The depth check of a value found ``level`` containers below the top."""
    if json_depth_exceeds(value, max_depth - level):
        raise _TooDeep


def _slim_change(item: Any, planned: set[str], keys: dict[str, str]) -> Any:
    """What the builder reads of one change: the address, ``deposed``, the actions,
    ``before``, ``after`` unless ``planned_values`` gave the resource's values, and the
    unknown and sensitive markers pruned to the branches that hold a ``true``."""
    if not isinstance(item, dict) or not isinstance(item.get("address"), str) \
            or not isinstance(item.get("change"), dict):
        return item  # not a change the builder reads
    change = item["change"]
    slim: dict[str, Any] = {"actions": change.get("actions"), "before": change.get("before")}
    if item.get("address") not in planned and "after" in change:
        slim["after"] = change["after"]
    for key in _MARKERS:
        marker = _prune(change.get(key), keys)
        if marker is not None:
            slim[key] = marker
    kept = {"address": item.get("address"), "change": slim}
    if "deposed" in item:
        kept["deposed"] = item["deposed"]
    return kept


def _prune(marker: Any, keys: dict[str, str]) -> Any:
    """The ``true`` leaves of an unknown/sensitive marker and the containers above them;
    None when there are none (which the value merge reads the same as an empty marker)."""
    if marker is True:
        return True
    if isinstance(marker, dict):
        pruned = {keys.setdefault(key, key): kept for key, value in marker.items()
                  if (kept := _prune(value, keys)) is not None}
        return pruned or None
    if isinstance(marker, list):
        items = [_prune(value, keys) for value in marker]
        return items if any(value is not None for value in items) else None
    return None


def _slim_modules(module: Any, keys: tuple[str, ...], children: str, depth: int = 0) -> None:
    """Keep only ``keys`` of each resource object of ``module`` and of the modules below
    it (``child_modules`` in planned values, ``module_calls`` in the configuration)."""
    if not isinstance(module, dict):
        return
    resources = module.get("resources")
    if isinstance(resources, list):
        module["resources"] = [
            {key: item[key] for key in keys if key in item} if isinstance(item, dict) else item
            for item in resources]
    below = module.get(children)
    if depth >= 64:
        return
    if isinstance(below, dict):  # module_calls: name -> call, the module inside
        below = [call.get("module") for call in below.values() if isinstance(call, dict)]
    for child in below if isinstance(below, list) else ():
        _slim_modules(child, keys, children, depth + 1)


def _slim_prior(prior: Any) -> Any:
    """``prior_state`` with only its data sources (all the builder reads of it)."""
    if not isinstance(prior, dict):
        return prior
    data = [item for item in walk_module(as_dict(prior.get("values")).get("root_module"))
            if item.get("mode") == "data"]
    return {"values": {"root_module": {"resources": data}}}


def _where(text: str, key: str) -> tuple[int, int]:
    match = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    if match is None:
        return 1, 1
    start = match.start()
    return text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)


def _check(plan: Any, read_text: ReadText, file: str) -> None:
    if not isinstance(plan, dict):
        raise InputError(file, 1, 1, "not a Terraform plan: the top level is not an object")
    version = plan.get("format_version")
    if not isinstance(version, str) or not (
            "planned_values" in plan or "resource_changes" in plan or is_state(plan)):
        raise InputError(file, 1, 1, "not a Terraform plan or state: format_version and "
                         "planned_values (a plan: `terraform show -json PLANFILE`) or values "
                         "(a state: `terraform show -json`) are required")
    # 0.1 (Terraform 0.12-0.14), 0.2 (0.15-1.0), 1.x (1.1 and later): same shape for us.
    if not re.fullmatch(r"(0\.[12]|1\.\d+)", version):
        line, column = _where(read_text(), "format_version")
        raise InputError(file, line, column,
                         f"unsupported plan format_version {version!r} (0.1, 0.2 and 1.x are "
                         "read)")
    for key in ("planned_values", "prior_state", "configuration", "values"):
        if key in plan and not isinstance(plan[key], dict):
            line, column = _where(read_text(), key)
            raise InputError(file, line, column, f"{key} must be an object")
    if "resource_changes" in plan and not isinstance(plan["resource_changes"], list):
        line, column = _where(read_text(), "resource_changes")
        raise InputError(file, line, column, "resource_changes must be a list")


def is_state(document: Any) -> bool:
    """A state (``terraform show -json`` with no plan file, or of a ``.tfstate`` file): its
    resources are under top-level ``values``, and it has no planned values or changes."""
    return (isinstance(document, dict) and "values" in document
            and "planned_values" not in document and "resource_changes" not in document)


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def walk_module(module: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """The resource objects of a plan module and its child modules (at most 64 deep)."""
    module = as_dict(module)
    for item in as_list(module.get("resources")):
        if isinstance(item, dict):
            yield item
    if depth < 64:
        for child in as_list(module.get("child_modules")):
            yield from walk_module(child, depth + 1)
