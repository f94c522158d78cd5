"""The format tables: one FormatSpec row per input format, one ReporterSpec row per report
format. Discovery, the pipeline, the pre-commit hook and the CLI read only these rows, and
a plugin's rows are read exactly like the built-in ones."""

from __future__ import annotations

import json
import re
import types
from collections.abc import Sequence
from pathlib import Path

import pytest

from azbackup_policy.discover import FileLoader, Source, discover, sniff_json
from azbackup_policy.document import Document, Resource
from azbackup_policy.errors import PluginError
from azbackup_policy.formats import BUILTIN_FORMATS, FormatSpec, by_name
from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.linkers import BUILTIN_LINKERS
from azbackup_policy.model import SourceSpan
from azbackup_policy.parsers import ParseContext, load_parser
from azbackup_policy.pipeline import load_units
from azbackup_policy.plugins import PluginHost
from azbackup_policy.precommit import Unit, affected_units
from azbackup_policy.reporters import BUILTIN_REPORTERS, ReporterSpec, load_reporter


def test_builtin_rows_are_complete_and_unambiguous() -> None:
    names = [spec.name for spec in BUILTIN_FORMATS]
    assert len(names) == len(set(names))
    suffixes = [s for spec in BUILTIN_FORMATS for s in spec.suffixes]
    for suffix in suffixes:  # no ending that another row's ending would also claim
        assert [s for s in suffixes if s.endswith(suffix)] == [suffix], suffix
    for spec in BUILTIN_FORMATS:
        assert spec.suffixes or spec.sniff, spec.name
        if spec.parser is None:
            assert spec.unit == "var-file" and by_name(BUILTIN_FORMATS)[spec.read_by or ""]
        else:
            assert callable(load_parser(spec.parser)), spec.name
            assert spec.vocabulary in BUILTIN_LINKERS, spec.name


def test_sniffing_asks_the_rows_in_order() -> None:
    both = json.dumps({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
                       "deploymentTemplate.json#", "format_version": "1.2",
                       "planned_values": {}}).encode()
    assert sniff_json(both) == "arm"
    assert sniff_json(b'{"format_version": "1.2", "planned_values": {}}') == "terraform-plan"
    assert sniff_json(b'{"name": "package"}') is None


# -- a format added by a row alone -------------------------------------------------------

def _parse_inventory(source: Source, context: ParseContext) -> Sequence[Document]:
    """A tiny made-up format for the test: one VM name per line, as ARM VM resources."""
    lines = context.loader.read_text(source.path).splitlines()
    resources = tuple(
        Resource(type="Microsoft.Compute/virtualMachines", address=name,
                 span=SourceSpan(source.path, number, number), properties={"name": name})
        for number, name in enumerate(lines, start=1) if name.strip())
    return [Document(source.path, "vm-inventory", "arm", resources=resources,
                     files=(source.path,))]


INVENTORY = FormatSpec("vm-inventory", "VM inventory", _parse_inventory, "arm",
                       suffixes=(".vms",), unit="file")
TABLE = (*BUILTIN_FORMATS, INVENTORY)


def test_a_new_row_is_discovered_parsed_and_linked(tmp_path: Path) -> None:
    (tmp_path / "estate.vms").write_text("vm-a\n\nvm-b\n", encoding="utf-8")
    loader = FileLoader([str(tmp_path)], cwd=str(tmp_path))
    assert discover([str(tmp_path)], loader=loader).sources == []  # not a built-in format
    found = discover([str(tmp_path)], loader=loader, formats=TABLE)
    assert [(s.path, s.kind) for s in found.sources] == [(f"{tmp_path}/estate.vms",
                                                           "vm-inventory")]
    loaded = load_units([str(tmp_path)], formats=TABLE)
    (unit,) = loaded.units
    assert unit.format == "vm-inventory"
    assert [(vm.name, vm.span.line) for vm in unit.estate.vms] == [("vm-a", 1), ("vm-b", 3)]


def test_a_new_row_takes_part_in_precommit(tmp_path: Path) -> None:
    (tmp_path / "estate.vms").write_text("vm-a\n", encoding="utf-8")
    changed = [str(tmp_path / "estate.vms")]
    assert affected_units(changed, root=str(tmp_path), cwd=str(tmp_path)) == []
    assert affected_units(changed, root=str(tmp_path), cwd=str(tmp_path),
                          formats=TABLE) == [Unit("estate.vms")]


