"""Hypothesis strategies and a runner shared by the ``test_fuzz_*`` suites.

Seeds are the real fixtures under ``fixtures/`` (copied once into a temporary folder, so
relative module and linked-template paths keep working). A mutated input is written
beside its seed, parsed with the parser of its kind and linked; the only exception
allowed to escape is :class:`InputError` with a file and a line >= 1.
"""

from __future__ import annotations

import copy
import functools
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from azbackup_policy.discover import FileLoader, Source, sniff_json
from azbackup_policy.errors import InputError
from azbackup_policy.linkers import link
from azbackup_policy.parsers import BUILTIN_PARSERS, ParseContext, ParseOptions, load_parser

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Small limits so that no generated case can run for long.
OPTIONS = ParseOptions(max_resources=300, max_loop_count=200, max_nesting_depth=60,
                       max_module_depth=6)

TOKENS = [
    "{", "}", "[", "]", '"', "'", "(", ")", ",", ":", "=", "[[", "${", "/*", "*/", "//",
    "\\", "\n", "\r\n", "\t", "\x00", "\ufeff", "\ufffd", "é", "🙂", "null", "true", "-0",
    "99999999999999999999999999999", "1e99999", "-1", "0.5", "NaN", "'''", "<<EOT\n",
    "[concat(", "[parameters('x')]", "[copyIndex()]", "module ", "resource ", "@secure()",
    "for x in range(0, 100000000): ", "count = 1000000", "../../../../etc/passwd",
]
WRONG_VALUES: list[Any] = [
    None, True, 0, -1, 1.5, 10**30, "", "x", "[", "[[x", "[concat(]", [], {}, [None],
    {"": None}, "[range(0, 100000000)]", "[padLeft('a', 100000000)]", 2**63,
]


def _copy_fixtures() -> Path:
    root = Path(tempfile.mkdtemp(prefix="azbp-fuzz-"))
    shutil.copytree(FIXTURES, root / "fixtures")
    return root / "fixtures"


_ROOT: list[Path] = []


def fuzz_root() -> Path:
    """The private copy of ``fixtures/`` (made on first use, once per process)."""
    if not _ROOT:
        _ROOT.append(_copy_fixtures())
    return _ROOT[0]


def seeds(predicate: Callable[[Path], bool]) -> list[Path]:
    """Fixture files (in the private copy) for which ``predicate`` holds, sorted."""
    root = fuzz_root()
    found = sorted(p for p in root.rglob("*") if p.is_file() and predicate(p))
    for path in found:
        seed_text(path)
    return found


@functools.cache
def seed_text(path: Path) -> str:
    """The original text of a seed (read once, so tests that rewrite a seed cannot skew it)."""
    return path.read_text(encoding="utf-8-sig")


def json_kind(path: Path) -> str | None:
    return sniff_json(path.read_bytes()[:65536]) if path.suffix == ".json" else None


# -- mutations ------------------------------------------------------------------------------

def _truncate(draw: Any, text: str) -> str:
    return text[: draw(st.integers(0, len(text)))]


def _flip(draw: Any, text: str) -> str:
    if not text:
        return text
    at = draw(st.integers(0, len(text) - 1))
    char = draw(st.sampled_from(["\x00", "\ufffd", "\x7f", "\u2028", '"', "{", "]", "\\"])
                | st.characters())
    return text[:at] + char + text[at + 1:]


def _lines(draw: Any, text: str, duplicate: bool) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    at = draw(st.integers(0, len(lines) - 1))
    if duplicate:
        return "".join([*lines[: at + 1], lines[at], *lines[at + 1:]])
    return "".join([*lines[:at], *lines[at + 1:]])


def _insert(draw: Any, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]


def _nest(draw: Any, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    depth = draw(st.integers(1, 400))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ("(", ")"),
                                           ("{a:", "}"), ("[for x in y: ", "]")]))
    closing = closer * depth if draw(st.booleans()) else ""
    return text[:at] + opener * depth + "1" + closing + text[at:]


def _huge_number(draw: Any, text: str) -> str:
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if not digits:
        return text
    at = draw(st.sampled_from(digits))
    big = draw(st.sampled_from(["9" * 5000, "1" + "0" * 400, "1e400", "-" + "9" * 30,
                                "4294967296", "0.0000000001"]))
    return text[:at] + big + text[at + 1:]


OPERATIONS = [
    _truncate, _flip, _insert, _insert, _nest, _huge_number,
    lambda draw, text: _lines(draw, text, duplicate=False),
    lambda draw, text: _lines(draw, text, duplicate=True),
]


@st.composite
def mutated_text(draw: Any, seed_paths: list[Path]) -> tuple[Path, str]:
    """A seed and its text after 1-3 textual mutations."""
    seed = draw(st.sampled_from(seed_paths))
    text = seed_text(seed)
    for _ in range(draw(st.integers(1, 3))):
        text = draw(st.sampled_from(OPERATIONS))(draw, text)
    return seed, text


def _json_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths(item, (*path, index))


def _replace_at(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    holder = value
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = new
    return value


@st.composite
def wrong_typed_json(draw: Any, seed_paths: list[Path]) -> tuple[Path, str]:
    """A JSON seed with 1-3 of its values replaced by values of the wrong type."""
    seed = draw(st.sampled_from(seed_paths))
    text = seed_text(seed)
    try:
        value = json.loads(text)
    except ValueError:  # JSONC fixtures (comments): mutate as text instead
        return seed, _insert(draw, text)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_json_paths(value))
        target = draw(st.sampled_from(paths[1:] or paths))
        new = draw(st.sampled_from(WRONG_VALUES) | json_values())
        value = _replace_at(value, target, copy.deepcopy(new))
    return seed, json.dumps(value)


def json_values() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
               | st.sampled_from(["[", "[]", "[x]", "[parameters('a')]", "Microsoft.Compute/"
                                  "virtualMachines", "azurerm_linux_virtual_machine"]))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                        max_leaves=20)


# -- running --------------------------------------------------------------------------------

@contextmanager
def written_beside(seed: Path, text: str | bytes, name: str | None = None) -> Iterator[Path]:
    """``text`` written next to ``seed`` (as ``fuzz-<seed name>``), removed afterwards."""
    target = seed.with_name(name or f"fuzz-{seed.name}")
    if isinstance(text, str):
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
    else:
        target.write_bytes(text)
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def parse_and_link(path: Path, kind: str, options: ParseOptions = OPTIONS) -> None:
    """Parse ``path`` as ``kind`` and link the result; only a located InputError may escape."""
    loader = FileLoader([str(fuzz_root())], cwd=str(fuzz_root()))
    context = ParseContext(loader, options)
    target = str(path.parent) if kind == "terraform-hcl" else str(path)
    try:
        for document in load_parser(BUILTIN_PARSERS[kind])(Source(target, kind, True), context):
            link(document)
    except InputError as error:
        assert error.file, error
        assert error.line >= 1 and error.column >= 1, error
        assert error.message and "Traceback" not in error.message, error
