"""Functions ``bicep build`` evaluates while compiling, so their result is in the template:
``nameof(x)`` (the last name of a symbol or property path), ``loadTextContent(path)``,
``loadJsonContent(path)`` and ``loadFileAsBase64(path)`` (a file beside the .bicep file, read
through the loader and so inside the repository; custom data is often written
``loadFileAsBase64('cloud-init.yaml')``). A file that is not there leaves the call unknown,
as before ``bicep build``: only that value is lost, not the resource that uses it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.bicep import ast

# (path as written, offset of the call, binary) -> the file's text (its bytes when binary),
# or None when it cannot be read
FileReader = Callable[[str, int, bool], "str | bytes | None"]

NAMES = frozenset({"nameof", "loadTextContent", "loadJsonContent", "loadFileAsBase64"})
_MAX_ARGS = {"loadTextContent": 2, "loadJsonContent": 1, "loadFileAsBase64": 1}


def last_name(node: ast.Expr) -> str | None:
    """``nameof``: ``vm`` -> 'vm', ``vm.location`` -> 'location', ``cfg['a-b']`` -> 'a-b'."""
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, (ast.Member, ast.ChildAccess)):
        return node.name
    if isinstance(node, ast.Index) and isinstance(node.index, ast.Literal):
        return str(node.index.value)
    return None


def literal_path(node: ast.Call) -> str | None:
    first = node.args[0] if node.args else None
    if isinstance(first, ast.Literal) and isinstance(first.value, str):
        return first.value
    return None


def compile_time(node: ast.Call, read: FileReader | None, file: str,
                 position: Callable[[int], tuple[int, int]]) -> str | None:
    """The ARM text of a compile-time call, or None to compile it as a runtime call."""
    if node.name == "nameof":
        name = last_name(node.args[0]) if len(node.args) == 1 else None
        return None if name is None else quote(name)
    path = literal_path(node)
    if read is None or path is None:
        return None
    # loadTextContent(path, [encoding]); loadJsonContent(path) (a jsonPath stays unknown)
    if len(node.args) > _MAX_ARGS[node.name]:
        return None
    binary = node.name == "loadFileAsBase64"
    text = read(path, node.pos, binary)
    if text is None:
        return f"{node.name}({quote(path)})"  # not a function ARM knows: unknown
    if isinstance(text, bytes):
        return quote(base64.b64encode(text).decode("ascii"))
    if node.name == "loadTextContent":
        return quote(text)
    try:
        value = json.loads(text)
    except ValueError as exc:
        line, column = position(node.pos)
        raise InputError(file, line, column, f"{path} is not JSON: {exc}") from None
    return f"json({quote(json.dumps(value, separators=(',', ':')))})"


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
