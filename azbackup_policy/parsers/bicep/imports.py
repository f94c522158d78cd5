"""Compile-time imports: ``import {a, b as c} from './x.bicep'`` and ``import * as ns``.

Like ``bicep build``, the imported variables, types and functions of a local file are
copied into the importing template (variables keep their names; an alias becomes a
variable pointing at the original). Names imported from a registry are never read:
they compile to ``__bicep_imported('name')``, which the ARM evaluator treats as
unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.compile_expr import call, quote
from azbackup_policy.parsers.bicep.emit import DeclarationEmitter, Json, Unit

REGISTRY = ("br:", "br/", "ts:", "ts/")

# (importing emitter, import declaration) -> the parsed imported file, or None
ImportLoader = Callable[[DeclarationEmitter, ast.ImportDecl], "Unit | None"]


def declare_imports(emitter: DeclarationEmitter, load: ImportLoader | None
                    ) -> list[tuple[ast.ImportDecl, Unit]]:
    """Register imported names with ``emitter``; return the local files to inline."""
    found: list[tuple[ast.ImportDecl, Unit]] = []
    for statement in emitter.unit.program.statements:
        if not isinstance(statement, ast.ImportDecl) or not statement.source:
            continue
        unit = None
        if load is not None and not statement.source.startswith(REGISTRY):
            unit = load(emitter, statement)
        if statement.wildcard:
            emitter.sym.wildcards[statement.wildcard] = unit is not None
        for name, alias in statement.names:
            if unit is None:
                emitter.sym.opaque.add(alias)
            else:
                emitter.sym.vars.add(alias)
                emitter.sym.vars.add(name)
        if unit is not None:
            found.append((statement, unit))
    return found


def inline_imports(importer: DeclarationEmitter, found: list[tuple[ast.ImportDecl, Unit]],
                   sections: dict[str, Any], functions: dict[str, Json]) -> None:
    for statement, unit in found:
        emitter = DeclarationEmitter(unit, importer.shared, importer.prefix)
        emitter.sym.strict = False
        declarations = [s for s in unit.program.statements if isinstance(s, ast.Decl)]
        emitter.sym.vars.update(d.name for d in declarations if d.kind == "var")
        funcs = [s for s in unit.program.statements if isinstance(s, ast.FuncDecl)]
        emitter.sym.funcs.update(f.name for f in funcs)
        for decl in declarations:
            if decl.kind == "var" and decl.name not in sections["variables"]:
                emitter.variable(decl, sections["variables"])
            elif decl.kind == "type":
                sections["definitions"].setdefault(decl.name, emitter.definition(decl))
        for func in funcs:
            functions.setdefault(func.name, emitter.function(func))
        names = {func.name for func in funcs}
        if statement.wildcard:  # ns.f(...) calls __bicep.f
            importer.sym.funcs.update(names)
        for name, alias in statement.names:
            if name in names:  # an imported function, maybe under another name
                functions.setdefault(alias, functions[name])
                importer.sym.funcs.add(alias)
                importer.sym.vars.discard(alias)
            elif alias != name:
                sections["variables"][alias] = "[" + call("variables", quote(name)) + "]"
