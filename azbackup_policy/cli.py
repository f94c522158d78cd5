"""The command line: thin glue from argv to the library and back to an exit code.

Exit codes: 0 nothing at or above the threshold; 1 findings; 2 usage, configuration
or input error; 3 a rule or plugin failed. The grammar (options, help, examples) is in
:mod:`azbackup_policy.cli_parser`; the small decisions (colour, outputs, config file) in
:mod:`azbackup_policy.cli_support`. The conventions are listed in docs/cli-conventions.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from enum import IntEnum
from typing import Any, BinaryIO, TextIO

from azbackup_policy._version import __version__
from azbackup_policy.cli_parser import SCAN_FORMATS, ParseError, build_parser, command_parsers
from azbackup_policy.cli_support import (
    Outputs,
    config_file,
    config_message,
    output_problems,
    to_stdout,
    use_color,
)
from azbackup_policy.rules import FAIL_ON

__all__ = ["FAIL_ON", "SCAN_FORMATS", "ExitCode", "build_parser", "console_main", "main"]


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    INPUT_ERROR = 2
    RULE_FAILURE = 3


class UsageError(Exception):
    """A usage error found after parsing; printed with the command's usage, exit 2."""


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


class Context:
    """What a command needs from the process: streams and the environment."""

    def __init__(self, stdout: TextIO, stderr: TextIO, environ: dict[str, str],
                 stdin: BinaryIO | None) -> None:
        self.stdout, self.stderr, self.environ, self.stdin = stdout, stderr, environ, stdin

    def say(self, text: str) -> None:
        self.stderr.write(f"azbackup-policy: {text}\n")


def _config(args: argparse.Namespace, ctx: Context, paths: Sequence[str]) -> Any:
    from azbackup_policy.config import resolve_config

    config = resolve_config(paths, config_file(args.config, ctx.environ),
                            disabled=args.no_config)
    if args.verbose:
        ctx.say(config_message(config.file, paths))
    return config


