"""Suppressions: inline (HCL, Bicep, ARM metadata) and config, expiry, unknown and unused.

Until every parser has landed, the pipeline is fed hand-built Documents and Estates
(:func:`fake_inputs`), so ``scan`` runs for real from discovery to the report.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from azbackup_policy.policies.coverage import vm_not_protected
from hypothesis import given
from hypothesis import strategies as st

from azbackup_policy import pipeline as scan_module
from azbackup_policy.cli import main
from azbackup_policy.document import Document, Resource
from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.model import Estate, Protection, SourceSpan, VirtualMachine
from azbackup_policy.pipeline import ScanOptions, scan
from azbackup_policy.suppressions import (
    ConfigSuppression,
    Directive,
    InlineSuppression,
    Suppressor,
    address_matches,
    inline_suppressions,
    parse_comment,
)

TODAY = dt.date(2026, 6, 1)
HCL_VM = "azurerm_linux_virtual_machine.jump"
FORMATS = {  # format -> (file name, vocabulary, VM address, comment text as the parser keeps it)
    "terraform-hcl": ("main.tf", "azurerm", HCL_VM,
                      '# azbackup-policy: ignore[BKP-COV-001] reason="rebuilt nightly"'),
    "bicep": ("main.bicep", "arm", "jumpVm",
              '// azbackup-policy: ignore[BKP-COV-001] reason="rebuilt nightly"'),
    "arm": ("azuredeploy.json", "arm", "Microsoft.Compute/virtualMachines/vm-jump",
            json.dumps({"azbackup-policy": 'ignore[BKP-COV-001] reason="rebuilt nightly"'})),
    "terraform-plan": ("tfplan.json", "azurerm", HCL_VM, None),
}


# --- parsing one comment ------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    '# azbackup-policy: ignore[BKP-COV-001] reason="VM is rebuilt" until=2027-01-31',
    '  // azbackup-policy: ignore[BKP-COV-001] reason="VM is rebuilt" until=2027-01-31',
    '/* azbackup-policy: ignore[BKP-COV-001] reason="VM is rebuilt" until=2027-01-31 */',
    'azbackup-policy: ignore[BKP-COV-001] reason="VM is rebuilt" until=2027-01-31',
    "azbackup-policy: ignore[ BKP-COV-001 ] reason='VM is rebuilt' until=2027-01-31",
    json.dumps({"azbackup-policy": 'ignore[BKP-COV-001] reason="VM is rebuilt" '
                'until=2027-01-31', "owner": "ops"}),
    'azbackup-policy: ignore[BKP-COV-001] reason=\\"VM is rebuilt\\" until=2027-01-31',
])
def test_every_comment_form_gives_the_same_directive(text: str) -> None:
    directives, problems = parse_comment(text)
    assert problems == []
    assert directives == [Directive(("BKP-COV-001",), "VM is rebuilt", dt.date(2027, 1, 31))]


def test_several_rules_escaped_quotes_and_several_markers() -> None:
    directives, _ = parse_comment(
        r'# azbackup-policy: ignore[BKP-STO-003, vm-not-protected] reason="the \"db\" VM"'
        ' azbackup-policy: ignore[BKP-ORG-001] reason=legacy')
    assert directives == [Directive(("BKP-STO-003", "vm-not-protected"), 'the "db" VM'),
                          Directive(("BKP-ORG-001",), "legacy")]


def test_arm_metadata_with_a_list_of_directives() -> None:
    text = json.dumps({"azbackup-policy": ['ignore[A-1] reason="x"', 'ignore[B-2] reason="y"']})
    assert [d.rules for d in parse_comment(text)[0]] == [("A-1",), ("B-2",)]


@pytest.mark.parametrize(("text", "problem"), [
    ("# azbackup-policy: ignore[BKP-COV-001]", "has no reason"),
    ('# azbackup-policy: ignore[BKP-COV-001] reason=""', "has no reason"),
    ('# azbackup-policy: ignore[BKP-COV-001] reson="x"', "unknown key 'reson'"),
    ('# azbackup-policy: ignore[BKP-COV-001] reason="x" until=31.01.2027', "YYYY-MM-DD"),
    ('# azbackup-policy: ignore[] reason="x"', "names no rule"),
    ('# azbackup-policy: skip BKP-COV-001 reason="x"', "expected ignore[RULE]"),
])
def test_malformed_directives_are_problems_not_suppressions(text: str, problem: str) -> None:
    directives, problems = parse_comment(text)
    assert directives == []
    assert len(problems) == 1 and problem in problems[0]


def test_comments_without_the_marker_are_ignored() -> None:
    assert parse_comment("# just a comment about ignore[X]") == ([], [])


def test_address_wildcards() -> None:
    pattern = "module.web.azurerm_linux_virtual_machine.vm[*]"
    assert address_matches(pattern, "module.web.azurerm_linux_virtual_machine.vm[0]")
    assert address_matches(pattern, 'module.web.azurerm_linux_virtual_machine.vm["api-a"]')
    assert not address_matches(pattern, "module.web.azurerm_linux_virtual_machine.vm")
    assert not address_matches(pattern, "module.webx.azurerm_linux_virtual_machine.vm[0]")
    assert not address_matches(pattern, "module.web.azurerm_linux_virtual_machine.vm[0]x")
    assert address_matches("module.*.azurerm_linux_virtual_machine.db",
                           "module.data.azurerm_linux_virtual_machine.db")
    assert address_matches("*", "") and address_matches("a**b", "ab")
    assert address_matches("*.vm[*].x*", "m.vm[1].y.vm[2].xz")
    assert not address_matches("*[*]", "vm[0")


@given(st.text("ab*[]0.", max_size=8), st.text("ab[]0.", max_size=12))
def test_address_matches_agrees_with_the_regular_expression(pattern: str, text: str) -> None:
    """The linear matcher says what the backtracking regular expression said."""
    globbed = (".*".join(re.escape(p) for p in part.split("*")) for part in pattern.split("[*]"))
    expected = re.fullmatch(r"\[[^\]]*\]".join(globbed), text) is not None
    assert address_matches(pattern, text) == expected


def test_address_pattern_that_backtracks_is_fast() -> None:
    """``*a*a*a*b`` against a long address: linear, not a regular expression's backtracking."""
    assert not address_matches("*a*a*a*a*a*a*b", "a" * 5_000)


