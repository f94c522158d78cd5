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
from azbackup_policy.formats import BUILTIN_FORMATS, known_formats_text
from azbackup_policy.reporters import BUILTIN_REPORTERS
from azbackup_policy.rules import FAIL_ON as FAIL_ON  # the --fail-on choices


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    INPUT_ERROR = 2
    RULE_FAILURE = 3


SCAN_FORMATS = tuple(spec.name for spec in BUILTIN_REPORTERS)  # plugins may add more


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


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="files or folders (input formats: "
                        f"{known_formats_text(BUILTIN_FORMATS)})")
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
    scan.add_argument("--link-base", metavar="URL",
                      help="http(s) URL where the scanned files can be browsed (e.g. a GitHub "
                      "blob URL at a commit): the html report links every location to it")
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

    config = resolve_config(args.paths, args.config, disabled=args.no_config)
    given = {field: getattr(args, name) for name, field in _OVERRIDES.items()
             if getattr(args, name, None) not in (None, [], False)}
    env = os.environ if environ is None else environ
    given["home"] = env.get("HOME") or env.get("USERPROFILE") or None
    return config.scan_options(**{k: tuple(v) if isinstance(v, list) else v
                                  for k, v in given.items()})


# Formats whose every line is a command we build, untrusted text escaped inside it.
_COMMAND_FORMATS = ("github", "azure-devops")


