"""Bounded reading: every file the tool reads, and every YAML document it loads.

:func:`read_file` reads a regular file under a size limit (a device, FIFO or socket is
refused before it could block or never end); :func:`safe_yaml` loads YAML with its
nesting, aliases and expanded size bounded before any object is built. Both raise errors
that never quote the content. See docs/security.md.
"""

from __future__ import annotations

import os
import stat
from functools import cache
from typing import Any

from azbackup_policy.errors import InputError

CONFIG_MAX_BYTES = 16 * 1024 * 1024  # configuration, baselines, YAML rules, matrix files


def read_file(path: str, shown: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``: every file the tool reads comes here.

    A folder, a device (``/dev/zero``), a FIFO or a socket is refused before it is
    opened for reading (it could block or never end), the size is checked before the
    read and the read stops one byte past the limit (a file that grows meanwhile).
    Errors are :class:`InputError` at ``shown`` and never quote the content.
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(shown, 1, 1, "is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise InputError(shown, 1, 1, "is not a regular file (a device, FIFO or socket)")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped meanwhile
                raise InputError(shown, 1, 1, "is not a regular file")
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(shown, 1, 1, f"cannot read file: {exc.strerror or exc}") from None
    except ValueError:  # a NUL character in the path
        raise InputError(shown, 1, 1, "cannot read file: a NUL character in the path") from None
    if len(data) > max_bytes:
        raise InputError(shown, 1, 1, f"file is over the limit of {max_bytes} bytes "
                         "(raise it with --max-file-size)")
    return data


YAML_MAX_DEPTH = 100  # nesting of YAML collections
YAML_MAX_ALIASES = 1_000  # ``*alias`` references in one file
YAML_MAX_NODES = 1_000_000  # nodes once every alias is expanded (an alias bomb's size)


def safe_yaml(text: str) -> Any:
    """``yaml.safe_load``, bounded before any object is built: nesting deeper than
    :data:`YAML_MAX_DEPTH`, more than :data:`YAML_MAX_ALIASES` aliases or a document of
    more than :data:`YAML_MAX_NODES` nodes with its aliases expanded (a "billion laughs"
    bomb) is a ``yaml.YAMLError`` with the line, never a RecursionError."""
    loader = _bounded_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


@cache
def _bounded_loader() -> Any:
    import yaml  # type: ignore[import-untyped,unused-ignore]

    class BoundedLoader(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]
        depth = 0
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call,unused-ignore]
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > YAML_MAX_ALIASES:
                    raise yaml.composer.ComposerError(
                        None, None, f"more than {YAML_MAX_ALIASES} aliases", mark)
            self.depth += 1
            if self.depth > YAML_MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {YAML_MAX_DEPTH} levels", mark)
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return BoundedLoader


def _check_expanded(root: Any) -> None:
    """Raise a YAMLError when ``root`` has more than YAML_MAX_NODES nodes, each alias
    counted as the whole node it names (sizes kept per node: linear in the file)."""
    import yaml

    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        sizes[id(node)] = total = min(total, YAML_MAX_NODES + 1)
        return total

    if size(root) > YAML_MAX_NODES:
        raise yaml.composer.ComposerError(
            None, None, f"more than {YAML_MAX_NODES} values once its aliases are expanded "
            "(an alias bomb?)", root.start_mark)