# --- applying them (hand-built estates) -----------------------------------------------------


def vm(address: str, file: str = "main.tf", tags: Mapping[str, object] | None = None
       ) -> VirtualMachine:
    return VirtualMachine(address=address, resource_type="azurerm_linux_virtual_machine",
                          name=address.rsplit(".", 1)[-1], span=SourceSpan(file, 10, 20),
                          tags=tags or {})


def findings_of(estate: Estate, unit: str = "main.tf") -> list:
    return run([(unit, estate)], [vm_not_protected], EngineSettings()).findings


def suppressor(*config: ConfigSuppression, tag: str | None = None) -> Suppressor:
    return Suppressor(config=config, rules=[vm_not_protected], ran=frozenset({"BKP-COV-001"}),
                      today=TODAY, opt_out_tag=tag)


def inline(address: str, until: dt.date | None = None, rule: str = "BKP-COV-001"
           ) -> InlineSuppression:
    return InlineSuppression(address, Directive((rule,), "rebuilt nightly", until), "main.tf:9")


def test_inline_suppression_matches_its_resource_only() -> None:
    estate = Estate(vms=(vm("x.jump"), vm("x.web")))
    sup = suppressor()
    out = {f.resource.address: f.suppression for f in
           sup.apply(findings_of(estate), [inline("x.jump", dt.date(2027, 1, 31))], estate)}
    assert out["x.web"] is None
    jump = out["x.jump"]
    assert jump is not None
    assert (jump.reason, jump.source, jump.until) == ("rebuilt nightly", "inline", "2027-01-31")
    assert sup.warnings() == []


def test_expired_suppression_stops_suppressing_and_says_so() -> None:
    estate = Estate(vms=(vm("x.jump"),))
    sup = suppressor()
    out = sup.apply(findings_of(estate), [inline("x.jump", dt.date(2026, 5, 31))], estate)
    assert out[0].suppression is None
    assert sup.warnings() == ["main.tf:9: inline suppression ignore[BKP-COV-001] expired on "
                              "2026-05-31: the findings it covered are reported again"]


def test_suppression_valid_through_its_until_day() -> None:
    estate = Estate(vms=(vm("x.jump"),))
    out = suppressor().apply(findings_of(estate), [inline("x.jump", TODAY)], estate)
    assert out[0].suppressed


