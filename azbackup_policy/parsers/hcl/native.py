"""Where python-hcl2's grammar is narrower than HCL's native syntax, rewrite the text.

Terraform reads HCL with HashiCorp's own parser; python-hcl2 rejects a few things that
parser accepts (found by reading the HCL native syntax specification and by testing):

* inside ``(...)`` and ``[...]`` newlines are ignored, so a function name may stand on
  one line and its ``(`` on the next, and ``.attr`` / ``[index]`` / ``[*]`` may start a
  line (python-hcl2: "unexpected '('"); so are they in a ``{ for ... }`` expression, where
  ``=>`` may start a line;
* a ``/* ... */`` comment is whitespace anywhere, also right after ``=`` or between a
  block's labels (python-hcl2 accepts it only where a newline may stand);
* the strip markers of template interpolations, ``"${~ name ~}"`` (python-hcl2 reads the
  ``~`` as the start of an expression).

:func:`prepare` rewrites only those places, keeping every line break and the length of the
text, so every line and every offset outside a rewritten span is the same: errors and spans
still point into the original file. Text with none of the constructs is returned as is
(one regular-expression search), so ordinary files pay nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TRIGGER = re.compile(r"/\*|\$\{~|~\}|\n[ \t]*(?:[(.\[]|=>)")
_TOKEN = re.compile(
    r"(?P<nl>\r?\n)|(?P<ws>[ \t]+)|(?P<lc>(?:#|//)[^\r\n]*)|(?P<bc>/\*(?:.|\n)*?(?:\*/|\Z))"
    r"|(?P<heredoc><<-?(?P<marker>[A-Za-z_][\w-]*)[ \t]*\r?\n)|(?P<q>\")"
    r"|(?P<ident>[A-Za-z_][\w-]*(?:::[A-Za-z_][\w-]*)*)|(?P<num>[0-9]+(?:\.[0-9]+)?)"
    r"|(?P<other>.)",
)
_GAP = frozenset({"nl", "ws", "lc", "bc"})
_KEYWORDS = frozenset({"for", "in", "if", "else", "endif", "endfor", "null", "true", "false"})
_LITERAL_SPACE = re.compile(r"(?:[ \t]|\\[ntr])*")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    start: int
    end: int
    text: str


def prepare(text: str) -> str:
    """``text`` in the part of HCL's native syntax that python-hcl2 reads (same lines)."""
    if _TRIGGER.search(text) is None:
        return text
    tokens = _tokens(text)
    return "".join(piece for piece in _rewrite(tokens))


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, size = 0, len(text)
    while pos < size:
        match = _TOKEN.match(text, pos)
        assert match is not None  # "other" matches any character but a newline
        kind = match.lastgroup or "other"
        end = match.end()
        if kind == "marker":
            kind = "heredoc"
        if kind == "heredoc":
            end = _heredoc_end(text, end, match.group("marker"))
        elif kind == "q":
            end = _string_end(text, end)
        token_text = text[pos:end]
        if kind == "bc":  # whitespace that keeps its line breaks
            token_text = re.sub(r"[^\r\n]", " ", token_text)
        elif kind == "q":
            kind, token_text = "string", _strip_markers(token_text)
        tokens.append(_Token(kind, pos, end, token_text))
        pos = end
    return tokens


def _heredoc_end(text: str, start: int, marker: str) -> int:
    closing = re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*$", re.MULTILINE)
    found = closing.search(text, start)
    return found.end() if found else len(text)


def _string_end(text: str, pos: int) -> int:
    """The offset after the closing quote of the string whose opening quote ends at ``pos``."""
    size = len(text)
    while pos < size:
        char = text[pos]
        if char == "\\":
            pos += 2
        elif char == '"':
            return pos + 1
        elif char in "\r\n":
            return pos  # unterminated: python-hcl2 reports it
        elif text.startswith(("$${", "%%{"), pos):
            pos += 3
        elif text.startswith(("${", "%{"), pos):
            pos = _interpolation_end(text, pos + 2)
        else:
            pos += 1
    return size


def _interpolation_end(text: str, pos: int) -> int:
    depth, size = 0, len(text)
    while pos < size:
        char = text[pos]
        if char == '"':
            pos = _string_end(text, pos + 1)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return pos + 1
            depth -= 1
        pos += 1
    return size


