"""Recursive-descent parser for Bicep expressions (operator precedence from the Bicep
operator docs: accessors, unary, multiplicative, additive, relational, equality,
``&&``, ``||``, ``??``, ternary)."""

from __future__ import annotations

from typing import Any, cast

from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.cursor import Cursor

PRECEDENCE = {
    "??": 1, "||": 2, "&&": 3,
    "==": 4, "!=": 4, "=~": 4, "!~": 4,
    "<": 5, "<=": 5, ">": 5, ">=": 5,
    "+": 6, "-": 6,
    "*": 7, "/": 7, "%": 7,
}
# Operators that may start a continuation line (multi-line ternaries and conditions).
_LEADING = frozenset({"?", "??", "&&", "||"})
_ENDERS = frozenset({"nl", "}", "]", ",", ")", "eof", ":"})
_CLOSERS = _ENDERS - {"nl"}
_KEYWORD_LITERALS = {"true": True, "false": False, "null": None}


class ExprParser(Cursor):
    """Expressions; the statement parser builds on it."""

    def expr(self) -> ast.Expr:
        simple = self.simple_value()
        if simple is not None:
            return simple
        start = self.tok()[2]
        self.enter(start)
        kind = self.toks[self.i][0]
        # An object or array value (most values in a template) ends at a line break or
        # a closer: return it without the operator levels, which would only find that.
        first = self.object() if kind == "{" else self.array() if kind == "[" else None
        if first is not None and self.ends_value():
            self.depth -= 1
            return first
        cond = self.binary(1, first)
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

    def simple_value(self) -> ast.Expr | None:
        """Fast path: a lone literal or name right before the end of the value."""
        toks, i = self.toks, self.i
        kind, value, pos, end = toks[i]
        if kind != "str" and kind != "int" and kind != "id":
            return None
        after = toks[i + 1][0]
        if after not in _ENDERS:
            return None
        if after == "nl" and (self.in_paren or self.after_line_continues(i + 1)):
            return None
        self.i = i + 1
        if kind != "id":
            return ast.Literal(value, pos, end)
        if value in _KEYWORD_LITERALS:
            return ast.Literal(_KEYWORD_LITERALS[value], pos, end)
        return ast.Name(value, pos, end)  # type: ignore[arg-type]

    def after_line_continues(self, j: int) -> bool:
        toks = self.toks
        while toks[j][0] == "nl":
            j += 1
        return toks[j][0] in _LEADING

    def ends_value(self) -> bool:
        """True when no accessor, operator or ``?`` can continue the value before here."""
        kind = self.tok()[0]
        if kind == "nl":
            return self.after_nl() not in _LEADING
        return kind in _CLOSERS

    def binary(self, min_prec: int, primary: ast.Expr | None = None) -> ast.Expr:
        """An operator expression; ``primary`` is its first operand when already read."""
        left = self.unary() if primary is None else self.postfix(primary)
        while True:
            kind = self.tok()[0]
            if kind == "nl":
                after = self.after_nl()
                if after not in _LEADING or after == "?":
                    return left
                self.skip_nl()
                kind = after
            prec = PRECEDENCE.get(kind)
            if prec is None or prec < min_prec:
                return left
            self.i += 1
            self.skip_nl()
            right = self.binary(prec + 1)
            left = ast.Binary(kind, left, right, left.pos, right.end)

    def unary(self) -> ast.Expr:
        token = self.tok()
        kind = token[0]
        if kind in ("!", "-", "+"):
            self.enter(token[2])
            self.i += 1
            operand = self.unary()
            self.depth -= 1
            if kind == "-" and isinstance(operand, ast.Literal) and type(operand.value) is int:
                return ast.Literal(-operand.value, token[2], operand.end)
            return ast.Unary(kind, operand, token[2], operand.end)
        return self.postfix(self.primary())

    def postfix(self, node: ast.Expr) -> ast.Expr:
        toks = self.toks
        while True:
            kind = self.tok()[0]
            if kind == "." or kind == ".?":
                self.i += 1
                name = self.expect_id("a property name")
                if kind == "." and self.toks[self.i][0] == "(":
                    args = self.arguments()
                    node = ast.Call(cast(str, name[1]), args, node.pos, self.last_end(),
                                    target=node)
                else:
                    node = ast.Member(node, cast(str, name[1]), kind == ".?", node.pos, name[3])
            elif kind == "[":
                node = self.index(node)
            elif kind == "::":
                self.i += 1
                name = self.expect_id("a nested resource name")
                node = ast.ChildAccess(node, cast(str, name[1]), node.pos, name[3])
            elif kind == "!":
                token = toks[self.i]
                self.i += 1
                node = ast.NonNull(node, node.pos, token[3])
            else:
                return node

    def index(self, node: ast.Expr) -> ast.Expr:
        self.i += 1
        self.push(True)
        safe = self.kind() == "?"
        if safe:
            self.i += 1
        value = self.expr()
        self.pop()
        self.skip_nl()
        close = self.expect("]", "']' to close the index")
        return ast.Index(node, value, safe, node.pos, close[3])

    def arguments(self) -> list[ast.Expr]:
        self.expect("(")
        self.push(True)
        args: list[ast.Expr] = []
        while self.kind() != ")":
            args.append(self.expr())
            if self.kind() != ",":
                break
            self.i += 1
        self.expect(")", "',' or ')' in the argument list")
        self.pop()
        return args

    def primary(self) -> ast.Expr:
        token = self.tok()
        kind, value, pos, end = token
        if kind == "str" or kind == "int":
            self.i += 1
            return ast.Literal(value, pos, end)
        if kind == "id":
            return self.identifier(token)
        if kind == "tpl":
            self.i += 1
            return self.template(token)
        if kind == "{":
            return self.object()
        if kind == "[":
            return self.array()
        if kind == "(":
            return self.parenthesised(pos)
        raise self.unexpected("an expression")

    def identifier(self, token: tuple[str, Any, int, int]) -> ast.Expr:
        _, name, pos, end = token
        self.i += 1
        if name in _KEYWORD_LITERALS:
            return ast.Literal(_KEYWORD_LITERALS[name], pos, end)
        nxt = self.toks[self.i][0]
        if nxt == "=>":
            self.i += 1
            self.skip_nl()
            body = self.expr()
            return ast.Lambda([name], body, pos, body.end)
        if nxt == "(":
            args = self.arguments()
            return ast.Call(name, args, pos, self.last_end())
        return ast.Name(name, pos, end)

    def template(self, token: tuple[str, Any, int, int]) -> ast.Template:
        parts: list[str | ast.Expr] = []
        for part in token[1]:
            if isinstance(part, str):
                parts.append(part)
                continue
            sub = ExprParser(part, self.lexer, self.max_depth)
            sub.depth = self.depth
            sub.push(True)
            parts.append(sub.expr())
            if sub.kind() != "eof":
                raise sub.unexpected("'}' to close the interpolation")
        return ast.Template(parts, token[2], token[3])

    def parenthesised(self, pos: int) -> ast.Expr:
        params = self.lambda_params()
        if params is not None:
            self.skip_nl()
            body = self.expr()
            return ast.Lambda(params, body, pos, body.end)
        self.i += 1
        self.push(True)
        inner = self.expr()
        self.expect(")", "')'")
        self.pop()
        return inner

    def lambda_params(self) -> list[str] | None:
        """``(a, b) =>``: the names, moving past ``=>``; else None without moving."""
        toks, j = self.toks, self.i + 1
        names: list[str] = []
        expect_name = True
        while toks[j][0] in ("id", ",", "nl"):
            if toks[j][0] == "id" and expect_name:
                names.append(str(toks[j][1]))
                expect_name = False
            elif toks[j][0] == ",":
                expect_name = True
            j += 1
        if toks[j][0] != ")" or toks[j + 1][0] != "=>":
            return None
        self.i = j + 2
        return names

    def array(self) -> ast.Expr:
        start = self.tok()
        self.enter(start[2])
        self.i += 1
        self.push(False)
        self.skip_nl()
        node = self.for_body(start[2]) if self.at_word("for") else self.array_items(start[2])
        self.pop()
        self.depth -= 1
        return node

    def array_items(self, pos: int) -> ast.Array:
        items: list[ast.Expr] = []
        while True:
            self.skip_nl()
            kind = self.toks[self.i][0]
            if kind == "]":
                break
            if kind == "...":
                token = self.advance()
                value = self.expr()
                items.append(ast.Spread(value, token[2], value.end))
            else:
                items.append(self.expr())
            self.end_of_item("]", "array item")
        end = self.expect("]")[3]
        return ast.Array(items, pos, end)

    def for_body(self, pos: int) -> ast.For:
        self.i += 1
        item, index = self.loop_variables()
        self.expect_word("in")
        iterable = self.expr()
        self.expect(":", "':' after the loop collection")
        self.skip_nl()
        condition = None
        if self.at_word("if") and self.raw_kind(1) == "(":
            self.i += 1
            condition = self.condition_in_parens()
            self.skip_nl()
        body = self.expr()
        self.skip_nl()
        end = self.expect("]", "']' to close the for-expression")[3]
        return ast.For(item, index, iterable, body, pos, end, condition)

    def loop_variables(self) -> tuple[str | None, str | None]:
        if self.kind() != "(":
            return str(self.expect_id("a loop variable")[1]), None
        self.i += 1
        self.push(True)
        item = str(self.expect_id("a loop item variable")[1])
        self.expect(",")
        index = str(self.expect_id("a loop index variable")[1])
        self.expect(")")
        self.pop()
        return item, index

    def condition_in_parens(self) -> ast.Expr:
        self.expect("(", "'(' after 'if'")
        self.push(True)
        cond = self.expr()
        self.expect(")", "')' to close the condition")
        self.pop()
        return cond

    def object(self) -> ast.Object:
        start = self.tok()
        self.enter(start[2])
        self.i += 1
        self.push(False)
        node = ast.Object([], start[2], start[3])
        while True:
            self.skip_nl()
            kind = self.toks[self.i][0]
            if kind == "}":
                break
            self.object_member(node)
            self.end_of_item("}", "object property")
        node.end = self.expect("}")[3]
        self.pop()
        self.depth -= 1
        return node

    def object_member(self, node: ast.Object) -> None:
        token = self.toks[self.i]
        kind = token[0]
        if kind == "...":
            self.i += 1
            value = self.expr()
            node.props.append(ast.Spread(value, token[2], value.end))
            return
        if kind == "@" or (kind == "id" and token[1] == "resource"
                           and self.raw_kind(1) == "id"):
            node.resources.append(self.nested_resource())
            return
        key = self.property_key()
        self.expect(":", "':' after the property name")
        value = self.expr()
        node.props.append(ast.Prop(key, value, token[2], value.end))

    def property_key(self) -> str | ast.Template:
        token = self.tok()
        if token[0] == "id" or token[0] == "str":
            self.i += 1
            return str(token[1])
        if token[0] == "tpl":
            self.i += 1
            return self.template(token)
        raise self.unexpected("a property name")

    def nested_resource(self) -> ast.ResourceDecl:  # implemented by the statement parser
        raise self.unexpected("a property")
