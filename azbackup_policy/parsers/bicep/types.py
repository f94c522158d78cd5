"""Type expressions: ``string``, ``string[]``, ``'A' | 'B'``, ``('A' | 'B')``,
``{ @description('x') a: string? }``, ``[string, int]``, ``resource 'T@v'``,
``resourceInput<'T@v'>.properties.x``, ``ns.myType``, ``myType[*]``."""

from __future__ import annotations

from typing import Any

from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.expressions import ExprParser


class TypeParser(ExprParser):
    def type_expr(self) -> ast.TypeExpr:
        """A type; a union may break its lines before each ``|`` and start with one::

            storageAccountType:
              | 'Premium_LRS'
              | 'Standard_LRS'
        """
        if self.at_bar():
            self.i += 1
            self.skip_nl()
        start = self.tok()[2]
        self.enter(start)
        first = self.type_postfix()
        if not self.at_bar():
            self.depth -= 1
            return first
        members = [first]
        while self.at_bar():
            self.i += 1
            self.skip_nl()
            members.append(self.type_postfix())
        self.depth -= 1
        return ast.TypeUnion(members, start, self.last_end())

    def at_bar(self) -> bool:
        """At ``|``, here or as the first token of a following line (moving onto it)."""
        kind = self.kind()
        if kind == "nl" and self.after_nl() == "|":
            self.skip_nl()
            return True
        return kind == "|"

    def type_postfix(self) -> ast.TypeExpr:
        node = self.type_primary()
        while True:
            kind = self.toks[self.i][0]
            if kind == "?":
                self.i += 1
                node = ast.TypeNullable(node, node.pos, self.last_end())
            elif kind == "[" and self.raw_kind(1) == "]":
                self.i += 2
                node = ast.TypeArray(node, node.pos, self.last_end())
            elif kind == "[" and self.raw_kind(1) in ("int", "*") and self.raw_kind(2) == "]":
                self.i += 3
                self.extend_path(node, "[]")
            elif kind == "." and self.raw_kind(1) in ("id", "*"):
                self.i += 1
                token = self.advance()
                self.extend_path(node, str(token[1] or "*"))
            else:
                return node

    def extend_path(self, node: ast.TypeExpr, segment: str) -> None:
        if isinstance(node, ast.TypeRef):
            node.path.append(segment)
            node.end = self.last_end()

    def type_primary(self) -> ast.TypeExpr:
        token = self.tok()
        kind, value, pos, end = token
        if kind in ("str", "int"):
            self.i += 1
            return ast.TypeLiteral(value, pos, end)
        if kind == "-" and self.raw_kind(1) == "int":
            self.i += 2
            return ast.TypeLiteral(-int(self.toks[self.i - 1][1]), pos, self.last_end())  # type: ignore[call-overload]
        if kind == "id":
            return self.type_name(token)
        if kind == "(":
            self.i += 1
            self.push(True)
            inner = self.type_expr()
            self.expect(")", "')' to close the type")
            self.pop()
            return inner
        if kind == "{":
            return self.type_object()
        if kind == "[":
            return self.type_tuple()
        raise self.unexpected("a type")

    def type_name(self, token: tuple[str, Any, int, int]) -> ast.TypeExpr:
        _, name, pos, end = token
        self.i += 1
        if name in ("true", "false", "null"):
            return ast.TypeLiteral({"true": True, "false": False}.get(name), pos, end)
        if name == "resource" and self.toks[self.i][0] == "str":
            string = self.advance()
            return ast.ResourceType(str(string[1]), pos, string[3])
        node = ast.TypeRef(name, pos, end)
        if self.toks[self.i][0] == "<":
            self.i += 1
            self.push(True)
            while self.kind() != ">":
                node.args.append(self.type_expr())  # type: ignore[arg-type]
                if self.kind() != ",":
                    break
                self.i += 1
            self.expect(">", "'>' to close the type arguments")
            self.pop()
            node.end = self.last_end()
        return node

    def type_object(self) -> ast.TypeObject:
        start = self.advance()
        self.enter(start[2])
        self.push(False)
        node = ast.TypeObject([], start[2], start[3])
        while True:
            self.skip_nl()
            if self.toks[self.i][0] == "}":
                break
            decorators = self.decorators()
            self.type_property(node, decorators)
            self.end_of_item("}", "type property")
        node.end = self.expect("}")[3]
        self.pop()
        self.depth -= 1
        return node

    def type_property(self, node: ast.TypeObject, decorators: list[ast.Decorator]) -> None:
        token = self.tok()
        if token[0] == "*":
            self.i += 1
            self.expect(":", "':' after '*'")
            node.additional = self.type_expr()
            return
        if token[0] not in ("id", "str"):
            raise self.unexpected("a property name")
        self.i += 1
        optional = self.toks[self.i][0] == "?"
        if optional:
            self.i += 1
        self.expect(":", "':' after the property name")
        prop_type = self.type_expr()
        node.props.append(
            ast.TypeProp(str(token[1]), prop_type, optional, decorators, token[2], prop_type.end)
        )

    def type_tuple(self) -> ast.TypeTuple:
        start = self.advance()
        self.enter(start[2])
        self.push(False)
        items: list[ast.TypeExpr] = []
        while True:
            self.skip_nl()
            if self.toks[self.i][0] == "]":
                break
            self.decorators()
            items.append(self.type_expr())
            self.end_of_item("]", "tuple item")
        end = self.expect("]")[3]
        self.pop()
        self.depth -= 1
        return ast.TypeTuple(items, start[2], end)

    def decorators(self) -> list[ast.Decorator]:
        found: list[ast.Decorator] = []
        while self.kind() == "@":
            found.append(self.decorator())
            self.skip_nl()
        return found

    def decorator(self) -> ast.Decorator:
        at = self.advance()
        name = self.expect_id("a decorator name")
        namespace = None
        if self.toks[self.i][0] == ".":
            self.i += 1
            namespace, name = str(name[1]), self.expect_id("a decorator name")
        args = self.arguments()
        return ast.Decorator(str(name[1]), args, at[2], self.last_end(), namespace)
