"""Hostile pull requests, through the CLI in a subprocess: evaluation budgets (ARM, Bicep,
HCL), bounded reading (config, baselines, YAML rules, var and parameter files) and the
path boundary (links out of the repository, deep folders, pre-commit file names).

Each case asserts the exit code, no traceback, the located error and that it finishes
within a generous time and memory bound (a subprocess timeout and RLIMIT_AS: a guard
against a blow-up, not a benchmark). See docs/security.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
LOCATED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$", re.M)
SECRET = "TOPSECRET-do-not-print-7f3a"
MEMORY = 1024 * 1024 * 1024  # address space: the interpreter, lark and the scan within it


PEAK_RSS_MB = 300  # the bound on the whole process's resident memory
# Linux counts a child's peak RSS from the fork, before exec: a child of this (large)
# test process would carry the test process's memory. So a small Python process runs the
# CLI and reports its child's peak from getrusage(RUSAGE_CHILDREN), on its last line.
_RUNNER = """
import os, resource, subprocess, sys
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (int(os.environ["AZBP_TEST_AS"]),) * 2)
code = subprocess.run(sys.argv[1:], preexec_fn=limit if sys.platform == "linux" else None,
                      timeout=60).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(f"\\npeak-rss-kb {peak}\\n")
sys.exit(code)
"""


def cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    """The CLI in a child process: its exit code, stdout and messages; its peak resident
    memory must stay under :data:`PEAK_RSS_MB` (60 s timeout: a guard, not a benchmark)."""
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, sys.executable, "-m", "azbackup_policy", *args],
        cwd=cwd, capture_output=True, text=True, timeout=90,
        env={**os.environ, "NO_COLOR": "1", "AZBP_TEST_AS": str(MEMORY)},
    )
    stderr, _, peak = done.stderr.rpartition("\npeak-rss-kb ")
    assert peak.strip().isdigit(), done.stderr[-2000:]
    assert int(peak) / 1024 < PEAK_RSS_MB, f"peak RSS {int(peak) / 1024:.0f} MB"
    assert "Traceback" not in stderr, stderr
    assert "MemoryError" not in stderr
    # Messages: stderr, then stdout (the text inventory lists the input errors itself).
    return done.returncode, done.stdout, stderr + "\n" + done.stdout


def budget_errors(err: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in LOCATED.finditer(err)
            if "evaluation budget exceeded" in m.group("message")]


def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    return tmp_path


def arm(variables: dict[str, object], tag: str) -> str:
    vault = {"type": "Microsoft.RecoveryServices/vaults", "apiVersion": "2024-04-01",
             "name": "rsv", "location": "westeurope", "tags": {"t": tag}}
    return json.dumps({"$schema": ARM_SCHEMA, "contentVersion": "1.0.0.0",
                       "variables": variables, "resources": [vault]}, indent=1)


def chain(prefix: str, first: object, step: str, count: int) -> dict[str, object]:
    out: dict[str, object] = {f"{prefix}0": first}
    for i in range(1, count):
        out[f"{prefix}{i}"] = step.format(prev=f"variables('{prefix}{i - 1}')")
    return out


ARM_ATTACKS = {
    "doubling": (chain("v", "[padLeft('', 1000, 'x')]", "[concat({prev}, {prev})]", 40),
                 "[variables('v39')]", "limit value-size"),
    "shared": (chain("a", "[createArray('x')]", "[createArray({prev}, {prev})]", 60),
               "[string(variables('a59'))]", "limit value-size"),
    "bigint": (chain("m", 9223372036854775807, "[mul({prev}, {prev})]", 30),
               "[string(variables('m29'))]", "limit integer-bits"),
    "pad": ({}, "[padLeft('x', 2000000000)]", "limit string-length"),
    "replace": ({}, "[replace(padLeft('', 100000, 'a'), 'a', padLeft('', 100000, 'b'))]",
                "limit string-length"),
    "format": ({}, "[format('{0:D999999999}', 1)]", "limit string-length"),
    "union": ({"u": "[range(0, 10000)]", **{f"u{i}": f"[union(variables('u'), range({i}, "
              "10000), createArray(variables('u')))]" for i in range(3)}},
              "[string(length(union(variables('u0'), variables('u1'), variables('u2'))))]",
              None),
}


@pytest.mark.parametrize("name", sorted(ARM_ATTACKS))
def test_arm_evaluation_budget(tmp_path: Path, name: str) -> None:
    """Each growth attack is a located budget error; the template's other values are read."""
    variables, tag, limit = ARM_ATTACKS[name]
    (repo(tmp_path) / "t.json").write_text(arm(variables, tag), encoding="utf-8")
    code, out, err = cli(tmp_path, "inventory", "--no-config", "--format", "json", "t.json")
    if limit is None:  # quadratic in the old code, linear now: it simply works
        assert code == 0, err
        return
    assert code == 2, err
    found = budget_errors(err)
    assert found and found[0]["file"] == "t.json" and int(found[0]["line"]) > 1, err
    assert limit in found[0]["message"]
    assert json.loads(out)["vaults"], "the rest of the template is still read"


