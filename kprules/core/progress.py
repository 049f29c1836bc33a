"""Progress on long runs: one line on standard error, redrawn in place, only on a terminal.

A `Progress` counts items (`tick`) and redraws `<label>: 12,345 cases` at most every
`interval` seconds, so that drawing costs nothing measurable per item; `close` erases the line,
so that what the command prints next starts clean. It draws only when its stream is a terminal
and the caller did not ask for quiet (`--quiet`): piped or redirected output, CI logs and tests
see nothing. No global state: the command owns its `Progress`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TextIO, TypeVar

T = TypeVar("T")


def on_terminal(stream: TextIO) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """A counter of items done, shown as `<label>: N <unit>` on a terminal."""

    def __init__(self, label: str, unit: str = "cases", *, quiet: bool = False,
                 stream: TextIO | None = None, interval: float = 0.2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and on_terminal(self.stream)
        self.label, self.unit = label, unit
        self.interval, self.clock = interval, clock
        self.count = 0
        self._next = clock() + interval  # nothing is drawn for runs shorter than an interval
        self._drawn = 0  # the width of the line on screen

    def tick(self, n: int = 1) -> None:
        self.count += n
        if self.enabled and self.clock() >= self._next:
            self._draw()

    def _draw(self) -> None:
        text = f"{self.label}: {self.count:,} {self.unit}"
        self.stream.write("\r" + text + " " * max(self._drawn - len(text), 0))
        self.stream.flush()
        self._drawn = len(text)
        self._next = self.clock() + self.interval

    def close(self) -> None:
        """Erase the line (if one was drawn)."""
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def over(self, items: Iterable[T]) -> Iterator[T]:
        """The items, each counted as it is given."""
        for item in items:
            yield item
            self.tick()
