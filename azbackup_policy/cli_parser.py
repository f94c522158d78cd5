"""The command line's grammar: every command, option, help text, example and exit code.

:func:`build_parser` returns the top-level parser; ``parser.commands`` maps each command
name to its own parser, so that an error after a command prints that command's usage.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from azbackup_policy.formats import BUILTIN_FORMATS, known_formats_text
from azbackup_policy.reporters import BUILTIN_REPORTERS
from azbackup_policy.rules import FAIL_ON

SCAN_FORMATS = tuple(spec.name for spec in BUILTIN_REPORTERS)  # plugins may add more
COLORS = ("auto", "always", "never")
SHELLS = ("bash", "zsh", "fish")
CONFIG_VARIABLE = "AZBACKUP_POLICY_CONFIG"

EXIT_CODES = """exit codes:
  0  nothing at or above --fail-on
  1  findings at or above --fail-on
  2  usage, configuration or input error
  3  a rule or plugin failed"""

EXAMPLES = {
    "azbackup-policy": """examples:
  azbackup-policy scan                          scan the current folder
  azbackup-policy scan infra --format sarif --output results.sarif --format text
  terraform show -json tfplan | azbackup-policy scan -
  azbackup-policy rules --format json
  azbackup-policy explain BKP-COV-001
  azbackup-policy completion bash > ~/.local/share/bash-completion/completions/azbackup-policy""",
    "scan": """examples:
  azbackup-policy scan                          the current folder
  azbackup-policy scan infra envs/prod.tfplan.json --fail-on error
  terraform show -json tfplan | azbackup-policy scan -
  azbackup-policy scan infra --format junit --output junit.xml --format text
  azbackup-policy scan infra --write-baseline .azbackup-baseline.json""",
}

_LIMITS = (
    ("--max-resources", 100_000, "resources in one file or module tree"),
    ("--max-loop-count", 10_000, "instances of one count/for_each/copy/range()"),
    ("--max-nesting-depth", 200, "nesting of brackets in JSON and Bicep"),
    ("--max-module-depth", 32, "depth of modules, linked templates and nested deployments"),
)


class ParseError(Exception):
    """A usage error found by argparse, with the parser (command) it belongs to."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class Parser(argparse.ArgumentParser):
    """Raises :class:`ParseError` instead of printing and exiting, so the CLI writes the
    failing command's usage to its own stderr."""

    def error(self, message: str) -> NoReturn:
        raise ParseError(self, message)


