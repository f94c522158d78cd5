"""The same infrastructure in plan JSON, HCL, ARM and Bicep gives equal Estates.

Spans, addresses and resource types differ by nature and are ignored; a value that
one format cannot know before deployment (an ``Unknown``) matches anything, because
only the plan knows some values and only the plan leaves some computed ones open.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FIXTURES

from azbackup_policy.inventory import inventory
from azbackup_policy.pipeline import ScanOptions, load_units

SCENARIOS = sorted(p for p in (FIXTURES / "scenarios").iterdir()
                   if p.is_dir() and not p.name.startswith("_"))
FORMATS = {
    "plan": "tfplan.json",
    "state": "tfstate.json",
    "whatif": "whatif.json",
    "hcl": "terraform",
    "arm": "arm",
    "bicep": "bicep",
}
# Also what a linker says about its own format: which client validates a policy
# (client_validation) and whether a VM's data-disk list is complete (data_disks_complete).
_DROP = {"address", "type", "location", "source", "id", "action", "client_validation",
         "data_disks_complete"}


def canonical(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"unknown"}:
            return UNKNOWN
        return {k: canonical(v) for k, v in value.items() if k not in _DROP}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


class _Wildcard:
    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Wildcard()


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    if left is UNKNOWN or right is UNKNOWN:
        return []
    if isinstance(left, dict) and isinstance(right, dict):
        out = []
        for key in sorted(set(left) | set(right)):
            out += differences(left.get(key), right.get(key), f"{path}.{key}")
        return out
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        out = []
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            out += differences(a, b, f"{path}[{index}]")
        return out
    return [] if left == right else [f"{path}: {left!r} != {right!r}"]


def estate_of(path: str) -> dict[str, Any]:
    loaded = load_units([path], ScanOptions())
    assert not loaded.errors, [str(e) for e in loaded.errors]
    data = inventory(loaded.units, loaded.errors)
    by_name = lambda items: {str(i["name"]): canonical(i) for i in items}  # noqa: E731
    return {
        "vms": by_name(data["vms"]),
        "vaults": by_name(data["vaults"]),
        "policies": by_name(data["policies"]),
    }


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["hcl", "arm", "bicep", "state", "whatif"])
def test_format_gives_the_same_estate_as_the_plan(scenario, fmt: str) -> None:
    if not (scenario / FORMATS[fmt]).exists():
        pytest.fail(f"{scenario.name} has no {FORMATS[fmt]}: every scenario is written in "
                    "every format")
    reference = estate_of(str(scenario / FORMATS["plan"]))
    other = estate_of(str(scenario / FORMATS[fmt]))
    assert sorted(other["vms"]) == sorted(reference["vms"])
    assert sorted(other["vaults"]) == sorted(reference["vaults"])
    assert sorted(other["policies"]) == sorted(reference["policies"])
    problems = differences(other, reference)
    assert not problems, "\n".join(problems)


def _generator(name: str) -> Any:
    import importlib.util

    path = FIXTURES / "scenarios" / "_generate" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"scenario_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_states_and_whatifs_are_current() -> None:
    """tfstate.json follows tfplan.json and whatif.json the ARM template: a change to either
    that is not regenerated would let the parity tests compare stale files."""
    import json

    state = _generator("state")
    whatif = _generator("whatif")
    for scenario in SCENARIOS:
        plan = json.loads((scenario / "tfplan.json").read_text(encoding="utf-8"))
        assert json.loads((scenario / "tfstate.json").read_text(encoding="utf-8")) == \
            state.state_of(plan), f"regenerate: python {state.__file__}"
    assert json.loads((SCENARIOS[0] / "whatif.json").read_text(encoding="utf-8"))[
        "changes"] == whatif.changes()
    template = json.loads((SCENARIOS[1] / "arm" / "azuredeploy.json").read_text("utf-8"))
    assert json.loads((SCENARIOS[1] / "whatif.json").read_text(encoding="utf-8"))[
        "changes"] == whatif.literal_changes(template), f"regenerate: python {whatif.__file__}"
