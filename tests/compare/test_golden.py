"""Golden reports: the whole output of `kprules compare` and `kprules test`, in every format.

On the fixtures (tests/compare/fixtures: a base definition, a narrow and a broad reform, cases
with expectations, bulk data as JSON Lines and CSV) and on the bundled library (`kprules
compare kpcs_2003 policies/proposals/ --cases policies/cases/`, the README's command). Commands
run from the repository root, so that paths in the reports are short and stable. The goldens are
under tests/golden/reports/; `pytest --update-goldens` rewrites them (read the diff).

Besides the exact text: the text reports fit 100 columns, JSON parses and holds the schema's
keys, JSON Lines has one header, a line per case and the summary, JUnit XML parses with the
counts its elements claim.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "reports"
FIX = "tests/compare/fixtures"
POLICIES = ["--policies", f"{FIX}/policies"]
Golden = Callable[[Path, str], None]
SUFFIX = {"text": "txt", "md": "md", "json": "json", "jsonl": "jsonl", "junit": "xml"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output, result.exit_code


def check_format(fmt: str, text: str) -> None:
    """What every report of a format must be, beyond the golden text."""
    if fmt == "text":
        wide = [line for line in text.splitlines() if len(ANSI.sub("", line)) > 100]
        assert wide == []
    elif fmt == "json":
        doc = json.loads(text)
        assert doc["schema_version"] == "1.3" and len(doc["rows"]) == doc["summary"]["cases"]
    elif fmt == "jsonl":
        lines = [json.loads(line) for line in text.splitlines()]
        kinds = [x["type"] for x in lines]
        assert kinds == ["header", *["row"] * (len(lines) - 2), "summary"]
        assert lines[-1]["cases"] == len(lines) - 2
    elif fmt == "junit":
        root = ET.fromstring(text)
        cases = root.findall("./testsuite/testcase")
        assert int(root.get("tests", "-1")) == len(cases)
        assert int(root.get("failures", "-1")) == len(root.findall("./testsuite/testcase/failure"))


COMPARE = [f"{FIX}/policies/base.kpr", "narrow", "broad", *POLICIES]


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_fixture_report(fmt: str, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["compare", *COMPARE, "--cases", f"{FIX}/cases", "--format", fmt],
                    monkeypatch)
    assert code == 0
    check_format(fmt, out)
    golden(GOLDEN / "fixtures" / f"compare.{SUFFIX[fmt]}", out)


def test_fixture_junit_fails_on_difference(golden: Golden,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["compare", *COMPARE, "--cases", f"{FIX}/cases", "--format", "junit",
                     "--fail-on-difference"], monkeypatch)
    assert code == 1
    check_format("junit", out)
    golden(GOLDEN / "fixtures" / "compare-fail-on-difference.xml", out)


@pytest.mark.parametrize(("data", "fmt"), [("shipments.csv", "text"), ("shipments.jsonl", "md"),
                                           ("shipments.jsonl", "jsonl")])
def test_fixture_bulk_report(data: str, fmt: str, golden: Golden,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Over bulk data: only the differing rows in the matrix, two cases explained per transition,
    and the carats and value reclassified."""
    out, code = run(["compare", *COMPARE, "--cases", f"{FIX}/bulk/{data}", "--format", fmt,
                     "--explain", "2", "--as-of", "2020-01-01", "--detail", "all"], monkeypatch)
    assert code == 0
    check_format(fmt, out)
    golden(GOLDEN / "fixtures" / f"bulk-{Path(data).suffix[1:]}.{SUFFIX[fmt]}", out)


def test_fixture_test_with_coverage(golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["test", f"{FIX}/policies", f"{FIX}/cases", "--coverage"], monkeypatch)
    assert code == 0
    golden(GOLDEN / "fixtures" / "test-coverage.txt", out + f"exit: {code}\n")


def test_fixture_test_failures(golden: Golden, monkeypatch: pytest.MonkeyPatch,
                               tmp_path: Path) -> None:
    junit = tmp_path / "results.xml"
    out, code = run(["test", f"{FIX}/policies", f"{FIX}/failing", "--junit", str(junit)],
                    monkeypatch)
    assert code == 1
    golden(GOLDEN / "fixtures" / "test-failures.txt", out + f"exit: {code}\n")
    xml = junit.read_text(encoding="utf-8")
    root = ET.fromstring(xml)
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    golden(GOLDEN / "fixtures" / "test-failures.xml", xml)


