"""The evaluation budget: one per file or root module (with every module it calls).

Every evaluator (ARM and Bicep expressions, HCL expressions and functions) charges the
same :class:`Budget`: a step for each expression node or function call, the instances of
each ``count``/``for_each``/``copy``/``dynamic`` block and module call, and the size of
each value it builds (string length, list and map length, integer bits, and the size of
the whole value with shared parts counted each time they appear, as they would be when
copied or printed). Growth points (``replace``, ``padLeft``, ``format`` widths, ``join``)
ask :meth:`Budget.allow_string` before they build. A wall-clock deadline stops the rest.

Going over raises :class:`BudgetExceeded`; the evaluator turns it into a located input
error (``file:line:col: evaluation budget exceeded: ...``) and the value into Unknown,
so the rest of the scan goes on. Once the step budget or the deadline is spent, every
later evaluation of that file is Unknown at once (and reported only once).

Regular expressions from scanned code run with a timeout (:func:`regex_sub`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

_CHECK_EVERY = 1024  # steps between two looks at the clock


class BudgetExceeded(Exception):
    """An evaluation went over a limit of its :class:`Budget` (the message says which)."""


@dataclass(frozen=True, slots=True)
class EvalLimits:
    """The defaults of every budget; each can be raised with ``--limits NAME=N``."""

    string_length: int = 4_000_000  # characters in one string (ARM's limit for a template)
    collection_length: int = 100_000  # items in one list or map
    value_size: int = 4_000_000  # characters + items of one value, shared parts repeated
    integer_bits: int = 1_024  # bits of one whole number
    steps: int = 2_000_000  # expression nodes and function calls per file or module tree
    expansions: int = 250_000  # count/for_each/copy/dynamic instances and module instances
    seconds: float = 60.0  # wall-clock time from the first evaluation step of a file

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The limit names as written on the command line and in the config (kebab-case)."""
        return tuple(f.name.replace("_", "-") for f in fields(cls))


