"""One module per output format; each is a pure ``render(report, options) -> str``.

Built-in reporters are imported lazily by name. Plugins add formats through the
``azbackup_policy_reporters`` hook, returning :class:`ReporterSpec` objects.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from azbackup_policy.report import Report
from azbackup_policy.rules import FailOn


@dataclass(frozen=True, slots=True)
class RenderOptions:
    color: bool = False
    fail_on: FailOn = "warning"
    cwd: str = "."
    environment: Mapping[str, str] = field(default_factory=dict)


Render = Callable[[Report, RenderOptions], str]


@dataclass(frozen=True, slots=True)
class ReporterSpec:
    name: str
    render: Render
    extension: str = ".txt"


BUILTIN_REPORTERS: dict[str, str] = {
    "text": "azbackup_policy.reporters.text:render",
    "json": "azbackup_policy.reporters.json:render",
    "sarif": "azbackup_policy.reporters.sarif:render",
    "junit": "azbackup_policy.reporters.junit:render",
    "github": "azbackup_policy.reporters.github:render",
    "markdown": "azbackup_policy.reporters.markdown:render",
    "azure-devops": "azbackup_policy.reporters.azure_devops:render",
}


def load_reporter(name: str, extra: Mapping[str, Render] | None = None) -> Render:
    """The render function of format ``name`` (built-in or from a plugin)."""
    if extra and name in extra:
        return extra[name]
    module_name, _, attr = BUILTIN_REPORTERS[name].partition(":")
    render: Render = getattr(importlib.import_module(module_name), attr)
    return render
