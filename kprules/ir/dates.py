"""Dated validity: the half-open date interval of `in force from D until E` and of dated pieces.

Owned by the IR (the back end reads it); the parser builds it directly from the text.
"""

from __future__ import annotations

import datetime as dt

from attrs import field, frozen

from kprules.core.shared_repr import SharedRepr
from kprules.core.source import NO_SPAN, Span


@frozen(repr=False)
class Interval(SharedRepr):
    """`from D [until E]`: the half-open date interval [D, E); no `until` means open-ended."""

    start: dt.date
    end: dt.date | None
    span: Span = field(default=NO_SPAN, eq=False, repr=False)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def in_force(intervals: tuple[Interval | None, ...], as_of: dt.date | None) -> bool | None:
    """Whether every given interval holds the date; unknown without a date (if any interval)."""
    present = [iv for iv in intervals if iv is not None]
    if not present:
        return True
    if as_of is None:
        return None
    return all(iv.contains(as_of) for iv in present)
