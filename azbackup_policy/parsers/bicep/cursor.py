"""Token cursor shared by the expression, type and statement parsers.

Newlines end statements, object properties and array items in Bicep, but not inside
parentheses. The cursor keeps a stack of bracket kinds: inside ``(`` it skips line
breaks by itself; inside ``{`` / ``[`` and at the top level they are tokens the
grammar must handle.
"""

from __future__ import annotations

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.bicep.lexer import Lexer, Token


def describe(token: Token) -> str:
    kind = token[0]
    if kind == "id":
        return f"'{token[1]}'"
    if kind in ("str", "tpl"):
        return "a string"
    if kind == "int":
        return f"the number {token[1]}"
    if kind == "nl":
        return "the end of the line"
    if kind == "eof":
        return "the end of the input"
    return f"'{kind}'"


class Cursor:
    """Position in a token list plus the newline-sensitivity stack and depth guard."""

    def __init__(self, tokens: list[Token], lexer: Lexer, max_depth: int) -> None:
        self.toks = tokens
        self.i = 0
        self.lexer = lexer
        self.max_depth = max_depth
        self.depth = 0
        self.paren = [False]
        self.in_paren = False

    # ------------------------------------------------------------ errors
    def error_at(self, offset: int, message: str) -> InputError:
        return self.lexer.error(offset, message)

    def unexpected(self, expected: str) -> InputError:
        token = self.tok()
        return self.error_at(token[2], f"expected {expected} but found {describe(token)}")

    def enter(self, offset: int) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.error_at(offset, f"nesting deeper than {self.max_depth} levels")

    # ------------------------------------------------------------ tokens
    def tok(self) -> Token:
        """The current token; line breaks are skipped inside parentheses."""
        token = self.toks[self.i]
        if token[0] == "nl" and self.in_paren:
            self.skip_nl()
            token = self.toks[self.i]
        return token

    def kind(self) -> str:
        return self.tok()[0]

    def raw_kind(self, ahead: int = 0) -> str:
        index = min(self.i + ahead, len(self.toks) - 1)
        return self.toks[index][0]

    def skip_nl(self) -> None:
        toks, i = self.toks, self.i
        while toks[i][0] == "nl":
            i += 1
        self.i = i

    def after_nl(self) -> str:
        """The kind of the first token after any line breaks, without moving."""
        toks, i = self.toks, self.i
        while toks[i][0] == "nl":
            i += 1
        return toks[i][0]

    def advance(self) -> Token:
        token = self.tok()
        if token[0] != "eof":
            self.i += 1
        return token

    def expect(self, kind: str, what: str | None = None) -> Token:
        token = self.tok()
        if token[0] != kind:
            raise self.unexpected(what or f"'{kind}'")
        self.i += 1
        return token

    def expect_id(self, what: str = "a name") -> Token:
        return self.expect("id", what)

    def expect_word(self, word: str) -> Token:
        token = self.tok()
        if token[0] != "id" or token[1] != word:
            raise self.unexpected(f"'{word}'")
        self.i += 1
        return token

    def at_word(self, word: str) -> bool:
        token = self.tok()
        return token[0] == "id" and token[1] == word

    def last_end(self) -> int:
        return self.toks[self.i - 1][3] if self.i else 0

    def push(self, in_paren: bool) -> None:
        self.paren.append(in_paren)
        self.in_paren = in_paren

    def pop(self) -> None:
        self.paren.pop()
        self.in_paren = self.paren[-1]

    def end_of_item(self, closer: str, what: str) -> None:
        """After an array item / object property: a line break, a comma or ``closer``."""
        kind = self.toks[self.i][0]
        if kind == "nl" or kind == closer:
            return
        if kind == ",":
            self.i += 1
            return
        raise self.unexpected(f"a line break, ',' or '{closer}' after the {what}")
