"""One module per input format; :mod:`azbackup_policy.formats` is the table of formats.

Each parser turns a :class:`~azbackup_policy.discover.Source` into
:class:`~azbackup_policy.document.Document` records and knows nothing about rules.

A parser is a function ``parse(source, context) -> Sequence[Document]`` that raises
:class:`~azbackup_policy.errors.InputError` (with file, line and column) for input it
cannot understand. Parsers are imported lazily, only when a file of their kind is met.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.discover import FileLoader, Source
from azbackup_policy.document import Document
from azbackup_policy.formats import BUILTIN_FORMATS
from azbackup_policy.parsers.budget import EvalLimits


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Everything a parser may be told from the command line or config."""

    parameter_files: tuple[str, ...] = ()  # ARM/Bicep parameter files (--parameters)
    var_files: tuple[str, ...] = ()  # Terraform .tfvars (--var-file)
    source_dir: str | None = None  # .tf sources of a plan (--source-dir)
    max_resources: int = 100_000
    max_loop_count: int = 10_000
    max_nesting_depth: int = 200
    max_module_depth: int = 32
    bicep_cache: str | None = None  # Bicep's module cache root (--bicep-cache)
    home: str | None = None  # the user's home folder: ~/.bicep is the default cache
    # The evaluation budget of each file or module tree.
    limits: EvalLimits = field(default_factory=EvalLimits)


@dataclass(frozen=True, slots=True)
class ParseContext:
    loader: FileLoader
    options: ParseOptions = ParseOptions()
    # Work parsers share between the sources of one scan, by a key each parser owns
    # (``hcl.modules``: a module folder used by several roots is read and parsed once).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


Parser = Callable[[Source, ParseContext], Sequence[Document]]

# kind -> "module:function", from the format table (azbackup_policy.formats); a parser is
# imported on first use so start-up stays fast.
BUILTIN_PARSERS: dict[str, str | Parser] = {
    spec.name: spec.parser for spec in BUILTIN_FORMATS if spec.parser is not None
}


def load_parser(spec: str | Parser) -> Parser:
    """The parser a format row names: ``"module:function"`` imported now, or the function."""
    if not isinstance(spec, str):
        return spec
    module_name, _, attr = spec.partition(":")
    parser: Parser = getattr(importlib.import_module(module_name), attr)
    return parser
