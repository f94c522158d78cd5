"""The JSON-with-comments reader: what ARM accepts, with positions for every value."""

from __future__ import annotations

import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from azbackup_policy.discover import decode_text
from azbackup_policy.errors import InputError
from azbackup_policy.parsers.arm import jsonc


def test_comments_trailing_commas_bom_and_crlf() -> None:
    path = FIXTURES / "arm" / "comments-bom-crlf" / "azuredeploy.json"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    loaded = jsonc.load(decode_text(data, "t.json"), "t.json")
    vm = loaded.value["resources"][0]
    assert vm["properties"]["hardwareProfile"]["vmSize"] == "Standard_D2s_v5"
    assert loaded.value["parameters"]["vmName"]["defaultValue"] == "vm-commented"
    span = loaded.positions[("resources", 0, "properties", "hardwareProfile", "vmSize")]
    assert (span.line, span.column) == (21, 21)
    assert loaded.positions[("resources", 0)].line == 14
    assert loaded.positions[("resources", 0)].end_line == 31
    texts = [c.text for c in loaded.comments]
    assert any("Don't remove the \"vm\"" in t for t in texts)
    assert any(t.startswith("/* Parameters") for t in texts)


def test_quotes_and_slashes_inside_strings_are_not_comments() -> None:
    loaded = jsonc.load('{"a": "http://x/*y*/", "b": "//not a comment"}', "t.json")
    assert loaded.value == {"a": "http://x/*y*/", "b": "//not a comment"}
    assert loaded.comments == []


def test_positions_of_nested_values() -> None:
    text = '{\n  "a": [\n    1,\n    {"b": true}\n  ]\n}\n'
    loaded = jsonc.load(text, "t.json")
    assert loaded.positions[("a",)].line == 2
    assert loaded.positions[("a",)].end_line == 5
    assert loaded.positions[("a", 1, "b")].line == 4
    assert loaded.positions[()].end_line == 6


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}'"),
        ('{"a": [1, 2}', 1, 12, "expected ',' or ']'"),
        ('{"a": }', 1, 7, "unexpected character"),
        ('{"a": 1} x', 1, 10, "after the end"),
        ('{"a": "unterminated}', 1, 7, "unterminated string"),
        ('{\n/* never closed\n"a": 1}', 2, 1, "unterminated /* comment"),
        ('{"a": "bad \\q escape"}', 1, 7, "bad escape"),
        ("", 1, 1, "end of file"),
        ("{a: 1}", 1, 2, "property name"),
    ],
)
def test_syntax_errors_have_a_location(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        jsonc.load(text, "t.json")
    assert (caught.value.file, caught.value.line, caught.value.column) == ("t.json", line, column)
    assert message in caught.value.message


def test_nesting_limit() -> None:
    with pytest.raises(InputError, match="nesting deeper"):
        jsonc.load("[" * 50 + "]" * 50, "t.json", max_depth=10)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[]",:/*\\ \n\r\tab01-.etrufalsn', max_size=60))
def test_garbage_gives_value_or_input_error(text: str) -> None:
    try:
        jsonc.load(text, "t.json")
    except InputError as error:
        assert error.line >= 1 and error.column >= 1
