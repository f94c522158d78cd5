"""Plan fast paths: decoded section by section and slimmed, the same Document; address split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azbackup_policy.discover import FileLoader, Source
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext, ParseOptions
from azbackup_policy.parsers import terraform_plan as tp
from azbackup_policy.parsers.jsonstream import NotStreamable, ObjectStream
from azbackup_policy.parsers.tfplan_locate import locate
from azbackup_policy.parsers.tfplan_read import _prune, read_plan
from azbackup_policy.parsers.tfplan_values import merge_values

ROOT = Path(__file__).resolve().parent.parent
PLANS = sorted(p for p in (ROOT / "fixtures").rglob("*.json")
               if '"planned_values"' in p.read_text(encoding="utf-8-sig")[:200_000])


def _document(path: Path, streamed: bool) -> Any:
    context = ParseContext(FileLoader([str(path.parent)]), ParseOptions())
    source = Source(str(path), "terraform-plan")
    text = path.read_text(encoding="utf-8-sig")
    if streamed:
        plan, locations = read_plan(lambda: text, str(path), 200)
    else:  # what the parser did before: the whole plan from json.loads, nothing dropped
        plan, locations = json.loads(text), locate(text, str(path))
    return tp._Builder(plan, locations, source, context).build()


def test_there_are_plan_fixtures_to_compare() -> None:
    assert len(PLANS) >= 10


@pytest.mark.parametrize("path", PLANS, ids=lambda p: str(p.relative_to(ROOT)))
def test_streamed_and_slimmed_plan_builds_the_same_document(path: Path) -> None:
    assert _document(path, streamed=True) == _document(path, streamed=False)


def test_object_stream_reads_members_and_list_elements_one_at_a_time() -> None:
    stream = ObjectStream(' { "a" : [1, {"b": 2}] , "c": {"d": []}, "e": [] }\n')
    seen: list[Any] = []
    for key in stream.members():
        if key == "a":
            seen.append((key, list(stream.elements())))
        else:
            seen.append((key, stream.value()))
    assert seen == [("a", [1, {"b": 2}]), ("c", {"d": []}), ("e", [])]


def test_object_stream_lets_go_of_the_text_it_has_read() -> None:
    big = "x" * (2 << 20)
    stream = ObjectStream(json.dumps({"big": big, "small": 1}))
    keys = [(key, stream.value()) for key in stream.members()]
    assert keys == [("big", big), ("small", 1)]
    assert len(stream.text) < 100  # the 2 MB string read is no longer held


@pytest.mark.parametrize("text", [
    "[1, 2]", '{"a": 1', '{"a" 1}', '{"a": 1,}', '{"a": 1} x', '{1: 2}', '{"a": [1,}',
    '{"a": tru}', "",
])
def test_object_stream_leaves_anything_malformed_to_json(text: str) -> None:
    stream = ObjectStream(text)
    with pytest.raises(NotStreamable):
        for _key in stream.members():
            if stream.at_list():
                list(stream.elements())
            else:
                stream.value()


@pytest.mark.parametrize("text", ['{"format_version": "1.2", "planned_values": {', '{"a": 1} x',
                                  '{\n  "format_version": "1.2",\n  "planned_values": {},\n'
                                  '  "resource_changes": [1,]\n}'])
def test_malformed_plans_get_jsons_own_message_and_position(text: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        expected = (exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")
    with pytest.raises(InputError) as raised:
        read_plan(lambda: text, "plan.json", 200)
    assert (raised.value.line, raised.value.column, raised.value.message) == expected


def test_too_deep_member_or_change_is_reported_at_its_line() -> None:
    deep = "[" * 10 + "]" * 10
    text = ('{\n"format_version": "1.2",\n"planned_values": {},\n"resource_changes": [\n'
            f'{deep}\n]\n}}')
    with pytest.raises(InputError, match="nested deeper than 8 levels") as raised:
        read_plan(lambda: text, "plan.json", 8)
    assert raised.value.line == 5


_MARKER = st.recursive(
    st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from("abcd"), inner, max_size=3),
    max_leaves=12,
)
_VALUE = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from("abcd"), inner, max_size=3),
    max_leaves=12,
)


@given(values=st.dictionaries(st.sampled_from("abcd"), _VALUE, max_size=4),
       unknown=_MARKER, sensitive=_MARKER)
def test_pruned_markers_merge_like_the_whole_markers(values: Any, unknown: Any,
                                                     sensitive: Any) -> None:
    def text(path: str) -> str:
        return path

    whole = merge_values(values, unknown, sensitive, text)
    pruned = merge_values(values, _prune(unknown, {}), _prune(sensitive, {}), text)
    assert whole == pruned


def test_a_change_missing_from_planned_values_keeps_its_after_values(tmp_path: Path) -> None:
    plan = json.loads((ROOT / "fixtures" / "scenarios" / "estate-basic" / "tfplan.json")
                      .read_text(encoding="utf-8"))
    plan["planned_values"]["root_module"]["resources"] = [
        item for item in plan["planned_values"]["root_module"]["resources"]
        if "virtual_machine" not in item["type"]]
    path = tmp_path / "tfplan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    streamed = _document(path, streamed=True)
    assert streamed == _document(path, streamed=False)
    vms = [r for r in streamed.resources if r.type == "azurerm_linux_virtual_machine"]
    assert vms and all(r.properties.get("size") for r in vms)


@given(st.text(alphabet='ab_.[]0"\\', max_size=12))
def test_address_split_fast_path_gives_the_scanners_steps(text: str) -> None:
    from azbackup_policy.parsers.tfplan_address import _scan, tokenize

    assert tokenize(text) == _scan(text)


class _WholeWalk:
    """The value merge as it was before it followed the markers: every member visited,
    every container copied. The marker-driven merge must give equal results."""

    def __init__(self) -> None:
        self.sensitive: set[str] = set()

    def value(self, value: Any, unknown: Any, sensitive: Any, path: str) -> Any:
        from azbackup_policy.model import Unknown

        if sensitive is True:
            if value is None and unknown is not True:
                return None
            self.sensitive.add(path)
            return Unknown("(sensitive value)")
        if unknown is True:
            return Unknown(path)
        if isinstance(value, dict):
            unknown = unknown if isinstance(unknown, dict) else {}
            sensitive = sensitive if isinstance(sensitive, dict) else {}
            merged = {key: self.value(item, unknown.get(key), sensitive.get(key),
                                      f"{path}.{key}" if path else key)
                      for key, item in value.items()}
            for key, flag in unknown.items():
                if flag is True and key not in merged:
                    merged[key] = self.value(None, True, sensitive.get(key),
                                             f"{path}.{key}" if path else key)
            return merged
        if isinstance(value, list):
            unknown = unknown if isinstance(unknown, list) else []
            sensitive = sensitive if isinstance(sensitive, list) else []
            return [self.value(item, unknown[i] if i < len(unknown) else None,
                               sensitive[i] if i < len(sensitive) else None,
                               f"{path}.{i}" if path else str(i))
                    for i, item in enumerate(value)]
        return value


@given(values=st.dictionaries(st.sampled_from("abcd"), _VALUE, max_size=4),
       unknown=_MARKER, sensitive=_MARKER)
def test_marker_driven_merge_equals_the_whole_walk(values: Any, unknown: Any,
                                                   sensitive: Any) -> None:
    walk = _WholeWalk()
    expected = walk.value(values, unknown, sensitive, "")
    expected = expected if isinstance(expected, dict) else {}  # as merge_values gives it
    merged, paths = merge_values(values, unknown, sensitive, lambda path: path)
    assert merged == expected
    assert paths == frozenset(walk.sensitive)