def _stop_token(environ: dict[str, str]) -> str | None:
    """In GitHub Actions, a random token for ``::stop-commands::`` (never guessable)."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return None
    import secrets

    return secrets.token_hex(16)


def _write(text: str, destination: str | None, stdout: TextIO, *, token: str | None = None,
           commands: bool = False, color: bool = False) -> None:
    """Write one output: guarded (:mod:`.reporters._safe`) unless it is made of our own
    commands; on stdout with a ``token`` (GitHub Actions, human text), inside a
    ``::stop-commands::`` region. Documents (JSON, SARIF, JUnit, Markdown) are never
    wrapped, so ``> file`` stays valid: their escaping leaves nothing a runner acts on."""
    from azbackup_policy.reporters._safe import guard_document, wrap_untrusted

    if not commands:
        text = guard_document(text, color=color)
    if destination is None or destination == "-":
        stdout.write(wrap_untrusted(text, token) if token else text)
        stdout.flush()
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


def _print_errors(report: Any, stderr: TextIO, token: str | None) -> None:
    """Warnings, input errors and rule failures on stderr, each value made safe and, in
    GitHub Actions, the whole inside a ``::stop-commands::`` region."""
    from azbackup_policy.reporters._safe import text as safe
    from azbackup_policy.reporters._safe import wrap_untrusted

    lines = [f"azbackup-policy: warning: {safe(warning)}\n"
             for warning in getattr(report, "warnings", ())]
    lines += [f"{safe(p.file)}:{p.line}:{p.column}: {safe(p.message)}\n" for p in report.errors]
    lines += [f"error: rule {safe(f.rule_id)} from {safe(f.origin)} {safe(f.message)}\n"
              for f in getattr(report, "rule_failures", ())]
    stderr.write(wrap_untrusted("".join(lines), token) if token else "".join(lines))


def _exit_code(report: Any) -> ExitCode:
    if report.rule_failures:
        return ExitCode.RULE_FAILURE
    if report.errors:
        return ExitCode.INPUT_ERROR
    return ExitCode.FINDINGS if report.at_or_above() else ExitCode.OK


def _scan_with_progress(scan: Any, args: argparse.Namespace, stderr: TextIO,
                        rules: Any = None, formats: Any = None,
                        environ: dict[str, str] | None = None) -> Any:
    """Run the scan (with ``rules``), with a progress line on stderr when it is a terminal."""
    from azbackup_policy.progress import TerminalProgress

    progress = TerminalProgress(stderr) if stderr.isatty() else None
    try:
        return scan(args.paths, _scan_options(args, environ), progress=progress, rules=rules,
                    formats=formats)
    finally:
        if progress is not None:
            progress.close()


def cmd_scan(args: argparse.Namespace, stdout: TextIO, stderr: TextIO,
             environ: dict[str, str]) -> ExitCode:
    from azbackup_policy.pipeline import scan
    from azbackup_policy.plugins import default_host
    from azbackup_policy.reporters import RenderOptions, load_reporter

    outputs = [(fmt or "text", out) for fmt, out in (args.outputs or [["text", None]])]
    host = default_host()  # entry points are read once: for reporters, formats and rules
    reporters = host.reporters()
    names = [spec.name for spec in reporters]
    unknown = sorted({fmt for fmt, _ in outputs} - set(names))
    if unknown:
        stderr.write(f"azbackup-policy: error: unknown --format {', '.join(unknown)} "
                     f"(choose from {', '.join(names)})\n")
        return ExitCode.INPUT_ERROR
    link_base = getattr(args, "link_base", None)
    if link_base is not None and not link_base.lower().startswith(("https://", "http://")):
        stderr.write("azbackup-policy: error: --link-base must be an http:// or https:// URL\n")
        return ExitCode.INPUT_ERROR
    if args.changed_files:
        from azbackup_policy.precommit import scan_changed

        report = scan_changed(args.paths, _scan_options(args, environ), rules=host.rules(),
                              formats=host.formats())
    else:
        report = _scan_with_progress(scan, args, stderr, rules=host.rules(),
                                     formats=host.formats(), environ=environ)
    token = _stop_token(environ)
    for fmt, destination in _auto_formats(outputs, environ):
        to_tty = destination is None and stdout.isatty()
        color = fmt == "text" and to_tty and "NO_COLOR" not in environ
        options = RenderOptions(color=color, fail_on=report.fail_on, cwd=os.getcwd(),
                                environment=environ, link_base=link_base)
        _write(load_reporter(fmt, reporters)(report, options), destination, stdout,
               token=token if fmt == "text" else None, commands=fmt in _COMMAND_FORMATS,
               color=color)
    _print_errors(report, stderr, token)
    if args.write_baseline:
        from azbackup_policy.baseline import recordable, render_baseline
        from azbackup_policy.reporters._safe import json_document
        from azbackup_policy.reporters._safe import text as safe

        _write(json_document(render_baseline(report.findings)), args.write_baseline, stdout,
               commands=True)
        stderr.write(f"azbackup-policy: wrote {len(recordable(report.findings))} findings to "
                     f"the baseline {safe(args.write_baseline)}\n")
        return _exit_code(replace(report, fail_on="never"))
    return _exit_code(report)


def cmd_inventory(args: argparse.Namespace, stdout: TextIO, stderr: TextIO,
                  environ: dict[str, str] | None = None) -> ExitCode:
    import json

    from azbackup_policy.inventory import inventory, render_text
    from azbackup_policy.pipeline import load_units
    from azbackup_policy.reporters._safe import json_document

    loaded = load_units(args.paths, _scan_options(args, environ))
    data = inventory(loaded.units, loaded.errors)
    data["files_skipped"] = [{"file": s.file, "reason": s.reason} for s in loaded.skipped]
    data["not_followed"] = [
        {"file": n.file, "line": n.line, "source": n.source, "reason": n.reason, "hint": n.hint}
        for n in loaded.not_followed
    ]
    if args.format == "json":
        text = json_document(json.dumps(data, indent=2, sort_keys=True)) + "\n"
    else:
        text = render_text(data)
    token = _stop_token(environ or {})
    _write(text, args.output, stdout, token=token if args.format == "text" else None)
    _print_errors(loaded, stderr, token)
    return ExitCode.INPUT_ERROR if loaded.errors else ExitCode.OK


def cmd_rules(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> ExitCode:
    from azbackup_policy import ruledocs
    from azbackup_policy.config import resolve_config
    from azbackup_policy.pipeline import available_rules

    config = resolve_config(["."], args.config, disabled=args.no_config)
    rules = available_rules(tuple(args.rules) or config.rules)
    if args.command == "rules":
        render = ruledocs.rules_markdown if args.format == "markdown" else ruledocs.rules_table_text
        _write(render(rules), None, stdout)
        return ExitCode.OK
    wanted = args.rule.lower()
    for rule in rules:
        if wanted in (rule.id.lower(), rule.name.lower()):
            _write(ruledocs.explain_text(rule), None, stdout)
            return ExitCode.OK
    stderr.write(f"azbackup-policy: no rule {args.rule!r} (see 'azbackup-policy rules')\n")
    return ExitCode.INPUT_ERROR


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None, environ: dict[str, str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises for bad input)."""
    from azbackup_policy.errors import AzBackupPolicyError, PluginError
    from azbackup_policy.reporters._safe import text as safe

    out, err = stdout or sys.stdout, stderr or sys.stderr
    env = dict(os.environ if environ is None else environ)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
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
        err.write(f"azbackup-policy: error: {safe(str(exc))}\n")
        return ExitCode.RULE_FAILURE
    except (AzBackupPolicyError, OSError) as exc:
        err.write(f"azbackup-policy: error: {safe(str(exc))}\n")
        return ExitCode.INPUT_ERROR


def console_main() -> None:
    """The ``azbackup-policy`` command: one command, then the process ends.

    Everything a scan builds is kept until the report is written and holds no cycles, so
    the cyclic collector is left off for the process (the library's ``scan`` pauses it
    only for itself), and what is alive at the end is frozen, so that the collection at
    interpreter exit does not walk it all once more.
    """
    gc.disable()
    for stream in (sys.stdout, sys.stderr):  # a console that is not UTF-8 shows \\uXXXX
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    code = main()
    gc.freeze()
    sys.exit(code)
