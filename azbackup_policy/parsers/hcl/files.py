"""Terraform's file functions: ``file``, ``filebase64``, ``fileexists``, ``templatefile``.

Files are read through the scope (the scan's ``FileLoader``: inside the scan roots, under
the size limit, hidden files honoured), relative paths from the root module's folder as
Terraform does. A file that cannot be read makes the call unknown; why is noted in the
trace (the value's Unknown text tells it), never an input error for the module.
``templatefile`` renders with its variables only, like Terraform, and may not call itself.
"""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any

from lark import Tree

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.hcl import templates
from azbackup_policy.parsers.hcl.values import EvalError, as_string, has_pending

if TYPE_CHECKING:
    from azbackup_policy.discover import FileLoader
    from azbackup_policy.parsers.hcl.evaluate import Evaluator

FUNCTIONS = frozenset({"file", "filebase64", "fileexists", "templatefile"})
_IN_TEMPLATE = "\x00templatefile"  # a binding no identifier can name


class FileUnavailable(Exception):
    """A file a function names cannot be read; the message says why (no file content).
    ``missing``: there is no such file (``fileexists`` is then false, not unknown)."""

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


class FileReader:
    """The files one root module (and the modules it calls) reads, each read once."""

    def __init__(self, loader: FileLoader, root: str) -> None:
        self.loader = loader
        self.root = root  # relative paths start here, as from Terraform's working directory
        self.done: dict[str, bytes | FileUnavailable] = {}

    def read(self, path: str) -> bytes:
        """The bytes of ``path``; FileUnavailable says why they cannot be read."""
        if path == "~" or path.startswith(("~/", "~\\")):  # Terraform expands it: $HOME
            raise FileUnavailable(f"{path} is in the home folder, outside the scan root "
                                  "(the repository)")
        target = path if os.path.isabs(path) else os.path.join(self.root, path)
        if target not in self.done:
            self.done[target] = self._read(target)
        found = self.done[target]
        if isinstance(found, FileUnavailable):
            raise found
        return found

    def _read(self, target: str) -> bytes | FileUnavailable:
        files = self.loader
        if "\x00" in target:
            return FileUnavailable("the path has a NUL character")
        shown = files.display(target)
        if not files.inside_roots(target):
            return FileUnavailable(f"{shown} is outside the scan root (the repository)")
        if files.hidden(target):
            return FileUnavailable(f"{shown} is not staged for commit", missing=True)
        if not files.exists(target):
            return FileUnavailable(f"{shown} does not exist", missing=True)
        if files.is_dir(target):
            return FileUnavailable(f"{shown} is a folder, not a file")
        try:
            return files.read_bytes(target)
        except InputError as error:  # too large, unreadable: its message names no content
            return FileUnavailable(error.message)

    def exists(self, path: str) -> bool:
        """``fileexists``: false for a missing file; FileUnavailable when it cannot be known."""
        try:
            self.read(path)
        except FileUnavailable as exc:
            if not exc.missing:
                raise
            return False
        return True


def call(ev: Evaluator, name: str, args: list[Any], node: Tree[Any]) -> Any:
    """The value of file function ``name`` called with evaluated ``args``."""
    expected = 2 if name == "templatefile" else 1
    if len(args) != expected:
        raise EvalError(f"{name}() takes {expected} argument(s)")
    if has_pending(args[0]):
        return ev.pending_of(args, node)
    path = as_string(args[0])
    try:
        if name == "fileexists":
            return ev.scope.file_exists(path)
        data = ev.scope.read_file(path)
    except FileUnavailable as exc:
        return _unknown(ev, args, node, f"{name}(): {exc}")
    ev.budget.allow_string(len(data) * 4 // 3 + 4, f"{name}()")
    if name == "filebase64":
        return base64.b64encode(data).decode("ascii")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _unknown(ev, args, node, f"{name}(): {path} is not UTF-8 text")
    if name == "file":
        return text
    return _template_file(ev, path, text, args, node)


def _unknown(ev: Evaluator, args: list[Any], node: Tree[Any], why: str) -> Any:
    ev.trace.notes.append(why)
    return ev.pending_of(args, node)


def _template_file(ev: Evaluator, path: str, text: str, args: list[Any], node: Tree[Any]) -> Any:
    if _IN_TEMPLATE in ev.bindings:
        raise EvalError("templatefile() cannot be called from inside a template")
    variables = args[1]
    if not isinstance(variables, dict):
        if has_pending(variables):
            return _unknown(ev, args, node, "templatefile(): its variables are not known")
        raise EvalError("templatefile(): the variables must be a map or object")
    try:
        items = ev.scope.template_items(text, path)
        scope = ev.only({**variables, _IN_TEMPLATE: True})
        value = templates.render_items(scope, items, ev.source(node))
    except (EvalError, InputError, RecursionError):  # messages may quote it: not passed on
        return _unknown(ev, args, node, f"templatefile(): {path} is not a valid template")
    if has_pending(value):
        ev.trace.notes.append(f"templatefile(): a value {path} uses is not known")
    return value