BICEP_ATTACKS = {
    "doubling": "\n".join(["var s0 = padLeft('', 1000, 'x')"]
                          + [f"var s{i} = concat(s{i - 1}, s{i - 1})" for i in range(1, 40)]),
    "shared": "\n".join(["var a0 = ['x']"]
                        + [f"var a{i} = [a{i - 1}, a{i - 1}]" for i in range(1, 60)]),
}


@pytest.mark.parametrize("name", sorted(BICEP_ATTACKS))
def test_bicep_evaluation_budget(tmp_path: Path, name: str) -> None:
    last = "s39" if name == "doubling" else "string(a59)"
    text = (BICEP_ATTACKS[name] + "\nresource v 'Microsoft.RecoveryServices/vaults@2024-04-01'"
            f" = {{\n  name: 'rsv'\n  location: 'westeurope'\n  tags: {{ t: {last} }}\n}}\n")
    (repo(tmp_path) / "main.bicep").write_text(text, encoding="utf-8")
    code, _, err = cli(tmp_path, "inventory", "--no-config", "main.bicep")
    assert code == 2, err
    found = budget_errors(err)
    assert found and found[0]["file"] == "main.bicep", err


def hcl_chain(step: str, first: str, count: int) -> list[str]:
    return [f"  c0 = {first}"] + [f"  c{i} = {step.format(p=f'local.c{i - 1}')}"
                                  for i in range(1, count)]


HCL_ATTACKS = {
    "doubling": (hcl_chain('"${{{p}}}${{{p}}}"', '"' + "x" * 1000 + '"', 40), "limit string"),
    "shared": (hcl_chain("[{p}, {p}]", '["x"]', 40), "limit value-size"),
    "bigint": (hcl_chain("{p} * {p}", "9223372036854775807", 30), "limit integer-bits"),
    "nested-for": (["  c0 = [for a in range(100000) : [for b in range(100000) : b]]"],
                   "limit"),
    "format-width": (['  c0 = format("%999999999d", 1)'], "limit string-length"),
    "replace": (hcl_chain('replace({p}, "x", {p})', '"' + "x" * 3000 + '"', 3),
                "limit string-length"),
    "regex": (['  c0 = replace("' + "a" * 40 + '!", "/(a|aa)+$/", "b")'], "regular expression"),
    "distinct": (["  c0 = length(distinct(concat(range(50000), range(50000))))"], None),
}


@pytest.mark.parametrize("name", sorted(HCL_ATTACKS))
def test_hcl_evaluation_budget(tmp_path: Path, name: str) -> None:
    lines, limit = HCL_ATTACKS[name]
    last = max(int(line.split("=")[0].strip()[1:]) for line in lines)
    text = ("locals {\n" + "\n".join(lines) + "\n}\n"
            'resource "azurerm_resource_group" "rg" {\n  name = "rg"\n'
            f'  location = "westeurope"\n  tags = {{ v = jsonencode(local.c{last}) }}\n}}\n')
    (repo(tmp_path) / "main.tf").write_text(text, encoding="utf-8")
    fewer = ["--limits", "steps=200000"] if name == "nested-for" else []  # quicker, same path
    code, out, err = cli(tmp_path, "inventory", "--no-config", "--format", "json", *fewer, ".")
    if limit is None:
        assert code == 0, err
        return
    assert code == 2, err
    found = budget_errors(err)
    assert found and found[0]["file"] == "main.tf" and int(found[0]["line"]) >= 2, err
    assert limit in found[0]["message"], err
    assert json.loads(out)["units"], "the module is still read"


