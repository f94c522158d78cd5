"""Run the review's hand-made mutants one at a time and report which the tests kill.

Each mutant is one exact snippet replacement in one file (``../shared/reviews/tests.md`` §3
lists them with their line numbers at ``dcf841e``). For every mutant the script checks that its
snippet occurs exactly once, writes the mutated file, runs the test subset of its area with
``pytest -x``, and puts the original file back (also on Ctrl-C). A mutant is *killed* when pytest
fails; it *survives* when the subset passes. ``--full`` re-runs the survivors against the whole
suite.

Run it on demand, not in CI, from a checkout with nothing else running against it::

    .venv/bin/python tools/mutants.py              # all mutants, targeted subsets
    .venv/bin/python tools/mutants.py P12 X14      # some of them
    .venv/bin/python tools/mutants.py --check      # only check that every snippet applies
    .venv/bin/python tools/mutants.py --full       # survivors again on the whole suite

The score leaves out the equivalent mutants (P38, X15) and X09, whose only "kill" is the
unused import it leaves behind (the lint-clean X09b replaces it).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SUBSETS: dict[str, tuple[str, ...]] = {
    "policy": ("test_policies_*.py", "test_rule_*.py", "test_matrix_facts_*.py",
               "test_config_organisation.py", "test_sample_estate.py", "test_matrix_data.py"),
    "arm": ("test_arm_*.py", "test_expression_semantics.py", "test_linker_defaults.py",
            "test_limits.py", "test_parity.py"),
    "bicep": ("test_bicep_lexer_parser.py", "test_bicep_emit.py", "test_bicep_modules_params.py",
              "test_expression_semantics.py", "test_linker_defaults.py", "test_parity.py"),
    "hcl": ("test_terraform_hcl*.py", "test_hcl_*.py", "test_expression_semantics.py",
            "test_linker_defaults.py", "test_azurerm_linker.py", "test_parity.py"),
    "plan": ("test_terraform_plan.py", "test_tfplan_helpers.py", "test_perf_plan_paths.py",
             "test_linker_defaults.py", "test_azurerm_linker.py", "test_secrets.py",
             "test_parity.py"),
    "report": ("test_reporters_*.py", "test_fingerprints.py", "test_engine.py", "test_baseline.py",
               "test_suppressions.py"),
}

NOT_COUNTED = {"P38": "equivalent: publisher is a known string there",
               "X15": "equivalent: the legacy resource has no security attributes, so its "
                      "previous security type reads Standard either way",
               "X09": "killed only by the unused import it leaves (X09b is the lint-clean redo)"}


@dataclass(frozen=True)
class Mutant:
    id: str
    area: str
    path: str
    old: str
    new: str
    what: str
    # The same mutation where the code reads differently (work in flight on another branch):
    # the first (old, new) pair whose old snippet occurs exactly once is applied.
    alternatives: tuple[tuple[str, str], ...] = ()

    def edit(self, text: str) -> str | None:
        """``text`` with the mutation applied, or None when no snippet occurs exactly once."""
        for old, new in ((self.old, self.new), *self.alternatives):
            if text.count(old) == 1:
                return text.replace(old, new)
        return None


def _m(id_: str, area: str, path: str, old: str, new: str, what: str,
       *alternatives: tuple[str, str]) -> Mutant:
    return Mutant(id_, area, path, old, new, what, alternatives)


STO, CMP, FRQ, LIM = ("policies/storage.py", "policies/compute.py",
                      "policies/frequency_retention.py", "policies/_frequency_limits.py")
COV, HCL_OPS = "policies/coverage.py", "azbackup_policy/parsers/hcl/operators.py"
ARM_FN, ARM_EV = ("azbackup_policy/parsers/arm/functions.py",
                  "azbackup_policy/parsers/arm/evaluator.py")

MUTANTS: tuple[Mutant, ...] = (
    _m("P01", "policy", STO, "if count > maximum and ctx.estate.protections_of(vm):",
       "if count >= maximum and ctx.estate.protections_of(vm):", "STO-004 32 data disks flagged",
       ("        if count > maximum:\n            yield observe(vm, f\"VM {label(vm)} backs up",
        "        if count >= maximum:\n            yield observe(vm, f\"VM {label(vm)} backs up")),
    _m("P02", "policy", STO, "(known_int(v) or 0) > maximum)", "(known_int(v) or 0) >= maximum)",
       "STO-005 disk size > -> >="),
    _m("P03", "policy", STO, "    if total > maximum:\n        yield observe(vm,",
       "    if total >= maximum:\n        yield observe(vm,", "STO-006 total size > -> >="),
    _m("P04", "policy", STO, "else (known_int(v) or 0) > 1)", "else (known_int(v) or 0) > 2)",
       "STO-009/010 shared threshold > 1 -> > 2"),
    _m("P05", "policy", STO, "where not in regions:", "where in regions:",
       "STO-014 region allow-list inverted"),
    _m("P06", "policy", STO, "if chosen is True and ade is True:",
       "if chosen is True or ade is True:", "STO-015 and -> or"),
    _m("P07", "policy", STO,
       'if same(vm.os_type, "Windows") is not True:\n        return\n'
       "    for item in ctx.estate.protections_of(vm):\n        if selective(",
       'if same(vm.os_type, "Windows") is False:\n        return\n'
       "    for item in ctx.estate.protections_of(vm):\n        if selective(",
       "STO-016 unknown OS type no longer skipped"),
    _m("P08", "policy", STO, "if disk is None or not ctx.estate.protections_of(vm):",
       "if disk is None:", "STO-003 unprotected VMs flagged"),
    _m("P09", "policy", STO, '"BKP-STO-012", "write-accelerator-disk", Severity.WARNING',
       '"BKP-STO-012", "write-accelerator-disk", Severity.NOTE', "STO-012 warning -> note"),
    _m("P10", "policy", CMP, 'if vcpus < limit(ctx, "compute", "min_vcpus") or memory',
       'if vcpus < limit(ctx, "compute", "min_vcpus") and memory', "CMP-001 or -> and",
       ("if vcpus < min_vcpus or memory < min_memory:",
        "if vcpus < min_vcpus and memory < min_memory:")),
    _m("P11", "policy", CMP, "item.api_version[:10] < _min_api(ctx)",
       "item.api_version[:10] <= _min_api(ctx)", "CMP-002/003 API boundary < -> <="),
    _m("P12", "policy", CMP,
       'if not isinstance(before, str) or same(before, "TrustedLaunch") is True:',
       "if not isinstance(before, str):", "CMP-004 already-TL exclusion dropped"),
    _m("P13", "policy", CMP, "if vm.plan is not None and ctx.estate.protections_of(vm):",
       "if vm.plan is not None:", "CMP-011 protected guard dropped"),
    _m("P14", "policy", CMP, '"BKP-CMP-009", "dedicated-host", Severity.NOTE',
       '"BKP-CMP-009", "dedicated-host", Severity.WARNING', "CMP-009 note -> warning"),
    _m("P15", "policy", FRQ, "elif interval and window % interval",
       "elif interval and window % interval and False", "FRQ-003 multiple-of-interval dropped"),
    _m("P16", "policy", FRQ, 'if days is not None and not bounds["min"] <= days <= bounds["max"]:',
       'if days is not None and not bounds["min"] <= days < bounds["max"]:',
       "FRQ-005/007 IR upper bound <= -> <"),
    _m("P17", "policy", FRQ, "if days is not None and days != fixed:",
       "if days is not None and days > fixed:", "FRQ-006 weekly V1 IR != 5 -> > 5"),
    _m("P18", "policy", FRQ, 'and days is not None and days > entry["max"]:',
       'and days is not None and days >= entry["max"]:', "FRQ-008/009 hourly ceiling > -> >=",
       ("and high is not None and days > high:", "and high is not None and days >= high:")),
    _m("P19", "policy", FRQ, "(weekly * 7 if weekly", "(weekly if weekly",
       "FRQ-010/011 weeks->days factor dropped"),
    _m("P20", "policy", FRQ,
       'if count is not None and not bounds["min"] <= count <= bounds["max"]:',
       'if count is not None and not bounds["min"] < count <= bounds["max"]:',
       "FRQ-012..015 lower bound <= -> <"),
    _m("P21", "policy", LIM, "    if total > maximum:\n        yield observe(policy,",
       "    if total >= maximum:\n        yield observe(policy,", "FRQ-016 points > -> >=",
       ("if points + snapshots > maximum:", "if points + snapshots >= maximum:")),
    _m("P22", "policy", LIM, "return max(1, window // interval)", "return 1",
       "FRQ-016 hourly snapshots per day ignored"),
    _m("P23", "policy", LIM, '(("Daily", "daily"), ("Weekly", "weekly"))', '(("Daily", "daily"),)',
       "FRQ-017 Weekly half dropped"),
    _m("P24", "policy", LIM,
       "count = len(ctx.estate.protections_with_policy(policy))\n    if count > maximum:",
       "count = len(ctx.estate.protections_with_policy(policy))\n    if count >= maximum:",
       "FRQ-019 items per policy > -> >="),
    _m("P25", "policy", LIM,
       "if isinstance(schedule, str) and isinstance(policy.policy_type, str) and v2_schedule",
       "if isinstance(schedule, str) and v2_schedule", "FRQ-021 policy_type known guard dropped"),
    _m("P26", "policy", LIM, '"BKP-FRQ-018", "dst-time-zone", Severity.NOTE',
       '"BKP-FRQ-018", "dst-time-zone", Severity.WARNING', "FRQ-018 note -> warning"),
    _m("P27", "policy", FRQ, "value.lower() not in {f.lower() for f in allowed}",
       "value not in set(allowed)", "FRQ-004 frequency match case-sensitive"),
    _m("P28", "policy", COV, "if vm.condition is not None:  #",
       "if vm.condition is not None and False:  #", "COV-001 unevaluable-condition branch dropped"),
    _m("P29", "policy", COV, "all(crash_consistent_only(p, ctx) is True for _, p in pairs)",
       "any(crash_consistent_only(p, ctx) is True for _, p in pairs)", "COV-002/003 all -> any"),
    _m("P30", "policy", COV, "and policy.vault_name.lower() != vault.name.lower():",
       "and policy.vault_name != vault.name:", "COV-004 vault-name match case-sensitive"),
    _m("P31", "policy", "policies/actions.py",
       "if isinstance(mine, str) and isinstance(theirs, str) and mine != theirs:",
       "if isinstance(mine, str) and mine != theirs:", "ACT-001 vault region known guard dropped"),
    _m("P32", "policy", "policies/actions.py", "scope, re.IGNORECASE)", "scope)",
       "ACT-003 lock-scope regex case-sensitive",
       ('resourcegroups/([^/]+)/?$", re.IGNORECASE)', 'resourcegroups/([^/]+)/?$")')),
    _m("P33", "policy", "policies/actions.py",
       'if same(before, "V2") is True and same(policy.policy_type, "V1") is True:',
       'if same(before, "V2") is True or same(policy.policy_type, "V1") is True:',
       "ACT-004 and -> or"),
    _m("P34", "policy", "policies/agentless_crash_consistent.py",
       'if "s" in features or family.endswith("s")', 'if "s" in features',
       "MDC-004 DS/GS family dropped"),
    _m("P35", "policy", "policies/agentless_crash_consistent.py", "if version >= minimum:",
       "if version > minimum:", "MDC-005 Azure Boost version >= -> >"),
    _m("P36", "policy", "policies/agentless_crash_consistent.py",
       "any(where.startswith(p) for p in prefixes)", "any(where == p for p in prefixes)",
       "MDC-007 sovereign prefix -> exact match"),
    _m("P37", "policy", "policies/network.py", "any(len(nic.ip_configurations) > 1 for",
       "any(len(nic.ip_configurations) > 2 for", "NET-002 multi-IP threshold > 1 -> > 2"),
    _m("P38", "policy", "policies/os_linux.py",
       "if isinstance(publisher, str) and one_of(publisher, endorsed) is False:",
       "if isinstance(publisher, str) and one_of(publisher, endorsed) is not True:",
       "LNX-002 is False -> is not True (equivalent)",
       ("one_of(publisher, endorsed) is not False:", "one_of(publisher, endorsed) is True:")),
    _m("P39", "policy", "policies/os_windows.py",
       "elif not unsupported and not _matches(sku, bad)", "elif not _matches(sku, bad)",
       "WIN-002 not-unsupported guard dropped"),
    _m("P40", "policy", "policies/restore_methods.py",
       'if same(vault.redundancy, "LocallyRedundant") is True:',
       'if same(vault.redundancy, "LocallyRedundant") is not False:',
       "RST-004 is True -> not False"),
    _m("P41", "policy", "policies/security_encryption.py",
       "if parts is not None and (parts[2] or 0) < minimum:",
       "if parts is not None and (parts[2] or 0) <= minimum:", "SEC-003 CVM version < -> <="),
    _m("P42", "policy", "policies/vm_management.py", "if vault.cross_region_restore is False:",
       "if vault.cross_region_restore is not True:", "VMM-002 unset CRR flagged"),
    _m("P43", "policy", "policies/prepost_scripts.py", "        if only is True:\n",
       "        if only is not False:\n", "PPS-001 is True -> is not False"),
    _m("P44", "policy", "policies/file_level_restore.py",
       "if (known_int(disk.max_shares) or 0) > 1:",
       "if (known_int(disk.max_shares) or 0) > 2:", "FLR-001 shared threshold > 1 -> > 2"),
    _m("P45", "policy", "policies/organisation.py", "elif value < minimum:",
       "elif value <= minimum:", "ORG-002 minimum retention < -> <="),
    _m("P46", "policy", "policies/matrix.yaml", "max_disks_per_vm: 32 ", "max_disks_per_vm: 33 ",
       "matrix.yaml disk limit 32 -> 33"),
    _m("P47", "policy", "policies/matrix.yaml", 'trusted_launch_standard_min_api: "2025-01-01"',
       'trusted_launch_standard_min_api: "2025-01-02"', "matrix.yaml TL min API shifted a day"),
    _m("X01", "arm", ARM_FN, "return ctx.unknown() if unknown else not stop", "return not stop",
       "ARM and()/or() drop unknown operands"),
    _m("X02", "arm", ARM_FN,
       "if isinstance(left, bool) != isinstance(right, bool):\n        return False",
       "if False:\n        return False", "ARM equals(1, true) becomes true"),
    _m("X03", "arm", ARM_EV, "if count > ARM_COPY_LIMIT:", "if count >= ARM_COPY_LIMIT:",
       "ARM copy count 800 rejected"),
    _m("X04", "arm", ARM_FN, '"div": lambda: int(left / right)', '"div": lambda: left // right',
       "ARM div() floors instead of truncating"),
    _m("X05", "arm", ARM_EV, "if 0 <= key < len(target):", "if 0 <= key <= len(target):",
       "ARM array index bound off by one"),
    _m("X06", "bicep", "azbackup_policy/parsers/bicep/expressions.py",
       '"??": 1, "||": 2, "&&": 3,', '"??": 1, "||": 2, "&&": 2,', "Bicep && binds like ||"),
    _m("X07", "bicep", "azbackup_policy/parsers/bicep/expressions.py",
       "right = self.binary(prec + 1)", "right = self.binary(prec)",
       "Bicep binary operators right-associative"),
    _m("X08", "hcl", HCL_OPS, 'if operator == "<=":\n        return x <= y',
       'if operator == "<=":\n        return x < y', "HCL <= evaluates as <"),
    _m("X09", "hcl", HCL_OPS, "    if type_name(left) != type_name(right):\n        return False\n",
       "", "HCL == type check deleted (leaves an unused import)"),
    _m("X09b", "hcl", HCL_OPS, "if type_name(left) != type_name(right):",
       'if type_name(left) != type_name(right) and {type_name(left), type_name(right)} != '
       '{"bool", "number"}:', "HCL true == 1 becomes true (lint-clean)"),
    _m("X10", "hcl", "azbackup_policy/parsers/hcl/evaluate.py",
       "self.trace.sensitive = True\n            return self.eval(arg_nodes[0])",
       "return self.eval(arg_nodes[0])", "HCL sensitive() no longer marks"),
    _m("X11", "plan", "azbackup_policy/parsers/tfplan_values.py",
       "range(min(len(value), max(len(unknown), len(sensitive))))",
       "range(min(len(value), len(unknown)))", "plan sensitive list elements not redacted"),
    _m("X12", "plan", "azbackup_policy/parsers/terraform_plan.py",
       'if names in (["delete"], ["forget"]):', 'if names in (["forget"],):',
       "plan delete-only resources kept"),
    _m("X13", "hcl", "azbackup_policy/linkers/azurerm_backup.py",
       '"storage_mode_type", "GeoRedundant")', '"storage_mode_type", "LocallyRedundant")',
       "azurerm vault default GRS -> LRS"),
    _m("X14", "arm", "azbackup_policy/linkers/arm_backup.py", '"isInclusionList", False))',
       '"isInclusionList", True))', "ARM isInclusionList defaults to true"),
    _m("X15", "plan", "azbackup_policy/linkers/azurerm_vm.py",
       'return "Standard" if legacy else security_type(resource.before)',
       "return security_type(resource.before)", "legacy VM previous type not forced to Standard"),
    _m("R01", "report", "azbackup_policy/engine.py",
       'text = "\\x1f".join((rule_id, address, attribute or ""))',
       'text = "\\x1f".join((rule_id, address, ""))', "fingerprint ignores the attribute"),
    _m("R02", "report", "azbackup_policy/engine.py",
       "fingerprint=fingerprint(rule.id, subject.address or holder.address,\n"
       "                                observation.attribute),",
       "fingerprint=fingerprint(rule.id, subject.address or holder.address,\n"
       '                                f"{observation.attribute}{location.line}"),',
       "fingerprint includes the line number"),
    _m("R03", "report", "azbackup_policy/reporters/github.py",
       '.replace(":", "%3A").replace(",", "%2C")', '.replace(":", "%3A")',
       "GitHub: , not escaped in properties"),
    _m("R04", "report", "azbackup_policy/reporters/github.py", '.replace("\\r", "%0D")', "",
       "GitHub: CR not escaped in data"),
    _m("R05", "report", "azbackup_policy/reporters/junit.py",
       "worst = max(failing, key=lambda f: f.severity.rank)",
       "worst = min(failing, key=lambda f: f.severity.rank)", "JUnit type = least severe finding"),
    _m("R06", "report", "azbackup_policy/reporters/sarif.py",
       '"level": "none" if review else finding.severity.value,',
       '"level": finding.severity.value,', "SARIF reviews get the rule severity"),
    _m("R07", "report", "azbackup_policy/reporters/sarif.py",
       "finding.kind is Kind.REVIEW, -finding.severity.rank,",
       "finding.kind is Kind.REVIEW, finding.severity.rank,", "SARIF cap keeps least severe"),
)


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    result: str  # "killed", "survived" or "not applied"
    detail: str
    seconds: float


def tests_of(area: str) -> list[str]:
    found = {str(p.relative_to(REPO)) for pattern in SUBSETS[area]
             for p in (REPO / "tests").glob(pattern)}
    return sorted(found)


def apply(mutant: Mutant) -> tuple[Path, str] | str:
    """Write the mutated file; return it with its original text, or why it cannot apply."""
    path = REPO / mutant.path
    text = path.read_text(encoding="utf-8")
    mutated = mutant.edit(text)
    if mutated is None:
        return "no snippet occurs exactly once"
    path.write_text(mutated, encoding="utf-8")
    return path, text


def run_pytest(tests: Sequence[str], *, first_failure: bool = True) -> tuple[int, list[str]]:
    """pytest's exit code and the ids of the failing tests."""
    env = {**os.environ, "HYPOTHESIS_PROFILE": "ci", "CI": "true", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE",
               *(["-x"] if first_failure else []), *tests]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                          check=False)
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.MULTILINE)
    return done.returncode, failed or ([done.stdout.strip()[-200:]] if done.returncode else [])


