"""Hypothesis: generated and mutated Bicep either compiles or raises InputError.

Nothing else may escape the parser (no IndexError, RecursionError, KeyError ...).
Examples are bounded and every input is small, so no case runs unbounded.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azbackup_policy.discover import FileLoader
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext, ParseOptions
from azbackup_policy.parsers.bicep import compile_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEEDS = sorted(p.read_text() for p in FIXTURES.rglob("*.bicep") if p.is_file())
CONTEXT = ParseContext(FileLoader([str(FIXTURES)]), ParseOptions(max_nesting_depth=40))
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

PIECES = [
    "param ", "var ", "resource ", "module ", "output ", "type ", "func ", "import ",
    "existing ", "if ", "for ", " in ", "x", "vm", "'T/t@1'", "'./m.bicep'", "'br:x/y:1'",
    "=", "{", "}", "[", "]", "(", ")", ":", ",", ".", ".?", "?", "??", "!", "::", "...",
    "=>", "@description('d')", "@secure()", "'s'", "'${x}'", "'''m'''", "1", "-", "+",
    "&&", "||", "==", "<", "|", "string", "int[]", "\n", "\r\n", " ", "//c\n", "/*", "*/",
    "#disable-next-line x\n", "\\", "'", "true", "null", "name: 'n'\n",
]


def compiles_or_input_error(text: str) -> None:
    try:
        compile_text(text, "fuzz.bicep", str(FIXTURES / "fuzz.bicep"), CONTEXT)
    except InputError as error:
        assert error.line >= 1 and error.column >= 1
        assert error.file.endswith((".bicep", ".json")), error.file


@SETTINGS
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_token_soup(text: str) -> None:
    compiles_or_input_error(text)


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    compiles_or_input_error(text)


@st.composite
def mutated_fixture(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        start = draw(st.integers(0, len(text) - 1))
        end = min(len(text), start + draw(st.integers(0, 12)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            text = text[:start] + text[end:]
        elif action == "insert":
            text = text[:start] + draw(st.sampled_from(PIECES)) + text[start:]
        else:
            text = text[:end] + text[start:end] + text[end:]
    return text


@SETTINGS
@given(mutated_fixture())
def test_mutated_fixtures(text: str) -> None:
    compiles_or_input_error(text)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 400), st.sampled_from(["[", "(", "{\n a: ", "!", "-", "x ? y : "]))
def test_deep_nesting_is_bounded(depth: int, opener: str) -> None:
    closer = {"[": "]", "(": ")", "{\n a: ": "\n}"}.get(opener, "")
    compiles_or_input_error("var v = " + opener * depth + "1" + closer * depth + "\n")
