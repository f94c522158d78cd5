"""Registry modules (``br:``) from Bicep's local module cache: layout, aliases, cache root."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from azbackup_policy.cli import main
from azbackup_policy.config import load_config
from azbackup_policy.parsers.bicep.registry import (
    BadReference,
    OciReference,
    encode_tag,
    parse_reference,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bicep"
PUBLIC = FIXTURES / "registry-public"
ALIAS = FIXTURES / "registry-alias"
FAKE_HOME = PUBLIC / "home"


def run(*argv: str, home: Path | None = None) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {} if home is None else {"HOME": str(home)}
    code = main([*argv, "--format", "json", "--no-config"], stdout=out, stderr=err,
                environ=environ)
    return code, json.loads(out.getvalue()), err.getvalue()


@pytest.mark.parametrize(("tag", "encoded"), [
    ("", "$"),
    ("0.20.0", "0.20.0$"),
    ("v1", "v1$"),
    ("V1", "V1$1"),            # bit 0: the first character is upper case
    ("aBcD", "aBcD$a"),        # bits 1 and 3
    ("ABCDABCD", "ABCDABCD$ff"),
    ("a" * 64 + "B", "a" * 64 + "B$10000000000000000"),  # bit 64: the second word
    ("A" * 128, "A" * 128 + "$" + "f" * 32),
])
def test_tag_encoding_follows_bicep(tag: str, encoded: str) -> None:
    assert encode_tag(tag) == encoded


def test_tags_over_128_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="128"):
        encode_tag("a" * 129)


@pytest.mark.parametrize(("source", "aliases", "expected"), [
    ("br/public:avm/res/compute/virtual-machine:0.20.0", {},
     OciReference("mcr.microsoft.com", "bicep/avm/res/compute/virtual-machine", "0.20.0")),
    ("br:contoso.azurecr.io/bicep/modules/vm:1.2.0", {},
     OciReference("contoso.azurecr.io", "bicep/modules/vm", "1.2.0")),
    ("br:localhost:5000/modules/vm:v2", {}, OciReference("localhost:5000", "modules/vm", "v2")),
    ("br:contoso.azurecr.io/vm@sha256:abc123", {},
     OciReference("contoso.azurecr.io", "vm", None, "sha256:abc123")),
    ("br/team:compute/vm:V2", {"team": {"registry": "team.azurecr.io", "modulePath": "bicep/"}},
     OciReference("team.azurecr.io", "bicep/compute/vm", "V2")),
    ("br/team:vm:1.0", {"team": {"registry": "team.azurecr.io"}},
     OciReference("team.azurecr.io", "vm", "1.0")),
    ("br/public:vm:1.0", {"public": {"registry": "mirror.example.com"}},  # public redefined
     OciReference("mirror.example.com", "vm", "1.0")),
])
def test_references(source: str, aliases: dict[str, Any], expected: OciReference) -> None:
    assert parse_reference(source, aliases) == expected


@pytest.mark.parametrize(("source", "message"), [
    ("br:contoso.azurecr.io/vm", "no tag"),
    ("br/nobody:vm:1.0", "alias 'nobody' is not in moduleAliases.br"),
    ("br/public", "expected 'br/<alias>:<path>:<tag>'"),
    ("br:contoso.azurecr.io:1.0", "expected '<registry>/<repository>'"),
])
def test_bad_references(source: str, message: str) -> None:
    with pytest.raises(BadReference, match=message):
        parse_reference(source, {})


def test_cache_folder_layout() -> None:
    root = "/home/me/.bicep"
    public = OciReference("MCR.microsoft.com", "bicep/avm/res/compute/virtual-machine", "0.20.0")
    assert public.cache_folder(root) == \
        "/home/me/.bicep/br/mcr.microsoft.com/bicep$avm$res$compute$virtual-machine/0.20.0$"
    ported = OciReference("localhost:5000", "vm", None, "sha256:ab12")
    assert ported.cache_folder(root) == "/home/me/.bicep/br/localhost$5000/vm/sha256#ab12"


# ------------------------------------------------------------------ end to end


def test_public_module_from_the_cache_in_the_home_folder(in_repo: Path) -> None:
    code, data, err = run("inventory", "fixtures/bicep/registry-public", home=FAKE_HOME)
    assert code == 0, err
    assert data["not_followed"] == []
    vm, from_params = data["vms"]
    assert (vm["name"], vm["address"]) == ("vm-app-01", "appVm/vm")
    assert (vm["location"]["file"], vm["location"]["line"]) == (
        "fixtures/bicep/registry-public/main.bicep", 68)  # the module declaration
    assert [d["role"] for d in vm["disks"]] == ["os"]
    [protection] = data["protections"]
    assert (protection["vm"], protection["vault"], protection["policy"]) == (
        "appVm/vm", "vault", "vault::daily")
    cached = [f for unit in data["units"] for f in unit["files"] if f.endswith("main.json")]
    assert cached == 2 * ["fixtures/bicep/registry-public/home/.bicep/br/mcr.microsoft.com/"
                          "bicep$avm$res$compute$virtual-machine/0.20.0$/main.json"]
    # the module deployed by itself, with a .bicepparam file: shown at its 'using' line
    assert (from_params["name"], from_params["size"], from_params["os_type"]) == (
        "vm-params-01", "Standard_E2s_v5", "Windows")
    assert (from_params["location"]["file"], from_params["location"]["line"]) == (
        "fixtures/bicep/registry-public/vm.bicepparam", 3)


def test_findings_of_a_cached_module_point_at_the_module_declaration(in_repo: Path) -> None:
    code, report, _ = run("scan", "fixtures/bicep/registry-public", "--fail-on", "note",
                          home=FAKE_HOME)
    assert code == 1
    found = {(f["rule_id"], f["location"]["file"], f["location"]["line"])
             for f in report["findings"]}
    assert ("BKP-STO-003", "fixtures/bicep/registry-public/main.bicep", 68) in found


def test_without_a_cache_entry_the_module_is_not_followed_with_the_restore_hint(
        in_repo: Path, tmp_path: Path) -> None:
    code, data, _ = run("inventory", "fixtures/bicep/registry-public", home=tmp_path)
    assert code == 0
    assert data["vms"] == []  # and the cache folder inside the scanned one is not a template
    assert [s["reason"] for s in data["files_skipped"]] == [
        "Bicep module cache entry (read by the Bicep file that uses the module)"]
    skipped, params = data["not_followed"]
    assert skipped["line"] == 68
    assert skipped["source"] == "br/public:avm/res/compute/virtual-machine:0.20.0"
    assert skipped["reason"].startswith("registry module not in the Bicep module cache ")
    assert skipped["hint"] == "run `bicep restore fixtures/bicep/registry-public/main.bicep`"
    assert (params["line"], params["hint"]) == (
        3, "run `bicep restore fixtures/bicep/registry-public/vm.bicepparam`")


def test_a_module_not_followed_does_not_change_the_exit_code(in_repo: Path,
                                                             tmp_path: Path) -> None:
    code, report, err = run("scan", "fixtures/bicep/registry-public", home=tmp_path)
    assert code == 0, err
    assert report["findings"] == [] and report["errors"] == []


def test_alias_and_digest_through_cache_root_directory(in_repo: Path) -> None:
    code, data, err = run("inventory", "fixtures/bicep/registry-alias")
    assert code == 0, err
    assert sorted(vm["name"] for vm in data["vms"]) == ["vm-app-02", "vm-pinned-01"]
    lines = {vm["name"]: vm["location"]["line"] for vm in data["vms"]}
    assert lines == {"vm-app-02": 17, "vm-pinned-01": 50}
    [protection] = data["protections"]  # the module's protected item, in the existing vault
    assert (protection["vm"], protection["vault"], protection["policy"]) == (
        "appVm/vm", "vault", "vault::weekly")
    assert protection["location"]["line"] == 17
    assert [(n["line"], n["source"]) for n in data["not_followed"]] == [
        (73, "br/contoso:compute/vm:3.0.0"),
        (80, "ts:00000000-0000-0000-0000-000000000001/rg-specs/vmSpec:2.0")]
    assert data["not_followed"][0]["hint"] == "run `bicep restore " \
        "fixtures/bicep/registry-alias/main.bicep`"
    assert (data["not_followed"][1]["reason"], data["not_followed"][1]["hint"]) == (
        "template spec", "")


def test_bicep_cache_option_wins(in_repo: Path, tmp_path: Path) -> None:
    code, data, _ = run("inventory", "fixtures/bicep/registry-alias",
                        "--bicep-cache", str(tmp_path))
    assert code == 0 and data["vms"] == []
    assert len(data["not_followed"]) == 4
    code, data, _ = run("inventory", "fixtures/bicep/registry-public",
                        "--bicep-cache", str(FAKE_HOME / ".bicep"))
    assert [vm["name"] for vm in data["vms"]] == ["vm-app-01", "vm-params-01"]


def test_bicep_cache_in_the_configuration_file(tmp_path: Path) -> None:
    config = tmp_path / ".azbackup-policy.yaml"
    config.write_text("bicep-cache: ci/bicep-cache\n", encoding="utf-8")
    options = load_config(str(config), cwd=str(tmp_path)).scan_options()
    assert options.bicep_cache == "ci/bicep-cache"


def test_bicepconfig_above_the_repository_is_not_read(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bicepconfig.json").write_text(json.dumps({"moduleAliases": {"br": {
        "team": {"registry": "team.azurecr.io"}}}}), encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "main.bicep").write_text("module m 'br/team:vm:1.0' = {\n  name: 'm'\n}\n",
                                     encoding="utf-8")
    monkeypatch.chdir(repo)
    _, data, _ = run("inventory", ".", home=tmp_path)
    [skipped] = data["not_followed"]
    assert "alias 'team' is not in moduleAliases.br" in skipped["reason"]
    shutil.copy(tmp_path / "bicepconfig.json", repo / "bicepconfig.json")
    _, data, _ = run("inventory", ".", home=tmp_path)
    [skipped] = data["not_followed"]
    assert "not in the Bicep module cache" in skipped["reason"]


def test_strict_makes_each_module_not_followed_a_review(in_repo: Path, tmp_path: Path) -> None:
    code, report, _ = run("scan", "fixtures/bicep/registry-alias", "--strict",
                          "--bicep-cache", str(tmp_path))
    assert code == 0  # reviews never fail the build
    reviews = sorted((f["rule_id"], f["location"]["line"], f["kind"]) for f in report["findings"])
    assert reviews == [("BKP-COV-006", 17, "review"), ("BKP-COV-006", 50, "review"),
                       ("BKP-COV-006", 73, "review"), ("BKP-COV-006", 80, "review")]
    messages = [f["message"] for f in report["findings"]]
    assert "could not verify what appVm (br/contoso:compute/vm:V2) declares" in messages[0]


def test_a_module_given_a_vm_may_protect_it(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A VM whose id goes to a module that is not read is not reported as unprotected (the
    module may declare its protected item); in strict mode that is a review."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.bicep").write_text(
        "resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {\n"
        "  name: 'vm-guarded'\n  location: 'westeurope'\n  properties: {}\n}\n\n"
        "module backup 'br/public:avm/res/recovery-services/vault/backup-fabric/"
        "protection-container/protected-item:0.1.0' = {\n"
        "  name: 'backup'\n  params: {\n    sourceResourceId: vm.id\n  }\n}\n\n"
        "resource jump 'Microsoft.Compute/virtualMachines@2024-07-01' = {\n"
        "  name: 'vm-jump'\n  location: 'westeurope'\n  properties: {}\n}\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _, report, _ = run("scan", ".", "--select", "BKP-COV-001", home=tmp_path)
    assert [(f["vm"], f["kind"]) for f in report["findings"]] == [("vm-jump", "violation")]
    _, report, _ = run("scan", ".", "--select", "BKP-COV-001", "--strict", home=tmp_path)
    assert sorted((f["vm"], f["kind"]) for f in report["findings"]) == [
        ("vm-guarded", "review"), ("vm-jump", "violation")]
