"""Support for the HTML report tests: the fixture policies (loaded with file names relative to
the fixtures folder, so that locations in the page are the same on every machine), the fixture
cases (tests/report_html/fixtures/cases/, a family file read by kprules.cases.files), and report
streams
over them comparing `core_2003` with both proposals."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import kprules
from kprules.cases.files import read_suite
from kprules.compare import CaseInput, from_case
from kprules.report.model import RowStream

FIXTURES = Path(__file__).resolve().parent / "fixtures"
POLICY_FILES = ("facts.kpr", "core_2003.kpr", "state_actors.kpr", "weight_limit.kpr")
CASES = FIXTURES / "cases" / "shipments.toml"
BASE, OTHERS = "core_2003", ("state_actors", "weight_limit")
GENERATED = "2025-01-01 (fixed for the tests)"


def load_library() -> kprules.Library:
    here = Path.cwd()
    os.chdir(FIXTURES)
    try:
        return kprules.load(*POLICY_FILES, seeds="seeds")
    finally:
        os.chdir(here)


def family_cases(path: Path, library: kprules.Library) -> list[CaseInput]:
    """The cases of a case file, read by the case loader (kprules.cases.files) with the file named
    relative to the fixtures folder, as `kprules compare` reads them."""
    here = Path.cwd()
    os.chdir(FIXTURES)
    try:
        suite = read_suite([path.relative_to(FIXTURES)], library)
    finally:
        os.chdir(here)
    assert suite.ok, [d.message for d in suite.diagnostics]
    return [from_case(case) for case in suite.cases]


Streamer = Callable[..., RowStream]
