"""The comparison's bulk summary in SQL against `kprules.compare.Summary`: kpcs_2003 against
every bundled proposal over generated shipments (unknown facts included): the same records and
measures reclassified per transition, the same totals, and groups that add up to them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb")

import kprules  # noqa: E402
from kprules.compare import CaseInput, Comparison, Summary  # noqa: E402
from kprules.eval.evaluate import validate  # noqa: E402
from kprules.sql.compile import compile_sql  # noqa: E402
from kprules.sql.duck import facts_table  # noqa: E402
from kprules.sql.summary import exact_sums, summary_queries, with_query  # noqa: E402
from kprules.sql.types import to_sql  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PROPOSALS = sorted(p.stem for p in (ROOT / "policies" / "proposals").glob("*.kpr"))


def shipment(rnd: random.Random, vocab: Any) -> dict[str, Any]:
    """A random shipment: every fact drawn from its type's values, or missing."""
    out: dict[str, Any] = {}
    for name, info in vocab.facts.items():
        if rnd.random() < 0.2:
            continue
        t = str(info.type)
        values = getattr(info.type, "values", None)
        if t == "bool":
            out[name] = rnd.random() < 0.5
        elif values:
            out[name] = rnd.choice(values)
        elif t.startswith("set of"):
            elems = getattr(info.type.element, "values", None) or ["RU", "BY", "CF", "AE"]
            out[name] = rnd.sample(list(elems), rnd.randint(0, min(2, len(elems))))
        elif t == "country":
            out[name] = rnd.choice(["CF", "RU", "BW", "AO", "SL", "ZW", "BE", "US"])
        elif t == "date":
            out[name] = dt.date(2000, 1, 1) + dt.timedelta(days=rnd.randint(0, 9500))
        elif t in ("carats", "usd", "grams", "decimal"):
            out[name] = Decimal(rnd.randint(0, 500)) / 4
        elif t == "integer":
            out[name] = rnd.randint(0, 10)
        elif t == "text":
            out[name] = "x"
    return validate(out, vocab)


@pytest.mark.parametrize("split", [False, True], ids=["sums", "split-sums"])
@pytest.mark.parametrize("group_by", [(), ("exported_from",)])
def test_sql_summary_is_the_python_summary(group_by: tuple[str, ...], split: bool) -> None:
    lib = kprules.load(ROOT / "policies")
    comparison = Comparison(lib, "kpcs_2003", PROPOSALS)
    vocab = comparison.vocabulary
    rnd = random.Random(10)
    records = [shipment(rnd, vocab) for _ in range(600)]
    summary = Summary()
    for i, facts in enumerate(records):
        case = CaseInput(str(i), facts)
        summary.add(comparison.row(case), comparison.weights(case))

    con = duckdb.connect()
    names = facts_table(con, vocab)
    con.executemany(f"INSERT INTO facts VALUES ({', '.join('?' * (len(names) + 1))})",
                    [[i, *(to_sql(r.get(n)) for n in names)] for i, r in enumerate(records)])
    measures = list(comparison.weight_facts)
    layout = comparison.evaluator.layout
    query = compile_sql(layout, keep=[*measures, *group_by], as_of_fact=vocab.dated_by)
    sql = summary_queries(query, layout, "kpcs_2003", PROPOSALS, comparison.terms, measures,
                          group_by, split=split)
    g = len(group_by)
    rows = exact_sums(con.execute(with_query(query, sql.transitions)).fetchall(), 5 + g,
                      len(measures), 2)
    totals = exact_sums(con.execute(with_query(query, sql.totals)).fetchall(), 1 + g,
                        len(measures), 3)
    transitions: dict[tuple[str, str, str, str], int] = {}
    differences: dict[tuple[str, str], int] = {}
    reclassified: dict[tuple[str, str], dict[str, Decimal]] = {}
    for other, term, bv, ov, *rest in rows:
        count, sums = rest[g], rest[g + 1:]
        key = (other, term, bv, ov)
        transitions[key] = transitions.get(key, 0) + count
        differences[(other, term)] = differences.get((other, term), 0) + count
        shifted = reclassified.setdefault((other, term), {})
        for m, s in zip(measures, sums, strict=True):
            if s is not None:
                shifted[m] = shifted.get(m, Decimal(0)) + s
    want: dict[tuple[str, str, str, str], int] = {}
    for (other, term, bv, ov, _cause), t in summary.transitions.items():
        want[(other, term, bv, ov)] = want.get((other, term, bv, ov), 0) + t.count
    assert summary.differing_cases > 20 and len(want) > 5
    assert transitions == want
    assert differences == summary.differences
    assert {k: {m: v for m, v in d.items() if v} for k, d in reclassified.items()} == \
        {k: {m: v for m, v in d.items() if v} for k, d in summary.reclassified.items()}
    assert sum(row[g] for row in totals) == summary.cases == len(records)
    for i, m in enumerate(measures):
        assert sum((row[g + 1 + 2 * i] or 0) for row in totals) == summary.weight_totals[m]
        assert sum(row[g + 2 + 2 * i] for row in totals) == summary.weight_cases[m]
    if group_by:
        ru = [r for r in records if r.get("exported_from") == "RU"]
        assert [row[g] for row in totals if row[0] == "RU"] == [len(ru)]