def test_fixture_test_failures_show_units(golden: Golden, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    """A failed expectation of a quantity shows its unit, in the text and in JUnit XML (the
    expected value, the value found, and every value of the explanation)."""
    junit = tmp_path / "results.xml"
    out, code = run(["test", f"{FIX}/policies", f"{FIX}/units", "--junit", str(junit)],
                    monkeypatch)
    assert code == 1
    golden(GOLDEN / "fixtures" / "test-failures-units.txt", out + f"exit: {code}\n")
    golden(GOLDEN / "fixtures" / "test-failures-units.xml", junit.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_a_quantity_term_is_written_with_its_unit(fmt: str, golden: Golden,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A compared term whose values are quantities: every format writes them with the term's
    unit (`0 ct -> 1250.5 ct`), in transitions, the matrix and the differences; JSON keeps the
    decimal text and says the unit (`term_units`, a difference's `unit`). They had no unit."""
    out, code = run(["compare", f"{FIX}/units/counted.kpr", f"{FIX}/units_more/more.kpr",
                     "--policies", f"{FIX}/policies", "--cases", f"{FIX}/units_more/cases",
                     "--no-symbolic", "--detail", "all", "--format", fmt], monkeypatch)
    assert code == 0
    golden(GOLDEN / "fixtures" / f"compare-units.{SUFFIX[fmt]}", out)
    assert "1250.5 ct" in out or '"unit":"ct"' in out.replace(" ", "")


def test_the_sql_summary_writes_a_quantity_term_with_its_unit(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "a", "rough": false, "funds_war": true, "seller": "state", '
                    '"carats": 1250.5, "shipped_on": "2022-06-01"}\n', encoding="utf-8")
    out, code = run(["compare", f"{FIX}/units/counted.kpr", f"{FIX}/units_more/more.kpr",
                     "--policies", f"{FIX}/policies", "--cases", str(data), "--engine",
                     "duckdb", "-q", "--no-symbolic"], monkeypatch)
    assert code == 0
    assert out.splitlines()[-1] == (
        "  counted_more.counted_carats: 0 ct -> 1250.5 ct: 1 record; carats 1250.5 ct "
        "(100.00% of the total); value 0 usd")


BUNDLED = ["compare", "kpcs_2003", "policies/proposals/", "--cases", "policies/cases/"]


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_bundled_report(fmt: str, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's command, on the bundled policies and cases."""
    out, code = run([*BUNDLED, "--format", fmt], monkeypatch)
    assert code == 0
    check_format(fmt, out)
    golden(GOLDEN / "bundled" / f"compare.{SUFFIX[fmt]}", out)


@pytest.mark.parametrize("where", ["fixtures", "bundled"])
def test_text_report_in_full(where: str, golden: Golden,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`--detail all`: the summary, the outcome matrix and every difference explained; each
    quotation given in full once, then referred to."""
    args = BUNDLED if where == "bundled" else ["compare", *COMPARE, "--cases", f"{FIX}/cases"]
    out, code = run([*args, "--detail", "all"], monkeypatch)
    assert code == 0
    check_format("text", out)
    quotes = re.findall(r'^ +"(.*)$', out, re.M)  # the first line of each quotation
    assert quotes and len(quotes) == len(set(quotes))
    assert "(quoted above)" in out
    golden(GOLDEN / where / "compare-detail.txt", out)


def test_text_summary_caps_its_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every list of cases in the first screen is capped, and says how to see the rest."""
    out, code = run([*BUNDLED, "--list", "3"], monkeypatch)
    assert code == 0
    capped = re.findall(r"^    \S+: .* -> .*, ([\d,]+) cases?\n((?:      \S.*\n)*)", out, re.M)
    assert capped
    for count, listed in capped:  # at most 3 listed, the others counted with the flag
        lines = listed.splitlines()
        more = int(count) - 3
        assert lines[-1] == f"      ... {more} more (use --list 0)" if more > 0 else \
            len(lines) == int(count)
    full, _ = run([*BUNDLED, "--list", "0"], monkeypatch)
    assert "more (use --list 0)" not in full
    assert full.count("\n      ru-alrosa-2023 ") > out.count("\n      ru-alrosa-2023 ")


def test_matrix_none_and_all(monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["compare", *COMPARE, "--cases", f"{FIX}/cases"]
    with_matrix, _ = run([*base, "--matrix", "all"], monkeypatch)
    assert "\nOutcomes (every case;" in with_matrix
    for fmt in ("text", "md"):
        out, code = run([*base, "--matrix", "none", "--detail", "all", "--format", fmt],
                        monkeypatch)
        assert code == 0 and "Outcomes" not in out


def test_bundled_expectations_pass(golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["test", "policies/", "--coverage"], monkeypatch)
    golden(GOLDEN / "bundled" / "test-coverage.txt", out + f"exit: {code}\n")
    assert code == 0


def test_junit_is_well_formed_when_a_case_file_has_errors(
        golden: Golden, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A case file with an error: its own suite in the JUnit XML (closed), and the totals say
    `1 error`, not `1 errors`."""
    bad = tmp_path / "broken.toml"
    good = (ROOT / FIX / "failing" / "wrong.toml").read_text(encoding="utf-8")
    bad.write_text(good.replace('seller = "state"', 'seller = "nobody"').replace(
        "wrong-expectation", "broken"), encoding="utf-8")
    junit = tmp_path / "results.xml"
    out, code = run(["test", f"{FIX}/policies", f"{FIX}/failing", str(bad), "--junit",
                     str(junit)], monkeypatch)
    assert code == 1
    assert out.splitlines()[-1] == "1 case, 3 expectations: 1 passed, 2 failed, 1 error"
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    suites = root.findall("./testsuite")
    assert [s.get("name") for s in suites][-1] == "case files"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "2", "1")
    assert len(suites[-1].findall("./testcase/error")) == 1


def test_text_header_never_cuts_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """At any width, where each policy is written is shown whole (it moves left when it does
    not fit), so that its line number is never lost."""
    import kprules
    from kprules.cases.files import read_suite
    from kprules.compare import Comparison, from_case
    from kprules.report import CaseSource, ReportOptions, RowStream, render

    monkeypatch.chdir(ROOT)
    lib = kprules.load("policies/")
    comparison = Comparison(lib, "kpcs_2003", ["adpa_2025_state_allies",
                                               "chair_paper_2012_wdc_basis"])
    suite = read_suite([Path("policies/cases/")], lib)
    cases = [from_case(c) for c in suite.cases if c.vocabulary == comparison.vocabulary.name]
    options = ReportOptions(width=60, detail="summary", matrix="none")
    out = render("text", RowStream(comparison, cases, CaseSource("policies/cases/"), options))
    for name in ("adpa_2025_state_allies", "chair_paper_2012_wdc_basis"):
        where = lib[name].checked.source
        assert re.search(rf"^ +{re.escape(where)}:\d+:1$", out, re.M), name


def test_parquet_records_are_located_by_row_group_and_row(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same shipments as Parquet, in row groups of five: the same report as from JSON
    Lines, each record located by its row group and row (from 0) instead of its line."""
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    lines = (ROOT / FIX / "bulk" / "shipments.jsonl").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "shipments.parquet"
    pq.write_table(pa.Table.from_pylist([json.loads(line) for line in lines]), data,
                   row_group_size=5)
    common = ["--format", "jsonl", "--as-of", "2020-01-01", "--detail", "all"]
    from_jsonl, code = run(["compare", *COMPARE, "--cases", f"{FIX}/bulk/shipments.jsonl",
                            *common], monkeypatch)
    assert code == 0
    from_parquet, code = run(["compare", *COMPARE, "--cases", str(data), *common], monkeypatch)
    assert code == 0
    expected = from_jsonl
    for number in range(len(lines), 0, -1):  # 24 before 2, so that `:2` is not in `:24`
        group, row = divmod(number - 1, 5)
        expected = expected.replace(f'"{FIX}/bulk/shipments.jsonl:{number}"',
                                    f'"{data}, row group {group}, row {row}"')
    expected = expected.replace(f'"{FIX}/bulk/shipments.jsonl"', f'"{data}"')  # the header
    assert from_parquet == expected
    assert f'"{data}, row group 4, row 3"' in from_parquet  # the 24th of 24 records