def _strip_markers(quoted: str) -> str:
    """``"a ${~ b ~} c"`` as ``"a${ b }c"``: the markers and the literal spaces they strip
    go, padded with spaces after the closing quote (the length stays the same)."""
    if "~" not in quoted:
        return quoted
    out: list[str] = []
    pos, size = 0, len(quoted)
    while pos < size:
        if quoted.startswith(("$${", "%%{"), pos) or not quoted.startswith(("${", "%{"), pos):
            out.append(_literal_piece(quoted, pos))
            pos += len(out[-1])
            continue
        end = _interpolation_end(quoted, pos + 2)
        inner = quoted[pos + 2:end - 1]
        if quoted[pos] == "%" or quoted[end - 1:end] != "}":  # a directive: kept as it is
            out.append(quoted[pos:end])
            pos = end
            continue
        left, right = inner.startswith("~"), inner.endswith("~") and len(inner) > 1
        while left and out and _LITERAL_SPACE.fullmatch(out[-1]):
            out.pop()
        out.append("${" + " " * left + inner[left:len(inner) - right] + " " * right + "}")
        pos = _LITERAL_SPACE.match(quoted, end).end() if right else end  # type: ignore[union-attr]
    body = "".join(out)
    return body + " " * (size - len(body))


def _literal_piece(quoted: str, pos: int) -> str:
    """One escape (``\\n``), one run of spaces, or one other character."""
    if quoted.startswith(("$${", "%%{"), pos):
        return quoted[pos:pos + 3]
    if quoted[pos] == "\\":
        return quoted[pos:pos + 2]
    run = re.match(r"[ \t]+", quoted[pos:])
    return run.group(0) if run else quoted[pos]


def _rewrite(tokens: list[_Token]) -> list[str]:
    """Token texts, with line breaks inside ``(...)``/``[...]`` moved past the postfix
    ``(``, ``[``, ``[*]`` or ``.name`` that they separate from what it applies to."""
    out: list[str] = []
    stack: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind in _GAP and _move_gap(tokens, index, bool(stack) and stack[-1] in "(["):
            continue  # the postfix (or ``=>``) now stands at ``index``
        if token.kind == "other" and token.text in "([{":
            stack.append(token.text)
        elif token.kind == "other" and token.text in ")]}" and stack:
            stack.pop()
        out.append(token.text)
        index += 1
    return out


def _move_gap(tokens: list[_Token], index: int, bracketed: bool) -> bool:
    """When ``tokens[index:]`` is a gap holding a line break followed by a postfix of the
    token before it (inside brackets), or by the ``=>`` of a ``{for ...}`` expression (whose
    newlines HCL ignores too), swap the two (the postfix first) and say so."""
    end = index
    while end < len(tokens) and tokens[end].kind in _GAP:
        end += 1
    gap = tokens[index:end]
    if end == len(tokens) or index == 0 or not any(t.kind == "nl" for t in gap):
        return False
    arrow = tokens[end].text == "=" and end + 1 < len(tokens) and tokens[end + 1].text == ">"
    width = 2 if arrow else _postfix_width(tokens[index - 1], tokens, end) if bracketed else 0
    if not width:
        return False
    tokens[index:end + width] = tokens[end:end + width] + gap
    return True


def _postfix_width(before: _Token, tokens: list[_Token], at: int) -> int:
    """How many tokens from ``at`` form a postfix that applies to ``before`` (0: none)."""
    after = tokens[at]
    name = before.kind == "ident" and before.text not in _KEYWORDS
    closer = before.kind == "other" and before.text in ")]"
    nxt = tokens[at + 1] if at + 1 < len(tokens) else None
    if after.text == "(" and name:
        return 1
    if after.text == "[" and (name or closer):
        splat = nxt is not None and nxt.text == "*" and at + 2 < len(tokens) \
            and tokens[at + 2].text == "]"
        return 3 if splat else 1
    if after.text == "." and (name or closer) and nxt is not None \
            and (nxt.kind in ("ident", "num") or nxt.text == "*"):
        return 2
    return 0
