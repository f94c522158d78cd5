from __future__ import annotations

import io

from azbackup_policy.progress import TerminalProgress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_short_scans_show_nothing_and_long_ones_are_redrawn_then_cleared() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = TerminalProgress(stream, clock=clock)
    progress(0, 3, "a.tf")
    progress.close()
    assert stream.getvalue() == ""  # under the delay: nothing at all
    progress = TerminalProgress(stream, clock=clock)
    clock.now = 0.6
    progress(1, 3, "b.json")
    clock.now = 0.65
    progress(2, 3, "c.bicep")  # within the redraw interval: skipped
    clock.now = 0.8
    progress(2, 3, "c.bicep")
    progress.close()
    assert stream.getvalue() == "\r\x1b[K[2/3] b.json\r\x1b[K[3/3] c.bicep\r\x1b[K"


def test_long_paths_are_cut() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = TerminalProgress(stream, clock=clock, delay=0, width=20)
    progress(0, 1, "x" * 50)
    assert stream.getvalue() == "\r\x1b[K[1/1] " + "x" * 11 + "..."
