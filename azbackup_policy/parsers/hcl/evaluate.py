"""The static evaluator: an HCL expression (a Lark node or a JSON value) -> a value.

It evaluates what is known without guessing. A value that depends on something not known
before apply becomes a :class:`~.values.Pending` with the expression's source text. An
expression Terraform would reject (:class:`~.values.EvalError`) also becomes Pending at the
attribute that holds it, except inside ``try()``/``can()`` where it selects the fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, Protocol, cast

from lark import Token, Tree

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.budget import Budget, BudgetExceeded
from azbackup_policy.parsers.hcl import files, functions, operators, templates
from azbackup_policy.parsers.hcl.syntax import (
    Literal,
    Sub,
    expression_text,
    heredoc_body,
    literal_part,
)
from azbackup_policy.parsers.hcl.traversal import Traversal
from azbackup_policy.parsers.hcl.values import (
    EvalError,
    NumberError,
    Pending,
    TfSet,
    Trace,
    as_string,
    finite,
    has_pending,
    normal_number,
    refs_in,
)

_SKIP = "new_line_or_comment"


MAX_INT_DIGITS = 4000


class Scope(Protocol):
    """A module instance, as the evaluator sees it."""

    shown: str

    @property
    def budget(self) -> Budget: ...

    def report(self, shown: str, line: int, message: str) -> None: ...

    def over_budget(self, shown: str, line: int, exc: BudgetExceeded) -> None: ...

    def variable(self, name: str, text: str, trace: Trace) -> Any: ...

    def local(self, name: str, text: str, trace: Trace) -> Any: ...

    def resource(self, mode: str, type_: str, name: str, text: str) -> Any: ...

    def module(self, name: str, text: str) -> Any: ...

    def has_resource(self, mode: str, type_: str, name: str) -> bool: ...

    def template(self, text: str, shown: str, line: int) -> list[Any] | None: ...

    def template_items(self, text: str, shown: str) -> list[Any]: ...

    def path_value(self, name: str) -> str | None: ...

    def read_file(self, path: str) -> bytes: ...

    def file_exists(self, path: str) -> bool: ...


def expressions(node: Tree[Any]) -> list[Any]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != _SKIP]


class Evaluator:
    def __init__(self, scope: Scope, bindings: dict[str, Any], trace: Trace, line: int = 1):
        self.scope = scope
        self.budget = scope.budget
        self.bindings = bindings
        self.trace = trace
        self.text = ""
        self.line = line  # of the attribute, for errors in embedded templates
        self.shown = ""

    # -- entry points -----------------------------------------------------------------
    def value(self, node: Any, text: str, line: int = 1, shown: str = "") -> Any:
        """The value of an attribute's expression; errors become Pending."""
        self.text = text
        self.line = line
        self.shown = shown
        try:
            return self.eval(node)
        except NumberError as exc:
            self.scope.report(shown, line, str(exc))
            return Pending(self.source(node), frozenset())
        except EvalError:
            return Pending(self.source(node), frozenset())
        except BudgetExceeded as exc:
            self.scope.over_budget(shown, line, exc)
            return Pending(self.source(node)[:200], frozenset())
        except RecursionError:
            raise InputError(shown, line, 1, "expression nested too deeply") from None

    def source_of(self, attr: Any) -> str:
        """The source text of an attribute's expression."""
        self.text = attr.src.text
        return self.source(attr.expr)

    def with_text(self, text: str) -> Evaluator:
        self.text = text
        return self

    def with_bindings(self, extra: dict[str, Any]) -> Evaluator:
        child = Evaluator(self.scope, {**self.bindings, **extra}, self.trace, self.line)
        child.text, child.shown = self.text, self.shown
        return child

    def only(self, bindings: dict[str, Any]) -> Evaluator:
        """An evaluator that sees ``bindings`` only (a template file's variables)."""
        child = Evaluator(self.scope, bindings, self.trace, self.line)
        child.text, child.shown = self.text, self.shown
        return child

    def source(self, node: Any) -> str:
        return expression_text(node, self.text)

    # -- dispatch ---------------------------------------------------------------------
    def eval(self, node: Any) -> Any:
        self.budget.step()
        if isinstance(node, Tree):
            handler = _DISPATCH.get(node.data)
            if handler is None:
                return Pending(self.source(node))
            return handler(self, node)
        if isinstance(node, Sub):
            saved, self.text = self.text, node.text
            try:
                return self.eval(node.node)
            finally:
                self.text = saved
        if isinstance(node, Literal):
            return node.value
        return self.json_value(node)

    def json_value(self, value: Any) -> Any:
        if isinstance(value, str):
            if "${" not in value and "%{" not in value:
                return value.replace("$${", "${").replace("%%{", "%{")
            return self.template(value)
        if isinstance(value, list):
            return self.budget.check([self.eval(item) for item in value], "a tuple")
        if isinstance(value, dict):
            return self.budget.check({key: self.eval(item) for key, item in value.items()},
                                     "an object")
        return finite(value)

    def template(self, raw: str) -> Any:
        parts = self.scope.template(raw, self.shown, self.line)
        if parts is None:
            return self.directives(raw, raw)
        return self.concat(parts, raw)

    def directives(self, text: str, whole: str) -> Any:
        """A template with ``%{`` directives (or strip markers), rendered."""
        try:
            items = self.scope.template_items(text, self.shown)
        except EvalError:
            return Pending(whole)
        return templates.render_items(self, items, whole)

    def concat(self, parts: list[Any], whole: str) -> Any:
        if len(parts) == 1 and not isinstance(parts[0], str):
            return self.eval(parts[0])  # "${x}" keeps x's type
        pieces: list[str] = []
        pending: set[str] = set()
        unknown = False
        for part in parts:
            value = part if isinstance(part, str) else self.eval(part)
            if has_pending(value):
                unknown = True
                refs_in(value, pending)
            elif not unknown:
                pieces.append(as_string(value))
        if unknown:
            return Pending(whole, frozenset(pending))
        self.budget.allow_string(sum(map(len, pieces)), "a string template")
        return "".join(pieces)

    # -- literals ---------------------------------------------------------------------
    def _expr_term(self, node: Tree[Any]) -> Any:
        inner = expressions(node)
        if len(inner) == 1:
            return self.eval(inner[0])
        return Pending(self.source(node))

    def _int_lit(self, node: Tree[Any]) -> Any:
        digits = str(node.children[0])
        if len(digits) > MAX_INT_DIGITS:  # Python refuses int() of more than 4300 digits
            raise InputError(self.shown, self.line, 1,
                             f"number literal with {len(digits)} digits is too long")
        return int(digits)

    def _float_lit(self, node: Tree[Any]) -> Any:
        return normal_number(float(str(node.children[0])))

    def _literal_value(self, node: Tree[Any]) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _identifier(self, node: Tree[Any]) -> Any:
        name = str(node.children[0])
        if name in self.bindings:
            return self.bindings[name]
        return Pending(name)

    def _string(self, node: Tree[Any]) -> Any:
        parts: list[Any] = []
        for part in node.children:
            if isinstance(part, Tree):
                inner = part.children[0]
                if isinstance(inner, Token):
                    parts.append(literal_part(inner))
                elif inner.data == "interpolation":
                    parts.append(expressions(inner)[0])
                else:
                    return templates.render(self, node.children, self.source(node))
        if not parts:
            return ""
        return self.concat(parts, self.source(node))

    def _heredoc(self, node: Tree[Any]) -> Any:
        body = heredoc_body(cast(Token, node.children[0]))
        if "${" not in body and "%{" not in body:
            return body
        parts = self.scope.template(body, self.shown, node.meta.line)
        if parts is None:
            return self.directives(body, self.source(node))
        return self.concat(parts, self.source(node))

    def _tuple(self, node: Tree[Any]) -> Any:
        return self.budget.check([self.eval(item) for item in expressions(node)], "a tuple")

    def _object(self, node: Tree[Any]) -> Any:
        result: dict[str, Any] = {}
        for elem in expressions(node):
            key_node, value_node = expressions(elem)
            key = self.object_key(key_node)
            if isinstance(key, Pending):
                return Pending(self.source(node), key.refs)
            result[key] = self.eval(value_node)
        return self.budget.check(result, "an object")

    def object_key(self, node: Tree[Any]) -> Any:
        inner = node.children[0]
        if isinstance(inner, Tree) and inner.data == "keyword":
            return str(inner.children[0])
        if isinstance(inner, Tree) and inner.data == "expr_term":
            first = inner.children[0]
            if isinstance(first, Tree) and first.data == "identifier":
                return str(first.children[0])
        key = self.eval(inner)
        return key if has_pending(key) else as_string(key)

    # -- operators --------------------------------------------------------------------
    def _conditional(self, node: Tree[Any]) -> Any:
        condition, yes, no = expressions(node)
        test = self.eval(condition)
        if has_pending(test):
            found: set[str] = set()
            refs_in(test, found)
            refs_in(self.eval(yes), found)
            refs_in(self.eval(no), found)
            return Pending(self.source(node), frozenset(found))
        return self.eval(yes if operators.truth(test) else no)

    def _binary_op(self, node: Tree[Any]) -> Any:
        left_node, term = expressions(node)[:2]
        operator_node, right_node = expressions(term)
        operator = str(operator_node.children[0]).strip()
        left, right = self.eval(left_node), self.eval(right_node)
        if has_pending(left) or has_pending(right):
            found: set[str] = set()
            refs_in(left, found)
            refs_in(right, found)
            return Pending(self.source(node), frozenset(found))
        return self.budget.check(operators.binary(operator, left, right), operator)

    def _unary_op(self, node: Tree[Any]) -> Any:
        operator = str(node.children[0])
        operand = self.eval(node.children[1])
        if has_pending(operand):
            found: set[str] = set()
            refs_in(operand, found)
            return Pending(self.source(node), frozenset(found))
        return operators.unary(operator, operand)

    # -- functions --------------------------------------------------------------------
    def _function_call(self, node: Tree[Any]) -> Any:
        children = node.children
        names = [c for c in children if isinstance(c, Tree) and c.data == "identifier"]
        if len(names) != 1:  # provider::ns::fn
            return Pending(self.source(node))
        name = str(names[0].children[0])
        arguments = next(
            (c for c in children if isinstance(c, Tree) and c.data == "arguments"), None
        )
        arg_nodes = expressions(arguments) if arguments is not None else []
        expand = arguments is not None and any(
            isinstance(c, Token) and c.type == "ELLIPSIS" for c in arguments.children
        )
        if name in ("try", "can"):
            return self.try_can(name, arg_nodes, node)
        if name == "sensitive" and len(arg_nodes) == 1:
            self.trace.sensitive = True
            return self.eval(arg_nodes[0])
        return self.call(name, [self.eval(arg) for arg in arg_nodes], expand, node)

    def call(self, name: str, args: list[Any], expand: bool, node: Tree[Any]) -> Any:
        if name in files.FUNCTIONS and not expand:
            return files.call(self, name, args, node)
        function = functions.BUILTINS.get(name)
        if function is None:
            return self.pending_of(args, node)
        if name == "jsonencode" and not expand and len(args) == 1 \
                and isinstance(args[0], (dict, list)) and has_pending(args[0]):
            self.budget.allow_total(args, "jsonencode()")
            return replace(self.pending_of(args, node), decoded=args[0])
        if expand:
            if not args or (has_pending(args[-1]) and not isinstance(args[-1], list)):
                return self.pending_of(args, node)
            if not isinstance(args[-1], list):
                raise EvalError(f"{name}(...): the expanded argument is not a list")
            args = args[:-1] + list(args[-1])
        what = f"{name}()"
        self.budget.allow_total(args, what)
        try:
            if name in functions.BUDGETED:
                return self.budget.check(function(*args, budget=self.budget), what)
            return self.budget.check(function(*args), what)
        except functions.NotKnown:
            return self.pending_of(args, node)
        except (TypeError, ValueError, OverflowError) as exc:
            raise EvalError(f"{name}(): {exc}") from None

    def pending_of(self, args: list[Any], node: Tree[Any]) -> Pending:
        found: set[str] = set()
        for arg in args:
            refs_in(arg, found)
        return Pending(self.source(node), frozenset(found))

    def try_can(self, name: str, arg_nodes: list[Any], node: Tree[Any]) -> Any:
        for arg in arg_nodes:
            try:
                value = self.eval(arg)
            except EvalError:
                continue
            if has_pending(value):
                return self.pending_of([value], node)
            return True if name == "can" else value
        if name == "can":
            return False
        raise EvalError("try(): no argument could be evaluated")

    # -- for expressions ----------------------------------------------------------------
    def _for_tuple_expr(self, node: Tree[Any]) -> Any:
        return self.for_expr(node, is_object=False)

    def _for_object_expr(self, node: Tree[Any]) -> Any:
        return self.for_expr(node, is_object=True)

    def for_expr(self, node: Tree[Any], is_object: bool) -> Any:
        parts = expressions(node)
        intro = parts[0]
        condition = parts[-1] if parts[-1].data == "for_cond" else None
        bodies = [p for p in parts[1:] if p is not condition]
        names = [str(c.children[0]) for c in expressions(intro) if c.data == "identifier"]
        collection = self.eval(next(c for c in expressions(intro) if c.data != "identifier"))
        if has_pending(collection) and not isinstance(collection, (list, dict)):
            return self.pending_of([collection], node)
        grouped = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        result: Any = {} if is_object else []
        size = 0  # of the result so far: nested for expressions are stopped as they grow
        for key, item in _items(collection):
            values = [key, item] if len(names) == 2 else [item]
            scope = self.with_bindings(dict(zip(names, values, strict=True)))
            if condition is not None:
                test = scope.eval(expressions(condition)[0])
                if has_pending(test):
                    return self.pending_of([test], node)
                if not operators.truth(test):
                    continue
            if not is_object:
                value = scope.eval(bodies[0])
                result.append(value)
                size = self.grown(size, value)
                continue
            out_key = scope.eval(bodies[0])
            if has_pending(out_key):
                return self.pending_of([out_key], node)
            value = scope.eval(bodies[1])
            size = self.grown(size, value)
            if grouped:
                result.setdefault(as_string(out_key), []).append(value)
            else:
                result[as_string(out_key)] = value
        return self.budget.check(result, "a for expression")

    def grown(self, size: int, value: Any) -> int:
        """``size`` plus that of ``value``, the budget checked (for a value being built)."""
        size += 1 + self.budget.size(value)
        if size > self.budget.limits.value_size:
            raise BudgetExceeded(f"a for expression builds a value of size over "
                                 f"{self.budget.limits.value_size} (limit value-size)")
        return size

    # -- traversals (references) ----------------------------------------------------------
    def _traversal(self, node: Tree[Any]) -> Any:
        return Traversal(self).evaluate(node)