@pytest.mark.parametrize("group_by", [[], ["exported_from"]])
def test_compare_engine_duckdb_summarises_as_the_report_does(tmp_path: Path,
                                                             group_by: list[str]) -> None:
    """`kprules compare --engine duckdb` on a data file: the report's differing cases, cases
    per (other, term) and measures reclassified, from the SQL summary (grouped or not)."""
    import json

    from click.testing import CliRunner

    from kprules.cli import cli
    from kprules.ir.values import to_json

    lib = kprules.load(ROOT / "policies")
    vocab = lib["kpcs_2003"].vocabulary
    rnd = random.Random(4)
    data = tmp_path / "shipments.jsonl"
    data.write_text("".join(json.dumps({k: to_json(v) for k, v in shipment(rnd, vocab).items()})
                            + "\n" for _ in range(300)), encoding="utf-8")
    argv = ["compare", "kpcs_2003", str(ROOT / "policies" / "proposals"), "--cases", str(data),
            "--format", "json", "--policies", str(ROOT / "policies")]
    report = json.loads(CliRunner().invoke(cli, argv).stdout)["summary"]
    groups = [x for g in group_by for x in ("--group-by", g)]
    result = CliRunner().invoke(cli, [*argv, "--engine", "duckdb", *groups])
    assert result.exit_code == 0, result.output
    sql = json.loads(result.stdout)
    assert sql["differing_records"] == report["differing_cases"] > 20
    assert sum(t["records"] for t in sql["totals"]) == report["cases"]
    cases: dict[tuple[str, str], int] = {}
    carats: dict[tuple[str, str], Decimal] = {}
    for t in sql["transitions"]:
        key = (t["other"], t["term"])
        cases[key] = cases.get(key, 0) + t["records"]
        carats[key] = carats.get(key, Decimal(0)) + Decimal(t["measures"]["shipment_carats"])
    assert cases == {(d["other"], d["term"]): d["cases"] for d in report["differences"]}
    assert {k: v for k, v in carats.items() if v} == {
        (r["other"], r["term"]): Decimal(r["value"]) for r in report["reclassified"]
        if r["fact"] == "shipment_carats" and Decimal(r["value"])}
    totals = {json.dumps(t["group"]): t["measures"] for t in sql["totals"]}
    for t in sql["transitions"]:  # shares as the full report's: rounded to 4 places
        for m, value in t["measures"].items():
            total = Decimal(totals[json.dumps(t["group"])][m]["total"])
            assert t["shares"][m] == (None if not total else
                                      float(round(Decimal(value) / total, 4))), (t, m)


def _compare(data: Path, *extra: str) -> Any:
    from click.testing import CliRunner

    from kprules.cli import cli

    argv = ["compare", "kpcs_2003", str(ROOT / "policies" / "proposals"), "--cases", str(data),
            "--format", "json", "--policies", str(ROOT / "policies"), "--no-symbolic", *extra]
    return CliRunner().invoke(cli, argv)


