"""Shared input limits: JSON nesting depth for parsers that use :func:`json.loads`.

The ARM reader (``arm/jsonc``) and the Bicep parser count depth as they go; the plan
parser decodes with the C ``json`` module and checks the decoded value afterwards
(iteratively, so the check itself cannot overflow the stack). Only when the value is too
deep is the text scanned to find the line of the first bracket past the limit.
"""

from __future__ import annotations

import re
from typing import Any

from azbackup_policy.errors import InputError

_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(value: Any, max_depth: int) -> bool:
    """True when ``value`` has containers nested more than ``max_depth`` levels deep."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= max_depth:
            return True
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return False


def too_deep_error(text: str, file: str, max_depth: int) -> InputError:
    """The InputError pointing at the first bracket nested deeper than ``max_depth``."""
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                offset = match.start()
                line = text.count("\n", 0, offset) + 1
                column = offset - text.rfind("\n", 0, offset)
                return InputError(file, line, column,
                                  f"JSON nested deeper than {max_depth} levels")
        elif token in "]}":
            depth -= 1
    return InputError(file, 1, 1, f"JSON nested deeper than {max_depth} levels")


def check_json_depth(value: Any, text: str, file: str, max_depth: int) -> None:
    """Raise an InputError with the line when ``value`` (decoded from ``text``) is too deep."""
    if json_depth_exceeds(value, max_depth):
        raise too_deep_error(text, file, max_depth)
