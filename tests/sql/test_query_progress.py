"""The progress of DuckDB statements (kprules.sql.progress): a thread polls the connection while
a statement runs and draws its percentage; it stops when the block ends, on success, on an
error in the query and on Ctrl-C, and never keeps the process alive."""

from __future__ import annotations

import io
import os
import re
import signal
import threading
import time

import pytest

duckdb = pytest.importorskip("duckdb")

from kprules.core.progress import Progress  # noqa: E402
from kprules.sql.duck import connect  # noqa: E402
from kprules.sql.progress import QueryProgress  # noqa: E402

# About a second or more on one core: long enough for a few polls.
SLOW = ("SELECT count(*) FROM range(4000000) a, range(12) b "
        "WHERE (a.range * 7 + b.range) % 13 = 1")
LINE = re.compile(r"slow in DuckDB: (\d+)%(, about [0-9hmins ]+ left)?")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def watched(stream: io.StringIO) -> QueryProgress:
    return QueryProgress(Progress("slow in DuckDB", stream=stream, delay=0, interval=0),
                         interval=0.02)


def progress_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kprules-query-progress"]


def test_a_slow_query_shows_its_percentage_and_the_thread_stops_after() -> None:
    screen = Terminal()
    with watched(screen) as watch:
        con = watch.watch(connect())
        assert watch.running and progress_threads()[0].daemon
        assert con.execute(SLOW).fetchone()[0] > 0
    assert not watch.running and progress_threads() == []
    parts = screen.getvalue().split("\r")
    lines = [p for p in parts if p.strip()]
    assert lines and all(LINE.fullmatch(p.rstrip()) for p in lines), lines
    shares = [int(m[1]) for p in lines if (m := LINE.fullmatch(p.rstrip()))]
    assert shares == sorted(shares) and 0 <= shares[0] <= shares[-1] <= 100
    assert parts[-1] == "" and parts[-2].strip() == ""  # erased
    drawn = screen.getvalue()
    time.sleep(0.1)
    assert screen.getvalue() == drawn  # nothing after the end


def test_a_connection_watched_after_one_closed_is_polled() -> None:
    """The one pass stops and closes its connection, then the robust path runs on a new one:
    the same line goes on, with the new connection's statements."""
    screen = Terminal()
    with watched(screen) as watch:
        first = watch.watch(connect())
        first.execute("SELECT 1").fetchall()
        first.close()
        time.sleep(0.1)  # polls of the closed connection fail: the thread goes on
        assert watch.running
        drawn = len(screen.getvalue())
        con = watch.watch(connect())
        assert con.execute(SLOW).fetchone()[0] > 0
        after = screen.getvalue()[drawn:]
    assert [p for p in after.split("\r") if LINE.fullmatch(p.rstrip())]
    assert not watch.running and progress_threads() == []


def test_an_error_in_the_query_stops_the_thread() -> None:
    screen = Terminal()
    with pytest.raises(duckdb.Error), watched(screen) as watch:
        con = watch.watch(connect())
        con.execute("SELECT CAST('x' || range AS INTEGER) FROM range(3000000)").fetchall()
    assert not watch.running and progress_threads() == []
    assert screen.getvalue().split("\r")[-1] == ""


@pytest.mark.parametrize("screen", [Terminal(), io.StringIO()], ids=["terminal", "piped"])
def test_ctrl_c_interrupts_the_statement_stops_the_thread_and_is_not_lost(
        screen: io.StringIO) -> None:
    """DuckDB turns Ctrl-C into an error of the statement: the command would take it for a file
    it cannot read. Here the error is caught as a command catches it, and leaving the block
    still raises KeyboardInterrupt; the handler before it is back."""
    before = signal.getsignal(signal.SIGINT)
    caught = []
    with pytest.raises(KeyboardInterrupt), watched(screen) as watch:
        con = watch.watch(connect())
        timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        try:
            con.execute(SLOW.replace("range(12)", "range(100000)")).fetchall()  # minutes
        except (KeyboardInterrupt, RuntimeError, duckdb.Error) as err:
            caught.append(err)  # as SqlFile turns it into ReadError
        finally:
            timer.cancel()
    assert caught and not watch.running and progress_threads() == []
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize("screen", [io.StringIO(), Terminal()], ids=["piped", "quiet"])
def test_nothing_runs_when_the_line_is_not_drawn(screen: io.StringIO) -> None:
    quiet = isinstance(screen, Terminal)
    watch = QueryProgress(Progress("slow in DuckDB", stream=screen, quiet=quiet, delay=0))
    con = watch.watch(connect())
    assert not watch.running and progress_threads() == []
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False
    con.execute("SELECT count(*) FROM range(100000)").fetchall()
    watch.close()
    assert screen.getvalue() == ""


def test_closing_twice_and_watching_after_closing_do_nothing() -> None:
    watch = watched(Terminal())
    watch.close()
    watch.watch(connect())
    assert not watch.running
    watch.close()
