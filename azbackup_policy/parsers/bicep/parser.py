"""Hand-written recursive-descent parser for Bicep (``.bicep`` and ``.bicepparam``).

Why not a parser generator: the linter must read multi-megabyte Bicep at >= 2 MB/s
and keep an exact line and column on every node. pycep's Lark grammar was measured
at about 0.5 MB/s and gives positions only per declaration (and it fails on most
current AVM modules, see shared IAC.md §5.2). A regex tokenizer plus a
recursive-descent parser over token tuples does both, and makes every error an
:class:`~azbackup_policy.errors.InputError` with the exact position.

The grammar follows the Bicep documentation: declarations (``targetScope``,
``metadata``, ``param``, ``var``, ``type``, ``func``, ``import``, ``extension`` /
``provider``, ``resource``, ``module``, ``output``, ``assert``, ``using``) with
decorators, every type syntax, and the full expression language.
"""

from __future__ import annotations

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.lexer import Lexer
from azbackup_policy.parsers.bicep.types import TypeParser

DECLARATION_KEYWORDS = frozenset({
    "targetScope", "metadata", "param", "var", "type", "func", "import", "extension",
    "provider", "resource", "module", "output", "assert", "using", "extends"})


class Parser(TypeParser):
    """Statements; see the module docstring."""

    def program(self) -> ast.Program:
        """Every declaration; one that does not parse is an error in ``errors`` and the
        parser goes on at the next declaration (a keyword at the start of a line)."""
        program = ast.Program([], self.lexer.marked_comments)
        while True:
            self.skip_nl()
            if self.toks[self.i][0] == "eof":
                break
            start = self.i
            try:
                statement = self.statement()
                if self.toks[self.i][0] not in ("nl", "eof"):
                    raise self.unexpected("a line break after the declaration")
                program.statements.append(statement)
            except InputError as error:
                keyword, name, at = self.declared(start)
                end = self.next_declaration(at)
                program.errors.append(error)
                program.failed_kinds.append(keyword)
                if name:
                    program.failed_names.append(name)
                self.i, self.depth, self.paren, self.in_paren = end, 0, [False], False
        return program

    def declared(self, start: int) -> tuple[str, str, int]:
        """(keyword, name, index of the keyword) of the failed declaration that starts at
        token ``start`` (after its decorators); ``""`` and ``start`` when there is none."""
        toks, j = self.toks, start
        if toks[j][0] == "@":  # decorators, maybe over several lines: the first keyword
            while toks[j][0] != "eof" and not (                    # that starts a line
                    toks[j - 1][0] == "nl" and toks[j][0] == "id"
                    and toks[j][1] in DECLARATION_KEYWORDS):
                j += 1
        kind, value = toks[j][0], toks[j][1]
        if kind != "id" or value not in DECLARATION_KEYWORDS:
            return "", "", start
        named = toks[j + 1][0] == "id" and value != "import"
        return str(value), str(toks[j + 1][1]) if named else "", j

    def next_declaration(self, start: int) -> int:
        """The token after ``start`` where the next declaration begins: a keyword or ``@``
        that is the first thing on its line, at column 1 (or the end)."""
        toks, lines = self.toks, self.lexer.lines
        j = start + 1
        while toks[j][0] != "eof":
            kind, value, offset, _ = toks[j]
            if (toks[j - 1][0] == "nl" and offset == lines.starts[lines.line(offset) - 1]
                    and (kind == "@" or (kind == "id" and value in DECLARATION_KEYWORDS))):
                break
            j += 1
        return j

    def statement(self) -> ast.Statement:
        decorators = self.decorators()
        token = self.tok()
        if token[0] != "id":
            raise self.unexpected("a declaration")
        keyword = str(token[1])
        handler = getattr(self, f"st_{keyword}", None)
        if handler is None:
            raise self.unexpected("a declaration (param, var, resource, module, output, ...)")
        self.i += 1
        node: ast.Statement = handler(token[2])
        node.decorators = decorators
        if decorators:
            node.pos = decorators[0].pos
        return node

    def assignment(self) -> ast.Expr:
        self.expect("=", "'='")
        self.skip_nl()
        return self.expr()

    # ------------------------------------------------------------ declarations
    def st_targetScope(self, pos: int) -> ast.Decl:
        value = self.assignment()
        return ast.Decl("targetScope", "targetScope", pos, value.end, value=value, name_pos=pos)

    def simple(self, kind: str, pos: int) -> ast.Decl:
        name = self.expect_id()
        value = self.assignment()
        return ast.Decl(kind, str(name[1]), pos, value.end, value=value, name_pos=name[2])

    def st_metadata(self, pos: int) -> ast.Decl:
        return self.simple("metadata", pos)

    def st_assert(self, pos: int) -> ast.Decl:
        return self.simple("assert", pos)

    def st_param(self, pos: int) -> ast.Decl:
        name = self.expect_id("a parameter name")
        node = ast.Decl("param", str(name[1]), pos, name[3], name_pos=name[2])
        if self.kind() != "=":
            node.type = self.type_expr()
            node.end = node.type.end
        if self.kind() == "=":
            node.value = self.assignment()
            node.end = node.value.end
        return node

    def st_var(self, pos: int) -> ast.Decl:
        name = self.expect_id("a variable name")
        node = ast.Decl("var", str(name[1]), pos, name[3], name_pos=name[2])
        if self.kind() != "=":
            node.type = self.type_expr()
        node.value = self.assignment()
        node.end = node.value.end
        return node

    def st_output(self, pos: int) -> ast.Decl:
        name = self.expect_id("an output name")
        node = ast.Decl("output", str(name[1]), pos, name[3], name_pos=name[2])
        node.type = self.type_expr()
        node.value = self.assignment()
        node.end = node.value.end
        return node

    def st_type(self, pos: int) -> ast.Decl:
        name = self.expect_id("a type name")
        self.expect("=", "'='")
        self.skip_nl()
        declared = self.type_expr()
        return ast.Decl("type", str(name[1]), pos, declared.end, type=declared, name_pos=name[2])

    def st_func(self, pos: int) -> ast.FuncDecl:
        name = self.expect_id("a function name")
        self.expect("(", "'(' after the function name")
        self.push(True)
        params: list[tuple[str, ast.TypeExpr]] = []
        while self.kind() != ")":
            param = self.expect_id("a parameter name")
            params.append((str(param[1]), self.type_expr()))
            if self.kind() != ",":
                break
            self.i += 1
        self.expect(")", "',' or ')' in the parameter list")
        self.pop()
        returns = self.type_expr()
        self.expect("=>", "'=>' before the function body")
        self.skip_nl()
        body = self.expr()
        return ast.FuncDecl(str(name[1]), params, returns, body, pos, body.end)

    def st_import(self, pos: int) -> ast.ImportDecl:
        kind = self.kind()
        if kind == "str":  # legacy provider import: import 'az@1.0.0' [with {...}] [as x]
            source = self.advance()
            self.rest_of_statement()
            return ast.ImportDecl(str(source[1]), pos, self.last_end())
        node = ast.ImportDecl("", pos, pos)
        if kind == "*":
            self.i += 1
            self.expect_word("as")
            node.wildcard = str(self.expect_id("a namespace name")[1])
        else:
            node.names = self.import_names()
        self.expect_word("from")
        source = self.expect("str", "the file or registry to import from")
        node.source, node.end = str(source[1]), source[3]
        return node

    def import_names(self) -> list[tuple[str, str]]:
        """``{a, b as c}``; names may also stand one per line, without commas."""
        self.expect("{", "'{' or '*' after 'import'")
        self.push(False)
        names: list[tuple[str, str]] = []
        while True:
            self.skip_nl()
            if self.toks[self.i][0] == "}":
                break
            name = str(self.expect_id("an imported name")[1])
            alias = name
            if self.at_word("as"):
                self.i += 1
                alias = str(self.expect_id("an alias")[1])
            names.append((name, alias))
            self.end_of_item("}", "imported name")
        self.expect("}", "',' or '}' in the import list")
        self.pop()
        return names

    def st_extension(self, pos: int) -> ast.Decl:
        token = self.advance()
        if token[0] not in ("id", "str"):
            raise self.error_at(token[2], "expected an extension name")
        self.rest_of_statement()
        return ast.Decl("extension", str(token[1]), pos, self.last_end(), name_pos=token[2])

    st_provider = st_extension

    def st_extends(self, pos: int) -> ast.Decl:
        """``extends 'base.bicepparam'`` in a .bicepparam file (its values are not read)."""
        token = self.expect("str", "the parameters file after 'extends'")
        return ast.Decl("extends", str(token[1]), pos, token[3], name_pos=token[2])

    def st_using(self, pos: int) -> ast.Decl:
        token = self.advance()
        if token[0] not in ("str", "id"):
            raise self.error_at(token[2], "expected the template path after 'using'")
        self.rest_of_statement()
        return ast.Decl("using", str(token[1]), pos, self.last_end(), name_pos=token[2])

    def rest_of_statement(self) -> None:
        """Skip ``with {...}`` / ``as alias`` tails (balanced brackets)."""
        while self.toks[self.i][0] not in ("nl", "eof"):
            kind = self.toks[self.i][0]
            if kind == "{":
                self.object()
            elif kind == "[":
                self.array()
            else:
                self.i += 1

    # ------------------------------------------------------------ resources, modules
    def st_resource(self, pos: int) -> ast.ResourceDecl:
        symbol = self.expect_id("a resource symbolic name")
        type_token = self.expect("str", "the resource type 'Namespace/type@version'")
        existing = self.at_word("existing")
        if existing:
            self.i += 1
        self.expect("=", "'='")
        self.skip_nl()
        value = self.declaration_value()
        return ast.ResourceDecl(
            str(symbol[1]), str(type_token[1]), existing, value, pos, value.end
        )

    def st_module(self, pos: int) -> ast.ModuleDecl:
        symbol = self.expect_id("a module symbolic name")
        path = self.expect("str", "the module path")
        self.expect("=", "'='")
        self.skip_nl()
        value = self.declaration_value()
        node = ast.ModuleDecl(str(symbol[1]), str(path[1]), value, pos, value.end)
        node.path_pos = path[2]
        return node

    def declaration_value(self) -> ast.Expr:
        token = self.tok()
        if token[0] == "id" and token[1] == "if":
            self.i += 1
            cond = self.condition_in_parens()
            self.skip_nl()
            body = self.object_or_error()
            return ast.IfValue(cond, body, token[2], body.end)
        if token[0] == "[":
            return self.array()
        return self.object_or_error()

    def object_or_error(self) -> ast.Object:
        if self.kind() != "{":
            raise self.unexpected("'{' to start the body")
        return self.object()

    def nested_resource(self) -> ast.ResourceDecl:
        decorators = self.decorators()
        keyword = self.expect_word("resource")
        node = self.st_resource(keyword[2])
        node.decorators = decorators
        if decorators:
            node.pos = decorators[0].pos
        return node


def parse_program(text: str, file: str, max_depth: int = 200) -> ast.Program:
    """Tokenize and parse ``text``, all or nothing: raises only :class:`InputError`, the
    first declaration error included (the compiler reads ``Program.errors`` instead)."""
    lexer = Lexer(text, file)
    try:
        tokens = lexer.tokenize()
        program = Parser(tokens, lexer, max_depth).program()
    except RecursionError:
        raise InputError(file, 1, 1, "input nested too deeply to parse") from None
    if program.errors:
        raise program.errors[0]
    return program
