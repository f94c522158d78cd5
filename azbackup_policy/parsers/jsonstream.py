"""Decoding a large JSON object member by member, to keep the peak memory low.

``json.loads`` builds the whole tree before the caller can drop any of it; a Terraform
plan of 32 MB becomes about 110 MB of objects. :class:`ObjectStream` walks the top-level
object itself and decodes one member value at a time (or, for a list, one element at a
time) with the C decoder's ``raw_decode``, so the caller can slim each piece before the
next is decoded. Only well-formed input is handled here: on any syntax problem
:class:`NotStreamable` is raised and the caller decodes the text with ``json.loads``,
which reports the error exactly as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_BLANK = re.compile(r"[ \t\n\r]*")
_DROP_AFTER = 1 << 20  # characters read before the text read so far may be dropped


class NotStreamable(Exception):
    """The text is not a well-formed JSON object (``json.loads`` gives the real error)."""


class ObjectStream:
    """The members of the JSON object in ``text``, decoded one at a time.

    Iterate over :meth:`members` for the keys; after each key, read its value with
    :meth:`value` or, when :meth:`at_list` is true, its elements with :meth:`elements`.
    Once more than half of the text has been read, the part read is cut off (a copy of
    the rest replaces it), so a caller that passes its only reference to the text frees
    it as it goes; ``pos`` is then relative to what is left.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._decoder = json.JSONDecoder()
        self._taken = True

    def _skip(self) -> str:
        self.pos = _BLANK.match(self.text, self.pos).end()  # type: ignore[union-attr]
        return self.text[self.pos:self.pos + 1]

    def _expect(self, char: str) -> None:
        if self._skip() != char:
            raise NotStreamable(char)
        self.pos += 1

    def members(self) -> Iterator[str]:
        """The keys in order; the text must end after the closing brace."""
        self._expect("{")
        if self._skip() == "}":
            self.pos += 1
        else:
            while True:
                yield self._key()
                if not self._taken:
                    raise NotStreamable("value not read")
                if self._skip() == ",":
                    self.pos += 1
                    continue
                self._expect("}")
                break
        if self._skip() != "":
            raise NotStreamable("extra data")

    def _key(self) -> str:
        if self._skip() != '"':
            raise NotStreamable("key")
        key, self.pos = self._decode()
        if not isinstance(key, str):
            raise NotStreamable("key")
        self._expect(":")
        self._taken = False
        return key

    def _decode(self) -> tuple[Any, int]:
        try:
            value, end = self._decoder.raw_decode(self.text, self.pos)
        except json.JSONDecodeError:
            raise NotStreamable("value") from None
        if end > _DROP_AFTER and 2 * end > len(self.text):
            self.text, end = self.text[end:], 0  # the part read is let go
        return value, end

    def value(self) -> Any:
        """The whole value of the current member."""
        self._skip()
        value, self.pos = self._decode()
        self._taken = True
        return value

    def at_list(self) -> bool:
        return self._skip() == "["

    def elements(self) -> Iterator[Any]:
        """The elements of the current member's list value, one at a time."""
        self._expect("[")
        if self._skip() == "]":
            self.pos += 1
        else:
            while True:
                self._skip()
                item, self.pos = self._decode()
                yield item
                if self._skip() == ",":
                    self.pos += 1
                    continue
                self._expect("]")
                break
        self._taken = True
