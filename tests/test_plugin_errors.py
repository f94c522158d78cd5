"""Plugins that fail stop the run with an error naming them (exit 3); reporters from plugins
work with ``--format NAME``; nothing from the scanned repository is ever imported.

Entry-point plugins are made as a tiny installed distribution: a module plus a
``*.dist-info`` folder in a temporary directory put on ``sys.path``.
"""

from __future__ import annotations

import io
import itertools
import types
from pathlib import Path

import pytest

from azbackup_policy.cli import main
from azbackup_policy.errors import PluginError
from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.plugins import PluginHost

_COUNTER = itertools.count()


def install(monkeypatch: pytest.MonkeyPatch, root: Path, dist: str, source: str) -> str:
    """A distribution ``dist`` whose module (``source``) is an ``azbackup_policy`` plugin."""
    module = f"azbp_test_plugin_{next(_COUNTER)}"
    site = root / f"site-{module}"
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[azbackup_policy]\n{dist} = {module}\n",
                                           encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    return f"{dist}:{dist}"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err, environ={}), out.getvalue(), err.getvalue()


HOOK = "from azbackup_policy.hookspecs import hookimpl\n"
RULE = HOOK + """\
from azbackup_policy.rules import Rule, Severity, Target

def check(vm, ctx):
    {body}
    yield from ()

RULE = Rule(id="ZZ-001", name="zz", area="test", severity=Severity.ERROR, matrix_rows=(),
            summary="s", help="h", target=Target.{target}, check=check)

@hookimpl
def azbackup_policy_rules():
    return [RULE]
"""


@pytest.mark.parametrize(("source", "message"), [
    ("raise ImportError('no module named acme_internal')\n",
     "failed to load (ImportError: no module named acme_internal)"),
    (HOOK + "@hookimpl\ndef azbackup_policy_rules():\n    raise RuntimeError('boom')\n",
     "azbackup_policy_rules raised RuntimeError('boom')"),
    (HOOK + "@hookimpl\ndef azbackup_policy_rules():\n    return ['not a rule']\n",
     "returned 'not a rule', which is not a Rule"),
    (HOOK + "@hookimpl\ndef azbackup_policy_rule():\n    return []\n",
     "unknown hook 'azbackup_policy_rule'"),
    (HOOK + "@hookimpl\ndef azbackup_policy_rules():\n    return 42\n",
     "azbackup_policy_rules must return a list, got int"),
])
def test_a_broken_entry_point_plugin_exits_3_naming_it(
        source: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin = install(monkeypatch, tmp_path, "acme-broken", source)
    code, _, err = cli("scan", str(tmp_path), "--no-config")
    assert code == 3
    assert f"plugin '{origin}'" in err
    assert message in err


def test_a_rule_that_raises_exits_3_naming_its_plugin(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from test_suppressions import fake_inputs, unit

    origin = install(monkeypatch, tmp_path, "acme-buggy",
                     RULE.format(body="raise KeyError('size')", target="VM"))
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-plan")])
    code, out, err = cli("scan", ".", "--no-config")
    assert code == 3
    assert f"rule failure ZZ-001 ({origin}): raised KeyError" in out  # once, in the report
    assert "ZZ-001" not in err
    code, _, err = cli("scan", ".", "--no-config", "--format", "json")
    assert f"error: rule ZZ-001 from {origin} raised KeyError" in err  # no text report


def test_a_duplicate_rule_id_names_both_plugins(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    source = RULE.format(body="pass", target="VM")
    first = install(monkeypatch, tmp_path, "acme-one", source)
    second = install(monkeypatch, tmp_path, "acme-two", source)
    code, _, err = cli("scan", str(tmp_path), "--no-config")
    assert code == 3
    assert "ZZ-001 is already defined by" in err
    assert first in err and second in err


def test_a_module_registered_directly_is_named_when_it_raises() -> None:
    plugin = types.ModuleType("acme_inline")

    @hookimpl
    def azbackup_policy_rules() -> list[object]:
        raise ValueError("config missing")

    plugin.azbackup_policy_rules = azbackup_policy_rules  # type: ignore[attr-defined]
    host = PluginHost()
    host.register(plugin, "acme-inline")
    with pytest.raises(PluginError) as caught:
        host.rules()
    assert caught.value.plugin == "acme-inline"
    assert "ValueError('config missing')" in caught.value.message


def test_a_module_with_a_misspelled_hook_is_refused() -> None:
    plugin = types.ModuleType("acme_typo")

    @hookimpl
    def azbackup_policy_ruels() -> list[object]:
        return []

    plugin.azbackup_policy_ruels = azbackup_policy_ruels  # type: ignore[attr-defined]
    host = PluginHost()
    host.register(plugin, "acme-typo")
    with pytest.raises(PluginError) as caught:
        host.check_pending()
    assert caught.value.plugin == "acme-typo"


REPORTER = HOOK + """\
from azbackup_policy.reporters import ReporterSpec

def render(report, options):
    return "SHOUT %d FINDINGS IN %d FILES\\n" % (len(report.findings), len(report.files_scanned))

@hookimpl
def azbackup_policy_reporters():
    return [SPEC]
"""


def test_a_plugin_reporter_is_usable_with_format(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, tmp_path, "acme-shout",
            REPORTER.replace("SPEC", 'ReporterSpec("shout", render, ".txt")'))
    code, out, err = cli("scan", str(tmp_path), "--no-config", "--format", "shout")
    assert (code, out) == (0, "SHOUT 0 FINDINGS IN 0 FILES\n"), err


def test_a_plugin_reporter_that_is_not_a_spec_exits_3(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    origin = install(monkeypatch, tmp_path, "acme-bad-reporter", REPORTER.replace("SPEC", "render"))
    code, _, err = cli("scan", str(tmp_path), "--no-config", "--format", "shout")
    assert code == 3
    assert f"plugin '{origin}'" in err and "not a ReporterSpec" in err


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = cli("scan", str(tmp_path), "--no-config", "--format", "shout")
    assert code == 2
    assert "unknown --format shout (choose from text, json" in err


def test_code_in_the_scanned_repository_is_never_imported(tmp_path: Path) -> None:
    """A scanned repo may declare a plugin and hold Python; none of it runs."""
    marker = tmp_path / "imported.txt"
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    for name in ("evil_plugin.py", "conftest.py", "setup.py", "__init__.py"):
        (repo / name).write_text(payload, encoding="utf-8")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "evil"\n[project.entry-points.azbackup_policy]\n'
        'evil = "evil_plugin"\n[tool.azbackup-policy]\nfail-on = "error"\n', encoding="utf-8")
    (repo / ".azbackup-policy.yaml").write_text("rules: []\n", encoding="utf-8")
    code, _, err = cli("scan", str(repo), "--config", str(repo / "pyproject.toml"))
    assert code == 0, err
    assert not marker.exists()