def test_hcl_module_fan_out_is_bounded(tmp_path: Path) -> None:
    """Modules called 100 times by modules called 100 times: the expansions budget."""
    root = repo(tmp_path)
    for level in ("a", "b", "c"):
        folder = root / level
        folder.mkdir()
        below = {"a": "b", "b": "c"}.get(level)
        body = (f'module "m" {{\n  source = "../{below}"\n  count = 100\n}}\n' if below else
                'resource "azurerm_resource_group" "rg" {\n  name = "rg"\n'
                '  location = "westeurope"\n}\n')
        (folder / "main.tf").write_text(body, encoding="utf-8")
    (root / "main.tf").write_text('module "m" {\n  source = "./a"\n  count = 100\n}\n',
                                  encoding="utf-8")
    code, _, err = cli(root, "inventory", "--no-config", "--limits", "expansions=50000",
                       "main.tf")
    assert code == 2, err
    found = budget_errors(err)
    assert found and "limit expansions" in found[0]["message"], err


@pytest.mark.parametrize("text, words", [
    ("  count = 1e999\n", "out of range"),
    ('  count = tonumber("nan")\n', "out of range"),
    ("  count = 1000000000000000\n", "over the limit of"),
    ('  name = format("%d", 1e999)\n', "out of range"),
])
def test_hcl_numbers_out_of_range_are_located(tmp_path: Path, text: str, words: str) -> None:
    """No instance list is built for a huge count; inf and NaN are errors at their line."""
    body = 'resource "azurerm_resource_group" "rg" {\n' + text + '  location = "westeurope"\n}\n'
    (repo(tmp_path) / "main.tf").write_text(body, encoding="utf-8")
    code, _, err = cli(tmp_path, "inventory", "--no-config", "main.tf")
    assert code == 2, err
    found = [m.groupdict() for m in LOCATED.finditer(err)]
    assert found and found[0]["file"] == "main.tf" and found[0]["line"] == "2", err
    assert words in found[0]["message"]


def test_limits_option_raises_and_lowers(tmp_path: Path) -> None:
    (repo(tmp_path) / "main.tf").write_text(
        'locals {\n  a = "${join("", [for i in range(2000) : "x"])}"\n}\n'
        'resource "azurerm_resource_group" "rg" {\n  name = local.a\n'
        '  location = "westeurope"\n}\n', encoding="utf-8")
    assert cli(tmp_path, "inventory", "--no-config", "main.tf")[0] == 0
    code, _, err = cli(tmp_path, "inventory", "--no-config", "--limits",
                       "string-length=1000", "main.tf")
    assert code == 2 and "limit string-length" in err
    code, _, err = cli(tmp_path, "inventory", "--no-config", "--limits", "nonsense=1", "main.tf")
    assert code == 2 and "unknown limit 'nonsense'" in err


def test_config_in_the_repository_cannot_raise_limits(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / ".azbackup-policy.yaml").write_text("limits:\n  string-length: 100000000\n"
                                                "  steps: 10\n", encoding="utf-8")
    from azbackup_policy.config import resolve_config

    options = resolve_config([str(root)], cwd=str(root)).scan_options()
    assert options.limits.string_length == 4_000_000 and options.limits.steps == 10


# --- bounded reading -------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("option, name", [
    ("--config", "c.yaml"), ("--baseline", "b.json"), ("--rules", "r.yaml"),
    ("--var-file", "v.tfvars"), ("--parameters", "p.json"), ("--matrix", "m.yaml"),
])
@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_special_files_are_refused_not_read(tmp_path: Path, option: str, name: str,
                                            target: str) -> None:
    root = repo(tmp_path)
    (root / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "r"\n'
                                  '  location = "westeurope"\n}\n', encoding="utf-8")
    if target == "fifo":
        os.mkfifo(root / name)
    else:
        (root / name).symlink_to(target)
    (root / "t.json").write_text(arm({}, "x"), encoding="utf-8")
    code, _, err = cli(root, "scan", option, name, *(["--no-config"] if option != "--config"
                                                     else []), "main.tf", "t.json")
    assert code == 2, err
    assert "not a regular file" in err


@pytest.mark.parametrize("text, words", [
    ("a: &a [" + ",".join(['"lol"'] * 9) + "]\n" + "\n".join(
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefgh", "bcdefghi",
                                                                        strict=True)) + "\n",
     "alias"),
    ("select: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper"),
])
def test_yaml_bombs_in_the_config_are_errors(tmp_path: Path, text: str, words: str) -> None:
    root = repo(tmp_path)
    (root / ".azbackup-policy.yaml").write_text(text, encoding="utf-8")
    (root / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "r"\n'
                                  '  location = "westeurope"\n}\n', encoding="utf-8")
    code, _, err = cli(root, "scan", "main.tf")
    assert code == 2 and words in err, err


