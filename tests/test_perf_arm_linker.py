"""The ARM linker's dict fast path in ``dig`` reads exactly what the general path reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from azbackup_policy.linkers import arm_common
from azbackup_policy.linkers.arm_common import MISSING, dig


class Frozen(Mapping[str, Any]):
    """A mapping that is not a dict (takes the general path)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def reference_dig(value: Any, path: str) -> Any:
    """``dig`` as it was: isinstance dispatch, exact key first, then lower-cased keys."""
    for step in path.split(".") if path else ():
        if isinstance(value, (dict, Mapping)):
            if step in value:
                value = value[step]
                continue
            lowered: dict[str, Any] = {}
            for key, item in value.items():
                lowered.setdefault(key.lower(), item)
            value = lowered.get(step.lower(), MISSING)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


BODY = {
    "properties": {
        "storageProfile": {"dataDisks": [{"lun": 0, "Caching": None}, {"LUN": "1"}]},
        "OSProfile": {"adminUsername": "a", "adminusername": "b"},
        "nested": Frozen({"Key": {"x": 1}, "none": None}),
        "empty": {},
    },
    "Tags": {"env": "prod"},
    "zones": ["1"],
}
PATHS = [
    "", "properties", "PROPERTIES.storageprofile", "properties.storageProfile.dataDisks.0.lun",
    "properties.storageProfile.dataDisks.0.caching", "properties.storageProfile.dataDisks.1.lun",
    "properties.storageProfile.dataDisks.2.lun", "properties.storageProfile.dataDisks.x",
    "properties.osProfile.adminUsername", "properties.osprofile.ADMINUSERNAME",
    "properties.nested.key.x", "properties.nested.none", "properties.nested.none.deeper",
    "properties.empty.a", "tags.env", "zones.0", "zones.0.x", "missing.a.b", "properties..x",
]


@pytest.mark.parametrize("path", PATHS)
def test_dig_reads_like_the_general_path(path: str) -> None:
    memo: dict[int, dict[str, Any]] = {}
    assert dig(BODY, path, memo) == reference_dig(BODY, path)
    assert dig(BODY, path) == reference_dig(BODY, path)


def test_dig_memoises_lowered_keys_per_mapping() -> None:
    memo: dict[int, dict[str, Any]] = {}
    assert dig(BODY, "properties.osprofile.adminusername", memo) == "b"
    assert id(BODY["properties"]) in memo
    assert arm_common.dig(BODY, "properties.OSPROFILE.x", memo) is MISSING
