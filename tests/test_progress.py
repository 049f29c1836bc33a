"""Progress on long runs (kprules.core.progress): drawn only on a terminal, first after a delay,
then at most once per interval, with the count, the rate, the share done and the time left;
erased at the end; silent when piped, in tests, or with --quiet. The CLI measures data files
(kprules.cli.progress); the DuckDB poller is tested in tests/sql/test_query_progress.py."""

from __future__ import annotations

import io
import itertools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pytest
from click.testing import CliRunner

from kprules.cli import cli
from kprules.core import progress as progress_module
from kprules.core.progress import Progress, duration

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases" / "fixtures"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def drawn(screen: io.StringIO) -> list[str]:
    return screen.getvalue().split("\r")


def test_first_line_after_a_second_then_every_fifth_of_a_second_then_erased() -> None:
    screen, clock = Terminal(), Clock()
    with Progress("data.jsonl", stream=screen, clock=clock) as progress:
        for now, n in [(0.5, 500), (0.99, 1), (1.0, 499), (1.1, 100), (1.2, 900), (1.3, 1)]:
            clock.now = now
            progress.tick(n)
        assert progress.count == 2001
    assert drawn(screen) == [
        "",
        "data.jsonl: 1,000 records (1,000/s)",  # at 1.0 s, not before
        "data.jsonl: 2,000 records (1,667/s)",  # at 1.2 s; 1.1 and 1.3 s are within 0.2 s
        " " * 35,  # erased
        "",
    ]


def test_rate_is_measured_over_the_last_five_seconds() -> None:
    screen, clock = Terminal(), Clock()
    progress = Progress("data.csv", stream=screen, clock=clock)
    for now, count in [(1.0, 1000), (6.0, 6000), (11.0, 6500)]:
        clock.now = now
        progress.tick(count - progress.count)
    assert drawn(screen)[1:] == ["data.csv: 1,000 records (1,000/s)",
                                 "data.csv: 6,000 records (1,000/s)",
                                 "data.csv: 6,500 records (100/s)  "]


def test_bytes_read_give_the_share_done_and_the_time_left() -> None:
    screen, clock, position = Terminal(), Clock(), [0]
    progress = Progress("data.csv", stream=screen, clock=clock)
    progress.measure(1000, lambda: position[0])
    for now, count, at in [(1.0, 10, 100), (2.0, 40, 400), (2.1, 41, 410), (6.0, 100, 1000)]:
        clock.now, position[0] = now, at
        progress.tick(count - progress.count)
    progress.close()
    assert drawn(screen) == [
        "",
        "data.csv: 10 records (10/s), 10%, about 9 s left",
        "data.csv: 40 records (20/s), 40%, about 3 s left",
        "data.csv: 100 records (18/s), 100%, about 0 s left",  # over 1..6 s
        " " * 50,
        "",
    ]


def test_rows_known_give_the_share_done() -> None:
    screen, clock = Terminal(), Clock()
    progress = Progress("data.parquet", stream=screen, clock=clock)
    progress.measure(200)
    clock.now = 1.0
    progress.tick(50)
    clock.now = 100.0
    progress.tick(5)
    assert drawn(screen)[1:] == ["data.parquet: 50 records (50/s), 25%, about 3 s left",
                                 "data.parquet: 55 records (0/s), 27%, about 47 min 51 s left"]


def test_an_engine_share_gives_the_percentage_and_the_time_left() -> None:
    screen, clock = Terminal(), Clock()
    with Progress("evaluating x.parquet in DuckDB", stream=screen, clock=clock) as progress:
        for now, share in [(0.5, 0.1), (1.0, 0.2), (2.0, 0.05), (3.0, 0.55), (3.1, 0.6)]:
            clock.now = now
            progress.at(share)
    assert drawn(screen) == [
        "",
        "evaluating x.parquet in DuckDB: 20%, about 4 s left",
        "evaluating x.parquet in DuckDB: 5%" + " " * 17,  # a new statement: measured anew
        "evaluating x.parquet in DuckDB: 55%, about 1 s left",
        " " * 51,
        "",
    ]


@pytest.mark.parametrize(("seconds", "text"), [
    (0.4, "0 s"), (3.5, "4 s"), (59.4, "59 s"), (125, "2 min 05 s"), (3599, "59 min 59 s"),
    (3720, "1 h 02 min"), (-2, "0 s")])
