"""The Bicep parser's fast path for object and array values gives the reference trees.

``ExprParser.expr`` returns an object or array value directly when a line break or a
closer follows it; the reference below always goes through the operator levels, as the
parser did before. Both must give equal syntax trees, or the same error, for every
fixture file and for values that an accessor, operator or ``?`` continues.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.bicep import ast, expressions
from azbackup_policy.parsers.bicep.lexer import Lexer
from azbackup_policy.parsers.bicep.parser import Parser

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(p for p in (ROOT / "fixtures").rglob("*.bicep") if p.is_file())
SNIPPETS = [
    "var a = {\n  b: 1\n}\n",
    "var a = {\n  b: 1\n}.b\n",
    "var a = [\n  1\n  2\n][0]\n",
    "var a = {}\n?? {}\n",
    "var a = {} ?? { b: [] }\n",
    "var a = [] == []\n",
    "var a = {\n  b: {}\n}\n? 1\n: 2\n",
    "var a = ({\n  b: 1\n})\n",
    "var a = f({\n  b: 1\n}, [\n  2\n])\n",
    "var a = [for x in range(0, 2): {\n  v: x\n}]\n",
    "var a = {}!\n",
    "var a = [1]::x\n",
    "var a = {\n  b: {\n    c: [\n      {}\n    ]\n  }\n}\nvar d = 1\n",
    "var a = { b: 1 } c\n",
    "var a = [\n",
    "var a = {\n  b: {\n",
    "var a = {}\n&& true\n",
    "var a = {\n  b: [] || {}\n  c: {}.d.e\n}\n",
]


class ReferenceParser(Parser):
    def expr(self) -> ast.Expr:
        simple = self.simple_value()
        if simple is not None:
            return simple
        start = self.tok()[2]
        self.enter(start)
        cond = self.binary(1)
        if self.kind() == "nl" and self.after_nl() == "?":
            self.skip_nl()
        if self.tok()[0] == "?":
            self.i += 1
            self.skip_nl()
            then = self.expr()
            if self.kind() == "nl" and self.after_nl() == ":":
                self.skip_nl()
            self.expect(":", "':' of the conditional expression")
            self.skip_nl()
            other = self.expr()
            cond = ast.Ternary(cond, then, other, cond.pos, other.end)
        self.depth -= 1
        return cond


def parse(text: str, parser: type[Parser], max_depth: int = 200) -> object:
    lexer = Lexer(text, "t.bicep")
    try:
        return parser(lexer.tokenize(), lexer, max_depth).program()
    except InputError as error:
        return (error.line, error.column, error.message)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_fixture_trees_equal_the_reference(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert parse(text, Parser) == parse(text, ReferenceParser)


@pytest.mark.parametrize("text", SNIPPETS)
def test_continued_and_broken_values_equal_the_reference(text: str) -> None:
    assert parse(text, Parser) == parse(text, ReferenceParser)


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_nesting_limit_counts_as_before(depth: int) -> None:
    text = "var a = {\n  b: [\n    {\n      c: [\n        1\n      ]\n    }\n  ]\n}\n"
    assert parse(text, Parser, depth) == parse(text, ReferenceParser, depth)


def test_the_fast_path_skips_the_operator_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = expressions.ExprParser.binary

    def counting(self: expressions.ExprParser, min_prec: int,
                 primary: ast.Expr | None = None) -> ast.Expr:
        calls.append(min_prec)
        return original(self, min_prec, primary)

    monkeypatch.setattr(expressions.ExprParser, "binary", counting)
    text = "var a = {\n  b: [\n    {}\n  ]\n}\n"
    parse(text, Parser)
    assert calls == []
    parse(text, ReferenceParser)
    assert len(calls) >= 3


def test_compiling_leaves_no_cycle_holding_the_syntax_tree() -> None:
    """A scan pauses the cyclic collector: a cycle through the emitter would keep every
    syntax tree (and its spans) until the end of the scan."""
    import gc

    from azbackup_policy.discover import FileLoader
    from azbackup_policy.parsers import ParseContext, ParseOptions
    from azbackup_policy.parsers.bicep import compile_file

    folder = ROOT / "fixtures" / "scenarios" / "estate-basic" / "bicep"
    gc.collect()
    gc.disable()
    try:
        before = {id(o) for o in gc.get_objects() if isinstance(o, ast.Program)}
        context = ParseContext(FileLoader([str(folder)]), ParseOptions())
        compiled = compile_file(str(folder / "main.bicep"), context)
        assert compiled.template["resources"]
        del context, compiled
        left = [o for o in gc.get_objects() if isinstance(o, ast.Program) and id(o) not in before]
        assert left == []
    finally:
        gc.enable()
