"""Small pure decisions of the command line: colour, where outputs go, which config file.

Everything here takes the environment and the file-system facts as arguments (the CLI
reads them), so each convention is one tested function.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from azbackup_policy.cli_parser import CONFIG_VARIABLE

Outputs = list[tuple[str, str | None]]  # (format, file or None for stdout)


def use_color(choice: str, environment: Mapping[str, str], is_terminal: bool) -> bool:
    """``--color always|never`` wins; ``auto``: ``NO_COLOR`` (when not empty) turns colour
    off, ``FORCE_COLOR`` (when not empty) on, ``TERM=dumb`` off, else a terminal decides."""
    if choice in ("always", "never"):
        return choice == "always"
    if environment.get("NO_COLOR"):
        return False
    if environment.get("FORCE_COLOR"):
        return True
    if environment.get("TERM") == "dumb":
        return False
    return is_terminal


def to_stdout(destination: str | None) -> bool:
    return destination is None or destination == "-"


def output_problems(outputs: Outputs) -> list[str]:
    """Usage errors in ``--format``/``--output`` pairs, found before anything is scanned:
    two documents to stdout, and files that cannot be written."""
    problems = []
    shown = [fmt for fmt, destination in outputs if to_stdout(destination)]
    if len(shown) > 1:
        problems.append(f"--format {' and --format '.join(shown)} would both go to stdout; "
                        "give all but one an --output FILE")
    for _fmt, destination in outputs:
        if not to_stdout(destination):
            problem = unwritable(str(destination))
            if problem:
                problems.append(f"--output {destination}: {problem}")
    return problems


def unwritable(path: str) -> str | None:
    """Why ``path`` cannot be written, or None (checked without creating it)."""
    if os.path.isdir(path):
        return "is a folder"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"the folder {os.path.dirname(path) or '.'} does not exist"
    if os.path.exists(path):
        return None if os.access(path, os.W_OK) else "the file is not writable"
    return None if os.access(folder, os.W_OK | os.X_OK) else "the folder is not writable"


def config_file(explicit: str | None, environment: Mapping[str, str]) -> str | None:
    """``--config``, else ``$AZBACKUP_POLICY_CONFIG`` (when not empty), else None (search)."""
    return explicit or environment.get(CONFIG_VARIABLE) or None


def config_message(loaded: str | None, paths: Sequence[str]) -> str:
    """What ``-v`` says about the configuration."""
    if loaded:
        return f"configuration: {loaded}"
    return ("configuration: none found (searched .azbackup-policy.yaml and pyproject.toml "
            f"upwards from {', '.join(paths) or '.'})")