def test_unknown_rule_and_unused_suppressions_are_reported() -> None:
    estate = Estate(vms=(vm("x.jump"),))
    sup = suppressor(ConfigSuppression(rule="BKP-COV-001", reason="r", address="x.gone",
                                       origin="cfg.yaml: suppressions[0]"))
    sup.apply(findings_of(estate), [inline("x.jump", rule="BKP-NOPE-001")], estate)
    assert sup.warnings() == [
        "cfg.yaml: suppressions[0]: suppression of BKP-COV-001 for address x.gone is unused: "
        "it matched no finding",
        "main.tf:9: inline suppression ignore[BKP-NOPE-001] names unknown rule BKP-NOPE-001",
    ]


def test_unused_is_not_reported_for_a_rule_that_did_not_run() -> None:
    sup = Suppressor(config=(ConfigSuppression(rule="BKP-COV-001", reason="r", origin="c"),),
                     rules=[vm_not_protected], ran=frozenset(), today=TODAY)
    sup.apply([], [], Estate())
    assert sup.warnings() == []


def test_instances_of_one_block_share_one_directive() -> None:
    estate = Estate(vms=(vm("x.web[0]"), vm("x.web[1]")))
    sup = suppressor()
    sup.apply(findings_of(estate)[:1], [inline("x.web[0]"), inline("x.web[1]")], estate)
    assert sup.warnings() == []


@pytest.mark.parametrize("item", [
    ConfigSuppression(rule="BKP-COV-001", reason="r", address="x.web[*]"),
    ConfigSuppression(rule="vm-not-protected", reason="r", file="legacy/*"),
    ConfigSuppression(rule="bkp-cov-001", reason="r", file="**/*.tf", address="x.*"),
])
def test_config_suppression_by_address_file_and_rule_name(item: ConfigSuppression) -> None:
    estate = Estate(vms=(vm("x.web[0]", "legacy/main.tf"), vm("y.db", "main.tf")))
    out = {f.resource.address: f.suppression for f in
           suppressor(item).apply(findings_of(estate), [], estate)}
    assert out["x.web[0]"] is not None and out["x.web[0]"].source == "config"
    assert out["y.db"] is None


