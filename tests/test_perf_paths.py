"""The speed-ups keep results: fast paths agree with the slow ones, shared work is shared."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from azbackup_policy import pipeline
from azbackup_policy.errors import InputError
from azbackup_policy.parsers.arm import jsonc
from azbackup_policy.parsers.hcl import loader

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "fixtures" / "scenarios" / "estate-basic"
DB_MODULE = SCENARIO / "terraform" / "modules" / "db"
BICEP = SCENARIO / "bicep"
TEMPLATES = sorted(p for p in (ROOT / "fixtures").rglob("*.json")
                   if "deploymentTemplate" in p.read_text(encoding="utf-8-sig")[:2000])


def _slow(text: str) -> jsonc.Loaded:
    reader = jsonc._Reader(text, "t.json", 200)
    reader.result.value = reader.value((), 0)
    return reader.result


# A line-end ``// expect: ...`` mark of the rule fixtures (never inside a string value).
_LINE_COMMENT = re.compile(r"[ \t]*//[^\n\"]*$", re.MULTILINE)


def _blanked(path: Path) -> str:
    """The template with its line-end comments replaced by spaces (positions unchanged)."""
    return _LINE_COMMENT.sub(lambda m: " " * len(m.group(0)), path.read_text(encoding="utf-8-sig"))


def _is_strict_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_strict_json_fast_path_gives_the_reader_positions(path: Path) -> None:
    """Every template: the fast path takes it exactly when it is strict JSON, and then gives the
    reader's values and positions. Line-end comments are blanked out with spaces of the same
    length first, so that the fixtures with ``// expect:`` marks are compared too."""
    text = _blanked(path)
    fast = jsonc._strict(text, "t.json", 200)
    if not _is_strict_json(text):  # block comments, trailing commas, a syntax error
        assert fast is None
        return
    assert fast is not None, "strict JSON must take the fast path"
    slow = _slow(text)
    assert fast.value == slow.value
    assert fast.positions == slow.positions


def test_the_fast_path_is_compared_on_most_templates() -> None:
    strict = [p for p in TEMPLATES if _is_strict_json(_blanked(p))]
    assert len(TEMPLATES) > 50 and len(strict) >= len(TEMPLATES) - 5


def test_fast_path_leaves_errors_and_limits_to_the_reader() -> None:
    assert jsonc._strict('{"a": [1, 2,]}', "t.json", 200) is None
    assert jsonc._strict('{"a": NaN}', "t.json", 200) is None
    assert jsonc._strict("[[[1]]]", "t.json", 2) is None
    with pytest.raises(InputError, match="nesting deeper than 2 levels"):
        jsonc.load("[[[1]]]", "t.json", max_depth=2)
    loaded = jsonc.load('{\n  "a": "x\\u0041", // note\n  "b": [1, {"c": null}]\n}', "t")
    assert loaded.value == {"a": "xA", "b": [1, {"c": None}]}
    assert loaded.positions[("b", 1, "c")].line == 3


def test_a_module_shared_by_two_roots_is_parsed_once(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(DB_MODULE, tmp_path / "modules" / "db")
    for env in ("a", "b"):
        (tmp_path / "envs" / env).mkdir(parents=True)
        (tmp_path / "envs" / env / "main.tf").write_text(
            'module "db" {\n  source = "../../modules/db"\n}\n', encoding="utf-8")
    parsed: list[str] = []
    original = loader.parse_file

    def counting(src: loader.SourceFile) -> list[loader.Block]:
        parsed.append(src.shown)
        return original(src)

    monkeypatch.setattr(loader, "parse_file", counting)
    monkeypatch.chdir(tmp_path)
    report = pipeline.scan(["envs", "modules"])
    assert len(parsed) == len(set(parsed))
    assert [unit.path for unit in report.units] == ["envs/a", "envs/b"]
    module_files = {f"modules/db/{p.name}" for p in DB_MODULE.glob("*.tf")}
    for unit in report.units:
        assert module_files <= set(unit.files)


def test_a_bicep_module_also_scanned_alone_is_parsed_once(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from azbackup_policy.parsers.bicep import build

    shutil.copytree(BICEP, tmp_path / "bicep")
    parsed: list[str] = []
    original = build.read_unit

    def counting(text: str, file: str, real_path: str, max_depth: int) -> build.Unit:
        parsed.append(file)
        return original(text, file, real_path, max_depth)

    monkeypatch.setattr(build, "read_unit", counting)
    monkeypatch.chdir(tmp_path)
    report = pipeline.scan(["bicep"])
    assert {"bicep/main.bicep", "bicep/modules/db.bicep"} <= set(parsed)
    assert len(parsed) == len(set(parsed))
    assert not report.errors


def test_a_linked_template_also_scanned_alone_is_parsed_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "fixtures" / "arm" / "linked-template", tmp_path / "lt")
    parsed: list[str] = []
    original = jsonc.load

    def counting(text: str, file: str, **kwargs: int) -> jsonc.Loaded:
        parsed.append(file)
        return original(text, file, **kwargs)

    monkeypatch.setattr(jsonc, "load", counting)
    monkeypatch.chdir(tmp_path)
    report = pipeline.scan(["lt"])
    assert sorted(parsed) == ["lt/azuredeploy.json", "lt/nested/db.json"]
    assert [unit.path for unit in report.units] == ["lt/azuredeploy.json"]
