"""The statements a command waits for on DuckDB connections or a Spark session: their progress,
and Ctrl-C.

Effects: one daemon thread per `QueryProgress`, started by the first `watch(con)` (DuckDB) or
`watch_spark(spark)` only when the progress is drawn (a terminal, no --quiet); every `interval`
seconds it asks the engine watched last how far it is (DuckDB: `con.query_progress()`, the
percentage of the statement running, -1 when none; Spark: the completed tasks of the active
stages, from the status tracker) and hands the share to `Progress.at`, which draws `evaluating
shipments.parquet in DuckDB: 42%, about 3 s left`. `close` (or leaving the `with` block, on
success, on an error, on Ctrl-C) stops the thread, waits for it, and erases the line. Being a
daemon, the thread never keeps the process alive.

Ctrl-C: DuckDB turns the interrupt into an error of the statement ("Query interrupted"), which a
command would take for a file DuckDB cannot read (and read it again in Python). So while it
watches, a `QueryProgress` handles SIGINT itself (in the main thread only): it interrupts the
connections' statements (cancels the Spark session's jobs) and raises `KeyboardInterrupt`; and
`close` raises `KeyboardInterrupt` again if an interrupted statement's error was caught on the
way. The previous handler is put back on `close`."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from kprules.core.progress import Progress

POLL = 0.1  # seconds between two questions to the engine


class _Engine:
    """What the thread asks of a watched engine: the share done of what runs (None when
    nothing does), and how to interrupt it."""

    def __init__(self, share: Callable[[], float | None], interrupt: Callable[[], Any]) -> None:
        self.share, self.interrupt = share, interrupt


def _duckdb(con: Any) -> _Engine:
    def share() -> float | None:
        percent = float(con.query_progress())  # -1: no statement
        return min(percent, 100.0) / 100 if percent >= 0 else None

    return _Engine(share, con.interrupt)


def _spark(spark: Any) -> _Engine:
    """A Spark session: the tasks completed of the stages run so far (its status tracker).
    A query runs as several jobs (one per stage under adaptive execution), each known only
    when it starts, so a new stage adds to the total: the share drawn never goes back."""
    context = spark.sparkContext
    stages: dict[int, tuple[int, int]] = {}  # stage id -> (tasks, completed)
    drawn = [0.0]

    def share() -> float | None:
        tracker = context.statusTracker()
        active = set(tracker.getActiveStageIds())
        for i, (tasks, _) in stages.items():
            if i not in active:  # over since the last look: all its tasks are done
                stages[i] = (tasks, tasks)
        for i in active:
            info = tracker.getStageInfo(i)
            if info is not None:
                stages[i] = (info.numTasks, info.numCompletedTasks)
        total = sum(t for t, _ in stages.values())
        if not active or not total:
            return None
        drawn[0] = max(drawn[0], sum(c for _, c in stages.values()) / total)
        return drawn[0]

    return _Engine(share, context.cancelAllJobs)


class QueryProgress:
    """The progress of the statements that run on DuckDB connections or a Spark session."""

    def __init__(self, progress: Progress, interval: float = POLL) -> None:
        self.progress, self.interval = progress, interval
        self.interrupted = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._engines: list[_Engine] = []
        self._handling = False  # our SIGINT handler is installed
        self._previous: Any = None  # the SIGINT handler before ours

    def watch(self, con: Any) -> Any:
        """Interrupt a DuckDB connection's statements on Ctrl-C, and poll it (when the
        progress is drawn at all); `con`."""
        if self.progress.enabled and not self._stop.is_set():
            con.execute("SET enable_progress_bar = true")  # DuckDB measures progress only then
            con.execute("SET enable_progress_bar_print = false")  # and draws nothing itself
        self._add(_duckdb(con))
        return con

    def watch_spark(self, spark: Any) -> Any:
        """Cancel a Spark session's jobs on Ctrl-C, and poll its stages; `spark`."""
        self._add(_spark(spark))
        return spark

    def _add(self, engine: _Engine) -> None:
        if self._stop.is_set():
            return
        self._engines.append(engine)
        if not self._handling and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._interrupt)
            self._handling = True
        if self.progress.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._poll, daemon=True,
                                            name="kprules-query-progress")
            self._thread.start()

    def _poll(self) -> None:
        """Ask the engine watched last (the robust path's connection, after a one pass that
        stopped and closed its own) until `close`."""
        while not self._stop.wait(self.interval):
            try:
                share = self._engines[-1].share()
            except Exception:  # closed or closing: an engine watched later may follow
                continue
            if share is not None and not self._stop.is_set():
                self.progress.at(share)

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True
        for engine in self._engines:
            engine.interrupt()
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
            self._engines.clear()
        if self.interrupted:
            self.interrupted = False
            raise KeyboardInterrupt

    def __enter__(self) -> QueryProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
