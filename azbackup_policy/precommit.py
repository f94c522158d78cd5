"""Changed files in, the deployment units they belong to out (the pre-commit hook).

A hook receives the files that changed, but a rule needs the whole unit: a variable
default in a sibling ``.tf`` file, the template a parameters file feeds, the root
template that calls a changed module. :func:`affected_units` maps changed files to
those units:

* ``.tf`` / ``.tf.json``: the module folder;
* ``.tfvars`` (not auto-loaded by Terraform): the module folder with that var file;
* ``.bicepparam`` / ARM parameters JSON: the template they feed, with that parameter file;
* ``.bicep`` / ARM template / module folder: the root deployments in the repository
  that include it (through ``module``, ``import``, ``using``, ``templateLink.relativePath``,
  a local Terraform ``source`` or one that ``.terraform/modules/modules.json`` resolves
  to it, or a parameter file), or itself when nothing includes it;
* a Terraform plan or state JSON, an ARM what-if result: itself;
* a file a module or template reads (Terraform ``file``, ``filebase64``, ``templatefile``,
  ``fileexists``; Bicep ``loadTextContent``, ``loadJsonContent``, ``loadFileAsBase64``) with a
  path known without evaluating (a literal, ``${path.module}/...``, ``join("/", [path.module,
  ...])``) and inside the repository: the root deployments that include that reader. Any
  other file is ignored without being opened.

What a file of each format makes is the ``unit`` of its row in the format table
(:mod:`azbackup_policy.formats`), so a plugin's format takes part too.

pre-commit never passes deleted files to a hook, so :func:`staged_state` asks git for
the files deleted in the staged change (their units, and the units that included them,
are scanned as they are now) and for the files that are not staged, which the scan
reads as absent: only what is being committed decides.

:func:`scan_changed` scans each unit as a whole and merges the reports. Files are read
only through :class:`~azbackup_policy.discover.FileLoader`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from azbackup_policy.discover import (
    FileLoader,
    discover,
    display_path,
    iter_files,
    repository_root,
)
from azbackup_policy.errors import InputError
from azbackup_policy.formats import (
    ARM,
    ARM_PARAMETERS,
    BICEP,
    BICEPPARAM,
    BUILTIN_FORMATS,
    HCL,
    FormatSpec,
    by_name,
    format_of_name,
)
from azbackup_policy.parsers.bicep.compile_time import NAMES as BICEP_COMPILE_TIME
from azbackup_policy.parsers.hcl.files import FUNCTIONS as TF_FILE_FUNCTIONS
from azbackup_policy.parsers.hcl.manifest import read_manifest
from azbackup_policy.report import Report
from azbackup_policy.rules import FailOn

if TYPE_CHECKING:
    from azbackup_policy.options import ScanOptions
    from azbackup_policy.rules import Rule

_BICEP_REFERENCE = re.compile(
    r"^[ \t]*(?:module[ \t]+\w+|using|import\b[^'\n]*?\bfrom)[ \t]+'([^']*)'", re.MULTILINE
)
_ARM_RELATIVE_PATH = re.compile(r'"relativePath"\s*:\s*"([^"]*)"')
_TF_LOCAL_SOURCE = re.compile(r'"?\bsource"?\s*[=:]\s*"(\.\.?/[^"]*)"')
_PARAMETERS_NAME = re.compile(r"(?i)^(.+?)\.(?:parameters|params)(?:\.[^.]+)?\.json$")
_REGISTRY_PREFIXES = ("br:", "br/", "ts:", "ts/")
# The file functions the parsers evaluate (their own lists), called with a path that is known
# without evaluating: a string whose only interpolation is a leading ${path.module|root|cwd},
# or join("/", [...]) of such strings and path.module|root|cwd.
_TF_PATH_VAR = r"\$\{\s*path\.(?:module|root|cwd)\s*\}"
_TF_STRING = rf'"(?:[^"\\$\n]|\\.|{_TF_PATH_VAR}|\$(?!\{{))*"'
_TF_PART = rf"(?:path\.(?:module|root|cwd)\b|{_TF_STRING})"
_TF_FILE_CALL = re.compile(
    rf"\b(?:{'|'.join(sorted(TF_FILE_FUNCTIONS))})\s*\(\s*"
    rf'({_TF_STRING}|join\(\s*"/"\s*,\s*\[\s*{_TF_PART}(?:\s*,\s*{_TF_PART})*\s*,?\s*\]\s*\))'
)
_TF_ANCHOR = re.compile(rf"^(?:{_TF_PATH_VAR}|path\.(?:module|root|cwd)\b)")
_BICEP_LOAD = re.compile(
    rf"\b(?:{'|'.join(sorted(BICEP_COMPILE_TIME - {'nameof'}))})\s*\(\s*"
    r"'((?:[^'\\$\n]|\\.|\$(?!\{))*)'"
)


@dataclass(frozen=True, slots=True, order=True)
class Unit:
    """One thing to scan as a whole, with the parameter or var files that go with it."""

    path: str
    parameters: tuple[str, ...] = ()
    var_files: tuple[str, ...] = ()


def _key(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


def is_auto_tfvars(name: str) -> bool:
    """Terraform loads these by itself: ``terraform.tfvars[.json]``, ``*.auto.tfvars[.json]``."""
    lowered = os.path.basename(name).lower()
    return lowered in ("terraform.tfvars", "terraform.tfvars.json") or lowered.endswith(
        (".auto.tfvars", ".auto.tfvars.json")
    )


@dataclass(slots=True)
class RepoIndex:
    """Who includes or reads whom below the repository root (keys: normalised absolute paths)."""

    kinds: dict[str, str] = field(default_factory=dict)
    includers: dict[str, set[str]] = field(default_factory=dict)
    template_of: dict[str, str] = field(default_factory=dict)  # parameter file -> template
    root: str = ""  # files read outside it are not followed ("": no boundary)
    # module folder -> paths its file functions read from Terraform's working directory
    # (the root module's folder: path.root, path.cwd, a bare relative path)
    root_reads: dict[str, set[str]] = field(default_factory=dict)

    def add_read(self, reader: str, target: str) -> None:
        """``reader`` reads the file ``target`` (if inside the repository)."""
        real, root = os.path.realpath(target), os.path.realpath(self.root)
        if not self.root or real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            self.add_edge(reader, target)

    def add_edge(self, parent: str, child: str) -> None:
        if parent != child:
            self.includers.setdefault(child, set()).add(parent)

    def roots_above(self, node: str) -> set[str]:
        """The nodes nothing includes, reached upwards from ``node`` (itself if none)."""
        seen: set[str] = set()
        stack, roots = [node], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            parents = self.includers.get(current, set())
            if not parents:
                roots.add(current)
            stack.extend(parents)
        return roots or {node}


def _read(loader: FileLoader, path: str) -> str:
    try:
        return loader.read_text(path)
    except InputError:
        return ""


def _local_target(base_dir: str, reference: str) -> str | None:
    if not reference or reference.lower().startswith(_REGISTRY_PREFIXES) or "://" in reference:
        return None
    return _key(os.path.join(base_dir, reference))


def template_for_parameters(path: str, kinds: dict[str, str], loader: FileLoader) -> str | None:
    """The template an ARM parameters file feeds: by name, else the only template beside it."""
    folder, name = os.path.split(_key(path))
    match = _PARAMETERS_NAME.match(name)
    if match:
        for suffix in (".json", ".bicep"):
            candidate = os.path.join(folder, match.group(1) + suffix)
            if loader.exists(candidate):
                return candidate
    siblings = [p for p, kind in kinds.items()
                if kind in (ARM, BICEP) and os.path.dirname(p) == folder]
    return siblings[0] if len(siblings) == 1 else None


def _unescape(text: str) -> str:
    return text.replace("\\\\", "\0").replace('\\"', '"').replace("\\'", "'") \
        .replace("\\$", "$").replace("\0", "\\")


def tf_read_paths(text: str) -> list[tuple[str, str]]:
    """(anchor, path) of each file function call in HCL ``text`` whose path is known
    without evaluating; anchor ``module`` (path.module), ``root`` (path.root, path.cwd or
    a relative path: Terraform's working directory) or ``absolute``."""
    found = []
    for argument in _TF_FILE_CALL.findall(text):
        if argument.startswith("join"):
            parts = re.findall(_TF_PART, argument[argument.index("[") + 1:])
            joined = "/".join(p[1:-1] if p.startswith('"') else "${" + p + "}" for p in parts)
        else:
            joined = argument[1:-1]
        path = _unescape(joined)
        anchor = _TF_ANCHOR.match(path)
        rest = path[anchor.end():].lstrip("/") if anchor else path
        if "${" in rest or not rest or (not anchor and rest.startswith("~")):
            continue  # another interpolation, the folder itself, the home folder (not ours)
        if anchor:
            found.append(("module" if "module" in anchor.group() else "root", rest))
        else:
            found.append(("absolute" if os.path.isabs(rest) else "root", rest))
    return found


def _hcl_texts(file: str, text: str) -> list[str]:
    """The HCL in a ``.tf`` file, or in the strings of a ``.tf.json`` one."""
    if not file.lower().endswith(".json"):
        return [text]
    try:
        data = json.loads(text)
    except ValueError:
        return []
    strings, stack = [], [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return strings


def _tf_reads(index: RepoIndex, folder: str, file: str, text: str) -> None:
    for hcl in _hcl_texts(file, text) if "file" in text else []:
        for anchor, path in tf_read_paths(hcl):
            if anchor == "root":
                index.root_reads.setdefault(folder, set()).add(path)
            else:
                index.add_read(folder, _key(os.path.join(folder, path)))


def _resolve_root_reads(index: RepoIndex) -> None:
    """Paths from Terraform's working directory: each root module that calls the folder."""
    for folder, paths in sorted(index.root_reads.items()):
        for root in index.roots_above(folder):
            for path in sorted(paths):
                index.add_read(root, _key(os.path.join(root, path)))


def _folder_edges(index: RepoIndex, folder: str, spec: FormatSpec,
                  loader: FileLoader) -> None:
    """A module folder calls the folders its local ``source``s name, and those that
    ``terraform init`` recorded for it in ``.terraform/modules/modules.json``; it reads
    the files its file functions name."""
    for file in iter_files(folder, spec.suffixes, loader):
        text = _read(loader, file)
        if spec.name == HCL:
            _tf_reads(index, folder, file, text)
        for reference in _TF_LOCAL_SOURCE.findall(text):
            target = _local_target(folder, reference)
            if target is not None and (index.kinds.get(target) == spec.name
                                       or not loader.exists(target)):  # a deleted module
                index.add_edge(folder, target)
    for target in _installed_modules(folder, loader):
        if index.kinds.get(target) == spec.name:
            index.add_edge(folder, target)


def _installed_modules(folder: str, loader: FileLoader) -> list[str]:
    try:
        records = read_manifest(loader, folder)
    except InputError:
        return []
    return [_key(record.folder) for record in records.values()]


def _file_edges(index: RepoIndex, path: str, kind: str, loader: FileLoader) -> None:
    folder = os.path.dirname(path)
    if kind in (BICEP, BICEPPARAM):
        text = _read(loader, path)
        for reference in _BICEP_LOAD.findall(text):  # relative to the file, or absolute
            index.add_read(path, _key(os.path.join(folder, _unescape(reference))))
        for reference in _BICEP_REFERENCE.findall(text):
            target = _local_target(folder, reference)
            if target is not None:
                index.add_edge(path, target)
                if kind == BICEPPARAM:
                    index.template_of[path] = target
    elif kind == ARM:
        for reference in _ARM_RELATIVE_PATH.findall(_read(loader, path)):
            target = _local_target(folder, reference)
            if target is not None:
                index.add_edge(path, target)
    elif kind == ARM_PARAMETERS:
        template = template_for_parameters(path, index.kinds, loader)
        if template is not None:
            index.add_edge(path, template)
            index.template_of[path] = template


def build_index(root: str, loader: FileLoader,
                formats: Sequence[FormatSpec] = BUILTIN_FORMATS) -> RepoIndex:
    """Read every template, parameter file and module below ``root`` for local includes."""
    index = RepoIndex(root=_key(root))
    for source in discover([root], loader=loader, formats=formats).sources:
        index.kinds[_key(source.path)] = source.kind
    table = by_name(formats)
    for path, kind in sorted(index.kinds.items()):
        _add_edges(index, path, table[kind], loader)
    _resolve_root_reads(index)
    return index


def _add_edges(index: RepoIndex, path: str, spec: FormatSpec, loader: FileLoader) -> None:
    if spec.unit == "folder":
        _folder_edges(index, path, spec, loader)
    else:
        _file_edges(index, path, spec.name, loader)


def format_of_changed(path: str, loader: FileLoader,
                      formats: Sequence[FormatSpec] = BUILTIN_FORMATS) -> FormatSpec | None:
    """The format of a changed file (``.json`` by content); None when of no known one."""
    spec = format_of_name(os.path.basename(path), formats)
    if spec is not None or not path.lower().endswith(".json"):
        return spec
    found = discover([path], loader=loader, formats=formats).sources
    return by_name(formats)[found[0].kind] if found else None


def _unit_of_root(node: str, index: RepoIndex, cwd: str | None) -> Unit:
    shown = display_path(node, cwd)
    template = index.template_of.get(node)
    if template is None:
        return Unit(shown)
    return Unit(display_path(template, cwd), parameters=(shown,))


def _has_files(folder: str, spec: FormatSpec, loader: FileLoader) -> bool:
    return any(True for _ in iter_files(folder, spec.suffixes, loader))


def _start_node(path: str, spec: FormatSpec, loader: FileLoader) -> str | None:
    """The graph node a changed file stands for (its folder for a folder format)."""
    if spec.unit == "folder":
        folder = os.path.dirname(_key(path))
        return folder if _has_files(folder, spec, loader) else None
    return _key(path) if loader.exists(path) else None


def _var_file_unit(path: str, folder_spec: FormatSpec, loader: FileLoader,
                   cwd: str | None) -> Unit | None:
    folder = os.path.dirname(_key(path))
    if not (loader.exists(path) and _has_files(folder, folder_spec, loader)):
        return None
    var_files = () if is_auto_tfvars(path) else (display_path(path, cwd),)
    return Unit(display_path(folder, cwd), var_files=var_files)


def _classify(
    changed: Iterable[str], loader: FileLoader, cwd: str | None, formats: Sequence[FormatSpec]
) -> tuple[set[Unit], dict[str, FormatSpec], set[str]]:
    """Units known at once (var files, plans), graph nodes still to lift to their roots,
    and files of no known kind (some unit may read them; they are not opened)."""
    units: set[Unit] = set()
    nodes: dict[str, FormatSpec] = {}
    others: set[str] = set()
    table = by_name(formats)
    for path in changed:
        exists = loader.exists(path) and not loader.is_dir(path)
        spec = (format_of_changed(path, loader, formats) if exists
                else format_of_name(os.path.basename(path), formats))
        if spec is None:
            others.update([_key(path)] if exists else [])
        elif spec.unit == "var-file" and spec.read_by in table:
            unit = _var_file_unit(path, table[spec.read_by], loader, cwd)
            units.update([unit] if unit else [])
        elif spec.unit == "file":
            units.update([Unit(display_path(path, cwd))] if exists else [])
        elif spec.unit in ("folder", "included"):
            node = _start_node(path, spec, loader)
            nodes.update({node: spec} if node else {})
    return units, nodes, others


def _deleted_nodes(deleted: Iterable[str], formats: Sequence[FormatSpec]) -> list[str]:
    """The graph nodes a deleted file stood for: its module folder, or the file itself
    (a template, or a file some unit read)."""
    nodes = []
    for path in deleted:
        spec = format_of_name(os.path.basename(path), formats)
        if spec is not None and spec.unit in ("folder", "var-file"):
            nodes.append(os.path.dirname(_key(path)))
        else:
            nodes.append(_key(path))
    return nodes


def affected_units(
    changed: Iterable[str],
    *,
    root: str = ".",
    loader: FileLoader | None = None,
    cwd: str | None = None,
    formats: Sequence[FormatSpec] = BUILTIN_FORMATS,
    deleted: Iterable[str] = (),
) -> list[Unit]:
    """The units to scan for ``changed`` files, searching includers below ``root``.

    A ``deleted`` file stands for what is left of its unit and for the units that
    included or read it (they may now miss a module, a template or a file). A changed
    file of no known kind counts only when a unit reads it.
    """
    loader = loader or FileLoader()
    units, nodes, others = _classify(changed, loader, cwd, formats)
    gone = _deleted_nodes(deleted, formats)
    if nodes or gone or others:
        index = build_index(root, loader, formats)
        for node in sorted(others & index.includers.keys()):
            units.update(_unit_of_root(r, index, cwd) for r in index.roots_above(node))
        for node, spec in nodes.items():
            if node not in index.kinds:  # outside the root: still follow its own includes
                index.kinds[node] = spec.name
                _add_edges(index, node, spec, loader)
            units.update(_unit_of_root(r, index, cwd) for r in index.roots_above(node))
        for node in gone:
            units.update(_unit_of_root(r, index, cwd) for r in index.roots_above(node)
                         if r in index.kinds)  # what still exists
    return sorted(units)


def _git(args: Sequence[str], cwd: str | None) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def staged_state(cwd: str | None = None) -> tuple[list[str], list[str]]:
    """(files deleted in the staged change, files and folders not in the index), as
    absolute paths; both empty outside a git work tree. Folders end with ``/``."""
    top = (_git(["rev-parse", "--show-toplevel"], cwd) or "").strip()
    if not top:
        return [], []
    deleted = _git(["diff", "--cached", "--name-only", "--diff-filter=D", "-z"], top) or ""
    others = _git(["ls-files", "--others", "--directory", "-z"], top) or ""
    return ([os.path.join(top, p) for p in deleted.split("\0") if p],
            [os.path.join(top, p) for p in others.split("\0") if p])


def _merge(reports: Sequence[Report], fail_on: FailOn) -> Report:
    """One report from several scans: tuples concatenated, exact duplicates dropped."""
    if not reports:
        from azbackup_policy._version import __version__

        return Report(tool_version=__version__, fail_on=fail_on)
    merged = reports[0]
    for other in reports[1:]:
        changes: dict[str, Any] = {}
        for spec in fields(Report):
            mine, theirs = getattr(merged, spec.name), getattr(other, spec.name)
            if isinstance(mine, tuple):
                changes[spec.name] = mine + tuple(x for x in theirs if x not in mine)
        merged = replace(merged, **changes)
    return replace(merged, findings=tuple(sorted(merged.findings, key=lambda f: f.sort_key())))


def _repository(cwd: str | None) -> str:
    """The repository holding the working directory, where callers are searched for,
    spelled from the working directory (``..`` when run in a subfolder)."""
    here = cwd or "."
    up = os.path.relpath(repository_root(".", cwd), os.path.realpath(here))
    return os.path.normpath(os.path.join(here, up))


def scan_changed(changed: Sequence[str], options: ScanOptions | None = None, *,
                 rules: Sequence[Rule] | None = None,
                 formats: Sequence[FormatSpec] | None = None,
                 deleted: Sequence[str] = ()) -> Report:
    """Scan every unit that ``changed`` (and ``deleted``) files belong to; one scan per set
    of extra files. Files in ``options.hidden_files`` are read as absent.

    ``rules`` as for :func:`~azbackup_policy.pipeline.scan` (the CLI passes the rules it
    has loaded, so plugins are discovered once however many groups there are).
    """
    from azbackup_policy.options import ScanOptions
    from azbackup_policy.pipeline import scan

    if formats is None:
        from azbackup_policy.plugins import installed_formats

        formats = installed_formats()
    base = options or ScanOptions()
    root = _repository(base.cwd)
    loader = FileLoader(hidden=base.hidden_files)
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for unit in affected_units(changed, root=root, cwd=base.cwd, loader=loader,
                               formats=formats, deleted=deleted):
        groups.setdefault((unit.parameters, unit.var_files), []).append(unit.path)
    reports = [
        scan(paths, replace(base, parameter_files=base.parameter_files + parameters,
                            var_files=base.var_files + var_files), rules=rules,
             formats=formats)
        for (parameters, var_files), paths in sorted(groups.items())
    ]
    return _merge(reports, base.fail_on)
