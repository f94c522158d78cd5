"""The example plugin ``plugins/example-org-rules``: in process, and installed for real into
a fresh virtual environment together with the main package (and a broken plugin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib
from conftest import REPO

from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.formats import BUILTIN_FORMATS
from azbackup_policy.model import BackupPolicy, Estate, VirtualMachine
from azbackup_policy.plugins import PluginHost

PLUGIN = REPO / "plugins" / "example-org-rules"
RULE_ID = "ACME-TAG-001"


@pytest.fixture
def plugin_module(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.syspath_prepend(str(PLUGIN / "src"))
    import azbackup_policy_example_org_rules as module

    yield module
    monkeypatch.delitem(sys.modules, "azbackup_policy_example_org_rules")


def test_the_distribution_declares_its_entry_point() -> None:
    data = tomllib.loads((PLUGIN / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["entry-points"]["azbackup_policy"] == {
        "example-org-rules": "azbackup_policy_example_org_rules"}
    assert "azbackup-policy" in data["project"]["dependencies"]


def test_registered_directly_its_rule_runs(plugin_module: object) -> None:
    host = PluginHost()
    host.register(plugin_module, "example-org-rules")
    (rule,) = host.rules()
    assert (rule.id, rule.origin) == (RULE_ID, "example-org-rules")
    estate = Estate(
        vms=(VirtualMachine(address="vm.pass", tags={"backup-tier": "pol-daily"}),
             VirtualMachine(address="vm.fail", tags={})),
        policies=(BackupPolicy(address="pol", name="pol-daily"),))
    findings = run([("main.tf", estate)], [rule], EngineSettings()).findings
    assert [f.resource.address for f in findings] == ["vm.fail"]


def test_the_tag_name_comes_from_the_options(plugin_module: object) -> None:
    host = PluginHost()
    host.register(plugin_module, "example-org-rules")
    (rule,) = host.rules()
    estate = Estate(vms=(VirtualMachine(address="vm", tags={"backup-class": "pol-daily"}),),
                    policies=(BackupPolicy(address="pol", name="pol-daily"),))
    settings = EngineSettings(options={"example-org-rules": {"tag": "backup-class"}})
    assert run([("m", estate)], [rule], settings).findings == []


def test_its_input_format_is_read_through_the_hook(plugin_module: object) -> None:
    """The plugin adds a format (ARM REST list responses) with one FormatSpec row: found
    by sniffing, parsed by the plugin, linked by the built-in ARM linker, checked by every
    rule."""
    from azbackup_policy.pipeline import ScanOptions, scan

    host = PluginHost()
    host.register(plugin_module, "example-org-rules")
    formats = host.formats()
    assert formats[-1].name == "azure-rest-list"
    target = str(PLUGIN / "fixtures" / "vm-list")
    report = scan([target], ScanOptions(select=(RULE_ID,)), rules=host.rules(),
                  formats=formats)
    assert not report.errors and [u.format for u in report.units] == ["azure-rest-list"]
    assert [(f.resource.address, f.location.line) for f in report.findings] == [
        ("vm-web-01", 5), ("vm-batch-02", 48)]
    builtin_only = scan([target], rules=host.rules(), formats=BUILTIN_FORMATS)
    assert builtin_only.units == () and builtin_only.skipped  # JSON of no known kind


def test_the_plugins_own_tests_pass() -> None:
    """The example's tests (they use azbackup_policy.testing) run against this checkout.

    The plugin is on ``PYTHONPATH``, not installed here, so its check of the installed entry
    point is left out: the fresh-venv test below installs it and proves that."""
    env = {**os.environ, "PYTHONPATH": str(PLUGIN / "src")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "--deselect",
                             "tests/test_backup_tier.py::test_the_entry_point_is_declared",
                             str(PLUGIN / "tests")], cwd=PLUGIN, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


BROKEN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-broken-plugin"
version = "0.1.0"

[project.entry-points.azbackup_policy]
broken = "acme_broken_plugin"
"""


def _broken_plugin(root: Path) -> Path:
    folder = root / "acme-broken-plugin"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(BROKEN_PYPROJECT, encoding="utf-8")
    (folder / "acme_broken_plugin.py").write_text(
        "import acme_internal_sdk  # not installed: the plugin cannot load\n", encoding="utf-8")
    return folder


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.slow
def test_installed_into_a_fresh_venv_the_plugin_rule_fires(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    pip = _run([str(bindir / "python"), "-m", "pip", "install", "-q", str(REPO), str(PLUGIN),
                str(_broken_plugin(tmp_path))], tmp_path)
    assert pip.returncode == 0, pip.stderr[-3000:]
    tool = str(bindir / "azbackup-policy")

    broken = _run([tool, "scan", str(tmp_path / "acme-broken-plugin"), "--no-config"], tmp_path)
    assert broken.returncode == 3, broken.stderr
    assert "plugin 'acme-broken-plugin:broken'" in broken.stderr
    assert "ModuleNotFoundError: No module named 'acme_internal_sdk'" in broken.stderr

    uninstall = _run([str(bindir / "python"), "-m", "pip", "uninstall", "-q", "-y",
                      "acme-broken-plugin"], tmp_path)
    assert uninstall.returncode == 0, uninstall.stderr
    target = PLUGIN / "fixtures" / "backup-tier"
    result = _run([tool, "scan", str(target), "--no-config", "--select", RULE_ID,
                   "--format", "json"], tmp_path)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert data["rules"] == [RULE_ID]
    flagged = sorted(f["resource"]["address"] for f in data["findings"])
    assert flagged == ['azurerm_linux_virtual_machine.vm["fail_no_policy"]',
                       'azurerm_linux_virtual_machine.vm["fail_untagged"]']
    origin = _run([str(bindir / "python"), "-c", textwrap.dedent(f"""\
        from azbackup_policy.plugins import default_host
        print([r.origin for r in default_host().rules() if r.id == {RULE_ID!r}][0])""")],
        tmp_path)
    assert origin.stdout.strip() == "azbackup-policy-example-org-rules:example-org-rules"
