"""Helpers for the Terraform HCL parser tests (no tests of its own)."""

from __future__ import annotations

from pathlib import Path

from azbackup_policy.discover import FileLoader, Source
from azbackup_policy.document import Document, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext, ParseOptions
from azbackup_policy.parsers.terraform_hcl import parse


def parse_folder(folder: str | Path, cwd: str | Path | None = None, roots: tuple[str, ...] = (),
                 **options: object) -> Document:
    loader = FileLoader(roots, cwd=str(cwd) if cwd else None)
    context = ParseContext(loader, ParseOptions(**options))  # type: ignore[arg-type]
    documents = parse(Source(str(folder), "terraform-hcl"), context)
    assert len(documents) == 1
    return documents[0]


def parse_error(folder: str | Path, cwd: str | Path | None = None,
                roots: tuple[str, ...] = (), **options: object) -> InputError:
    """The folder's first input error: raised, or a file that could not be parsed (which
    leaves the module's other files read)."""
    try:
        doc = parse_folder(folder, cwd, roots, **options)
    except InputError as error:
        return error
    assert doc.unparsed, "no input error"
    first = doc.unparsed[0]
    return InputError(first.file, first.line, first.column, first.message)


def by_address(document: Document) -> dict[str, Resource]:
    return {resource.address: resource for resource in document.resources}


def write_module(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
