"""Paths in, typed sources out. The only module that touches the file system.

:func:`discover` walks files and folders (never following a symlink loop, skipping
``.git``, ``.terraform``, ``node_modules`` and the configured excludes) and decides the
format of each file. :class:`FileLoader` is how parsers read further files (local
modules, linked templates, parameter files): it enforces the scan root and the size
limit, so a parser never opens a file by itself.
"""

from __future__ import annotations

import codecs
import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from azbackup_policy.bounded import read_file
from azbackup_policy.errors import InputError
from azbackup_policy.formats import ARM as ARM
from azbackup_policy.formats import ARM_PARAMETERS as ARM_PARAMETERS
from azbackup_policy.formats import BICEP as BICEP
from azbackup_policy.formats import BICEPPARAM as BICEPPARAM
from azbackup_policy.formats import (
    BUILTIN_FORMATS,
    FormatSpec,
    format_of_json,
    format_of_name,
    known_formats_text,
    unknown_json_text,
)
from azbackup_policy.formats import HCL as HCL
from azbackup_policy.formats import PLAN as PLAN
from azbackup_policy.formats import TFVARS as TFVARS
from azbackup_policy.formats import WHATIF as WHATIF

DEFAULT_SKIP_DIRS = frozenset({".git", ".terraform", "node_modules", ".venv", "__pycache__"})
DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_FOLDER_DEPTH = 100  # folders below a scanned path
_SNIFF_BYTES = 64 * 1024
STDIN = "-"  # the path that stands for standard input (read by the CLI)


@dataclass(frozen=True, slots=True)
class Source:
    """One thing to parse: a file, or a folder for a Terraform module."""

    path: str  # as the user will see it (relative to the working directory when inside it)
    kind: str
    explicit: bool = False  # named on the command line rather than found by walking


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class Discovery:
    sources: list[Source] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def display_path(path: str | os.PathLike[str], cwd: str | None = None) -> str:
    """``path`` relative to the working directory when it lies inside it, with ``/``."""
    absolute = os.path.abspath(path)
    base = os.path.abspath(cwd or os.getcwd())
    try:
        rel = os.path.relpath(absolute, base)
    except ValueError:  # another drive on Windows
        return Path(absolute).as_posix()
    if rel == os.curdir:
        return "."
    if rel.startswith(os.pardir):
        return Path(absolute).as_posix()
    return Path(rel).as_posix()


def repository_root(path: str | os.PathLike[str], cwd: str | None = None) -> str:
    """The boundary for files a scanned path may name: its enclosing git work tree.

    The nearest folder at or above ``path`` holding ``.git`` (a folder, or a file for
    worktrees and submodules); the working directory when there is none. Local modules,
    linked templates and parameter files that the repository names must stay inside it
    (see :class:`FileLoader`); the pipeline's owner can lift that with
    ``--allow-outside-root``. Returned as a real path (symlinks resolved).
    """
    base = os.path.abspath(cwd or os.getcwd())
    start = os.path.realpath(os.path.join(base, path))
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    current = start
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return os.path.realpath(base)
        current = parent


def repository_path(path: str | os.PathLike[str], cwd: str | None = None) -> str:
    """``path`` relative to its :func:`repository_root`, with ``/`` on every platform.

    The same from any working directory inside the repository (fingerprints use it); a
    path that cannot be made relative (another drive on Windows) stays absolute.
    """
    base = os.path.abspath(cwd or os.getcwd())
    absolute = os.path.realpath(os.path.join(base, path))
    try:
        rel = os.path.relpath(absolute, repository_root(path, cwd))
    except ValueError:  # another drive on Windows
        return Path(absolute).as_posix()
    return Path(rel).as_posix()


def scan_roots(paths: Iterable[str], cwd: str | None = None) -> list[str]:
    """The boundaries of a scan: each path's repository root, and the path itself (a
    path named on the command line may be read even when it lies outside them)."""
    base = os.path.abspath(cwd or os.getcwd())
    roots: list[str] = []
    for path in paths:
        absolute = os.path.join(base, path)
        own = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
        for root in (repository_root(path, cwd), os.path.realpath(own)):
            if root not in roots:
                roots.append(root)
    return roots