def _items(collection: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(collection, dict):
        for key in sorted(collection):
            yield key, collection[key]
    elif isinstance(collection, TfSet):
        for item in collection:
            yield item, item
    elif isinstance(collection, list):
        yield from enumerate(collection)
    elif collection is not None:
        raise EvalError("a for expression needs a list, set, map or object")


_DISPATCH: dict[str, Callable[[Evaluator, Tree[Any]], Any]] = {
    "expr_term": Evaluator._expr_term,
    "int_lit": Evaluator._int_lit,
    "float_lit": Evaluator._float_lit,
    "literal_value": Evaluator._literal_value,
    "identifier": Evaluator._identifier,
    "string": Evaluator._string,
    "heredoc_template": Evaluator._heredoc,
    "heredoc_template_trim": Evaluator._heredoc,
    "tuple": Evaluator._tuple,
    "object": Evaluator._object,
    "conditional": Evaluator._conditional,
    "binary_op": Evaluator._binary_op,
    "unary_op": Evaluator._unary_op,
    "function_call": Evaluator._function_call,
    "for_tuple_expr": Evaluator._for_tuple_expr,
    "for_object_expr": Evaluator._for_object_expr,
    "get_attr_expr_term": Evaluator._traversal,
    "index_expr_term": Evaluator._traversal,
    "attr_splat_expr_term": Evaluator._traversal,
    "full_splat_expr_term": Evaluator._traversal,
}

__all__ = ["Evaluator", "Scope", "Trace", "expression_text"]
