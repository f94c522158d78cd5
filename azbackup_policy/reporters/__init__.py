"""One module per output format; each is a pure ``render(report, options) -> str``.

:data:`BUILTIN_REPORTERS` is the table of output formats: one :class:`ReporterSpec` row
each, whose render function is imported on first use. Plugins add rows through the
``azbackup_policy_reporters`` hook (:meth:`~azbackup_policy.plugins.PluginHost.reporters`
gives the whole table); the CLI's ``--format`` choices and the snapshot tests read it.
Adding a report format is one reporter module and one row here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from azbackup_policy.report import Report
from azbackup_policy.rules import FailOn


@dataclass(frozen=True, slots=True)
class RenderOptions:
    color: bool = False
    fail_on: FailOn = "warning"
    cwd: str = "."
    environment: Mapping[str, str] = field(default_factory=dict)
    # Where source files are browsable (a blob URL at a commit): locations become links.
    link_base: str | None = None
    # The scanned repository's root (SARIF's %SRCROOT%); None: the CI workspace, else cwd.
    repository_root: str | None = None
    # SARIF run.automationDetails category (None: "azbackup-policy").
    sarif_category: str | None = None
    quiet: bool = False  # text: only findings and errors (no summary, warnings, skipped files)


Render = Callable[[Report, RenderOptions], str]


@dataclass(frozen=True, slots=True)
class ReporterSpec:
    """One output format: its ``--format`` name, its render function (or the
    ``"module:function"`` that holds it, imported on first use) and the usual ending of
    a file of its output (snapshots are named ``<report>.<name><extension>``)."""

    name: str
    render: Render | str
    extension: str = ".txt"


BUILTIN_REPORTERS: tuple[ReporterSpec, ...] = (
    ReporterSpec("text", "azbackup_policy.reporters.text:render", ".txt"),
    ReporterSpec("json", "azbackup_policy.reporters.json:render", ".json"),
    ReporterSpec("sarif", "azbackup_policy.reporters.sarif:render", ".sarif"),
    ReporterSpec("junit", "azbackup_policy.reporters.junit:render", ".xml"),
    ReporterSpec("junit-resources", "azbackup_policy.reporters.junit:render_resources", ".xml"),
    ReporterSpec("github", "azbackup_policy.reporters.github:render", ".txt"),
    ReporterSpec("markdown", "azbackup_policy.reporters.markdown:render", ".md"),
    ReporterSpec("azure-devops", "azbackup_policy.reporters.azure_devops:render", ".txt"),
    ReporterSpec("html", "azbackup_policy.reporters.html:render", ".html"),
)


def load_reporter(name: str, reporters: Sequence[ReporterSpec] = BUILTIN_REPORTERS) -> Render:
    """The render function of format ``name`` in the ``reporters`` table (KeyError if none)."""
    spec = next((r for r in reporters if r.name == name), None)
    if spec is None:
        raise KeyError(name)
    if not isinstance(spec.render, str):
        return spec.render
    module_name, _, attr = spec.render.partition(":")
    render: Render = getattr(importlib.import_module(module_name), attr)
    return render


def render(report: Report, fmt: str = "text", options: RenderOptions | None = None) -> str:
    """``report`` in the built-in format ``fmt`` (``text``, ``json``, ``sarif``, ``html``, ...)."""
    names = [spec.name for spec in BUILTIN_REPORTERS]
    if fmt not in names:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(names)})")
    return load_reporter(fmt)(report, options or RenderOptions(fail_on=report.fail_on))
