"""The statements a command waits for on a DuckDB connection: their progress, and Ctrl-C.

Effects: one daemon thread per `QueryProgress`, started by `watch(con)` only when the progress
is drawn (a terminal, no --quiet); it asks `con.query_progress()` (the percentage of the
statement running on the connection, -1 when none) every `interval` seconds and hands it to
`Progress.at`, which draws `evaluating shipments.parquet in DuckDB: 42%, about 3 s left`.
`close` (or leaving the `with` block, on success, on an error, on Ctrl-C) stops the thread,
waits for it, and erases the line. Being a daemon, the thread never keeps the process alive.

Ctrl-C: DuckDB turns the interrupt into an error of the statement ("Query interrupted"), which a
command would take for a file DuckDB cannot read (and read it again in Python). So while it
watches, a `QueryProgress` handles SIGINT itself (in the main thread only): it interrupts the
connections' statements and raises `KeyboardInterrupt`; and `close` raises `KeyboardInterrupt`
again if an interrupted statement's error was caught on the way. The previous handler is put
back on `close`.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

from kprules.core.progress import Progress

POLL = 0.1  # seconds between two questions to DuckDB


class QueryProgress:
    """The progress of the statements that run on one DuckDB connection."""

    def __init__(self, progress: Progress, interval: float = POLL) -> None:
        self.progress, self.interval = progress, interval
        self.interrupted = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connections: list[Any] = []
        self._handling = False  # our SIGINT handler is installed
        self._previous: Any = None  # the SIGINT handler before ours

    def watch(self, con: Any) -> Any:
        """Interrupt `con`'s statements on Ctrl-C, and poll it (when the progress is drawn at
        all); `con`."""
        if self._stop.is_set():
            return con
        self._connections.append(con)
        if not self._handling and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._interrupt)
            self._handling = True
        if not self.progress.enabled:
            return con
        con.execute("SET enable_progress_bar = true")  # DuckDB measures progress only then
        con.execute("SET enable_progress_bar_print = false")  # and draws nothing itself
        if self._thread is None:
            self._thread = threading.Thread(target=self._poll, daemon=True,
                                            name="kprules-query-progress")
            self._thread.start()
        return con

    def _poll(self) -> None:
        """Ask the connection watched last (the robust path's, after a one pass that stopped
        and closed its own) until `close`."""
        while not self._stop.wait(self.interval):
            try:
                percent = float(self._connections[-1].query_progress())
            except Exception:  # closed or closing: a connection watched later may follow
                continue
            if percent >= 0 and not self._stop.is_set():
                self.progress.at(min(percent, 100.0) / 100)

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True
        for con in self._connections:
            con.interrupt()
        raise KeyboardInterrupt

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Stop polling, wait for the thread, erase the line, put SIGINT's handler back; again:
        nothing. Raises `KeyboardInterrupt` when Ctrl-C interrupted a statement."""
        self._stop.set()
        try:
            if self._thread is not None:
                self._thread.join(timeout=5 * self.interval + 1)
            self.progress.close()
        finally:  # even when a second Ctrl-C comes while it waits
            if self._handling:
                previous = self._previous
                signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
                self._handling, self._previous = False, None
            self._connections.clear()
        if self.interrupted:
            self.interrupted = False
            raise KeyboardInterrupt

    def __enter__(self) -> QueryProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
