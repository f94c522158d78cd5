"""Point plan resources at their ``resource`` blocks in ``.tf`` sources, when present.

The root module folder is ``--source-dir`` or the plan's own folder (when it holds
``.tf`` files); child modules are found through the local ``source`` paths of
``configuration...module_calls``. Files outside the scan roots are not read.
"""

from __future__ import annotations

import os
from typing import Any

from azbackup_policy.discover import FileLoader
from azbackup_policy.errors import InputError
from azbackup_policy.parsers.tf_source_map import BlockSpan, scan_blocks
from azbackup_policy.parsers.tfplan_address import Address


class SourceMap:
    """Blocks of every local module folder, by configuration module path."""

    def __init__(self, loader: FileLoader, root_dir: str | None, configuration: Any) -> None:
        self.loader = loader
        self.files: list[str] = []
        self._dirs: dict[tuple[str, ...], str] = {}
        self._blocks: dict[str, dict[tuple[str, str, str], BlockSpan]] = {}
        root = configuration.get("root_module") if isinstance(configuration, dict) else None
        if root_dir is not None and self._has_tf(root_dir):
            self._map_dirs((), root_dir, root if isinstance(root, dict) else {}, 0)

    def _has_tf(self, folder: str) -> bool:
        return self.loader.is_dir(folder) and any(
            name.endswith(".tf") for name in self.loader.list_dir(folder))

    def _map_dirs(self, path: tuple[str, ...], folder: str, module: dict[str, Any],
                  depth: int) -> None:
        self._dirs[path] = folder
        calls = module.get("module_calls")
        if depth > 32 or not isinstance(calls, dict):
            return
        for name, call in calls.items():
            source = call.get("source") if isinstance(call, dict) else None
            if not isinstance(source, str) or not source.startswith(("./", "../")):
                continue
            child = os.path.normpath(os.path.join(folder, source))
            inner = call.get("module")
            if self.loader.inside_roots(child) and self._has_tf(child):
                self._map_dirs((*path, name), child, inner if isinstance(inner, dict) else {},
                               depth + 1)

    def block(self, address: Address) -> BlockSpan | None:
        folder = self._dirs.get(tuple(name for name, _key in address.module))
        if folder is None:
            return None
        blocks = self._blocks.get(folder)
        if blocks is None:
            blocks = self._blocks[folder] = self._scan(folder)
        return blocks.get((address.mode, address.type, address.name))

    def _scan(self, folder: str) -> dict[tuple[str, str, str], BlockSpan]:
        found: dict[tuple[str, str, str], BlockSpan] = {}
        for path in self.loader.list_dir(folder):
            if not path.endswith(".tf"):
                continue
            try:
                text = self.loader.read_text(path)
            except InputError:
                continue
            shown = self.loader.display(path)
            self.files.append(shown)
            for block in scan_blocks(text, shown):
                found.setdefault((block.mode, block.type, block.name), block)
        return found


def root_dir_for(plan_path: str, source_dir: str | None) -> str | None:
    """``source_dir`` when given, else the folder of the plan."""
    if source_dir:
        return source_dir
    return os.path.dirname(plan_path) or "."