def run(mutant: Mutant, tests: Sequence[str]) -> Outcome:
    start = time.monotonic()
    applied = apply(mutant)
    if isinstance(applied, str):
        return Outcome(mutant, "not applied", applied, 0.0)
    path, original = applied
    try:
        code, failed = run_pytest(tests)
    finally:
        path.write_text(original, encoding="utf-8")
    result = "survived" if code == 0 else "killed"
    return Outcome(mutant, result, ", ".join(failed[:2]), time.monotonic() - start)


def baseline(areas: Sequence[str]) -> dict[str, list[str]]:
    """Each area's test arguments, leaving out the tests that fail without any mutant (a test
    that is already red cannot kill anything; they are listed on stderr)."""
    arguments = {}
    for area in areas:
        tests = tests_of(area)
        code, failed = run_pytest(tests, first_failure=False)
        broken = [test for test in failed if "::" in test]
        if code not in (0, 1) or (code == 1 and not broken):
            raise SystemExit(f"the {area} tests cannot run without a mutant: {failed}")
        for test in broken:
            print(f"{area}: failing without a mutant, left out: {test}", file=sys.stderr)
        arguments[area] = [*tests, *(f"--deselect={test}" for test in broken)]
    return arguments


def table(outcomes: Sequence[Outcome]) -> str:
    lines = ["| id | file | mutation | result | first failing test | s |",
             "|---|---|---|---|---|---:|"]
    for o in outcomes:
        note = f" ({NOT_COUNTED[o.mutant.id]})" if o.mutant.id in NOT_COUNTED else ""
        lines.append(f"| {o.mutant.id} | `{o.mutant.path}` | {o.mutant.what}{note} | {o.result} "
                     f"| {o.detail.replace('|', '/')} | {o.seconds:.0f} |")
    return "\n".join(lines)


