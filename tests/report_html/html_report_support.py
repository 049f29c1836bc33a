"""Support for the HTML report tests: the fixture policies (loaded with file names relative to
the fixtures folder, so that locations in the page are the same on every machine), the fixture
cases (tests/report_html/fixtures/cases/, in the documented family format), and report streams
over them comparing `core_2003` with both proposals."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kprules
from kprules.compare import CaseInput
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


def family_cases(path: Path, policy: kprules.Policy) -> Iterator[CaseInput]:
    """The cases of a `[family]` file, facts validated against the policy's vocabulary."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    family = data["family"]
    shared: dict[str, Any] = family.get("facts", {})
    for case in data["case"]:
        facts = policy.validate({**shared, **case.get("facts", {})})
        yield CaseInput(case["id"], facts, title=case.get("title"),
                        sources=tuple(case.get("sources", family.get("sources", ()))),
                        contested=case.get("contested"))


Streamer = Callable[..., RowStream]
