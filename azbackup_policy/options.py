"""What a scan is asked to do: :class:`ScanOptions`, from the command line and config.

Its own module so that :mod:`azbackup_policy.config` builds it without importing the
pipeline that consumes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.parsers import ParseOptions
from azbackup_policy.parsers.budget import EvalLimits, limits_from
from azbackup_policy.rules import FailOn, Severity
from azbackup_policy.suppressions import ConfigSuppression

__all__ = ["EvalLimits", "ScanOptions", "limits_from"]

_LIMITS = ParseOptions()


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Everything that changes what a scan reads and reports."""

    parameter_files: tuple[str, ...] = ()
    var_files: tuple[str, ...] = ()
    source_dir: str | None = None
    excludes: tuple[str, ...] = ()
    fail_on: FailOn = "warning"
    strict: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    matrix_file: str | None = None
    rule_options: dict[str, Any] = field(default_factory=dict)
    allow_outside_root: bool = False
    max_file_bytes: int = 200 * 1024 * 1024
    max_resources: int = _LIMITS.max_resources  # per file or module (with its modules)
    max_loop_count: int = _LIMITS.max_loop_count  # count/for_each/copy/range()
    max_nesting_depth: int = _LIMITS.max_nesting_depth  # JSON/Bicep brackets
    max_module_depth: int = _LIMITS.max_module_depth  # modules / nested deployments
    limits: EvalLimits = field(default_factory=EvalLimits)  # evaluation budgets (--limits)
    cwd: str | None = None
    rule_files: tuple[str, ...] = ()  # YAML rules (--rules, config ``rules``)
    suppressions: tuple[ConfigSuppression, ...] = ()  # config ``suppressions``
    baseline_file: str | None = None  # --baseline
    today: dt.date | None = None  # for suppression expiry; None = today
    bicep_cache: str | None = None  # Bicep's module cache root (--bicep-cache)
    home: str | None = None  # the user's home: ~/.bicep is the default cache (CLI: $HOME)
    hidden_files: tuple[str, ...] = ()  # read as absent (pre-commit: files not staged)
    stdin: bytes | None = field(default=None, repr=False)  # the content of the path "-"
