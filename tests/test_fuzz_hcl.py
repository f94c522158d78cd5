"""Hypothesis: mutated Terraform HCL (.tf, .tf.json, .tfvars) parses and links or raises InputError.

A mutated file replaces its seed in place, so the module folder it belongs to (and the
modules it calls) is read as a whole, the way discovery hands it to the parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fuzz_strategies import OPTIONS, mutated_text, parse_and_link, seed_text, seeds
from hypothesis import example, given, settings

from azbackup_policy.parsers import ParseOptions

# HCL parsing costs ~9 s per MB (python-hcl2's Lark grammar): keep the seeds small.
TF = [p for p in seeds(lambda p: p.name.endswith((".tf", ".tf.json")))
      if p.stat().st_size < 6000]
TFVARS = seeds(lambda p: p.name.endswith((".tfvars", ".tfvars.json")))


# Inputs Hypothesis once found (replayed on every run; see CONTRIBUTING.md).
COUNT_SEED = next(p for p in TF if p.parent.name == "count" and p.name == "main.tf")
JSON_SEED = next(p for p in TF if p.name == "main.tf.json")
FUZZ_RG = ('\nresource "azurerm_resource_group" "fuzz" {\n  name     = "rg-fuzz"\n'
           '  location = "westeurope"\n  tags     = { n = %s }\n}\n')
LONG_NUMBER = (COUNT_SEED, seed_text(COUNT_SEED) +  # f616ae1: int() of 5000 digits
               '\nvariable "fuzz_n" {\n  default = ' + "9" * 5000 + "\n}\n"
               + FUZZ_RG % "var.fuzz_n")
LONG_INDEX = (COUNT_SEED, seed_text(COUNT_SEED) +  # f616ae1: a 5000-digit legacy index
              "\nlocals {\n  fuzz_l = [1]\n}\n" + FUZZ_RG % ("local.fuzz_l." + "1" * 5000))
BAD_ESCAPE = (JSON_SEED, seed_text(JSON_SEED).replace('"', '"\\x', 1))  # 6a65d4b


def test_there_are_seeds() -> None:
    assert len(TF) >= 10 and TFVARS
    assert BAD_ESCAPE[1] != seed_text(JSON_SEED)


@contextmanager
def replaced(seed: Path, text: str) -> Iterator[Path]:
    original = seed.read_bytes()
    seed.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        yield seed
    finally:
        seed.write_bytes(original)


@settings(max_examples=min(settings().max_examples, 30))
@given(mutated_text(TF))
@example(LONG_NUMBER)
@example(LONG_INDEX)
@example(BAD_ESCAPE)
def test_mutated_modules(case: tuple[Path, str]) -> None:
    seed, text = case
    with replaced(seed, text) as path:
        parse_and_link(path, "terraform-hcl")


@settings(max_examples=min(settings().max_examples, 20))
@given(mutated_text(TF))
def test_mutated_child_module_under_its_root(case: tuple[Path, str]) -> None:
    seed, text = case
    root = seed.parent.parent.parent if seed.parent.parent.name == "modules" else seed.parent
    with replaced(seed, text):
        parse_and_link(root / "main.tf", "terraform-hcl",
                       ParseOptions(**{**_fields(OPTIONS), "max_module_depth": 3}))


def _fields(options: ParseOptions) -> dict[str, object]:
    return {name: getattr(options, name) for name in options.__slots__}


@settings(max_examples=min(settings().max_examples, 20))
@given(mutated_text(TFVARS))
def test_mutated_tfvars(case: tuple[Path, str]) -> None:
    seed, text = case
    with replaced(seed, text):
        parse_and_link(seed.parent / "main.tf", "terraform-hcl")
