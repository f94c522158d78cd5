"""Arithmetic, comparison and logic on known values, with Terraform's typing."""

from __future__ import annotations

import math
from typing import Any

from azbackup_policy.parsers.hcl.values import (
    EvalError,
    as_bool,
    as_number,
    finite,
    normal_number,
    type_name,
)


def truth(value: Any) -> bool:
    return as_bool(value)


def to_index(value: Any) -> int:
    number = as_number(value)
    if isinstance(number, float) and not number.is_integer():
        raise EvalError(f"{number} is not a whole number")
    return int(number)


def equal(left: Any, right: Any) -> bool:
    if type_name(left) != type_name(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(equal, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    return bool(left == right)


def _arith(operator: str, left: int | float, right: int | float) -> int | float:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if right == 0:
        raise EvalError("division by zero")
    if operator == "/":
        return normal_number(left / right)
    return normal_number(math.fmod(left, right))


def binary(operator: str, left: Any, right: Any) -> Any:
    if operator == "==":
        return equal(left, right)
    if operator == "!=":
        return not equal(left, right)
    if operator in ("&&", "||"):
        a, b = as_bool(left), as_bool(right)
        return (a and b) if operator == "&&" else (a or b)
    x, y = as_number(left), as_number(right)
    if operator == "<":
        return x < y
    if operator == ">":
        return x > y
    if operator == "<=":
        return x <= y
    if operator == ">=":
        return x >= y
    if operator in ("+", "-", "*", "/", "%"):
        return finite(_arith(operator, x, y))
    raise EvalError(f"unknown operator {operator}")


def unary(operator: str, operand: Any) -> Any:
    if operator == "!":
        return not as_bool(operand)
    return -as_number(operand)