class FileLoader:
    """Reads files for parsers, inside the scan roots and under the size limit."""

    def __init__(
        self,
        roots: Iterable[str] = (),
        *,
        allow_outside_root: bool = False,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        cwd: str | None = None,
        hidden: Iterable[str] = (),
        stdin: bytes | None = None,
    ) -> None:
        self._roots = tuple(os.path.realpath(r) for r in roots)
        self._allow_outside = allow_outside_root
        self.max_file_bytes = max_file_bytes
        self._cwd = cwd
        # Files (and folders, ending in "/") read as absent: the pre-commit hook hides
        # what is not staged, so that only the content being committed decides.
        self._hidden = frozenset(os.path.realpath(self._at(p)) for p in hidden)
        self._hidden_dirs = tuple(os.path.realpath(self._at(p)) + os.sep
                                  for p in hidden if p.endswith(("/", os.sep)))
        self.stdin = stdin  # the content of the path "-"

    def hidden(self, path: str) -> bool:
        if not self._hidden:
            return False
        real = os.path.realpath(self._at(path))
        return real in self._hidden or real.startswith(self._hidden_dirs)

    def display(self, path: str) -> str:
        return display_path(self._at(path), self._cwd)

    def _at(self, path: str) -> str:
        """``path`` as the OS must see it: display paths are relative to the loader's cwd."""
        if self._cwd is None or os.path.isabs(path):
            return path
        return os.path.join(self._cwd, path)

    def real(self, path: str) -> str:
        """The resolved absolute path of ``path`` (a display path is relative to the loader's
        cwd, not to the process's): what cycle checks and files beside a file are based on."""
        return os.path.realpath(self._at(path))

    def absolute(self, path: str) -> str:
        """``path`` made absolute from the loader's cwd, symlinks kept."""
        return os.path.abspath(self._at(path))

    def inside_roots(self, path: str) -> bool:
        if self._allow_outside or not self._roots:
            return True
        real = os.path.realpath(self._at(path))
        return any(real == root or real.startswith(root + os.sep) for root in self._roots)

    def check_allowed(self, path: str, *, referrer: str, line: int) -> None:
        """Raise an InputError naming the referrer when ``path`` leaves the scan root
        (or cannot be a path at all: a NUL character makes the OS calls raise ValueError)."""
        if "\x00" in path:
            raise InputError(referrer, line, 1, "a file path with a NUL character")
        if not self.inside_roots(path):
            raise InputError(
                referrer,
                line,
                1,
                f"{self.display(path)} is outside the scan root (the repository) and is "
                "not followed (use --allow-outside-root to follow it)",
            )

    def read_bytes(self, path: str) -> bytes:
        if path == STDIN and self.stdin is not None:
            return self._stdin_bytes()
        shown = self.display(path)
        if self.hidden(path):
            raise InputError(shown, 1, 1, "cannot read file: it is not staged for commit")
        return read_file(self._at(path), shown, self.max_file_bytes)

    def _stdin_bytes(self) -> bytes:
        data = self.stdin or b""
        if len(data) > self.max_file_bytes:
            raise InputError(STDIN, 1, 1, f"stdin is {len(data)} bytes, over the limit of "
                             f"{self.max_file_bytes} bytes (raise it with --max-file-size)")
        return data

    def read_text(self, path: str) -> str:
        """The file as text: UTF-8 (BOM stripped) or UTF-16 with a BOM; CRLF kept."""
        return decode_text(self.read_bytes(path), self.display(path))

    def exists(self, path: str) -> bool:
        if path == STDIN and self.stdin is not None:
            return True
        return os.path.exists(self._at(path)) and not self.hidden(path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(self._at(path))

    def list_dir(self, path: str) -> list[str]:
        """Sorted entries of a folder (joined to ``path``); empty when it cannot be listed."""
        try:
            entries = sorted(os.path.join(path, name) for name in os.listdir(self._at(path)))
        except OSError:
            return []
        return [entry for entry in entries if not self.hidden(entry)]


def decode_text(data: bytes, shown: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(shown, 1, 1, f"invalid UTF-16 text: {exc.reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            shown, line, column, f"not UTF-8 text (byte 0x{data[exc.start]:02x})"
        ) from None


def sniff_json(head: bytes, formats: Sequence[FormatSpec] = BUILTIN_FORMATS) -> str | None:
    """The kind of a ``.json`` file from its first bytes, or None when of no known kind."""
    spec = format_of_json(head, formats)
    return None if spec is None else spec.name


def kind_of_file(name: str, formats: Sequence[FormatSpec] = BUILTIN_FORMATS) -> str | None:
    """The kind decided by the file name alone (None for ``.json``: sniff it)."""
    spec = format_of_name(name, formats)
    return None if spec is None else spec.name


class _Walker:
    def __init__(self, loader: FileLoader, excludes: Sequence[str], cwd: str | None,
                 formats: Sequence[FormatSpec]) -> None:
        self.loader = loader
        self.excludes = tuple(excludes)
        self.cwd = cwd
        self.formats = tuple(formats)
        self.result = Discovery()
        self._seen_dirs: set[str] = set()
        self._seen_sources: set[tuple[str, str]] = set()
        self._module_dirs: set[tuple[str, str]] = set()

    def excluded(self, shown: str) -> bool:
        name = shown.rsplit("/", 1)[-1]
        return any(
            fnmatch.fnmatch(shown, pattern) or fnmatch.fnmatch(name, pattern)
            or fnmatch.fnmatch(shown, pattern.rstrip("/") + "/*")
            for pattern in self.excludes
        )

    def add(self, path: str, kind: str, explicit: bool) -> None:
        shown = display_path(path, self.cwd)
        if (shown, kind) in self._seen_sources:
            return
        self._seen_sources.add((shown, kind))
        self.result.sources.append(Source(shown, kind, explicit))

    def add_folder(self, folder: str, kind: str, explicit: bool) -> None:
        real = os.path.realpath(folder)
        if (real, kind) in self._module_dirs:
            return
        self._module_dirs.add((real, kind))
        self.add(folder, kind, explicit)

    def add_spec(self, path: str, spec: FormatSpec, explicit: bool) -> None:
        """A file of format ``spec``: the file, its folder, or (a var file) nothing."""
        folder = os.path.dirname(path) or "."
        if spec.unit == "folder":
            self.add_folder(folder, spec.name, explicit)
        elif spec.unit == "var-file":
            if explicit and spec.read_by is not None:
                self.add_folder(folder, spec.read_by, explicit)
        else:
            self.add(path, spec.name, explicit)

    def visit_file(self, path: str, explicit: bool) -> None:
        shown = display_path(path, self.cwd)
        if not explicit and self.excluded(shown):
            return
        spec = format_of_name(os.path.basename(path), self.formats)
        if spec is not None:
            self.add_spec(path, spec, explicit)
        elif path.lower().endswith(".json"):
            self.visit_json(path, shown, explicit)
        elif explicit:
            self.result.errors.append(InputError(
                shown, 1, 1, f"not a file of a known kind ({known_formats_text(self.formats)})"))

    def visit_json(self, path: str, shown: str, explicit: bool) -> None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        except OSError as exc:
            self.result.errors.append(
                InputError(shown, 1, 1, f"cannot read file: {exc.strerror or exc}")
            )
            return
        self.classify_json(path, shown, head, explicit)

    def classify_json(self, path: str, shown: str, head: bytes, explicit: bool) -> None:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            head = head.decode("utf-16", errors="ignore").encode("utf-8")
        spec = format_of_json(head, self.formats)
        if spec is not None:
            self.add_spec(path, spec, explicit)
        elif explicit:
            self.result.errors.append(
                InputError(shown, 1, 1, unknown_json_text(self.formats)))
        else:
            self.result.skipped.append(Skipped(shown, "JSON of no known kind"))

    def visit_stdin(self) -> None:
        """``-``: a plan, state, what-if result or ARM template piped in (JSON only)."""
        data = self.loader.stdin
        if data is None:
            self.result.errors.append(InputError(STDIN, 1, 1, "nothing was read from stdin"))
            return
        if not data.lstrip().startswith((b"{", codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
                                         codecs.BOM_UTF16_BE)):
            self.result.errors.append(InputError(
                STDIN, 1, 1, "stdin is not JSON: pipe a Terraform plan (terraform show -json) "
                "or an ARM template; Bicep and Terraform HCL are read from files"))
            return
        self.classify_json(STDIN, STDIN, data[:_SNIFF_BYTES], True)

    def visit_dir(self, folder: str, explicit: bool, depth: int = 0) -> None:
        real = os.path.realpath(folder)
        if real in self._seen_dirs:
            return
        self._seen_dirs.add(real)
        if depth > MAX_FOLDER_DEPTH:
            self.result.errors.append(InputError(display_path(folder, self.cwd), 1, 1,
                                                 f"folders nested deeper than "
                                                 f"{MAX_FOLDER_DEPTH} levels: not scanned"))
            return
        entries = self.loader.list_dir(folder)
        if not explicit and is_bicep_cache_entry(entries):
            self.result.skipped.append(Skipped(display_path(os.path.join(folder, "main.json"),
                                                            self.cwd), BICEP_CACHE_ENTRY))
            return
        for entry in entries:
            name = os.path.basename(entry)
            shown = display_path(entry, self.cwd)
            if name in DEFAULT_SKIP_DIRS or self.excluded(shown):
                continue  # before anything of it is read, a link or not
            if os.path.islink(entry) and not self.loader.inside_roots(entry):
                self.result.skipped.append(Skipped(shown, "a symbolic link to outside the "
                                                   "repository: not followed"))
            elif os.path.isdir(entry):
                self.visit_dir(entry, False, depth + 1)
            elif os.path.isfile(entry):
                self.visit_file(entry, False)


BICEP_CACHE_ENTRY = "Bicep module cache entry (read by the Bicep file that uses the module)"
_CACHE_FILES = frozenset({"main.json", "manifest", "metadata"})


def is_bicep_cache_entry(entries: Sequence[str]) -> bool:
    """A folder of Bicep's module cache: ``main.json`` (a compiled ARM template) beside the
    OCI ``manifest`` and ``metadata`` that ``bicep restore`` writes. Scanned on its own it
    would repeat, with unknown parameters, the VMs of the modules that use it."""
    return {os.path.basename(entry) for entry in entries} >= _CACHE_FILES


def discover(
    paths: Sequence[str],
    *,
    loader: FileLoader,
    excludes: Sequence[str] = (),
    cwd: str | None = None,
    formats: Sequence[FormatSpec] = BUILTIN_FORMATS,
) -> Discovery:
    """Find every source below ``paths``, in a stable order, by the ``formats`` table."""
    walker = _Walker(loader, excludes, cwd, formats)
    for given in paths:
        # a relative path is relative to ``cwd`` (a library caller's), not to the process's
        path = given if cwd is None or given == STDIN else os.path.join(cwd, given)
        if path == STDIN:
            walker.visit_stdin()
        elif os.path.isdir(path):
            walker.visit_dir(path, True)
        elif os.path.isfile(path):
            walker.visit_file(path, True)
        elif os.path.exists(path):
            walker.result.errors.append(InputError(
                display_path(path, cwd), 1, 1, "not a regular file (a pipe or a device): "
                "give - to read a plan or template from stdin"))
        else:
            walker.result.errors.append(
                InputError(display_path(path, cwd), 1, 1, "no such file or directory")
            )
    walker.result.sources.sort(key=lambda s: (s.path, s.kind))
    return walker.result


def iter_files(folder: str, suffixes: tuple[str, ...], loader: FileLoader) -> Iterator[str]:
    """Files directly in ``folder`` whose names end with one of ``suffixes`` (sorted)."""
    for entry in loader.list_dir(folder):
        if entry.lower().endswith(suffixes) and os.path.isfile(entry):
            yield entry