def test_deeply_nested_baseline_is_an_error(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "b.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (root / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "r"\n'
                                  '  location = "westeurope"\n}\n', encoding="utf-8")
    code, _, err = cli(root, "scan", "--no-config", "--baseline", "b.json", "main.tf")
    assert code == 2 and "nested too deeply" in err, err


# --- path boundary ----------------------------------------------------------------------


def outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.tfvars"
    secret.parent.mkdir()
    secret.write_text(f'location = "{SECRET}"\n', encoding="utf-8")
    return secret


def test_walk_does_not_follow_a_link_out_of_the_repository(tmp_path: Path) -> None:
    root = repo(tmp_path / "repo")
    outside = outside_secret(tmp_path)
    (outside.parent / "main.tf").write_text(
        f'resource "azurerm_resource_group" "{SECRET}" {{\n  name = "x"\n}}\n', encoding="utf-8")
    (root / "everything").symlink_to("/")
    (root / "out").symlink_to(outside.parent)
    (root / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "r"\n'
                                  '  location = "westeurope"\n}\n', encoding="utf-8")
    code, out, err = cli(root, "inventory", "--no-config", ".")
    assert code == 0, err
    assert SECRET not in out + err


@pytest.mark.parametrize("link", ["terraform.tfvars", "x.auto.tfvars", "t.parameters.json"])
def test_linked_file_outside_the_repository_is_refused(tmp_path: Path, link: str) -> None:
    root = repo(tmp_path / "repo")
    (root / link).symlink_to(outside_secret(tmp_path))
    (root / "main.tf").write_text('variable "location" {}\nresource "azurerm_resource_group" '
                                  '"rg" {\n  name = "r"\n  location = var.location\n}\n',
                                  encoding="utf-8")
    (root / "t.json").write_text(arm({}, "x"), encoding="utf-8")
    code, out, err = cli(root, "inventory", "--no-config", ".")
    assert code == 2, err
    assert "outside the scan root" in err
    assert SECRET not in out + err


def test_config_found_in_the_repository_names_only_files_inside(tmp_path: Path) -> None:
    root = repo(tmp_path / "repo")
    secret = outside_secret(tmp_path)
    (root / ".azbackup-policy.yaml").write_text(f"var-files: [{secret}]\n", encoding="utf-8")
    (root / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "r"\n'
                                  '  location = "westeurope"\n}\n', encoding="utf-8")
    code, out, err = cli(root, "scan", "main.tf")
    assert code == 2 and "outside the repository" in err, err
    assert SECRET not in out + err
    (root / ".azbackup-policy.yaml").unlink()
    (root / ".azbackup-policy.yaml").symlink_to(secret)
    code, out, err = cli(root, "scan", "main.tf")
    assert code == 2 and "outside the repository" in err, err
    assert SECRET not in out + err


def test_very_deep_folder_tree_is_an_error(tmp_path: Path) -> None:
    root = repo(tmp_path)
    deep = root
    for _ in range(150):
        deep = deep / "d"
    deep.mkdir(parents=True)
    code, _, err = cli(root, "inventory", "--no-config", ".")
    assert code == 2 and "folders nested deeper than" in err, err


def test_exclude_applies_before_reading(tmp_path: Path) -> None:
    root = repo(tmp_path)
    os.mkfifo(root / "blocked.json")
    (root / "zero.json").symlink_to("/dev/zero")
    code, _, err = cli(root, "inventory", "--no-config", "--exclude", "*.json", ".")
    assert code == 0, err