def test_compare_engine_duckdb_takes_the_robust_path_for_records_sql_refuses(
        tmp_path: Path) -> None:
    """The summary is computed in one pass when SQL accepts every record; a record SQL refuses
    sends the comparison to the robust path: a value only Python reads (`"2 ct"` as text) is
    still counted, and a bad value stops the comparison with the Python path's diagnostic."""
    import json

    from kprules.ir.values import to_json

    lib = kprules.load(ROOT / "policies")
    vocab = lib["kpcs_2003"].vocabulary
    rnd = random.Random(9)
    rows = [{k: to_json(v) for k, v in shipment(rnd, vocab).items()} for _ in range(120)]
    rows[7]["shipment_carats"] = "2 ct"
    data = tmp_path / "odd.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = json.loads(_compare(data).stdout)["summary"]
    result = _compare(data, "--engine", "duckdb")
    assert result.exit_code == 0, result.output
    sql = json.loads(result.stdout)
    assert sql["differing_records"] == report["differing_cases"] > 5
    assert sum(t["records"] for t in sql["totals"]) == report["cases"] == 120

    rows[30]["exported_from"] = "XX"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    python, duck = _compare(data), _compare(data, "--engine", "duckdb")
    assert python.exit_code == duck.exit_code != 0
    assert "odd.jsonl:31:" in duck.output and "XX" in duck.output
    codes = [ln for ln in duck.output.splitlines() if "KP4" in ln]
    assert codes and codes == [ln for ln in python.output.splitlines() if "KP4" in ln]


def test_compare_engine_auto_summarises_big_data_files_in_sql(tmp_path: Path,
                                                              monkeypatch: Any) -> None:
    """`--engine auto` (the default): the SQL summary for a data file at or over the size
    threshold written as text or json; the full report below it, and in the other formats."""
    import json

    from kprules.cli import eval_sql
    from kprules.ir.values import to_json

    lib = kprules.load(ROOT / "policies")
    rnd = random.Random(5)
    data = tmp_path / "shipments.jsonl"
    data.write_text("".join(json.dumps({k: to_json(v) for k, v in shipment(
        rnd, lib["kpcs_2003"].vocabulary).items()}) + "\n" for _ in range(40)), encoding="utf-8")
    size = data.stat().st_size
    monkeypatch.setattr(eval_sql, "AUTO_THRESHOLD", size + 1)
    assert "summary" in json.loads(_compare(data).stdout)  # the full report
    monkeypatch.setattr(eval_sql, "AUTO_THRESHOLD", size)
    assert json.loads(_compare(data).stdout)["engine"] == "duckdb"
    text = _compare(data, "--format", "text")
    assert "(summary computed in SQL)" in text.stdout and "--engine python" in text.stdout
    assert "<html" in _compare(data, "--format", "html").stdout.lower()
    assert "summary" in json.loads(_compare(data, "--engine", "python").stdout)


def test_a_value_sql_cannot_hold_sends_auto_to_the_python_report(tmp_path: Path,
                                                                  monkeypatch: Any) -> None:
    """A decimal Python accepts but DECIMAL(38,12) cannot hold: under `--engine auto` the
    comparison falls back to the Python path's full report (a note on standard error, the
    report's own result); under `--engine duckdb`, which promises the SQL summary, it stops
    with KP100 and says which engine reads the file; nothing is written to --output."""
    import json

    from kprules.cli import eval_sql
    from kprules.ir.values import to_json

    lib = kprules.load(ROOT / "policies")
    rnd = random.Random(6)
    rows = [{k: to_json(v) for k, v in shipment(rnd, lib["kpcs_2003"].vocabulary).items()}
            for _ in range(40)]
    rows[3]["shipment_carats"] = "HUGE"
    data = tmp_path / "huge.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows).replace(
        '"HUGE"', "1" + "0" * 27 + ".5"), encoding="utf-8")  # 28 digits: at most 30
    monkeypatch.setattr(eval_sql, "AUTO_THRESHOLD", 0)
    python = _compare(data, "--engine", "python")
    auto = _compare(data)
    assert python.exit_code == auto.exit_code == 0, auto.output
    assert json.loads(auto.stdout) == json.loads(python.stdout)
    assert "duckdb cannot read the file as a whole; comparing record by record" in auto.stderr
    out = tmp_path / "summary.json"
    duck = _compare(data, "--engine", "duckdb", "--output", str(out))
    assert duck.exit_code == 1 and "error[KP100]" in duck.stderr
    assert "--engine python reads it record by record" in duck.stderr and not out.exists()


