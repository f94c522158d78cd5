"""Hypothesis: mutated Bicep files (with their local modules) and .bicepparam files either
parse and link or raise InputError. ``test_bicep_fuzz.py`` covers compile_text alone; these
run the file entry points, so module reads, cycles and ``using`` are exercised too."""

from __future__ import annotations

from pathlib import Path

from fuzz_strategies import mutated_text, parse_and_link, seed_text, seeds, written_beside
from hypothesis import example, given

BICEP = seeds(lambda p: p.suffix == ".bicep")
BICEPPARAM = seeds(lambda p: p.suffix == ".bicepparam")


# Inputs Hypothesis once found (replayed on every run; see CONTRIBUTING.md).
USING_SEED = next(p for p in BICEPPARAM if "using './main.bicep'" in seed_text(p))
NUL_PATH = (USING_SEED, seed_text(USING_SEED).replace(  # 060bfec: NUL in a path
    "using './main.bicep'", "using '\x00./main.bicep'"))


def test_there_are_seeds() -> None:
    assert len(BICEP) >= 20 and BICEPPARAM


@given(mutated_text(BICEP))
def test_mutated_bicep(case: tuple[Path, str]) -> None:
    seed, text = case
    with written_beside(seed, text) as path:
        parse_and_link(path, "bicep")


@given(mutated_text(BICEP))
def test_mutated_module_under_its_caller(case: tuple[Path, str]) -> None:
    """The mutation replaces a file in place, so every file that uses it reads it."""
    seed, text = case
    original = seed.read_bytes()
    try:
        seed.write_text(text, encoding="utf-8", errors="surrogatepass")
        for caller in sorted(p for p in seed.parent.parent.rglob("*.bicep") if p.is_file())[:6]:
            parse_and_link(caller, "bicep")
    finally:
        seed.write_bytes(original)


@given(mutated_text(BICEPPARAM))
@example(NUL_PATH)
def test_mutated_bicepparam(case: tuple[Path, str]) -> None:
    seed, text = case
    with written_beside(seed, text) as path:
        parse_and_link(path, "bicepparam")
