"""Terraform HCL: one module folder (``.tf`` and ``.tf.json``) -> one Document.

The folder is read with python-hcl2's grammar (see :mod:`.hcl.syntax`), then evaluated
statically (:mod:`.hcl.evaluate`): variable defaults and ``.tfvars`` values, locals,
literal ``count``/``for_each`` (instances get Terraform's addresses), ``dynamic`` blocks,
modules (recursively, with their inputs and outputs: local paths, and registry or git
modules that ``terraform init`` recorded in ``.terraform/modules/modules.json``) and the
common built-in functions. A file that cannot be parsed is reported and the module's
other files are still read. What cannot be known before apply becomes ``Unknown(expression text)``.
Resources come out in the shape of a plan's ``values`` so one azurerm linker serves both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from azbackup_policy.discover import Source
from azbackup_policy.document import Document, Problem
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.budget import Budget
from azbackup_policy.parsers.hcl.evaluate import Trace
from azbackup_policy.parsers.hcl.instance import Instance, Run, Thunk
from azbackup_policy.parsers.hcl.loader import Loader
from azbackup_policy.parsers.hcl.manifest import read_manifest
from azbackup_policy.parsers.hcl.syntax import Attr


def parse(source: Source, context: ParseContext) -> list[Document]:
    """The Document of the root module in folder ``source.path``."""
    folder = source.path
    if not context.loader.is_dir(folder):
        folder = os.path.dirname(folder) or "."
    loader = Loader(context)
    problems: list[Problem] = []
    try:
        manifest = read_manifest(context.loader, folder)
    except InputError as error:  # the modules it names are then not followed
        manifest = {}
        problems.append(Problem(error.file, error.line, error.column, error.message))
    run = Run(loader, context.options, manifest, budget=Budget(context.options.limits),
              root=folder)
    root = Instance(run, loader.module(folder), "", {}, (context.loader.real(folder),))
    for attr in _variable_assignments(loader, folder, context.options.var_files):
        root.inputs[attr.name] = _root_input(root, attr)
    if root.decl.problems and not root.decl.files:  # nothing of the module could be read
        raise root.decl.problems[0]
    resources = tuple(root.emit())
    limit = context.options.max_resources
    if len(resources) > limit:
        message = f"{len(resources)} resources, over the limit of {limit}"
        raise InputError(source.path, 1, 1, message)
    return [
        Document(
            path=source.path,
            format="terraform-hcl",
            vocabulary="azurerm",
            resources=resources,
            not_followed=tuple(run.not_followed),
            files=tuple(loader.files),
            unparsed=tuple(run.unparsed),
            problems=(*problems, *run.problems),
        )
    ]


def _variable_assignments(
    loader: Loader, folder: str, var_files: tuple[str, ...]
) -> Iterator[Attr]:
    """Assignments in Terraform's order of precedence, lowest first."""
    for path in _automatic_var_files(loader, folder):
        yield from loader.tfvars(path)
    for path in var_files:
        if not loader.context.loader.exists(path):
            raise InputError(loader.context.loader.display(path), 1, 1, "variables file not found")
        yield from loader.tfvars(path)


def _automatic_var_files(loader: Loader, folder: str) -> list[str]:
    entries = loader.context.loader.list_dir(folder)
    names = {os.path.basename(path): path for path in entries}
    found = [names[n] for n in ("terraform.tfvars", "terraform.tfvars.json") if n in names]
    found += [
        names[n] for n in sorted(names) if n.endswith((".auto.tfvars", ".auto.tfvars.json"))
    ]
    for path in found:  # loaded because the repository holds them: a link may lead outside
        loader.context.loader.check_allowed(path, referrer=path, line=1)
    return found


def _root_input(root: Instance, attr: Attr) -> Thunk:
    memo: list[tuple[Any, Trace]] = []

    def thunk() -> tuple[Any, Trace]:
        if not memo:
            memo.append(root.evaluate(attr, {}))
        return memo[0]

    return thunk
