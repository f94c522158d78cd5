"""The command line: thin glue from argv to the library and back to an exit code.

Exit codes: 0 nothing at or above the threshold; 1 findings; 2 usage, configuration
or input error; 3 a rule or plugin failed.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from enum import IntEnum
from typing import Any, TextIO

from azbackup_policy._version import __version__
from azbackup_policy.rules import FAIL_ON as FAIL_ON  # the --fail-on choices


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    INPUT_ERROR = 2
    RULE_FAILURE = 3


SCAN_FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "azure-devops")


class _FormatAction(argparse.Action):
    """``--format F [--output FILE]``, repeatable: each --output belongs to the format before it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        outputs: list[list[str | None]] = getattr(namespace, "outputs", None) or []
        if option_string == "--format":
            outputs.append([values, None])
        else:
            if not outputs or outputs[-1][1] is not None:
                outputs.append([None, values])
            else:
                outputs[-1][1] = values
        namespace.outputs = outputs


_LIMITS = (
    ("--max-resources", 100_000, "resources in one file or module tree"),
    ("--max-loop-count", 10_000, "instances of one count/for_each/copy/range()"),
    ("--max-nesting-depth", 200, "nesting of brackets in JSON and Bicep"),
    ("--max-module-depth", 32, "depth of modules, linked templates and nested deployments"),
)


def _limit_pairs(text: str) -> dict[str, float]:
    """``steps=5000000,seconds=120`` -> {"steps": 5000000.0, "seconds": 120.0}."""
    from azbackup_policy.parsers.budget import limits_from

    pairs: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            pairs[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise argparse.ArgumentTypeError(f"{item!r} is not NAME=NUMBER")
    try:
        limits_from(pairs)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return pairs


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="files or folders: plan JSON, .tf modules, ARM templates, Bicep")
    parser.add_argument("--parameters", action="append", default=[], metavar="FILE",
                        help="ARM/Bicep parameter file (repeatable)")
    parser.add_argument("--var-file", action="append", default=[], metavar="FILE",
                        help="Terraform .tfvars file (repeatable)")
    parser.add_argument("--source-dir", metavar="DIR",
                        help="the .tf sources of a plan, so findings point at .tf lines")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files and folders matching GLOB (repeatable)")
    parser.add_argument("--allow-outside-root", action="store_true",
                        help="follow modules and linked templates outside the scanned paths")
    parser.add_argument("--bicep-cache", metavar="DIR",
                        help="Bicep's module cache, where `bicep restore` put br: modules "
                        "(default: cacheRootDirectory of bicepconfig.json, else ~/.bicep)")
    parser.add_argument("--max-file-size", type=int, default=200 * 1024 * 1024,
                        metavar="BYTES", help="refuse files larger than this (default 200 MB)")
    limits = parser.add_argument_group("limits (larger inputs are input errors)")
    for flag, default, text in _LIMITS:
        limits.add_argument(flag, type=int, metavar="N", help=f"{text} (default {default})")
    limits.add_argument("--limits", action="append", default=[], metavar="NAME=N,...",
                        type=_limit_pairs, help="evaluation budget of each file or module "
                        "tree: string-length, collection-length, value-size, integer-bits, "
                        "steps, expansions, seconds (see docs/security.md)")
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (default: .azbackup-policy.yaml or "
                        "[tool.azbackup-policy] in pyproject.toml, found upwards)")
    parser.add_argument("--no-config", action="store_true",
                        help="ignore configuration files")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azbackup-policy",
        description="Check Azure VM infrastructure-as-code against the Azure Backup support "
        "matrix before it is deployed.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = commands.add_parser("scan", help="check inputs and report findings")
    _input_options(scan)
    scan.add_argument("--format", action=_FormatAction, dest="outputs", metavar="FORMAT",
                      help=f"output format: {', '.join(SCAN_FORMATS)} or one a plugin adds "
                      "(repeatable; default text)")
    scan.add_argument("--output", action=_FormatAction, dest="outputs", metavar="FILE",
                      help="write the preceding --format to FILE instead of stdout")
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
                      "they belong to as a whole")

    inventory = commands.add_parser("inventory", help="print what the tool understood")
    _input_options(inventory)
    inventory.add_argument("--format", choices=("json", "text"), default="text")
    inventory.add_argument("--output", metavar="FILE")

    rules = commands.add_parser("rules", help="list the available rules")
    rules.add_argument("--format", choices=("text", "markdown"), default="text")
    explain = commands.add_parser("explain", help="explain one rule")
    explain.add_argument("rule", metavar="RULE", help="rule id or name")
    for command in (rules, explain):
        command.add_argument("--rules", action="append", default=[], metavar="FILE",
                             help="also YAML rules from FILE (repeatable)")
        command.add_argument("--config", metavar="FILE", help="configuration file")
        command.add_argument("--no-config", action="store_true",
                             help="ignore configuration files")
    return parser


