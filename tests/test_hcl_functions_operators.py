"""Every static Terraform built-in and every HCL operator, with the result Terraform gives.

Expected values are written from the Terraform language documentation of each function
(developer.hashicorp.com/terraform/language/functions) and of the expression operators, not
from this implementation. A function added to ``BUILTINS`` needs a row here
(``test_every_builtin_has_a_result_case``).
"""

from __future__ import annotations

import base64
import gzip
import math
from typing import Any

import pytest

from azbackup_policy.parsers.hcl.functions import BUILTINS, NotKnown
from azbackup_policy.parsers.hcl.operators import binary, equal, to_index, truth, unary
from azbackup_policy.parsers.hcl.values import EvalError, Pending, TfSet

RESULTS: list[tuple[str, tuple[Any, ...], Any]] = [
    ("coalesce", (None, "", "b", "c"), "b"),
    ("coalesce", (0, 1), 0),
    ("lookup", ({"a": 1}, "a"), 1),
    ("lookup", ({"a": 1}, "b", "fallback"), "fallback"),
    ("merge", ({"a": 1, "b": 2}, None, {"a": 3}), {"a": 3, "b": 2}),
    ("jsonencode", ({"b": 1, "a": "<&>"},), '{"a":"\\u003c\\u0026\\u003e","b":1}'),
    ("jsonencode", ([True, None, 1.5],), "[true,null,1.5]"),
    ("jsondecode", ('{"a": [1, 2.5, 3.0], "b": null}',), {"a": [1, 2.5, 3], "b": None}),
    ("tostring", (5,), "5"),
    ("tostring", (True,), "true"),
    ("tostring", (None,), None),
    ("tonumber", ("42",), 42),
    ("tonumber", ("2.5",), 2.5),
    ("tonumber", (None,), None),
    ("tobool", ("true",), True),
    ("tobool", (False,), False),
    ("tobool", (None,), None),
    ("toset", (["b", "a", "b"],), ["a", "b"]),
    ("tolist", (["x", "y"],), ["x", "y"]),
    ("tomap", ({"k": "v"},), {"k": "v"}),
    ("length", ("héllo",), 5),
    ("length", ([1, 2, 3],), 3),
    ("length", ({"a": 1},), 1),
    ("concat", ([1], [], [2, 3]), [1, 2, 3]),
    ("format", ("%s-%03d", "vm", 7), "vm-007"),
    ("format", ("%5.2f|%-4s|%t|%q|%%", 3.14159, "ab", True, "x"), ' 3.14|ab  |true|"x"|%'),
    ("format", ("%v %d %f", [1, "a"], -7, 2), '[1,"a"] -7 2.000000'),
    ("format", ("%05d|%+d|%6s", -42, 5, "r"), "-0042|5|     r"),
    ("lower", ("VM-Web",), "vm-web"),
    ("upper", ("vm-web",), "VM-WEB"),
    ("trimspace", ("  a b \n",), "a b"),
    ("replace", ("a-b-c", "-", "_"), "a_b_c"),
    ("replace", ("vm01-vm22", "/vm(\\d+)/", "n$1"), "n01-n22"),
    ("element", (["a", "b", "c"], 4), "b"),
    ("element", (["a", "b", "c"], 0), "a"),
    ("keys", ({"b": 1, "a": 2},), ["a", "b"]),
    ("values", ({"b": 1, "a": 2},), [2, 1]),
    ("contains", (["a", "b"], "b"), True),
    ("contains", (["a", "b"], "c"), False),
    ("join", (",", ["a", "b"], ["c"]), "a,b,c"),
    ("split", (",", "a,,b"), ["a", "", "b"]),
    ("flatten", ([[1, [2]], 3, []],), [1, 2, 3]),
    ("distinct", ([1, 2, 1, 3, 2],), [1, 2, 3]),
    ("zipmap", (["a", "b"], [1, 2]), {"a": 1, "b": 2}),
    ("range", (3,), [0, 1, 2]),
    ("range", (1, 4), [1, 2, 3]),
    ("range", (10, 0, -3), [10, 7, 4, 1]),
    ("range", (0, 1, 0.25), [0, 0.25, 0.5, 0.75]),
    ("range", (0,), []),
    ("min", (3, 1, 2), 1),
    ("max", (3, 1.5, 2), 3),
    ("abs", (-2.5,), 2.5),
    ("startswith", ("vm-web", "vm-"), True),
    ("startswith", ("vm-web", "web"), False),
    ("endswith", ("vm-web", "web"), True),
    ("endswith", ("vm-web", "vm"), False),
    ("trimprefix", ("vm-web", "vm-"), "web"),
    ("trimprefix", ("vm-web", "x"), "vm-web"),
    ("trimsuffix", ("vm-web", "-web"), "vm"),
    ("compact", (["a", "", None, "b"],), ["a", "b"]),
    ("coalescelist", ([], [1], [2]), [1]),
    ("one", ([],), None),
    ("one", ([5],), 5),
    ("slice", ([1, 2, 3, 4], 1, 3), [2, 3]),
    ("slice", ([1, 2], 2, 2), []),
    ("reverse", ([1, 2, 3],), [3, 2, 1]),
    ("sort", (["b", "a", "10", "9"],), ["10", "9", "a", "b"]),
    ("sum", ([1, 2, 3.5],), 6.5),
    ("sum", ([1.5, 1.5],), 3),
    ("base64encode", ("hi ✓",), "aGkg4pyT"),
    ("base64decode", ("aGkg4pyT",), "hi ✓"),
    ("nonsensitive", ("s",), "s"),
]