class FormatAction(argparse.Action):
    """``--format F [--output FILE]``, repeatable: each --output belongs to the format before it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        outputs: list[list[str | None]] = getattr(namespace, "outputs", None) or []
        if option_string == "--format":
            outputs.append([values, None])
        elif not outputs or outputs[-1][1] is not None:
            outputs.append([None, values])
        else:
            outputs[-1][1] = values
        namespace.outputs = outputs


def _help(name: str) -> str:
    return f"{EXAMPLES[name]}\n\n{EXIT_CODES}" if name in EXAMPLES else EXIT_CODES


def _command(commands: Any, name: str, text: str, **kwargs: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=text, description=text, epilog=_help(name),
        formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
    return parser


def _config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (default: $AZBACKUP_POLICY_CONFIG, else "
                        ".azbackup-policy.yaml or [tool.azbackup-policy] in pyproject.toml, "
                        "found upwards)")
    parser.add_argument("--no-config", action="store_true", help="ignore configuration files")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say which configuration file was loaded")


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or folders (input formats: "
                        f"{known_formats_text(BUILTIN_FORMATS)}; default: the current folder; "
                        "- reads a plan or template from stdin)")
    parser.add_argument("--parameters", action="append", default=[], metavar="FILE",
                        help="ARM/Bicep parameter file (repeatable)")
    parser.add_argument("--var-file", action="append", default=[], metavar="FILE",
                        help="Terraform .tfvars file (repeatable)")
    parser.add_argument("--source-dir", metavar="DIR",
                        help="the .tf sources of a plan, so findings point at .tf lines")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files and folders matching GLOB (repeatable)")
    parser.add_argument("--allow-outside-root", action="store_true",
                        help="follow modules and linked templates outside the repository")
    parser.add_argument("--bicep-cache", metavar="DIR",
                        help="Bicep's module cache, where `bicep restore` put br: modules "
                        "(default: cacheRootDirectory of bicepconfig.json, else ~/.bicep)")
    limits = parser.add_argument_group("limits (larger inputs are input errors)")
    limits.add_argument("--max-file-size", type=int, default=200 * 1024 * 1024,
                        metavar="BYTES", help="refuse files larger than this (default 200 MB)")
    for flag, default, text in _LIMITS:
        limits.add_argument(flag, type=int, metavar="N", help=f"{text} (default {default})")
    limits.add_argument("--limits", action="append", default=[], metavar="NAME=N,...",
                        type=_limit_pairs, help="evaluation budget of each file or module "
                        "tree: string-length, collection-length, value-size, integer-bits, "
                        "steps, expansions, seconds (see docs/security.md)")
    _config_options(parser)


def _limit_pairs(text: str) -> dict[str, float]:
    """``steps=5000000,seconds=120`` -> {"steps": 5000000.0, "seconds": 120.0} (the names
    and values are checked when the options are built)."""
    pairs: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            pairs[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise argparse.ArgumentTypeError(f"{item!r} is not NAME=NUMBER")
    return pairs


def _output_options(scan: argparse.ArgumentParser) -> None:
    scan.add_argument("--format", action=FormatAction, dest="outputs", metavar="FORMAT",
                      help=f"output format: {', '.join(SCAN_FORMATS)} or one a plugin adds "
                      "(repeatable; default text; at most one of them to stdout)")
    scan.add_argument("--output", action=FormatAction, dest="outputs", metavar="FILE",
                      help="write the preceding --format to FILE instead of stdout")
    scan.add_argument("--link-base", metavar="URL",
                      help="http(s) URL where the scanned files can be browsed (e.g. a GitHub "
                      "blob URL at a commit): the html report links every location to it")
    scan.add_argument("--sarif-category", metavar="NAME",
                      help="SARIF run.automationDetails category, so several uploads from one "
                      "workflow keep their own alerts (default: derived from the PATHs)")
    scan.add_argument("--no-annotations", action="store_true",
                      help="do not add GitHub / Azure DevOps annotations to the text report "
                      "(when the SARIF log is uploaded, code scanning shows the findings)")
    scan.add_argument("--color", choices=COLORS, default="auto",
                      help="colour the text report: auto (a terminal, unless NO_COLOR is set "
                      "or TERM=dumb; FORCE_COLOR forces it), always or never")
    scan.add_argument("-q", "--quiet", action="store_true",
                      help="print only findings and errors: no summary, progress or warnings")


def _rule_options(scan: argparse.ArgumentParser) -> None:
    scan.add_argument("--fail-on", choices=FAIL_ON,
                      help="lowest severity that makes the exit code 1 (default warning)")
    scan.add_argument("--strict", action="store_true",
                      help="report values that cannot be verified statically as reviews")
    scan.add_argument("--select", action="append", default=[], metavar="RULE",
                      help="run only these rules (id, name, area or id prefix; repeatable)")
    scan.add_argument("--ignore", action="append", default=[], metavar="RULE",
                      help="do not run these rules (repeatable)")
    scan.add_argument("--matrix", metavar="FILE", help="a newer support-matrix data file")
    scan.add_argument("--rules", action="append", default=[], metavar="FILE",
                      help="YAML rule file (repeatable)")
    scan.add_argument("--baseline", metavar="FILE",
                      help="report only findings not recorded in this baseline")
    scan.add_argument("--write-baseline", metavar="FILE",
                      help="record the current findings in FILE (the exit code then ignores "
                      "findings)")
    scan.add_argument("--changed-files", action="store_true",
                      help="PATHs are changed files (pre-commit): scan each module or template "
                      "they belong to as a whole, and the units of staged deletions")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="azbackup-policy",
        description="Check Azure VM infrastructure-as-code against the Azure Backup support "
        "matrix before it is deployed.",
        epilog=_help("azbackup-policy"), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = _command(commands, "scan", "check inputs and report findings")
    _input_options(scan)
    _output_options(scan)
    _rule_options(scan)

    inventory = _command(commands, "inventory", "print what the tool understood")
    _input_options(inventory)
    inventory.add_argument("--format", choices=("json", "text"), default="text",
                           help="output format (default text)")
    inventory.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")

    rules = _command(commands, "rules", "list the available rules")
    rules.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                       help="output format (default text)")
    explain = _command(commands, "explain", "explain one rule")
    explain.add_argument("rule", metavar="RULE", help="rule id or name")
    for command in (rules, explain):
        command.add_argument("--rules", action="append", default=[], metavar="FILE",
                             help="also YAML rules from FILE (repeatable)")
        _config_options(command)

    completion = _command(commands, "completion", "print a shell completion script")
    completion.add_argument("shell", choices=SHELLS, help="the shell: bash, zsh or fish")
    return parser


def command_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each command's own parser, by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options_of(parser: argparse.ArgumentParser) -> list[tuple[str, tuple[str, ...]]]:
    """(option, its choices) for every optional argument of ``parser`` (for completion)."""
    found = []
    for action in parser._actions:
        choices = tuple(str(c) for c in action.choices or ()) if action.choices else ()
        found += [(flag, choices) for flag in action.option_strings]
    return found
