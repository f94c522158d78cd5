"""Tests of the example plugin's input format (ARM REST list responses)."""

from __future__ import annotations

from pathlib import Path

import pytest
from azbackup_policy_example_org_rules import azbackup_policy_parsers
from azbackup_policy_example_org_rules.rest_list import REST_LIST, is_rest_list, parse

from azbackup_policy.discover import FileLoader, Source
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "vm-list" / "vms.json"


def read(path: Path) -> list[tuple[str, str, int]]:
    context = ParseContext(FileLoader([str(path.parent)]))
    (document,) = parse(Source(str(path), REST_LIST.name, True), context)
    assert (document.format, document.vocabulary) == ("azure-rest-list", "arm")
    return [(r.type, r.address, r.span.line) for r in document.resources]


def test_the_hook_returns_the_row() -> None:
    assert azbackup_policy_parsers() == [REST_LIST]


def test_a_list_response_is_recognised_by_its_first_bytes() -> None:
    assert is_rest_list(FIXTURE.read_bytes()[:65536])
    assert not is_rest_list(b'{"value": []}')
    assert not is_rest_list(b'{"$schema": "x", "value": [{"id": "/subscriptions/1/providers/"}]}')


def test_each_resource_is_placed_on_the_line_of_its_id() -> None:
    assert read(FIXTURE) == [
        ("Microsoft.Compute/virtualMachines", "vm-web-01", 5),
        ("Microsoft.Compute/virtualMachines", "vm-batch-02", 48),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("{", "invalid JSON"),
    ('{"value": 3}', "has a 'value' list"),
    ('{"value": [{"name": "a"}]}', "needs id, name and type"),
])
def test_bad_input_is_a_located_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "vms.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read(path)
