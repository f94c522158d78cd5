"""Parameter values: ``.bicepparam`` files and JSON parameter files.

A ``.bicepparam`` value is a Bicep expression; it is compiled like any other and set
as the parameter's ``defaultValue`` in the compiled template, so the ARM evaluator
treats it exactly as the value the deployment would get (``var`` declarations of the
.bicepparam file are inlined). JSON parameter files (``--parameters``) hold literal
values; they are passed to the ARM parser as ``parameters``.
"""

from __future__ import annotations

import json
import os

from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.build import Compiled
from azbackup_policy.parsers.bicep.emit import Json, Shared, Unit, ValueEmitter

REGISTRY_PREFIXES = ("br:", "br/", "ts:", "ts/")


def using_of(unit: Unit) -> ast.Decl:
    for statement in unit.program.statements:
        if isinstance(statement, ast.Decl) and statement.kind == "using":
            return statement
    raise InputError(unit.file, 1, 1, "a .bicepparam file needs a 'using' declaration")


def apply_bicepparam(unit: Unit, compiled: Compiled, main_file: str) -> None:
    """Set each ``param x = value`` of ``unit`` as the default of ``x`` in the template."""
    declared = compiled.template.setdefault("parameters", {})
    shared = Shared(positions=compiled.positions)
    emitter = ValueEmitter(unit, shared, ())
    emitter.sym.params.update(declared)
    env: dict[str, str] = {}
    for statement in unit.program.statements:
        if not isinstance(statement, ast.Decl) or statement.value is None:
            continue
        try:
            if statement.kind == "var":
                env[statement.name] = emitter.text(statement.value, env)
            elif statement.kind == "param":
                set_value(emitter, statement, declared, env, main_file)
        except InputError as error:  # this value is not read; the others still are
            compiled.problems.append(error)


def set_value(emitter: ValueEmitter, decl: ast.Decl, declared: dict[str, Json],
              env: dict[str, str], main_file: str) -> None:
    assert decl.value is not None
    entry = declared.get(decl.name)
    if not isinstance(entry, dict):
        line, column = emitter.unit.lines.position(decl.name_pos)
        raise InputError(emitter.unit.file, line, column,
                         f"parameter '{decl.name}' is not declared in {main_file}")
    path = ("parameters", decl.name, "defaultValue")
    emitter.mark(path, decl.value.pos, decl.value.end)
    entry["defaultValue"] = emitter.value(decl.value, env, path)


def target_path(unit: Unit, using: ast.Decl) -> str:
    return os.path.normpath(os.path.join(os.path.dirname(unit.real_path), using.name))


def json_parameter_values(context: ParseContext) -> dict[str, Json]:
    """Values from the JSON parameter files given in ``context.options.parameter_files``."""
    values: dict[str, Json] = {}
    for path in context.options.parameter_files:
        if path.lower().endswith(".bicepparam"):
            continue
        shown = context.loader.display(path)
        try:
            data = json.loads(context.loader.read_text(path))
        except ValueError as exc:
            raise InputError(shown, getattr(exc, "lineno", 1), getattr(exc, "colno", 1),
                             f"invalid JSON: {exc}") from None
        entries = data.get("parameters") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise InputError(shown, 1, 1, "a parameter file needs a 'parameters' object")
        for name, entry in entries.items():
            if isinstance(entry, dict) and "value" in entry:
                values[name] = entry["value"]
    return values
