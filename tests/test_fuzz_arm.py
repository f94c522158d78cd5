"""Hypothesis: mutated and generated ARM templates and parameter files parse or raise InputError."""

from __future__ import annotations

from pathlib import Path

from fuzz_strategies import (
    json_kind,
    json_values,
    mutated_text,
    parse_and_link,
    seeds,
    written_beside,
    wrong_typed_json,
)
from hypothesis import given
from hypothesis import strategies as st

TEMPLATES = seeds(lambda p: json_kind(p) == "arm")
PARAMETERS = seeds(lambda p: json_kind(p) == "arm-parameters")


def test_there_are_seeds() -> None:
    assert len(TEMPLATES) >= 10 and PARAMETERS


@given(mutated_text(TEMPLATES))
def test_mutated_templates(case: tuple[Path, str]) -> None:
    seed, text = case
    with written_beside(seed, text) as path:
        parse_and_link(path, "arm")


@given(wrong_typed_json(TEMPLATES))
def test_templates_with_wrong_types(case: tuple[Path, str]) -> None:
    seed, text = case
    with written_beside(seed, text) as path:
        parse_and_link(path, "arm")


@given(st.dictionaries(st.sampled_from(["parameters", "variables", "resources", "outputs",
                                        "functions", "languageVersion", "definitions"]),
                       json_values(), max_size=4))
def test_generated_template_sections(sections: dict[str, object]) -> None:
    import json

    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
                "deploymentTemplate.json#", "contentVersion": "1.0.0.0", **sections}
    with written_beside(TEMPLATES[0], json.dumps(template), "generated.json") as path:
        parse_and_link(path, "arm")


@given(st.lists(st.fixed_dictionaries(
    {"type": st.sampled_from(["Microsoft.Compute/virtualMachines",
                              "Microsoft.RecoveryServices/vaults",
                              "Microsoft.RecoveryServices/vaults/backupPolicies",
                              "Microsoft.RecoveryServices/vaults/backupFabrics/"
                              "protectionContainers/protectedItems",
                              "Microsoft.Resources/deployments",
                              "Microsoft.Network/networkInterfaces"]),
     "name": json_values(), "properties": json_values()},
    optional={"copy": json_values(), "condition": json_values(), "dependsOn": json_values(),
              "resources": json_values()}), max_size=4))
def test_generated_resources(resources: list[dict[str, object]]) -> None:
    import json

    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
                "deploymentTemplate.json#", "resources": resources}
    with written_beside(TEMPLATES[0], json.dumps(template), "generated.json") as path:
        parse_and_link(path, "arm")


@given(mutated_text(PARAMETERS) | wrong_typed_json(PARAMETERS))
def test_mutated_parameter_files(case: tuple[Path, str]) -> None:
    """The mutated text replaces the parameters file its template reads by convention."""
    seed, text = case
    original = seed.read_bytes()
    template = seed.with_name(seed.name.replace(".parameters.json", ".json"))
    try:
        seed.write_text(text, encoding="utf-8", errors="surrogatepass")
        parse_and_link(template, "arm")
        parse_and_link(seed, "arm-parameters")
    finally:
        seed.write_bytes(original)