# Command-line value -> ScanOptions field; a flag that was not given leaves the config value.
_OVERRIDES = {
    "parameters": "parameter_files", "var_file": "var_files", "source_dir": "source_dir",
    "exclude": "excludes", "fail_on": "fail_on", "strict": "strict", "select": "select",
    "ignore": "ignore", "matrix": "matrix_file", "allow_outside_root": "allow_outside_root",
    "max_file_size": "max_file_bytes", "rules": "rule_files", "baseline": "baseline_file",
    "max_resources": "max_resources", "max_loop_count": "max_loop_count",
    "max_nesting_depth": "max_nesting_depth", "max_module_depth": "max_module_depth",
    "bicep_cache": "bicep_cache",
}


def _scan_options(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Any:
    from azbackup_policy.config import resolve_config
    from azbackup_policy.parsers.budget import limits_from

    config = resolve_config(args.paths, args.config, disabled=args.no_config)
    given = {field: getattr(args, name) for name, field in _OVERRIDES.items()
             if getattr(args, name, None) not in (None, [], False)}
    env = os.environ if environ is None else environ
    given["home"] = env.get("HOME") or env.get("USERPROFILE") or None
    if args.limits:
        given["limits"] = limits_from({k: v for pairs in args.limits for k, v in pairs.items()},
                                      config.eval_limits())
    return config.scan_options(**{k: tuple(v) if isinstance(v, list) else v
                                  for k, v in given.items()})


def _plugin_reporters(host: Any) -> dict[str, Any]:
    """Output formats added by plugins (``azbackup_policy_reporters``), by name."""
    from azbackup_policy.errors import PluginError
    from azbackup_policy.reporters import ReporterSpec

    found: dict[str, Any] = {}
    for origin, spec in host.extras("azbackup_policy_reporters"):
        if not isinstance(spec, ReporterSpec):
            raise PluginError(origin, f"returned {spec!r}, which is not a ReporterSpec")
        found[spec.name] = spec.render
    return found


def _write(text: str, destination: str | None, stdout: TextIO) -> None:
    if destination is None or destination == "-":
        stdout.write(text)
        return
    with open(destination, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _auto_formats(outputs: list[tuple[str, str | None]],
                  environ: dict[str, str]) -> list[tuple[str, str | None]]:
    """Add CI annotations when text goes to the terminal inside GitHub Actions / Azure DevOps."""
    text_to_stdout = ("text", None) in outputs
    if text_to_stdout and environ.get("GITHUB_ACTIONS") == "true":
        outputs = [*outputs, ("github", None)]
    if text_to_stdout and environ.get("TF_BUILD", "").lower() == "true":
        outputs = [*outputs, ("azure-devops", None)]
    return outputs


def _print_errors(report: Any, stderr: TextIO) -> None:
    for warning in report.warnings:
        stderr.write(f"azbackup-policy: warning: {warning}\n")
    for problem in report.errors:
        stderr.write(f"{problem}\n")
    for failure in report.rule_failures:
        stderr.write(f"error: rule {failure.rule_id} from {failure.origin} {failure.message}\n")


def _exit_code(report: Any) -> ExitCode:
    if report.rule_failures:
        return ExitCode.RULE_FAILURE
    if report.errors:
        return ExitCode.INPUT_ERROR
    return ExitCode.FINDINGS if report.at_or_above() else ExitCode.OK


def _scan_with_progress(scan: Any, args: argparse.Namespace, stderr: TextIO,
                        rules: Any = None, environ: dict[str, str] | None = None) -> Any:
    """Run the scan (with ``rules``), with a progress line on stderr when it is a terminal."""
    from azbackup_policy.progress import TerminalProgress

    progress = TerminalProgress(stderr) if stderr.isatty() else None
    try:
        return scan(args.paths, _scan_options(args, environ), progress=progress, rules=rules)
    finally:
        if progress is not None:
            progress.close()


def cmd_scan(args: argparse.Namespace, stdout: TextIO, stderr: TextIO,
             environ: dict[str, str]) -> ExitCode:
    from azbackup_policy.pipeline import scan
    from azbackup_policy.plugins import default_host
    from azbackup_policy.reporters import RenderOptions, load_reporter

    outputs = [(fmt or "text", out) for fmt, out in (args.outputs or [["text", None]])]
    host = default_host()  # entry points are read once: for reporters and for rules
    extra = _plugin_reporters(host)
    unknown = sorted({fmt for fmt, _ in outputs} - set(SCAN_FORMATS) - set(extra))
    if unknown:
        stderr.write(f"azbackup-policy: error: unknown --format {', '.join(unknown)} "
                     f"(choose from {', '.join([*SCAN_FORMATS, *sorted(extra)])})\n")
        return ExitCode.INPUT_ERROR
    if args.changed_files:
        from azbackup_policy.precommit import scan_changed

        report = scan_changed(args.paths, _scan_options(args, environ), rules=host.rules())
    else:
        report = _scan_with_progress(scan, args, stderr, rules=host.rules(), environ=environ)
    for fmt, destination in _auto_formats(outputs, environ):
        to_tty = destination is None and stdout.isatty()
        color = fmt == "text" and to_tty and "NO_COLOR" not in environ
        options = RenderOptions(color=color, fail_on=report.fail_on, cwd=os.getcwd(),
                                environment=environ)
        _write(load_reporter(fmt, extra)(report, options), destination, stdout)
    _print_errors(report, stderr)
    if args.write_baseline:
        from azbackup_policy.baseline import recordable, render_baseline

        _write(render_baseline(report.findings), args.write_baseline, stdout)
        stderr.write(f"azbackup-policy: wrote {len(recordable(report.findings))} findings to "
                     f"the baseline {args.write_baseline}\n")
        return _exit_code(replace(report, fail_on="never"))
    return _exit_code(report)


def cmd_inventory(args: argparse.Namespace, stdout: TextIO, stderr: TextIO,
                  environ: dict[str, str] | None = None) -> ExitCode:
    import json

    from azbackup_policy.inventory import inventory, render_text
    from azbackup_policy.pipeline import load_units

    loaded = load_units(args.paths, _scan_options(args, environ))
    data = inventory(loaded.units, loaded.errors)
    data["files_skipped"] = [{"file": s.file, "reason": s.reason} for s in loaded.skipped]
    data["not_followed"] = [
        {"file": n.file, "line": n.line, "source": n.source, "reason": n.reason, "hint": n.hint}
        for n in loaded.not_followed
    ]
    if args.format == "json":
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    else:
        text = render_text(data)
    _write(text, args.output, stdout)
    for problem in loaded.errors:
        stderr.write(f"{problem}\n")
    return ExitCode.INPUT_ERROR if loaded.errors else ExitCode.OK


def cmd_rules(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> ExitCode:
    from azbackup_policy import ruledocs
    from azbackup_policy.config import resolve_config
    from azbackup_policy.pipeline import available_rules

    config = resolve_config(["."], args.config, disabled=args.no_config)
    rules = available_rules(tuple(args.rules) or config.rules)
    if args.command == "rules":
        render = ruledocs.rules_markdown if args.format == "markdown" else ruledocs.rules_table_text
        stdout.write(render(rules))
        return ExitCode.OK
    wanted = args.rule.lower()
    for rule in rules:
        if wanted in (rule.id.lower(), rule.name.lower()):
            stdout.write(ruledocs.explain_text(rule))
            return ExitCode.OK
    stderr.write(f"azbackup-policy: no rule {args.rule!r} (see 'azbackup-policy rules')\n")
    return ExitCode.INPUT_ERROR


def file_names_last(argv: list[str]) -> list[str]:
    """``argv`` with ``--`` before the changed files pre-commit appended when one of them
    looks like an option (a file named ``--output=x.json`` is a file name, never an
    option), in case the hook's ``args`` lost their ``--``."""
    if "--changed-files" not in argv or "--" in argv:
        return argv
    start = len(argv)
    while start > 0 and argv[start - 1] != "--changed-files" and os.path.isfile(argv[start - 1]):
        start -= 1
    if any(name.startswith("-") for name in argv[start:]):
        return [*argv[:start], "--", *argv[start:]]
    return argv


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None, environ: dict[str, str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises for bad input)."""
    from azbackup_policy.errors import AzBackupPolicyError, PluginError

    out, err = stdout or sys.stdout, stderr or sys.stderr
    env = dict(os.environ if environ is None else environ)
    parser = build_parser()
    try:
        args = parser.parse_args(file_names_last(list(sys.argv[1:] if argv is None else argv)))
    except SystemExit as exc:  # argparse: --help/--version (0) or usage error (2)
        return int(exc.code or 0)
    if args.version:
        out.write(f"azbackup-policy {__version__}\n")
        return ExitCode.OK
    try:
        if args.command == "scan":
            return cmd_scan(args, out, err, env)
        if args.command == "inventory":
            return cmd_inventory(args, out, err, env)
        if args.command in ("rules", "explain"):
            return cmd_rules(args, out, err)
        parser.print_usage(err)
        return ExitCode.INPUT_ERROR
    except PluginError as exc:
        err.write(f"azbackup-policy: error: {exc}\n")
        return ExitCode.RULE_FAILURE
    except (AzBackupPolicyError, OSError) as exc:
        err.write(f"azbackup-policy: error: {exc}\n")
        return ExitCode.INPUT_ERROR


def console_main() -> None:
    """The ``azbackup-policy`` command: one command, then the process ends.

    Everything a scan builds is kept until the report is written and holds no cycles, so
    the cyclic collector is left off for the process (the library's ``scan`` pauses it
    only for itself), and what is alive at the end is frozen, so that the collection at
    interpreter exit does not walk it all once more.
    """
    gc.disable()
    code = main()
    gc.freeze()
    sys.exit(code)