def test_durations(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_a_line_never_wraps_on_an_80_column_terminal() -> None:
    screen, clock = Terminal(), Clock()
    progress = Progress("x" * 100, stream=screen, clock=clock, delay=0)
    progress.tick()
    assert drawn(screen) == ["", "x" * 79]


def test_over_erases_the_line_when_its_items_are_exhausted() -> None:
    screen, clock = Terminal(), Clock()
    progress = Progress("compared", "cases", stream=screen, clock=clock, delay=0, interval=0)
    seen = []
    for item in progress.over(range(3)):
        seen.append((item, screen.getvalue()))
        clock.now += 1
    assert seen == [(0, ""), (1, "\rcompared: 1 cases (1/s)"),
                    (2, "\rcompared: 1 cases (1/s)\rcompared: 2 cases (1/s)")]
    assert screen.getvalue().endswith("\r" + " " * 23 + "\r")
    progress.tick()  # closed: nothing more is drawn
    assert screen.getvalue().endswith("\r" + " " * 23 + "\r")


def test_cleared_for_a_message_then_drawn_again() -> None:
    screen, clock = Terminal(), Clock()
    progress = Progress("data.jsonl", stream=screen, clock=clock, delay=0, interval=0)
    clock.now = 1.0
    progress.tick()
    progress.clear()
    screen.write("error: record 2\n")
    clock.now = 2.0
    progress.tick()
    progress.close()
    assert drawn(screen) == ["", "data.jsonl: 1 records (1/s)", " " * 27, "error: record 2\n",
                             "data.jsonl: 2 records (1/s)", " " * 27, ""]


@pytest.mark.parametrize("screen", [io.StringIO(), Terminal()], ids=["piped", "quiet"])
def test_silent_when_piped_or_quiet(screen: io.StringIO) -> None:
    clock = Clock()
    with Progress("compared", stream=screen, clock=clock, quiet=isinstance(screen, Terminal),
                  delay=0.0, interval=0.0) as progress:
        progress.measure(100)
        for _ in progress.over(range(100)):
            clock.now += 1
        progress.at(0.5)
    assert screen.getvalue() == "" and progress.count == 100


def test_a_jsonl_file_is_measured_in_bytes_read(tmp_path: Path) -> None:
    """The reader's file tells how far it is; nothing is asked of it per record."""
    import kprules
    from kprules.cases.bulk import read_data
    from kprules.cli.progress import measured

    data = CASES / "data" / "shipments.jsonl"
    vocabulary = kprules.load(CASES / "shipment", seeds=CASES / "seeds")["kpcs"].vocabulary
    progress = Progress("shipments.jsonl", stream=Terminal(), clock=Clock())
    items = read_data(data, vocabulary, "shipments.jsonl",
                      measured(progress, data))
    next(items)
    assert progress.total == data.stat().st_size and progress.position is not None
    first = progress.position()
    assert 0 < first <= data.stat().st_size
    list(items)
    assert progress.position() == data.stat().st_size


def test_a_parquet_file_is_measured_in_rows(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from kprules.cli.progress import measured

    path = tmp_path / "lots.parquet"
    pq.write_table(pa.table({"rough": [True, False, None]}), path)
    shown = Progress("lots.parquet", stream=Terminal(), clock=Clock())
    measured(shown, path)
    piped = Progress("lots.parquet", stream=io.StringIO(), clock=Clock())
    measured(piped, path)  # not drawn: the footer is not even read
    assert (shown.total, piped.total) == (3, None)


# ----------------------------------------------------------------------------- the commands

def _bad(argv: list[str]) -> list[str]:
    """The same command over the file with a bad record (`--cases` is given once: a data file
    is evaluated alone)."""
    return ["BAD" if a == "data/shipments.jsonl" else a for a in argv]


EVAL = ["eval", str(CASES / "shipment"), "--cases", "data/shipments.jsonl", "--format", "csv",
        "--as-of", "2024-09-15"]
COMPARE = ["compare", "kpcs", "proposal", "--cases", "data/shipments.jsonl", "--no-symbolic"]
RUNS = {
    "eval-python": [*EVAL, "--engine", "python"],
    "eval-python-bad": [*_bad(EVAL), "--engine", "python"],
    "eval-duckdb": [*EVAL, "--engine", "duckdb"],
    "eval-duckdb-bad": [*_bad(EVAL), "--engine", "duckdb"],
    "compare-python": [*COMPARE, "--engine", "python"],
    "compare-duckdb": [*COMPARE, "--engine", "duckdb"],
    "check-python": ["check", str(CASES / "shipment"), "data/shipments.jsonl"],
    "check-python-bad": ["check", str(CASES / "shipment"), "BAD"],
}
DRAWN = re.compile(r"(\S*shipments\.jsonl|compared|(evaluating|comparing over) \S*shipments"
                   r"\.jsonl in DuckDB): ([\d,]+ (records|cases) \([\d,]+/s\)(, |$))?"
                   r"(\d+%(, about [0-9hmins ]+ left)?)?")


def invoke(argv: list[str], tmp_path: Path) -> tuple[str, str, int]:
    out = tmp_path / "out.csv"
    if argv[0] == "eval":
        argv = [*argv, "--output", str(out)]
    result = CliRunner().invoke(cli, argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    stderr = result.stderr_bytes.decode()  # as written (`stderr` turns \r\n into \n)
    return result.stdout + (out.read_text("utf-8") if out.exists() else ""), stderr, \
        result.exit_code


def seeming_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's standard error passes for a terminal; lines are drawn at once."""
    real: Callable[[TextIO], bool] = progress_module.on_terminal
    monkeypatch.setattr(progress_module, "on_terminal", lambda s: s is sys.stderr or real(s))
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    monkeypatch.setattr(progress_module, "INTERVAL", 0.0)


def printed(stderr: str) -> tuple[str, int]:
    """What is left of standard error without the progress lines, and how many were drawn; a
    line drawn is followed by another, or erased before anything else is printed."""
    pieces = stderr.split("\r")
    text, lines = [pieces[0]], 0
    for before, piece in itertools.pairwise(pieces):
        if piece and not piece.strip():  # erased
            assert DRAWN.fullmatch(before.rstrip()), (before, piece)
        elif DRAWN.fullmatch(piece.rstrip()):
            lines += 1
        else:
            assert not before.strip(), (before, piece)  # printed after an erasing
            text.append(piece)
    return "".join(text), lines


@pytest.mark.parametrize("run", list(RUNS))
def test_commands_draw_on_a_terminal_and_not_with_quiet_nor_when_piped(
        run: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if "duckdb" in run:
        pytest.importorskip("duckdb")
    monkeypatch.chdir(tmp_path)  # short names: a line is cut at the terminal's width
    lines = (CASES / "data" / "shipments.jsonl").read_text("utf-8").splitlines(keepends=True)
    for folder, text in [("data", lines), ("bad", [*lines[:2], '{"rough": "yes"}\n',
                                                   *lines[2:], '{"rough": 3}\n'])]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "shipments.jsonl").write_text("".join(text), encoding="utf-8")
    argv = [*RUNS[run], "--policies", str(CASES)]
    argv = ["bad/shipments.jsonl" if a == "BAD" else a for a in argv]
    piped = invoke(argv, tmp_path)
    seeming_terminal(monkeypatch)
    quiet = invoke([*argv, "--quiet"], tmp_path)
    loud = invoke(argv, tmp_path)
    assert piped == quiet and piped[2] == (1 if run.endswith("bad") else 0), piped
    assert "\r" not in piped[1]
    # whatever was drawn is erased before anything else is printed, which is what a run
    # without a terminal prints
    text, drawn_lines = printed(loud[1])
    assert (loud[0], text, loud[2]) == piped
    if "python" in run:  # the file is read in Python: each record is counted
        assert drawn_lines >= 4, loud[1]


def test_compare_is_silent_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = ["compare", "tests/compare/fixtures/policies/base.kpr", "narrow",
            "--policies", "tests/compare/fixtures/policies", "--cases",
            "tests/compare/fixtures/cases"]
    loud = CliRunner().invoke(cli, args)
    quiet = CliRunner().invoke(cli, [*args, "--quiet"])
    assert loud.exit_code == quiet.exit_code == 0
    assert loud.stderr == quiet.stderr == "" and loud.stdout == quiet.stdout
