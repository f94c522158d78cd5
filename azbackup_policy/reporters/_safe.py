"""The one place where untrusted text is made safe to print.

Everything a scan reads comes from the scanned repository, which may be a hostile pull
request: resource names, tags, file names, expressions, messages quoting them. Printed
as is, such text could

- drive the terminal: control characters (``ESC``, ``BEL``, C1 codes) make escape
  sequences (OSC 52 writes the clipboard, OSC 0 sets the title, SGR hides text);
  bidirectional overrides reorder what a reviewer sees;
- start a line of its own: CR, LF, NEL, U+2028 and U+2029;
- run a CI command: the GitHub runner acts on a line that starts with ``::`` (after
  white space) and on ``##[`` anywhere in a line; the Azure Pipelines agent acts on
  ``##vso[`` anywhere in a line and formats ``##[``;
- break the writer: lone surrogates (JSON ``"\\ud800"``, file names that are not
  UTF-8) cannot be encoded, and XML 1.0 cannot hold most control characters at all.

Each output calls this module at the points where it writes untrusted strings:
:func:`text` for one value in a line of text (text, GitHub and Azure DevOps
annotations, Markdown, stderr, progress, the inventory); :func:`json_document` and
:func:`xml_document` for a serialised document, where the escape is the syntax's own
(``\\u0023``, ``&#35;``) so the data is unchanged. :func:`guard_document` is the last
line of defence the command line applies to everything it writes, whatever the
reporter (a plugin's too); :func:`wrap_untrusted` is the GitHub Actions
``::stop-commands::`` region around it. The markers are always neutralised, not only
under CI: a report written to a file and printed by a later step is just as dangerous.
"""

from __future__ import annotations

import re
from urllib.parse import quote

ZERO_WIDTH_SPACE = "\u200b"

# Characters shown as an escape, never emitted: C0 (tab excepted) and DEL, C1, the
# Unicode line and paragraph separators, bidirectional controls, the byte-order mark
# and lone surrogates (what Python makes of undecodable bytes in file names).
_INVISIBLE = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
_SURROGATES = "\ud800-\udfff"
_CONTROL = re.compile(f"[\x00-\x08\x0a-\x1f{_INVISIBLE}{_SURROGATES}]")
# In a serialised document, where line ends and tabs are the syntax's own.
_DOCUMENT_UNSAFE = re.compile(f"[{_INVISIBLE}{_SURROGATES}]")
_NAMED = {"\n": "\\n", "\r": "\\r"}
# A CI command marker: ``##[`` (GitHub, Azure formatting) or ``##vso[`` (Azure), in any
# case; the lookahead lets ``###vso[`` be broken between the last two ``#``.
_HASH_MARKER = re.compile(r"#(?=#(?:vso)?\[)", re.IGNORECASE)
_LEADING_COLONS = re.compile(r"^(\s*):(?=:)", re.MULTILINE)
# What XML 1.0 cannot hold at all.
_XML_INVALID = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff{_SURROGATES}]")
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(value: str) -> str:
    """``value`` with every control, separator, bidi and lone surrogate shown as ``\\x1b``,
    ``\\n``, ``\\u202e``, ``\\udcff``: one printable line, encodable as UTF-8."""
    return _CONTROL.sub(lambda m: _escape(m.group()), value)


def break_markers(value: str, breaker: str = ZERO_WIDTH_SPACE) -> str:
    """``value`` with ``##[``/``##vso[`` anywhere and ``::`` at a line start broken by
    ``breaker`` (a zero-width space in text, the syntax's own escape in documents)."""
    value = _HASH_MARKER.sub("#" + breaker, value)
    return _LEADING_COLONS.sub(lambda m: m.group(1) + ":" + breaker, value)


def text(value: str) -> str:
    """One untrusted value for a line of text output: one line, no terminal control, no
    CI command, whatever comes before or after it on the line."""
    return break_markers(escape_controls(value))


def json_document(serialised: str) -> str:
    """A serialised JSON document made safe without changing its data: the characters
    of :func:`escape_controls` and the ``#`` of a command marker as ``\\uXXXX`` escapes
    (JSON strings hold every ``#`` and control; lines never start inside a string)."""
    escaped = _DOCUMENT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", serialised)
    return _HASH_MARKER.sub(r"\\u0023", escaped)


def xml_document(serialised: str) -> str:
    """A serialised XML document made safe: what XML cannot hold shown as visible
    escapes, other controls as character references, and command markers broken by
    character references (``&#35;``, ``&#58;``), so a text node of several lines cannot
    start a line with ``::``."""
    serialised = xml_value(serialised).replace("\r", "&#13;")  # kept, and no line break
    serialised = _DOCUMENT_UNSAFE.sub(lambda m: f"&#x{ord(m.group()):x};", serialised)
    serialised = _HASH_MARKER.sub("&#35;", serialised)
    return _LEADING_COLONS.sub(lambda m: m.group(1) + "&#58;", serialised)


def xml_value(value: str) -> str:
    """A value XML 1.0 can hold (before serialisation): impossible characters escaped."""
    return _XML_INVALID.sub(lambda m: _escape(m.group()), value)


def uri_path(path: str) -> str:
    """``path`` percent-encoded for a URI: the bytes of a file name that is not UTF-8
    (Python's surrogate escapes) as themselves, any other lone surrogate as its
    visible escape."""
    try:
        data = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = escape_controls(path).encode("utf-8")
    return quote(data)


def guard_document(output: str, *, color: bool = False) -> str:
    """The last line of defence for a whole output of any format: control characters
    other than line ends and tabs (and, with ``color``, SGR colour codes) escaped,
    command markers broken. Output already made safe passes unchanged."""
    lines = output.split("\n")
    if color:
        lines = ["".join(escape_controls(piece) + sgr for piece, sgr in _split_sgr(line))
                 for line in lines]
    else:
        lines = [escape_controls(line) for line in lines]
    return break_markers("\n".join(lines))


def _split_sgr(line: str) -> list[tuple[str, str]]:
    pieces, start = [], 0
    for match in _SGR.finditer(line):
        pieces.append((line[start:match.start()], match.group()))
        start = match.end()
    pieces.append((line[start:], ""))
    return pieces


def wrap_untrusted(output: str, token: str) -> str:
    """``output`` between ``::stop-commands::token`` and ``::token::``: the GitHub runner
    runs no workflow command in between. ``token`` must be random for each run."""
    if not output:
        return output
    end = "" if output.endswith("\n") else "\n"
    return f"::stop-commands::{token}\n{output}{end}::{token}::\n"
