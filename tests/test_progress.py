"""Progress on long runs (kprules.core.progress): drawn only on a terminal, at most once per
interval, erased at the end; silent when piped, in tests, or with --quiet."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli
from kprules.core.progress import Progress

ROOT = Path(__file__).resolve().parent.parent


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_drawn_once_per_interval_and_erased() -> None:
    screen, clock = Terminal(), Clock()
    with Progress("compared", stream=screen, clock=clock, interval=1.0) as progress:
        for _ in progress.over(range(5)):  # within the first interval: nothing drawn
            pass
        assert screen.getvalue() == ""
        clock.now = 1.0
        progress.tick(995)
        clock.now = 1.5
        progress.tick()  # before the next interval: not redrawn
        clock.now = 2.0
        progress.tick(10_000)
    lines = screen.getvalue().split("\r")
    assert lines == ["", "compared: 1,000 cases", "compared: 11,001 cases", " " * 22, ""]


@pytest.mark.parametrize("screen", [io.StringIO(), Terminal()], ids=["piped", "quiet"])
def test_silent_when_piped_or_quiet(screen: io.StringIO) -> None:
    clock = Clock()
    with Progress("compared", stream=screen, clock=clock, quiet=isinstance(screen, Terminal),
                  interval=0.0) as progress:
        for _ in progress.over(range(100)):
            clock.now += 1
    assert screen.getvalue() == "" and progress.count == 100


def test_compare_is_silent_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = ["compare", "tests/compare/fixtures/policies/base.kpr", "narrow",
            "--policies", "tests/compare/fixtures/policies", "--cases",
            "tests/compare/fixtures/cases"]
    loud = CliRunner().invoke(cli, args)
    quiet = CliRunner().invoke(cli, [*args, "--quiet"])
    assert loud.exit_code == quiet.exit_code == 0
    assert loud.stderr == quiet.stderr == "" and loud.stdout == quiet.stdout
