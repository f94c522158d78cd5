"""Bicep parser: ``.bicep`` and ``.bicepparam`` files -> :class:`Document` (format "bicep").

A Bicep file is compiled into the ARM template ``bicep build`` would write
(languageVersion 2.0) together with a map from JSON paths in that template to the
spans in the .bicep files (:mod:`.emit`); the ARM parser then evaluates it, so Bicep
and ARM share one evaluator and one linker.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from azbackup_policy.discover import Source
from azbackup_policy.document import Document, NotFollowed, Problem, Unparsed
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.build import Compiled, compile_file, compile_text, read_unit
from azbackup_policy.parsers.bicep.emit import Positions, Unit
from azbackup_policy.parsers.bicep.params import (
    REGISTRY_PREFIXES,
    apply_bicepparam,
    json_parameter_values,
    target_path,
    using_of,
)
from azbackup_policy.parsers.bicep.registry import cached_module

__all__ = ["Compiled", "compile_file", "compile_text", "parse", "parse_bicepparam"]


def parse(source: Source, context: ParseContext) -> list[Document]:
    """The Document of one ``.bicep`` file and the local modules it uses."""
    compiled = compile_file(source.path, context)
    return [to_document(compiled, source.path, context, json_parameter_values(context))]


def parse_bicepparam(source: Source, context: ParseContext) -> list[Document]:
    """The Document of the template a ``.bicepparam`` file is ``using``, with its values."""
    loader = context.loader
    text = loader.read_text(source.path)
    unit = read_unit(text, source.path, loader.real(source.path),
                     context.options.max_nesting_depth)
    using = using_of(unit)
    line = unit.lines.line(using.name_pos)
    if using.name.startswith(("br:", "br/")):
        found, reason, hint = cached_module(using.name, source.path,
                                            os.path.dirname(unit.real_path), context)
        if found is None:
            missing = NotFollowed(source.path, line, using.name, reason, hint)
            return [Document(source.path, "bicep", "arm", not_followed=(missing,),
                             files=(source.path,))]
        compiled = registry_template(found, unit, using, context)
        target = found
    elif using.name == "none" or using.name.startswith(REGISTRY_PREFIXES):
        skipped = () if using.name == "none" else (
            NotFollowed(source.path, line, using.name, "template spec"),)
        return [Document(source.path, "bicep", "arm", not_followed=skipped,
                         files=(source.path,))]
    else:
        target = target_path(unit, using)
        loader.check_allowed(target, referrer=source.path, line=line)
        compiled = compile_file(target, context)
    compiled.problems[:0] = unit.program.errors
    apply_bicepparam(unit, compiled, loader.display(target))
    compiled.files.insert(0, source.path)
    return [to_document(compiled, source.path, context, json_parameter_values(context))]


def registry_template(path: str, unit: Unit, using: ast.Decl, context: ParseContext
                      ) -> Compiled:
    """The cached ``main.json`` a ``.bicepparam`` file is ``using``; what it declares is
    shown at the ``using`` line (the cache is not part of the repository)."""
    from azbackup_policy.parsers.arm import load_template  # ARM imports nothing of ours

    shown = context.loader.display(path)
    template = copy.deepcopy(load_template(path, shown, context).value)  # values are set
    if not isinstance(template, dict):
        raise InputError(shown, 1, 1, "an ARM template must be a JSON object")
    positions = Positions()
    positions.put((), (unit.file, unit.lines.starts, using.pos, using.end))
    return Compiled(template, positions, [shown])


def to_document(compiled: Compiled, file: str, context: ParseContext,
                parameters: Mapping[str, Any]) -> Document:
    from azbackup_policy.parsers.arm import parse_template  # the ARM evaluator

    document = parse_template(
        compiled.template, file=file, context=context, positions=compiled.positions,
        parameters=dict(parameters) or None, files=tuple(compiled.files),
    )
    problems = [Problem(e.file, e.line, e.column, e.message) for e in compiled.problems]
    hidden = [Unparsed(e.file, e.line, e.column, e.message) for e in compiled.hidden]
    return dataclasses.replace(
        document,
        format="bicep",
        not_followed=tuple(document.not_followed) + tuple(compiled.not_followed),
        files=tuple(compiled.files),
        problems=tuple(dict.fromkeys([*problems, *document.problems])),
        unparsed=tuple(dict.fromkeys([*document.unparsed, *hidden])),
    )
