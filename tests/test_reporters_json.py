"""The ``scan --format json`` contract: output valid against the shipped JSON Schema."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from report_factory import build_report, empty_report, errors_only_report

from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters import json as json_reporter


def _validator() -> jsonschema.Draft202012Validator:
    text = (resources.files("azbackup_policy") / "schemas" / "report.schema.json").read_text(
        encoding="utf-8")
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(document: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in _validator().iter_errors(document)]


@pytest.mark.parametrize("make", [build_report, empty_report, errors_only_report])
@pytest.mark.parametrize("fail_on", ["error", "warning", "note", "never"])
def test_json_output_matches_the_schema(make: Any, fail_on: str) -> None:
    document = json.loads(json_reporter.render(make(), RenderOptions(fail_on=fail_on)))
    assert _errors(document) == []


@pytest.mark.parametrize(("path", "value"), [
    (("schema_version",), 2),
    (("findings", 0, "severity"), "fatal"),
    (("findings", 0, "location", "line"), 0),
    (("findings", 0, "suppression"), {"reason": "", "source": "inline", "until": None}),
    (("fail_on",), "sometimes"),
])
def test_the_schema_rejects_broken_documents(path: tuple[Any, ...], value: Any) -> None:
    document = json.loads(json_reporter.render(build_report(), RenderOptions()))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert _errors(document) != []


def test_a_missing_required_key_is_rejected() -> None:
    document = json.loads(json_reporter.render(build_report(), RenderOptions()))
    del document["findings"][0]["fingerprint"]
    assert _errors(document) != []