def shipments_file(folder: Path, n: int, seed: int) -> tuple[list[dict[str, Any]], Path]:
    """`n` random shipments (typed facts), and the JSON Lines file they are written to."""
    import json

    from kprules.ir.values import to_json

    vocab = kprules.load(ROOT / "policies")["kpcs_2003"].vocabulary
    rnd = random.Random(seed)
    records = [shipment(rnd, vocab) for _ in range(n)]
    data = folder / "shipments.jsonl"
    data.write_text("".join(json.dumps({k: to_json(v) for k, v in r.items()}) + "\n"
                            for r in records), encoding="utf-8")
    return records, data


@pytest.mark.parametrize("part", ["year", "month"])
def test_a_date_fact_groups_the_summary_by_its_year_or_month(tmp_path: Path, part: str) -> None:
    """`--group-by shipment_date:year` (or `:month`): the totals per year (or `YYYY-MM`) are
    the records counted per year in Python (unknown dates as null), and the transitions of
    the groups add up to the ungrouped summary's."""
    import json

    records, data = shipments_file(tmp_path, 300, 8)
    group = f"shipment_date:{part}"
    grouped = json.loads(_compare(data, "--engine", "duckdb", "--group-by", group).stdout)
    whole = json.loads(_compare(data, "--engine", "duckdb").stdout)

    def key(day: dt.date | None) -> int | str | None:
        if day is None:
            return None
        return day.year if part == "year" else f"{day.year:04}-{day.month:02}"

    want: dict[Any, int] = {}
    for r in records:
        want[key(r.get("shipment_date"))] = want.get(key(r.get("shipment_date")), 0) + 1
    assert {t["group"][group]: t["records"] for t in grouped["totals"]} == want
    assert len(want) > (10 if part == "year" else 100)
    moved: dict[tuple[str, str, str, str], int] = {}
    for t in grouped["transitions"]:
        k = (t["other"], t["term"], t["from"], t["to"])
        moved[k] = moved.get(k, 0) + t["records"]
    assert moved == {(t["other"], t["term"], t["from"], t["to"]): t["records"]
                     for t in whole["transitions"]}
    assert grouped["group_by"] == [group] and grouped["differing_records"] == \
        whole["differing_records"] > 20


def test_a_month_of_an_early_year_keeps_its_zeros(tmp_path: Path) -> None:
    """`YYYY-MM` as docs/compare.md says: the year 5 was `5-03`."""
    import json

    data = tmp_path / "early.jsonl"
    data.write_text("".join(json.dumps({"form": "rough", "shipment_date": d}) + "\n"
                            for d in ("0005-03-01", "0999-12-31", "2024-01-05")),
                    encoding="utf-8")
    got = json.loads(_compare(data, "--engine", "duckdb", "--group-by",
                              "shipment_date:month").stdout)
    assert sorted(t["group"]["shipment_date:month"] for t in got["totals"]) == [
        "0005-03", "0999-12", "2024-01"]


@pytest.mark.parametrize(("group", "message"), [
    ("exported_from:year", "--group-by `exported_from:year`: `exported_from` is a country "
     "fact, not a date; only a date fact has a year or a month"),
    ("shipment_date:week", "--group-by `shipment_date:week`: a date fact is grouped by "
     "`shipment_date:year` or `shipment_date:month`"),
    ("shipped:year", "--group-by: the vocabulary has no fact `shipped`"),
])
def test_a_group_that_is_not_a_date_part_is_a_usage_error(tmp_path: Path, group: str,
                                                          message: str) -> None:
    data = tmp_path / "shipments.jsonl"
    data.write_text('{"rough": true}\n', encoding="utf-8")
    result = _compare(data, "--engine", "duckdb", "--group-by", group)
    assert result.exit_code == 2 and f"Error: {message}\n" in result.stderr