ERRORS: list[tuple[str, tuple[Any, ...]]] = [
    ("coalesce", (None, "")),
    ("lookup", ({"a": 1}, "b")),
    ("merge", ({"a": 1}, ["not a map"])),
    ("jsondecode", ("{not json",)),
    ("element", ([], 0)),
    ("concat", ("not a list",)),
    ("format", ("%s %s", "one")),
    ("format", ("%x", 1)),
    ("replace", ("a", "/(/", "b")),
    ("range", (0, 10, 0)),
    ("range", (0, 1_000_000)),
    ("coalescelist", ([], [])),
    ("one", ([1, 2],)),
    ("slice", ([1, 2], 1, 3)),
    ("slice", ([1, 2], 2, 1)),
]


def test_every_builtin_has_a_result_case() -> None:
    compressed = {"base64gzip"}  # the deflate bytes depend on zlib: checked by round trip
    assert set(BUILTINS) - {name for name, _, _ in RESULTS} == compressed


def test_base64gzip_round_trips() -> None:
    packed = base64.b64decode(BUILTINS["base64gzip"]("hi ✓\n"))
    assert packed[:2] == b"\x1f\x8b" and gzip.decompress(packed) == "hi ✓\n".encode()


@pytest.mark.parametrize(("name", "args", "expected"), RESULTS,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(RESULTS)])
def test_builtin_result(name: str, args: tuple[Any, ...], expected: Any) -> None:
    result = BUILTINS[name](*args)
    assert result == expected
    assert type(result) is type(expected) or isinstance(result, TfSet)


def test_toset_is_a_set_of_unique_values() -> None:
    result = BUILTINS["toset"]([3, 1, 3])
    assert isinstance(result, TfSet) and result == [3, 1]  # numbers keep their order


@pytest.mark.parametrize(("name", "args"), ERRORS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(ERRORS)])
def test_builtin_rejects_what_terraform_rejects(name: str, args: tuple[Any, ...]) -> None:
    with pytest.raises(EvalError):
        BUILTINS[name](*args)


@pytest.mark.parametrize("name", ["lower", "tostring", "length", "jsonencode", "abs"])
def test_a_pending_argument_makes_the_call_not_known(name: str) -> None:
    with pytest.raises(NotKnown):
        BUILTINS[name](Pending("var.x"))


OPERATIONS: list[tuple[str, Any, Any, Any]] = [
    ("<", 1, 2, True), ("<", 2, 2, False), ("<", 3, 2, False),
    ("<=", 1, 2, True), ("<=", 2, 2, True), ("<=", 3, 2, False),
    (">", 3, 2, True), (">", 2, 2, False), (">", 1, 2, False),
    (">=", 3, 2, True), (">=", 2, 2, True), (">=", 1, 2, False),
    ("<", "1", "10", True),  # comparisons convert strings to numbers
    ("+", 2, 3, 5), ("-", 2, 3, -1), ("-", 10, 4, 6), ("*", 4, 2.5, 10),
    ("/", 7, 2, 3.5), ("/", 6, 3, 2), ("%", 7, 3, 1), ("%", -7, 3, -1),
    ("+", "2", 1, 3),
    ("==", 1, 1.0, True), ("==", "a", "a", True), ("==", "1", 1, False),
    ("==", True, 1, False), ("==", False, 0, False), ("==", None, None, True),
    ("==", [1, "a"], [1, "a"], True), ("==", [1], [1, 2], False), ("==", [True], [1], False),
    ("==", {"a": 1}, {"a": 1}, True), ("==", {"a": 1}, {"b": 1}, False),
    ("==", {"a": [1]}, {"a": [2]}, False),
    ("!=", True, 1, True), ("!=", "a", "a", False), ("!=", [1], [1], False),
    ("&&", True, False, False), ("&&", True, True, True), ("&&", "true", True, True),
    ("||", False, False, False), ("||", False, True, True),
]


@pytest.mark.parametrize(("operator", "left", "right", "expected"), OPERATIONS,
                         ids=[f"{o}-{i}" for i, (o, _, _, _) in enumerate(OPERATIONS)])
def test_binary_operator_result(operator: str, left: Any, right: Any, expected: Any) -> None:
    result = binary(operator, left, right)
    assert result == expected
    assert isinstance(result, bool) == isinstance(expected, bool)  # HCL numbers: int or float


@pytest.mark.parametrize(("operator", "left", "right"), [
    ("/", 1, 0), ("%", 1, 0), ("<", "a", 1), ("&&", 1, True), ("+", True, 1), ("^", 1, 1),
])
def test_binary_operator_errors(operator: str, left: Any, right: Any) -> None:
    with pytest.raises(EvalError):
        binary(operator, left, right)


def test_unary_operators_truth_and_index() -> None:
    assert unary("!", True) is False and unary("!", "false") is True
    assert unary("-", 3) == -3 and unary("-", "2.5") == -2.5
    assert truth("true") is True and truth(False) is False
    assert to_index(2) == 2 and to_index("3") == 3 and to_index(4.0) == 4
    with pytest.raises(EvalError):
        to_index(1.5)
    with pytest.raises(EvalError):
        unary("-", "x")


def test_equality_is_typed_and_deep() -> None:
    assert equal([{"a": [1]}], [{"a": [1]}]) is True
    assert equal([{"a": [1]}], [{"a": ["1"]}]) is False
    assert equal(math.inf, math.inf) is True
