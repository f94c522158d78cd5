"""Read output the way the CI agents do, to find the commands they would run.

Written from the documented behaviour of the two agents:

- the GitHub Actions runner splits the log into lines (CR, LF or CRLF) and runs a
  *workflow command* from a line that starts with ``::`` after leading white space
  (``::name props::data``) and, in the legacy syntax, from ``##[name props]data``
  anywhere in a line; between ``::stop-commands::TOKEN`` and ``::TOKEN::`` it runs none;
- the Azure Pipelines agent runs a *logging command* from ``##vso[`` anywhere in a line
  and formats a line from ``##[`` (``##[error]``, ``##[group]``, ...).

The scanner is stricter than the agents: any command name counts (the agents ignore
names they do not know, but a new agent version may know more), and the markers are
matched without regard to case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINES = re.compile(r"\r\n|\r|\n")
# .NET's TrimStart() trims every Unicode white space character; Python's isspace is
# close enough (a superset in the C0 range).
_GITHUB_V2 = re.compile(r"^\s*::(.*?)::(.*)$", re.DOTALL)
_LEGACY = re.compile(r"##\[([^\]]*)\](.*)$", re.IGNORECASE | re.DOTALL)
_AZURE = re.compile(r"##vso\[([^\]]*)\](.*)$", re.IGNORECASE | re.DOTALL)
_AZURE_FORMAT = re.compile(r"##\[", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    agent: str  # "github" or "azure"
    name: str
    properties: str
    data: str
    line: str


def lines(output: str) -> list[str]:
    return _LINES.split(output)


def _split(info: str) -> tuple[str, str]:
    name, _, properties = info.partition(" ")
    return name, properties


def github_commands(output: str) -> list[Command]:
    """The workflow commands the GitHub runner would run, in order (``stop-commands``
    and the command that resumes included)."""
    found: list[Command] = []
    stop_token: str | None = None
    for line in lines(output):
        match = _GITHUB_V2.match(line) or _LEGACY.search(line)
        if match is None:
            continue
        name, properties = _split(match.group(1))
        if stop_token is not None:
            if name.lower() == stop_token.lower() and _GITHUB_V2.match(line):
                found.append(Command("github", name, properties, match.group(2), line))
                stop_token = None
            continue
        found.append(Command("github", name, properties, match.group(2), line))
        if name == "stop-commands":
            stop_token = match.group(2)
    return found


def azure_commands(output: str) -> list[Command]:
    """The logging and formatting commands the Azure Pipelines agent would act on."""
    found: list[Command] = []
    for line in lines(output):
        match = _AZURE.search(line)
        if match is not None:
            name, properties = _split(match.group(1))
            found.append(Command("azure", name, properties, match.group(2), line))
        elif _AZURE_FORMAT.search(line):
            found.append(Command("azure", "##[", "", line, line))
    return found


def injected(output: str, *, ours_github: int = 0, ours_azure: int = 0,
             token: str | None = None) -> list[Command]:
    """The commands in ``output`` that are not the ones we emit ourselves: the first
    ``ours_github`` GitHub annotations (error/warning/notice, one per line), the first
    ``ours_azure`` Azure ``task.logissue``/``task.complete`` lines that start with the
    marker, and the stop/resume pair of ``token``."""
    bad: list[Command] = []
    for command in github_commands(output):
        if token is not None and command.name in ("stop-commands", token) and (
                command.data == token or command.name == token):
            continue
        if ours_github and command.name in ("error", "warning", "notice") and (
                command.line.startswith("::")):
            ours_github -= 1
            continue
        bad.append(command)
    for command in azure_commands(output):
        if ours_azure and command.name in ("task.logissue", "task.complete") and (
                command.line.startswith("##vso[")):
            ours_azure -= 1
            continue
        bad.append(command)
    return bad


_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def unsafe_characters(output: str) -> list[str]:
    """Characters a terminal would act on (or a writer choke on): none may remain."""
    return sorted(set(_UNSAFE.findall(output)))