def limits_from(pairs: dict[str, float], base: EvalLimits = EvalLimits()) -> EvalLimits:
    """``base`` with the limits named in ``pairs`` (kebab-case names) replaced.

    Raises ValueError naming an unknown limit or a value that is not a positive number.
    """
    values: dict[str, Any] = {}
    for name, value in pairs.items():
        key = name.replace("-", "_")
        if key not in EvalLimits.__dataclass_fields__:
            raise ValueError(f"unknown limit {name!r} (known: {', '.join(EvalLimits.names())})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
                or not math.isfinite(value):
            raise ValueError(f"limit {name} must be a positive number, not {value!r}")
        values[key] = float(value) if key == "seconds" else int(value)
    return EvalLimits(**{**{f.name: getattr(base, f.name) for f in fields(base)}, **values})


@dataclass(slots=True)
class Budget:
    """What one file or root module may still spend. Shared by its nested scopes."""

    limits: EvalLimits = EvalLimits()
    clock: Callable[[], float] = time.monotonic
    steps: int = 0
    expansions: int = 0
    spent: str | None = None  # why the budget is exhausted (steps or time), once it is
    reported: bool = False  # the exhaustion was reported once already
    _deadline: float | None = None  # set at the first step: reading the files is not counted
    _next_check: int = 1
    # id -> (the container, its size): sizes of values already measured, kept alive so
    # that an id is never reused while it is in the table.
    _sizes: dict[int, tuple[Any, int]] = field(default_factory=dict)

    # -- time and steps -------------------------------------------------------------------
    def step(self, count: int = 1) -> None:
        """Charge ``count`` steps; raise when the steps or the time are spent."""
        self.steps += count
        if self.steps >= self._next_check:
            self._tick()

    def _tick(self) -> None:
        self._next_check = self.steps + _CHECK_EVERY
        if self._deadline is None:
            self._deadline = self.clock() + self.limits.seconds
        if self.spent is None and self.steps > self.limits.steps:
            self.spent = f"more than {self.limits.steps} evaluation steps (limit steps)"
        if self.spent is None and self.clock() > self._deadline:
            self.spent = f"evaluation took longer than {self.limits.seconds:g} s (limit seconds)"
        if self.spent is not None:
            self._next_check = self.steps + 1  # every later step raises at once
            raise BudgetExceeded(self.spent)

    def first_report(self) -> bool:
        """True once after the budget is exhausted: later failures are not reported again."""
        if self.spent is None:
            return True
        if self.reported:
            return False
        self.reported = True
        return True

    def expand(self, count: int, what: str) -> None:
        """Charge ``count`` instances of ``what``, before they are built."""
        self.expansions += count
        if self.expansions > self.limits.expansions:
            raise BudgetExceeded(f"{what} brings the instances of this file or module tree "
                                 f"to {self.expansions}, over {self.limits.expansions} "
                                 "(limit expansions)")
        self.step(count)

    # -- sizes ----------------------------------------------------------------------------
    def allow_string(self, length: int, what: str) -> None:
        """Before building a string of ``length`` characters."""
        if length > self.limits.string_length:
            raise BudgetExceeded(f"{what} would build a string of {length} characters, over "
                                 f"{self.limits.string_length} (limit string-length)")

    def allow_items(self, count: int, what: str) -> None:
        """Before building a list or map of ``count`` items."""
        if count > self.limits.collection_length:
            raise BudgetExceeded(f"{what} would build {count} items, over "
                                 f"{self.limits.collection_length} (limit collection-length)")

    def allow_total(self, values: Any, what: str) -> None:
        """Before combining ``values`` (function arguments): their sizes together."""
        total = sum(self.size(value) for value in values)
        if total > self.limits.value_size:
            raise BudgetExceeded(f"{what} combines values of size {total}, over "
                                 f"{self.limits.value_size} (limit value-size)")

    def check(self, value: Any, what: str) -> Any:
        """``value`` when it is within the limits (raise otherwise)."""
        kind = type(value)
        if kind is str:
            self.allow_string(len(value), what)
        elif kind is int:
            if value.bit_length() > self.limits.integer_bits:
                raise BudgetExceeded(f"{what} gives a number of {value.bit_length()} bits, "
                                     f"over {self.limits.integer_bits} (limit integer-bits)")
        elif isinstance(value, (list, dict, tuple)) or hasattr(value, "parts"):
            self.allow_items(len(getattr(value, "parts", value)), what)
            size = self.size(value)
            if size > self.limits.value_size:
                raise BudgetExceeded(f"{what} gives a value of size {size} (characters and "
                                     f"items, shared parts counted each time), over "
                                     f"{self.limits.value_size} (limit value-size)")
        return value

    def size(self, value: Any) -> int:
        """Characters plus items of ``value``, a part shared by several places counted at
        each of them (computed once per container, so a deeply shared value costs little)."""
        if isinstance(value, str):
            return len(value)
        if not isinstance(value, (list, dict, tuple)):
            parts = getattr(value, "parts", None)  # a string with unknown pieces
            return self.size(parts) if isinstance(parts, tuple) else 1
        if not value:
            return 1
        known = self._sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        total = 1
        limit = self.limits.value_size
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            total += self.size(item) + (len(key) if isinstance(key, str) else 0)
            if total > limit:  # no need to count further: it is over already
                break
        self._sizes[id(value)] = (value, total)
        return total


REGEX_SECONDS = 1.0  # the longest one regular expression from scanned code may run
_GROUP_REF = r"\\g<\d+>"


def regex_sub(pattern: str, replacement: str, text: str, budget: Budget) -> str:
    """``re.sub`` of a pattern from scanned code, with a timeout (the ``regex`` package)
    and the length of the result checked before it is built.

    Raises BudgetExceeded when matching takes longer than :data:`REGEX_SECONDS` (a
    pattern with catastrophic backtracking) and ValueError for a bad pattern.
    """
    import regex  # type: ignore[import-untyped]

    try:
        compiled = regex.compile(pattern)
        matches = sum(1 for _ in compiled.finditer(text, timeout=REGEX_SECONDS))
        refs = len(regex.findall(_GROUP_REF, replacement))
        literal = len(regex.sub(_GROUP_REF, "", replacement))
        # each group reference copies matched text: at most the whole text in all
        budget.allow_string(len(text) + matches * literal + refs * len(text), "replace()")
        result: str = compiled.sub(replacement, text, timeout=REGEX_SECONDS)
    except TimeoutError:
        raise BudgetExceeded(f"a regular expression ran longer than {REGEX_SECONDS:g} s "
                             "(catastrophic backtracking?)") from None
    except regex.error as exc:
        raise ValueError(str(exc)) from None
    return result


def value_key(value: Any) -> Any:
    """A hashable key equal for equal values (a bool is not a number), so ``union``,
    ``distinct`` and ``intersection`` take linear time instead of comparing every pair."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    if isinstance(value, (list, tuple)):
        return ("l", tuple(value_key(item) for item in value))
    if isinstance(value, dict):
        return ("d", tuple(sorted((str(k), value_key(v)) for k, v in value.items())))
    try:
        hash(value)
    except TypeError:
        return ("i", id(value))
    return ("o", value)


def distinct_items(items: Any) -> list[Any]:
    """The items of ``items`` in order, each value once (by :func:`value_key`)."""
    seen: set[Any] = set()
    out: list[Any] = []
    for item in items:
        key = value_key(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