def test_any_fact_groups_the_summary_as_json_and_text_show_its_values(tmp_path: Path) -> None:
    """A date, a set, a bool and a decimal fact as groups (a date and a set once stopped the
    summary with an internal error): per group the records counted in Python, the values as
    JSON writes facts (`to_json`), and the text's groups as kprules writes values."""
    import json

    from kprules.ir.values import to_json

    records, data = shipments_file(tmp_path, 200, 9)
    facts = ["shipment_date", "also_mined_in", "natural", "shipment_carats"]
    groups = [x for f in facts for x in ("--group-by", f)]
    result = _compare(data, "--engine", "duckdb", *groups)
    doc = json.loads(result.stdout)
    want: dict[str, int] = {}
    for r in records:
        key = json.dumps([to_json(r[f]) if f in r else None for f in facts])
        want[key] = want.get(key, 0) + 1
    got = {json.dumps([t["group"][f] for f in facts]): t["records"] for t in doc["totals"]}
    assert got == want and len(want) > 150
    text = _compare(data, "--engine", "duckdb", "--format", "text", *groups)
    assert text.exit_code == 0, text.output
    rows = [line for line in text.stdout.splitlines() if line.startswith("  shipment_date=")]
    assert len(rows) == len(want)
    unknown = next(t["group"] for t in doc["totals"] if None in t["group"].values())
    shown = ", ".join(f"{f}={_shown(v)}" for f, v in unknown.items())
    assert any(line.startswith(f"  {shown}: ") for line in rows), (shown, rows[:3])


def _shown(value: Any) -> str:
    """A JSON group value as the text summary shows it."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "{" + ", ".join(value) + "}"
    return str(value)


def test_the_sql_summary_of_records_without_measures_sums_to_zero(tmp_path: Path) -> None:
    """A sum over no record is 0, as the full report writes it (SQL's sum gives NULL)."""
    import json

    data = tmp_path / "n.jsonl"
    data.write_text('{"form": "rough"}\n', encoding="utf-8")
    result = _compare(data, "--engine", "duckdb")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"] == [{"group": {}, "records": 1, "measures": {
        "shipment_carats": {"total": "0", "records": 0},
        "shipment_value": {"total": "0", "records": 0}}}]


HOSTILE_VOCABULARY = """facts lots "lots"
  dated by shipped_on

enum grade "a grade" {
  fine "fine"
  unknown "not graded"
}

fact rough: bool "rough"
fact exporter: text "who exports"
fact grade: grade "the grade"
fact shipped_on: date "when"
measure carats: carats "weight"
measure value: usd "value"
"""
HOSTILE_BASE = 'policy pb "base"\n  status current\n  reads lots\n\n' \
    'define bad "bad"\n  = rough and exporter = "x"\n'
HOSTILE_OTHER = 'policy po "other"\n  status proposed\n  amends pb\n\nredefine bad\n  = rough\n'
HOSTILE_RECORDS = [
    {"id": "a", "rough": True, "exporter": "\x1b[2J\x1b]0;pwned\x07", "carats": 243.41,
     "value": 1000, "grade": "unknown"},
    {"id": "b", "rough": True, "exporter": "\u202eabc", "carats": 10, "value": 5},
    {"id": "c", "rough": True, "carats": 1, "value": 5, "grade": "fine"},
    {"id": "d", "rough": True, "exporter": "unknown", "carats": 2, "value": 5},
    {"id": "e", "rough": True, "exporter": "x\ny", "carats": 2, "value": 5},
    {"id": "f", "rough": True, "exporter": "x", "carats": 2},
]


@pytest.mark.parametrize("groups", [("exporter",), ("grade",), ()])
def test_the_sql_text_summary_escapes_and_quotes_the_data(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Any,
        groups: tuple[str, ...]) -> None:
    """The text summary writes controls and bidi overrides from the data as escapes (as the
    full report does), quotes a text value so that the text "unknown" is not an unknown value
    (nor an enum value `unknown`), counts `1 record`, gives each measure its unit and shares to
    2 places, as the text and Markdown reports do."""
    import json

    from click.testing import CliRunner

    from kprules.cli import cli

    (tmp_path / "p").mkdir()
    for name, text in [("lots", HOSTILE_VOCABULARY), ("pb", HOSTILE_BASE),
                       ("po", HOSTILE_OTHER)]:
        (tmp_path / "p" / f"{name}.kpr").write_text(text, encoding="utf-8")
    (tmp_path / "g.jsonl").write_text("".join(json.dumps(r) + "\n" for r in HOSTILE_RECORDS),
                                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = ["compare", "p/pb.kpr", "po", "--cases", "g.jsonl", "-q", "--no-symbolic",
            "--engine", "duckdb", *(x for g in groups for x in ("--group-by", g))]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    assert not any(ch in result.stdout for ch in "\x1b\x07\u202e")
    name = "-".join(groups) or "total"
    golden(ROOT / "tests" / "golden" / "reports" / "sql" / f"compare-{name}.txt",
           result.stdout)