def _scan_options(args: argparse.Namespace, ctx: Context) -> Any:
    config = _config(args, ctx, [p for p in args.paths if p != "-"] or ["."])
    given = {field: getattr(args, name) for name, field in _OVERRIDES.items()
             if getattr(args, name, None) not in (None, [], False)}
    given["home"] = ctx.environ.get("HOME") or ctx.environ.get("USERPROFILE") or None
    if args.limits:
        try:
            given["limits"] = config.eval_limits(
                {k: v for pairs in args.limits for k, v in pairs.items()})
        except ValueError as exc:
            raise UsageError(f"--limits: {exc}") from None
    options = config.scan_options(**{k: tuple(v) if isinstance(v, list) else v
                                     for k, v in given.items()})
    if "-" in args.paths:
        stream = ctx.stdin if ctx.stdin is not None else sys.stdin.buffer
        options = replace(options, stdin=stream.read())
    return options


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
    if to_stdout(destination):
        stdout.write(wrap_untrusted(text, token) if token else text)
        stdout.flush()
        return
    with open(str(destination), "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _auto_formats(outputs: Outputs, environ: dict[str, str]) -> Outputs:
    """Add CI annotations when text goes to the terminal inside GitHub Actions / Azure DevOps."""
    text_to_stdout = ("text", None) in outputs
    if text_to_stdout and environ.get("GITHUB_ACTIONS") == "true":
        outputs = [*outputs, ("github", None)]
    if text_to_stdout and environ.get("TF_BUILD", "").lower() == "true":
        outputs = [*outputs, ("azure-devops", None)]
    return outputs


def _print_problems(report: Any, ctx: Context, *, shown: bool, quiet: bool,
                    token: str | None) -> None:
    """Warnings, input errors and rule failures on stderr, unless the text report on stdout
    already shows them (each is printed once); ``--quiet`` keeps only the errors. Each value
    is made safe and, in GitHub Actions, the whole sits inside a ``::stop-commands::``
    region."""
    from azbackup_policy.reporters._safe import text as safe
    from azbackup_policy.reporters._safe import wrap_untrusted

    if shown:
        return
    lines = [] if quiet else [f"azbackup-policy: warning: {safe(w)}\n"
                              for w in getattr(report, "warnings", ())]
    lines += [f"{safe(p.file)}:{p.line}:{p.column}: {safe(p.message)}\n" for p in report.errors]
    lines += [f"error: rule {safe(f.rule_id)} from {safe(f.origin)} {safe(f.message)}\n"
              for f in getattr(report, "rule_failures", ())]
    ctx.stderr.write(wrap_untrusted("".join(lines), token) if token else "".join(lines))


def _exit_code(report: Any) -> ExitCode:
    if report.rule_failures:
        return ExitCode.RULE_FAILURE
    if report.errors:
        return ExitCode.INPUT_ERROR
    return ExitCode.FINDINGS if report.at_or_above() else ExitCode.OK


def _run_scan(args: argparse.Namespace, ctx: Context, host: Any) -> Any:
    """The scan (or, for --changed-files, the scan of the changed and deleted units)."""
    from azbackup_policy.pipeline import scan
    from azbackup_policy.progress import TerminalProgress

    options = _scan_options(args, ctx)
    if args.changed_files:
        from azbackup_policy.precommit import scan_changed, staged_state

        deleted, not_staged = staged_state()
        options = replace(options, hidden_files=tuple(not_staged))
        return scan_changed(args.paths, options, rules=host.rules(), deleted=deleted,
                            formats=host.formats())
    progress = TerminalProgress(ctx.stderr) if ctx.stderr.isatty() and not args.quiet else None
    try:
        return scan(args.paths, options, progress=progress, rules=host.rules(),
                    formats=host.formats())
    finally:
        if progress is not None:
            progress.close()


def _render_options(args: argparse.Namespace, report: Any, ctx: Context) -> Any:
    from azbackup_policy.discover import repository_path, repository_root
    from azbackup_policy.reporters import RenderOptions
    from azbackup_policy.reporters.sarif import default_category

    paths = [p for p in args.paths if p != "-"] or ["."]
    category = args.sarif_category or default_category([repository_path(p) for p in paths])
    return RenderOptions(fail_on=report.fail_on, cwd=os.getcwd(), environment=ctx.environ,
                         repository_root=repository_root(paths[0]), sarif_category=category,
                         quiet=args.quiet, link_base=args.link_base)


def _formats(args: argparse.Namespace, names: Sequence[str]) -> Outputs:
    outputs: Outputs = [(fmt or "text", out) for fmt, out in (args.outputs or [["text", None]])]
    unknown = sorted({fmt for fmt, _ in outputs} - set(names))
    if unknown:
        raise UsageError(f"unknown --format {', '.join(unknown)} "
                         f"(choose from {', '.join(names)})")
    if args.link_base is not None and not args.link_base.lower().startswith(
            ("https://", "http://")):
        raise UsageError("--link-base must be an http:// or https:// URL")
    baseline: Outputs = [("baseline", args.write_baseline)] if args.write_baseline else []
    problems = output_problems(outputs + baseline)
    if problems:
        raise UsageError("; ".join(problems))
    return outputs


def cmd_scan(args: argparse.Namespace, ctx: Context) -> ExitCode:
    from azbackup_policy.plugins import default_host
    from azbackup_policy.reporters import load_reporter

    host = default_host()  # entry points are read once: for reporters, formats and rules
    reporters = host.reporters()
    outputs = _formats(args, [spec.name for spec in reporters])  # usage errors first
    report = _run_scan(args, ctx, host)
    base = _render_options(args, report, ctx)
    token = _stop_token(ctx.environ)
    written = outputs if args.no_annotations else _auto_formats(outputs, ctx.environ)
    for fmt, destination in written:
        color = fmt == "text" and to_stdout(destination) and use_color(
            args.color, ctx.environ, ctx.stdout.isatty())
        _write(load_reporter(fmt, reporters)(report, replace(base, color=color)), destination,
               ctx.stdout, token=token if fmt == "text" else None,
               commands=fmt in _COMMAND_FORMATS, color=color)
    _print_problems(report, ctx, shown=("text", None) in outputs, quiet=args.quiet,
                    token=token)
    if args.write_baseline:
        return _write_baseline(args, report, ctx)
    return _exit_code(report)


def _write_baseline(args: argparse.Namespace, report: Any, ctx: Context) -> ExitCode:
    from azbackup_policy.baseline import recordable, render_baseline
    from azbackup_policy.reporters._common import plural
    from azbackup_policy.reporters._safe import json_document
    from azbackup_policy.reporters._safe import text as safe

    _write(json_document(render_baseline(report.findings)), args.write_baseline, ctx.stdout,
           commands=True)
    if not args.quiet:
        ctx.say(f"wrote {plural(len(recordable(report.findings)), 'finding')} to the "
                f"baseline {safe(args.write_baseline)}")
    return _exit_code(replace(report, fail_on="never"))


def cmd_inventory(args: argparse.Namespace, ctx: Context) -> ExitCode:
    import json

    from azbackup_policy.inventory import inventory, render_text
    from azbackup_policy.pipeline import load_units
    from azbackup_policy.reporters._safe import json_document

    if args.output is not None and output_problems([("inventory", args.output)]):
        raise UsageError("; ".join(output_problems([("inventory", args.output)])))
    loaded = load_units(args.paths, _scan_options(args, ctx))
    data = inventory(loaded.units, loaded.errors)
    data["files_skipped"] = [{"file": s.file, "reason": s.reason} for s in loaded.skipped]
    data["not_followed"] = [
        {"file": n.file, "line": n.line, "source": n.source, "reason": n.reason, "hint": n.hint}
        for n in loaded.not_followed
    ]
    text_shown = args.format == "text" and to_stdout(args.output)
    text = render_text(data) if args.format == "text" else json_document(json.dumps(
        data, indent=2, sort_keys=True)) + "\n"
    token = _stop_token(ctx.environ)
    _write(text, args.output, ctx.stdout, token=token if args.format == "text" else None)
    _print_problems(loaded, ctx, shown=text_shown, quiet=getattr(args, "quiet", False), token=token)
    return ExitCode.INPUT_ERROR if loaded.errors else ExitCode.OK


def cmd_rules(args: argparse.Namespace, ctx: Context) -> ExitCode:
    from azbackup_policy import ruledocs
    from azbackup_policy.pipeline import available_rules

    config = _config(args, ctx, ["."])
    rules = available_rules(tuple(args.rules) or config.rules)
    if args.command == "rules":
        render = {"markdown": ruledocs.rules_markdown, "json": ruledocs.rules_json}.get(
            args.format, ruledocs.rules_table_text)
        _write(render(rules), None, ctx.stdout)
        return ExitCode.OK
    wanted = args.rule.lower()
    for rule in rules:
        if wanted in (rule.id.lower(), rule.name.lower()):
            _write(ruledocs.explain_text(rule), None, ctx.stdout)
            return ExitCode.OK
    from azbackup_policy.reporters._safe import text as safe

    ctx.say(f"no rule {safe(repr(args.rule))} (see 'azbackup-policy rules')")
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


def cmd_completion(args: argparse.Namespace, ctx: Context) -> ExitCode:
    from azbackup_policy.completion import script

    ctx.stdout.write(script(args.shell, build_parser()))
    return ExitCode.OK


COMMANDS = {"scan": cmd_scan, "inventory": cmd_inventory, "rules": cmd_rules,
            "explain": cmd_rules, "completion": cmd_completion}


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown argument after a command is reported with its usage."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command = command_parsers(parser).get(args.command or "", parser)
        raise ParseError(command, f"unrecognized arguments: {' '.join(unknown)}")
    if getattr(args, "paths", None) == [] and not getattr(args, "changed_files", False):
        args.paths = ["."]
    return args


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None, environ: dict[str, str] | None = None,
         stdin: BinaryIO | None = None) -> int:
    """Run the command line; returns the exit code (never raises for bad input)."""
    from azbackup_policy.errors import AzBackupPolicyError, PluginError
    from azbackup_policy.reporters._safe import text as safe

    ctx = Context(stdout or sys.stdout, stderr or sys.stderr,
                  dict(os.environ if environ is None else environ), stdin)
    parser = build_parser()
    try:
        args = _parse(parser, file_names_last(list(sys.argv[1:] if argv is None else argv)))
    except ParseError as exc:
        exc.parser.print_usage(ctx.stderr)
        ctx.say(f"error: {exc}")
        return ExitCode.INPUT_ERROR
    except SystemExit as exc:  # argparse: --help
        return int(exc.code or 0)
    if args.version:
        ctx.stdout.write(f"azbackup-policy {__version__}\n")
        return ExitCode.OK
    command = COMMANDS.get(args.command)
    if command is None:
        parser.print_usage(ctx.stderr)
        return ExitCode.INPUT_ERROR
    try:
        return command(args, ctx)
    except UsageError as exc:
        command_parsers(parser)[args.command].print_usage(ctx.stderr)
        ctx.say(f"error: {safe(str(exc))}")
        return ExitCode.INPUT_ERROR
    except PluginError as exc:
        ctx.say(f"error: {safe(str(exc))}")
        return ExitCode.RULE_FAILURE
    except (AzBackupPolicyError, OSError) as exc:
        ctx.say(f"error: {safe(str(exc))}")
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