def test_config_file_glob_relative_to_the_config_folder(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    item = ConfigSuppression(rule="BKP-COV-001", reason="r", file="legacy/*.tf",
                             base_dir=str(tmp_path / "infra"))
    estate = Estate(vms=(vm("x.a", "infra/legacy/a.tf"),))
    assert suppressor(item).apply(findings_of(estate), [], estate)[0].suppressed


def test_opt_out_tag_with_a_reason_suppresses_coverage() -> None:
    estate = Estate(vms=(vm("x.a", tags={"Backup-Exempt": "scratch VM"}),
                         vm("x.b", tags={"backup-exempt": ""})))
    out = {f.resource.address: f.suppression for f in
           suppressor(tag="backup-exempt").apply(findings_of(estate), [], estate)}
    assert out["x.a"] is not None
    assert out["x.a"].reason == "opted out of backup by tag backup-exempt: scratch VM"
    assert out["x.b"] is None


def test_inline_suppressions_from_a_document_deduplicate_problems() -> None:
    span = SourceSpan("main.tf", 12, 30)
    bad = "# azbackup-policy: ignore[BKP-COV-001]"
    doc = Document("main.tf", "terraform-hcl", "azurerm", resources=(
        Resource("azurerm_linux_virtual_machine", "x.web[0]", span, comments=(bad,)),
        Resource("azurerm_linux_virtual_machine", "x.web[1]", span, comments=(bad,)),
        Resource("azurerm_linux_virtual_machine", "x.db", span,
                 comments=('# azbackup-policy: ignore[BKP-COV-001] reason="r"',)),
    ))
    found, problems = inline_suppressions(doc)
    assert [(s.address, s.where) for s in found] == [("x.db", "main.tf:12")]
    assert problems == ["main.tf:12: suppression ignored: ignore[BKP-COV-001] has no reason: "
                        'write reason="why"']


# --- end to end through scan, with hand-built documents ------------------------------------


def fake_inputs(monkeypatch: pytest.MonkeyPatch, root: Path,
                units: Sequence[tuple[Document, Estate]]) -> None:
    """Make ``scan`` read ``units`` instead of parsing: discovery still walks ``root``."""
    by_file = {}
    for document, estate in units:
        (root / document.path).write_text("{}" if document.path.endswith(".json") else "",
                                          encoding="utf-8")
        by_file[document.path] = (document, estate)

    def parse(source, context, loaded, formats=None):  # type: ignore[no-untyped-def]
        return [by_file[Path(source.path).name][0]]

    monkeypatch.setattr(scan_module, "_parse_source", parse)
    monkeypatch.setattr(scan_module, "link", lambda doc: by_file[doc.path][1])
    monkeypatch.setattr(scan_module, "discover", _discover(list(by_file)))
    monkeypatch.chdir(root)


def _discover(paths: list[str]):  # type: ignore[no-untyped-def]
    from azbackup_policy.discover import Discovery, Source

    return lambda *args, **kwargs: Discovery(sources=[Source(p, "fake") for p in paths])


def unit(fmt: str, *, protected: bool = False) -> tuple[Document, Estate]:
    file, vocabulary, address, comment = FORMATS[fmt]
    span = SourceSpan(file, 5, 20)
    resource = Resource("vm", address, span, comments=(comment,) if comment else ())
    machine = VirtualMachine(address=address, resource_type="vm", name="vm-jump", span=span)
    items = (Protection(address="p", vm=address),) if protected else ()
    return Document(file, fmt, vocabulary, (resource,)), Estate(vms=(machine,),
                                                                protections=items)


@pytest.mark.parametrize("fmt", ["terraform-hcl", "bicep", "arm"])
def test_inline_suppression_in_each_template_format(fmt: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit(fmt)])
    report = scan(["."], ScanOptions(select=("BKP-COV-001",), today=TODAY))
    (finding,) = report.findings
    assert finding.suppression is not None
    assert (finding.suppression.source, finding.suppression.reason) == ("inline",
                                                                        "rebuilt nightly")
    assert report.at_or_above() == ()
    assert report.warnings == ()


def test_plan_json_is_suppressed_through_the_config(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-plan")])
    item = ConfigSuppression(rule="BKP-COV-001", reason="jump host", address=HCL_VM)
    report = scan(["."], ScanOptions(select=("BKP-COV-001",), suppressions=(item,)))
    assert report.findings[0].suppression is not None
    assert report.findings[0].suppression.source == "config"


def test_inline_comments_belong_to_their_own_unit(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan and the HCL share the address; only the HCL finding carries the comment."""
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-hcl"), unit("terraform-plan")])
    report = scan(["."], ScanOptions(select=("BKP-COV-001",)))
    by_file = {f.location.file: f.suppressed for f in report.findings}
    assert by_file == {"main.tf": True, "tfplan.json": False}


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err, environ={}), out.getvalue(), err.getvalue()


def test_json_output_shows_suppressed_findings_with_the_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-hcl")])
    code, out, _ = cli("scan", ".", "--no-config", "--select", "BKP-COV-001", "--format", "json")
    data = json.loads(out)
    assert code == 0
    (finding,) = data["findings"]
    assert finding["suppressed"] is True
    assert finding["suppression"] == {"reason": "rebuilt nightly", "source": "inline",
                                      "until": None}
    assert data["summary"]["suppressed"] == 1


def test_cli_prints_suppression_warnings_and_counts_expired(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_inputs(monkeypatch, tmp_path, [unit("terraform-plan")])
    (tmp_path / ".git").mkdir()
    (tmp_path / ".azbackup-policy.yaml").write_text(
        "suppressions:\n"
        f"  - {{rule: BKP-COV-001, address: '{HCL_VM}', reason: r, until: 2020-01-01}}\n"
        "  - {rule: BKP-XYZ-001, reason: typo}\n", encoding="utf-8")
    code, _, err = cli("scan", ".", "--select", "BKP-COV-001", "--format", "json")
    assert code == 1  # warnings on stderr when no text report shows them
    assert "warning: .azbackup-policy.yaml: suppressions[0]: suppression of BKP-COV-001 for " \
           f"address {HCL_VM} expired on 2020-01-01" in err
    assert "suppressions[1]: suppression of BKP-XYZ-001 names unknown rule BKP-XYZ-001" in err
