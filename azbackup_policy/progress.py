"""A progress line on a terminal for long scans: ``[12/340] infra/app/main.tf``.

Shown only on a TTY and only once a scan has run for ``delay`` seconds, redrawn at
most ten times a second, and cleared when the scan ends, so short scans and piped
output look exactly as without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from azbackup_policy.reporters._safe import text as safe

_CLEAR = "\r\x1b[K"


class TerminalProgress:
    def __init__(self, stream: TextIO, *, delay: float = 0.5, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic, width: int = 100) -> None:
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._delay = delay
        self._interval = interval
        self._width = width
        self._last = float("-inf")
        self._drawn = False

    def __call__(self, done: int, total: int, path: str) -> None:
        now = self._clock()
        if now - self._start < self._delay or now - self._last < self._interval:
            return
        self._last = now
        line = f"[{done + 1}/{total}] {safe(path)}"
        if len(line) > self._width:
            line = line[: self._width - 3] + "..."
        self._stream.write(_CLEAR + line)
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write(_CLEAR)
            self._stream.flush()
            self._drawn = False
