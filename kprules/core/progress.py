"""Progress on long runs: one line on standard error, redrawn in place, only on a terminal.

A `Progress` counts items (`tick`) and, once a run has lasted `delay` seconds (short runs show
nothing), redraws at most every `interval` seconds

    shipments.jsonl: 1,204,000 records (61,250/s), 42%, about 27 s left
    evaluating shipments.parquet in DuckDB: 42%, about 3 s left

the count and its rate when it counts items; the share done and the time left when the size of
the work is known: `measure(total)` (the rows of a Parquet file), `measure(total, position)`
(the bytes of a file and the bytes read so far, asked only when the line is drawn, so that
counting costs nothing more per item), or `at(fraction)` (a share reported by an engine, such as
DuckDB's query progress). The rate and the time left are measured over the last `window`
seconds. `close` erases the line, so that what the command prints next starts clean (`clear`
erases it for a diagnostic printed on the way, and drawing goes on); `over` closes it when its
items are exhausted.

It draws only when its stream is a terminal and the caller did not ask for quiet (`--quiet`):
piped or redirected output, CI logs and tests see nothing. No global state: the command owns its
`Progress`, and the clock is a parameter. One thread draws at a time: the DuckDB poller
(kprules.sql.progress) calls `at` from its thread while the command's thread waits for the
query, and stops before the command closes the line.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TextIO, TypeVar

T = TypeVar("T")

DELAY = 1.0  # seconds before the first line: runs shorter than this show nothing
INTERVAL = 0.2  # seconds between two lines at least
WINDOW = 5.0  # seconds over which the rate and the time left are measured


def on_terminal(stream: TextIO) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def columns(stream: TextIO) -> int:
    """The width of the terminal behind `stream` (80 when it cannot be known)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80


def duration(seconds: float) -> str:
    """`3 s`, `2 min 05 s`, `1 h 04 min`: a time left, to the second."""
    s = max(round(seconds), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """Items done, their rate, and the share done and time left when the size is known."""

    def __init__(self, label: str, unit: str = "records", *, quiet: bool = False,
                 stream: TextIO | None = None, delay: float | None = None,
                 interval: float | None = None, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and on_terminal(self.stream)
        self.label, self.unit = label, unit
        self.interval = INTERVAL if interval is None else interval
        self.window, self.clock = window, clock
        delay = DELAY if delay is None else delay
        self.count = 0
        self.total: int | None = None
        self.position: Callable[[], int] | None = None
        self.fraction: float | None = None
        start = clock()
        self._next = start + delay
        self._samples: deque[tuple[float, int, float]] = deque([(start, 0, 0.0)])
        self._width = columns(self.stream) - 1 if self.enabled else 0
        self._drawn = 0  # the width of the line on screen

    def measure(self, total: int, position: Callable[[], int] | None = None) -> None:
        """The size of the work: `total` items, or `total` units of `position()` (bytes)."""
        self.total, self.position = total, position

    def tick(self, n: int = 1) -> None:
        self.count += n
        if self.enabled and self.clock() >= self._next:
            self._draw()

    def at(self, fraction: float) -> None:
        """The share of the work done, as an engine reports it (0 to 1)."""
        if self.fraction is not None and fraction < self.fraction:  # a new statement began
            self._samples.clear()
            self._samples.append((self.clock(), self.count, fraction))
        self.fraction = fraction
        if self.enabled and self.clock() >= self._next:
            self._draw()

    def _done(self) -> float | None:
        if self.total:
            done = self.position() if self.position is not None else self.count
            return min(max(done / self.total, 0.0), 1.0)
        return self.fraction

    def line(self, now: float) -> str:
        """The line as drawn at `now` (and the sample it adds to the window)."""
        done = self._done()
        t0, count0, done0 = self._samples[0]
        while len(self._samples) > 1 and self._samples[1][0] <= now - self.window:
            self._samples.popleft()
            t0, count0, done0 = self._samples[0]
        self._samples.append((now, self.count, done or 0.0))
        parts = []
        span = now - t0
        if self.count or done is None:
            rate = f" ({(self.count - count0) / span:,.0f}/s)" if span > 0 else ""
            parts.append(f"{self.count:,} {self.unit}{rate}")
        if done is not None:
            parts.append(f"{int(done * 100)}%")
            if done > done0 and span > 0:
                parts.append(f"about {duration((1 - done) * span / (done - done0))} left")
        return f"{self.label}: {', '.join(parts)}"

    def _draw(self) -> None:
        now = self.clock()
        text = self.line(now)[:self._width]
        self.stream.write("\r" + text + " " * max(self._drawn - len(text), 0))
        self.stream.flush()
        self._drawn = len(text)
        self._next = now + self.interval

    def clear(self) -> None:
        """Erase the line (if one was drawn), so that something else can be printed; the next
        line is drawn when it is due."""
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0

    def close(self) -> None:
        """Erase the line (if one was drawn); nothing is drawn afterwards."""
        self.enabled = False
        self.clear()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def over(self, items: Iterable[T]) -> Iterator[T]:
        """The items, each counted as it is given; the line is erased after the last."""
        for item in items:
            yield item
            self.tick()
        self.close()
