"""Template directives in quoted strings: ``%{ if c }a%{ else }b%{ endif }``, ``%{ for x in l }``.

python-hcl2's grammar gives the directives as flat string parts; they are nested here and
rendered. A directive whose condition or collection is not known makes the whole string
unknown. Strip markers (``%{~ ... ~}``) are not rendered: such a string stays unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lark import Token, Tree

from azbackup_policy.parsers.hcl.syntax import literal_part
from azbackup_policy.parsers.hcl.values import (
    EvalError,
    Pending,
    TfSet,
    as_bool,
    as_string,
    has_pending,
    refs_in,
)

if TYPE_CHECKING:
    from azbackup_policy.parsers.hcl.evaluate import Evaluator

Item = Any  # str | ("expr", node) | ("if", node, then, else) | ("for", names, node, body)


class _NotKnown(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.refs: set[str] = set()
        refs_in(value, self.refs)


def render(ev: Evaluator, parts: list[Any], whole: str) -> Any:
    """The string of a template with directives, or Pending."""
    pieces = [p.children[0] for p in parts if isinstance(p, Tree)]
    if any(isinstance(t, Token) and t.type == "STRIP_MARKER"
           for p in pieces if isinstance(p, Tree) for t in p.children):
        return Pending(whole)
    sequence, end = _sequence(pieces, 0, ())
    if end != len(pieces):
        raise EvalError("unbalanced template directives")
    return render_items(ev, sequence, whole)


def render_items(ev: Evaluator, items: list[Item], whole: str) -> Any:
    """The string of nested template ``items``, or Pending (with ``whole``'s text)."""
    out = _Out(ev)
    try:
        _emit(ev, items, out)
    except _NotKnown as unknown:
        return Pending(whole, frozenset(unknown.refs))
    return "".join(out)


class _Out(list):  # type: ignore[type-arg]
    """The rendered pieces; their total length is charged to the budget as they grow."""

    def __init__(self, ev: Evaluator) -> None:
        super().__init__()
        self.ev = ev
        self.size = 0

    def add(self, piece: str) -> None:
        self.size += len(piece)
        self.ev.budget.allow_string(self.size, "a string template")
        self.append(piece)


def _children(tree: Tree[Any]) -> list[Tree[Any]]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _sequence(pieces: list[Any], index: int, stops: tuple[str, ...]) -> tuple[list[Item], int]:
    items: list[Item] = []
    while index < len(pieces):
        piece = pieces[index]
        if isinstance(piece, Token):
            items.append(literal_part(piece))
        elif piece.data in stops:
            return items, index
        elif piece.data == "interpolation":
            items.append(("expr", _children(piece)[0]))
        elif piece.data == "template_if_start":
            item, index = _if(pieces, index, piece)
            items.append(item)
        elif piece.data == "template_for_start":
            children = _children(piece)
            names = [str(c.children[0]) for c in children if c.data == "identifier"]
            body, index = _sequence(pieces, index + 1, ("template_endfor",))
            _expect(pieces, index, "template_endfor")
            items.append(("for", names, children[-1], body))
        else:
            raise EvalError(f"unexpected {piece.data}")
        index += 1
    if stops:
        raise EvalError("unclosed template directive")
    return items, index


def _if(pieces: list[Any], index: int, piece: Tree[Any]) -> tuple[Item, int]:
    then, index = _sequence(pieces, index + 1, ("template_else", "template_endif"))
    otherwise: list[Item] = []
    if pieces[index].data == "template_else":
        otherwise, index = _sequence(pieces, index + 1, ("template_endif",))
    _expect(pieces, index, "template_endif")
    return ("if", _children(piece)[0], then, otherwise), index


def _expect(pieces: list[Any], index: int, kind: str) -> None:
    if index >= len(pieces) or not isinstance(pieces[index], Tree) or pieces[index].data != kind:
        raise EvalError(f"expected {kind}")


def _known(ev: Evaluator, node: Any) -> Any:
    value = ev.eval(node)
    if has_pending(value):
        raise _NotKnown(value)
    return value


def _emit(ev: Evaluator, items: list[Item], out: _Out) -> None:
    for item in items:
        if isinstance(item, str):
            out.add(item)
        elif item[0] == "expr":
            out.add(as_string(_known(ev, item[1])))
        elif item[0] == "if":
            _emit(ev, item[2] if as_bool(_known(ev, item[1])) else item[3], out)
        else:
            _, names, node, body = item
            for key, value in _pairs(_known(ev, node)):
                ev.budget.step()
                bound = dict(zip(names, [key, value] if len(names) == 2 else [value],
                                 strict=True))
                _emit(ev.with_bindings(bound), body, out)


def _pairs(collection: Any) -> list[tuple[Any, Any]]:
    if isinstance(collection, dict):
        return [(key, collection[key]) for key in sorted(collection)]
    if isinstance(collection, TfSet):
        return [(item, item) for item in collection]
    if isinstance(collection, list):
        return list(enumerate(collection))
    raise EvalError("a template for needs a collection")
