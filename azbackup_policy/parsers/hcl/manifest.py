"""Where ``terraform init`` put the modules: ``.terraform/modules/modules.json``.

Terraform records every module call it installed, at every depth, as
``{"Key": "web.nic", "Source": "...", "Version": "1.2.0", "Dir": ".terraform/modules/web.nic"}``:
``Key`` is the call path from the root module (module names joined by dots, without
``count``/``for_each`` keys), ``Dir`` the folder relative to the root module's folder.
Registry and git module calls are resolved through it, as tflint does; a call it does
not record (or records with another source) is not followed, with a hint.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from azbackup_policy.discover import FileLoader
from azbackup_policy.errors import InputError

MANIFEST = os.path.join(".terraform", "modules", "modules.json")
_REGISTRY_HOST = "registry.terraform.io/"
_EXACT_VERSION = re.compile(r"^\s*=?\s*v?(\d+(?:\.\d+)*(?:[-+][\w.+-]*)?)\s*$")


@dataclass(frozen=True, slots=True)
class Record:
    key: str
    source: str
    version: str
    folder: str  # joined to the root module's folder


def manifest_path(root: str) -> str:
    return os.path.join(root, MANIFEST)


def read_manifest(files: FileLoader, root: str) -> dict[str, Record]:
    """The records of ``root``'s manifest by key; empty when there is none.

    A manifest that cannot be read raises :class:`InputError` at its own line.
    """
    path = manifest_path(root)
    if not files.exists(path):
        return {}
    shown = files.display(path)
    try:
        data = json.loads(files.read_text(path))
    except ValueError as exc:
        line, column = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise InputError(shown, line, column, f"invalid JSON: {exc}") from None
    rows = data.get("Modules") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError(shown, 1, 1, 'not a module manifest: no "Modules" list')
    records = (_record(row, root) for row in rows if isinstance(row, dict))
    return {record.key: record for record in records if record is not None}


def _record(row: dict[str, object], root: str) -> Record | None:
    key, source, version, folder = (row.get(name) for name in ("Key", "Source", "Version", "Dir"))
    if not isinstance(key, str) or not isinstance(folder, str) or not key:
        return None  # the root module's own record ("Key": "") names nothing to follow
    return Record(
        key=key,
        source=source if isinstance(source, str) else "",
        version=version if isinstance(version, str) else "",
        folder=os.path.normpath(os.path.join(root, folder.replace("\\", "/"))),
    )


def same_source(written: str, recorded: str) -> bool:
    """Whether the manifest's source is the call's, as Terraform normalises it (registry
    addresses gain their host, ``github.com/o/r`` becomes ``git::https://github.com/o/r.git``)."""
    return _normal(written) == _normal(recorded)


def _normal(source: str) -> str:
    text = source.strip().lower()
    for prefix in (_REGISTRY_HOST, "git::", "https://"):
        text = text.removeprefix(prefix)
    path, mark, query = text.partition("?")
    return path.rstrip("/").replace(".git//", "//").removesuffix(".git") + mark + query


def version_mismatch(constraint: object, recorded: str) -> bool:
    """True when the call pins one exact version and the manifest installed another."""
    if not isinstance(constraint, str) or not recorded:
        return False
    match = _EXACT_VERSION.match(constraint)
    return match is not None and match.group(1) != recorded.lstrip("v")