def test_an_explicit_file_of_no_format_lists_the_formats_of_the_table(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    loader = FileLoader([str(tmp_path)], cwd=str(tmp_path))
    found = discover([str(tmp_path / "notes.txt")], loader=loader, formats=TABLE)
    assert "VM inventory (.vms)" in found.errors[0].message
    assert "Bicep (.bicep)" in found.errors[0].message


# -- rows from plugins ---------------------------------------------------------------------

def _host(**hooks: object) -> PluginHost:
    module = types.ModuleType("fmt_plugin")
    for name, value in hooks.items():
        setattr(module, name, hookimpl(lambda value=value: value))
        getattr(module, name).__name__ = name
    host = PluginHost()
    host.register(module, "fmt-plugin")
    return host


def test_plugin_formats_follow_the_builtin_ones() -> None:
    host = _host(azbackup_policy_parsers=[INVENTORY])
    assert host.formats() == TABLE


@pytest.mark.parametrize(("row", "message"), [
    ("not a row", "which is not a FormatSpec"),
    (FormatSpec("arm", "again", _parse_inventory, "arm", suffixes=(".x",)), "already exists"),
    (FormatSpec("x", "x", _parse_inventory, "cloudformation", suffixes=(".x",)),
     "needs a parser and a vocabulary of arm, azurerm"),
    (FormatSpec("x", "x", None, "arm", suffixes=(".x",)), "needs a parser"),
    (FormatSpec("x", "x", _parse_inventory, "arm"), "needs file-name suffixes or a sniff"),
])
def test_a_bad_plugin_format_is_a_plugin_error(row: object, message: str) -> None:
    with pytest.raises(PluginError, match="fmt-plugin") as caught:
        _host(azbackup_policy_parsers=[row]).formats()
    assert message in str(caught.value)


def _shout(report: object, options: object) -> str:
    return "LOUD\n"


def test_plugin_reporters_join_the_builtin_table() -> None:
    shout = ReporterSpec("shout", _shout, ".txt")
    table = _host(azbackup_policy_reporters=[shout]).reporters()
    assert table == (*BUILTIN_REPORTERS, shout)
    assert load_reporter("shout", table) is _shout
    with pytest.raises(PluginError, match="already exists"):
        _host(azbackup_policy_reporters=[ReporterSpec("json", _shout)]).reporters()


# -- the steps of docs/architecture.md "how to add" -----------------------------------------

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "azbackup_policy"


def test_every_parser_module_is_a_format_row() -> None:
    """A parser module (a top-level ``parse``) that no FormatSpec row names is never run."""
    named = {spec.parser.partition(":")[0] for spec in BUILTIN_FORMATS
             if isinstance(spec.parser, str)}
    for path in sorted((PACKAGE / "parsers").rglob("*.py")):
        if re.search(r"^def parse\(", path.read_text(encoding="utf-8"), re.MULTILINE):
            parts = path.relative_to(REPO).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            assert module in named, f"{module}.parse is in no FormatSpec row (formats.py)"


def test_every_reporter_module_is_a_reporter_row() -> None:
    """A reporter module (a top-level ``render``) that no ReporterSpec row names is unused."""
    named = {str(spec.render).partition(":")[0] for spec in BUILTIN_REPORTERS}
    for path in sorted((PACKAGE / "reporters").glob("*.py")):
        if re.search(r"^def render\(", path.read_text(encoding="utf-8"), re.MULTILINE) \
                and path.stem != "__init__":
            module = f"azbackup_policy.reporters.{path.stem}"
            assert module in named, f"{module} is in no ReporterSpec row (reporters/__init__.py)"


def test_the_shared_scenario_exists_in_every_input_format() -> None:
    """fixtures/scenarios/estate-basic is the same estate in every format (tests/test_parity.py
    compares them): a new format adds its file there."""
    loader = FileLoader([str(REPO)], cwd=str(REPO))
    found = discover([str(REPO / "fixtures" / "scenarios" / "estate-basic")], loader=loader)
    assert {s.kind for s in found.sources} == {
        spec.name for spec in BUILTIN_FORMATS if spec.parser is not None}


def test_the_readme_names_every_input_and_report_format() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for spec in BUILTIN_FORMATS:
        if spec.parser is not None:
            assert spec.description in text, f"README.md: add {spec.description!r} to the table"
    for reporter in BUILTIN_REPORTERS:
        assert f"`{reporter.name}`" in text, f"README.md: list `{reporter.name}` under --format"
