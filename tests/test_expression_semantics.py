"""Expression semantics the evaluators must share with Azure: each test names the documented
behaviour it protects (mutants X04, X05 and X07 of ``../shared/reviews/tests.md``)."""

from __future__ import annotations

from typing import Any

import pytest

from azbackup_policy.discover import FileLoader
from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.arm.evaluator import Evaluator, Frame, Scope
from azbackup_policy.parsers.arm.functions import all_functions
from azbackup_policy.parsers.bicep import ast, compile_text
from azbackup_policy.parsers.bicep.parser import parse_program


def arm_with_problems(text: str, **parameters: Any) -> tuple[Any, list[InputError]]:
    state = Scope("t.json", {("x",): SourceSpan("t.json", 3, 3, 5)}, parameters=parameters)
    return Evaluator(state, all_functions()).value(text, ("x",), Frame()), state.problems


def arm(text: str, **parameters: Any) -> Any:
    value, problems = arm_with_problems(text, **parameters)
    assert problems == []
    return value


@pytest.mark.parametrize(("text", "expected"), [
    ("[div(7, 2)]", 3), ("[div(-7, 2)]", -3), ("[div(7, -2)]", -3), ("[div(-8, 2)]", -4),
])
def test_arm_integer_division_truncates_toward_zero(text: str, expected: int) -> None:
    """ARM div() is .NET integer division: it truncates toward zero, never floors (X04)."""
    assert arm(text) == expected


def test_arm_array_index_in_range_and_out_of_range() -> None:
    """An index equal to the length is out of range: a located problem and an Unknown value,
    never a crash (X05; before, only a random hypothesis example could find it)."""
    assert arm("[parameters('sizes')[1]]", sizes=[128, 256]) == 256
    assert arm("[parameters('sizes')[0]]", sizes=[128, 256]) == 128
    for index in (2, 3, -1):
        value, problems = arm_with_problems(f"[parameters('sizes')[{index}]]", sizes=[128, 256])
        assert isinstance(value, Unknown)
        (problem,) = problems
        assert (problem.file, problem.line, problem.column) == ("t.json", 3, 5)
        assert "out of range" in problem.message


def _value(text: str) -> ast.Expr:
    (statement,) = parse_program(f"var v = {text}\n", "t.bicep").statements
    assert isinstance(statement, ast.Decl) and statement.value is not None
    return statement.value


@pytest.mark.parametrize("operator", ["-", "+", "*", "/", "%", "&&", "||", "==", "??"])
def test_bicep_binary_operators_are_left_associative(operator: str) -> None:
    """Bicep binary operators of one precedence group left to right: a - b - c is (a - b) - c
    (X07)."""
    value = _value(f"a {operator} b {operator} c")
    assert isinstance(value, ast.Binary) and value.op == operator
    assert isinstance(value.left, ast.Binary) and value.left.op == operator
    assert isinstance(value.right, ast.Name) and value.right.name == "c"


def test_bicep_subtraction_chain_compiles_to_the_left_grouping() -> None:
    """The compiled ARM expression evaluates 10 - 4 - 3 to 3, as Bicep does (X07)."""
    compiled = compile_text("output o int = 10 - 4 - 3\n", "s.bicep", "/tmp/s.bicep",
                            ParseContext(FileLoader())).template
    expression = compiled["outputs"]["o"]["value"]
    assert expression == "[sub(sub(10, 4), 3)]"
    assert arm(expression) == 3