def score(outcomes: Sequence[Outcome]) -> str:
    counted = [o for o in outcomes if o.mutant.id not in NOT_COUNTED]
    killed = sum(o.result == "killed" for o in counted)
    share = 100 * killed / len(counted) if counted else 0.0
    return f"score: {killed} of {len(counted)} counted mutants killed ({share:.0f}%)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("ids", nargs="*", help="mutant ids (default: all)")
    parser.add_argument("--check", action="store_true", help="only check the snippets apply")
    parser.add_argument("--full", action="store_true", help="re-run survivors on the whole suite")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.ids or m.id in args.ids]
    if args.check:
        bad = [f"{m.id}: no snippet occurs exactly once in {m.path}" for m in chosen
               if m.edit((REPO / m.path).read_text(encoding="utf-8")) is None]
        print("\n".join(bad) or f"all {len(chosen)} snippets apply exactly once")
        return 1 if bad else 0
    arguments = baseline(sorted({m.area for m in chosen}))
    outcomes = []
    for mutant in chosen:
        outcome = run(mutant, arguments[mutant.area])
        if outcome.result == "survived" and args.full:
            left_out = {arg for area in arguments.values() for arg in area if arg[:2] == "--"}
            outcome = run(mutant, ["tests", *sorted(left_out)])
        print(f"{mutant.id} {outcome.result} {outcome.detail}", file=sys.stderr, flush=True)
        outcomes.append(outcome)
    print(table(outcomes))
    print()
    print(score(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
