"""Fixtures for the HTML report tests (see html_report_support)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from html_report_support import (
    BASE,
    CASES,
    GENERATED,
    OTHERS,
    Streamer,
    family_cases,
    load_library,
)

import kprules
from kprules.compare import CaseInput, Comparison
from kprules.report.html import HtmlOptions, render_html
from kprules.report.model import CaseSource, ReportOptions, RowStream


@pytest.fixture(scope="session")
def library() -> kprules.Library:
    return load_library()


@pytest.fixture(scope="session")
def cases(library: kprules.Library) -> list[CaseInput]:
    return family_cases(CASES, library)



@pytest.fixture
def make_stream(library: kprules.Library, cases: list[CaseInput]) -> Streamer:
    """make_stream(cases=None, kind="library", **report options) -> a fresh RowStream."""

    def make(rows: Iterable[CaseInput] | None = None, kind: str = "library",
             **options: Any) -> RowStream:
        comparison = Comparison(library, BASE, list(OTHERS))
        return RowStream(comparison, cases if rows is None else rows,
                         CaseSource("cases/shipments.toml", kind), ReportOptions(**options))

    return make


@pytest.fixture
def fixture_page(make_stream: Streamer) -> tuple[str, RowStream]:
    """The page for the fixture cases, and its (consumed) stream with the summary."""
    stream = make_stream()
    return render_html(stream, html=HtmlOptions(generated=GENERATED)), stream
