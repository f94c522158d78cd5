"""The project's own exceptions. Each one says where the problem is."""

from __future__ import annotations


class AzBackupPolicyError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(AzBackupPolicyError):
    """A file that cannot be read or understood. Always names the file and a line."""

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{file}:{line}:{column}: {message}")
        self.file = file
        self.line = max(1, line)
        self.column = max(1, column)
        self.message = message

    def _key(self) -> tuple[str, int, int, str]:
        return self.file, self.line, self.column, self.message

    def __eq__(self, other: object) -> bool:
        """Two errors at the same place saying the same thing are equal (a parser that
        collects errors can be compared with another)."""
        return isinstance(other, InputError) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class ConfigError(AzBackupPolicyError):
    """A configuration file or option that is wrong; names the file and key path."""

    def __init__(self, file: str, key_path: str, message: str) -> None:
        where = f"{file}: {key_path}" if key_path else file
        super().__init__(f"{where}: {message}")
        self.file = file
        self.key_path = key_path
        self.message = message


class PluginError(AzBackupPolicyError):
    """A plugin (or built-in policy module) failed to load or raised while running."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin
        self.message = message
