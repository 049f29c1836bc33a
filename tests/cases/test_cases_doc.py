"""docs/cases.md's examples are right: its case files load without a problem against the policy
library, its data lines are valid records, and its error examples are golden output."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from case_support import GOLDEN

import kprules
from kprules.cases.bulk import Record, csv_records, jsonl_records
from kprules.cases.files import read_texts
from kprules.core.render import render_all

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "cases.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@functools.cache
def library() -> kprules.Library:
    return kprules.load(ROOT / "policies")


def test_the_case_files_load_cleanly() -> None:
    texts = blocks("toml")
    assert len(texts) == 3
    suite = read_texts([(f"cases.md block {i}", t) for i, t in enumerate(texts, 1)], library())
    assert render_all(suite.diagnostics, suite.sources, "text") == ""
    assert [c.id for c in suite.cases] == ["ru-alrosa-2024-dubai", "ru-lots-2024-march",
                                           "ru-lots-2024-october", "three-ways"]


@pytest.mark.parametrize(("lang", "read"), [("jsonl", jsonl_records), ("csv", csv_records)])
def test_the_data_examples_are_valid_records(lang: str, read: object) -> None:
    (text,) = blocks(lang)
    vocabulary = library()["kpcs_2003"].vocabulary
    items = list(read(text.splitlines(keepends=True), f"cases.md {lang}", vocabulary))  # type: ignore[operator]
    assert [type(i) for i in items] == [Record] * len(items) and len(items) >= 2


def test_the_error_examples_are_golden_output() -> None:
    examples = blocks("text")
    assert len(examples) == 2
    goldens = "".join(p.read_text(encoding="utf-8") for p in (GOLDEN / "errors").glob("*.err"))
    assert [e for e in examples if e not in goldens] == []
