"""Units of the comparison and its reports: colour only when asked, atomic output, the
explanation limit, the matrix of differences only, did-you-mean on policy names, the library's
comparison of a policy with itself."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import kprules
from kprules.cases.files import read_suite
from kprules.compare import CompareError, Comparison, from_case
from kprules.core.files import OutputError, atomic_output
from kprules.report import WRITERS, CaseSource, ReportOptions, RowStream, render

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def library() -> kprules.Library:
    return kprules.load(FIXTURES / "policies")


def stream(library: kprules.Library, **options: object) -> RowStream:
    suite = read_suite([FIXTURES / "cases"], library)
    comparison = Comparison(library, "base_2003", ["narrow", "broad"])
    opts = ReportOptions(**options)  # type: ignore[arg-type]
    return RowStream(comparison, [from_case(c) for c in suite.cases], CaseSource("cases/"), opts)


def test_colour_only_when_asked(library: kprules.Library) -> None:
    plain = render("text", stream(library))
    coloured = render("text", stream(library, colour=True))
    assert not ANSI.search(plain)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == plain


def test_explanations_are_limited_per_transition(library: kprules.Library) -> None:
    rows = list(stream(library, explain_limit=1).rows())
    explained: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        for d in row["differences"]:
            key = (d["other"], d["term"], d["transition"], d["cause"])
            explained[key] = explained.get(key, 0) + d["explained"]
            assert ("base_explanation" in d) == d["explained"]
    assert set(explained.values()) == {1}


def test_the_matrix_of_differences_only(library: kprules.Library) -> None:
    text = render("text", stream(library, matrix="differences"))
    matrix = text[text.index("Outcomes"):text.index("Differences\n")]
    assert "clean-2020" not in matrix and "state-2022" in matrix


def test_a_policy_against_itself_compares_every_term(library: kprules.Library) -> None:
    comparison = Comparison(library, "narrow", ["narrow"])
    assert comparison.terms == ("conflict", "state_seller", "trade")


def test_unknown_names_have_a_code_and_a_hint(library: kprules.Library) -> None:
    with pytest.raises(CompareError) as info:
        Comparison(library, "base_2003", ["brod"])
    assert info.value.code == "KP602"
    assert str(info.value) == "no policy `brod`; did you mean `broad`?"


def test_atomic_output_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old report\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write("half a new rep")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]
    with atomic_output(target) as out:
        out.write("new report\n")
    assert target.read_text(encoding="utf-8") == "new report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_atomic_output_refuses_a_folder_before_writing(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a folder"), atomic_output(tmp_path):
        pytest.fail("the block must not run")


def test_a_stream_is_read_once(library: kprules.Library) -> None:
    s = stream(library)
    WRITERS["jsonl"](io.StringIO(), s, s.options)
    with pytest.raises(RuntimeError, match="read once"):
        list(s.rows())