def test_precommit_file_named_like_an_option_is_a_file(tmp_path: Path) -> None:
    root = repo(tmp_path)
    name = "--output=stolen.json"
    (root / name).write_text("{}", encoding="utf-8")
    (root / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "r"\n'
                                  '  location = "westeurope"\n}\n', encoding="utf-8")
    cli(root, "scan", "--no-config", "--changed-files", "main.tf", name)
    assert not (root / "stolen.json").exists()
    hooks = (Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert 'args: ["--"]' in hooks


@pytest.mark.parametrize("name, text", [
    ("main.tf.json", '{"resource": {"azurerm_resource_group": {"rg": {"name": "r", '
                     '"location": "westeurope", "count": 1e999}}}}'),
    ("terraform.tfvars", "size = 1e999\n"),
])
def test_infinite_numbers_in_json_syntax_and_tfvars(tmp_path: Path, name: str,
                                                    text: str) -> None:
    root = repo(tmp_path)
    (root / name).write_text(text, encoding="utf-8")
    if name.endswith(".tfvars"):
        (root / "main.tf").write_text('variable "size" {}\nresource "azurerm_resource_group" '
                                      '"rg" {\n  count = var.size\n  name = "r"\n'
                                      '  location = "westeurope"\n}\n', encoding="utf-8")
    code, _, err = cli(root, "inventory", "--no-config", ".")
    assert code == 2 and "out of range" in err, err
    assert LOCATED.search(err), err


def test_large_single_line_json_is_read(tmp_path: Path) -> None:
    """A plan and a template on one line of a few MB: read once, no per-line rescans."""
    root = repo(tmp_path)
    groups = [{"address": f"azurerm_resource_group.rg{i}", "mode": "managed",
               "type": "azurerm_resource_group", "name": f"rg{i}",
               "values": {"name": f"rg{i}", "location": "westeurope", "tags": {"n": "x" * 200}}}
              for i in range(6000)]
    plan = {"format_version": "1.2", "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"resources": groups}}}
    (root / "plan.json").write_text(json.dumps(plan, separators=(",", ":")), encoding="utf-8")
    vaults = [{"type": "Microsoft.RecoveryServices/vaults", "apiVersion": "2024-04-01",
               "name": f"rsv{i}", "location": "westeurope", "tags": {"n": "x" * 200}}
              for i in range(3000)]
    (root / "t.json").write_text(json.dumps({"$schema": ARM_SCHEMA, "contentVersion": "1.0.0.0",
                                             "resources": vaults}, separators=(",", ":")),
                                 encoding="utf-8")
    code, out, err = cli(root, "inventory", "--no-config", "--format", "json", ".")
    assert code == 0, err
    assert len(json.loads(out)["vaults"]) == 3000


def test_file_names_last_puts_the_separator_before_option_like_names(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:
    from azbackup_policy.cli import build_parser, file_names_last

    monkeypatch.chdir(tmp_path)
    for name in ("main.tf", "--output=x.json"):
        (tmp_path / name).write_text("", encoding="utf-8")
    argv = ["scan", "--changed-files", "--format", "sarif", "main.tf", "--output=x.json"]
    fixed = file_names_last(argv)
    assert fixed == ["scan", "--changed-files", "--format", "sarif", "--", "main.tf",
                     "--output=x.json"]
    args = build_parser().parse_args(fixed)
    assert args.paths == ["main.tf", "--output=x.json"] and args.outputs == [["sarif", None]]
    assert file_names_last(["scan", "--changed-files", "--", "--output=x.json"]) == [
        "scan", "--changed-files", "--", "--output=x.json"]
    assert file_names_last(["scan", "main.tf"]) == ["scan", "main.tf"]


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3),
                    st.sampled_from(["a", "A", "b", "ß", "SS", "ss"]))


@given(st.lists(SCALARS, max_size=8), SCALARS)
def test_yaml_rule_in_lists_are_sets_with_the_same_answers(items: list[object],
                                                           value: object) -> None:
    """``in`` is one set lookup (a long list times a large estate is not quadratic) and
    answers as comparing with every item did."""
    from azbackup_policy.yaml_rules import Choices, _equal

    assert (value in Choices.of(items)) == any(_equal(value, item) for item in items)


def test_bicep_module_fan_out_is_bounded(tmp_path: Path) -> None:
    """Each module declaration compiles its module again: the expansions budget stops it."""
    root = repo(tmp_path)
    (root / "c.bicep").write_text("resource v 'Microsoft.RecoveryServices/vaults@2024-04-01' = "
                                  "{\n  name: 'rsv'\n  location: 'westeurope'\n}\n",
                                  encoding="utf-8")
    for level, below in (("b", "c"), ("a", "b"), ("main", "a")):
        (root / f"{level}.bicep").write_text("".join(
            f"module m{i} './{below}.bicep' = {{\n  name: 'm{i}'\n}}\n" for i in range(20)),
            encoding="utf-8")
    code, _, err = cli(root, "inventory", "--no-config", "--limits", "expansions=300",
                       "main.bicep")
    assert code == 2, err
    found = budget_errors(err)
    assert found and "limit expansions" in found[0]["message"] and found[0]["file"].endswith(
        ".bicep"), err
