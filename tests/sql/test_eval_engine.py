"""`kprules eval --engine duckdb` against `--engine python` on the same data files: the same
standard output and the same diagnostics (file, line, KP code, caret), byte for byte, for JSON
Lines, CSV and Parquet, with valid records, unknown facts, invalid values of every kind, records
SQL is stricter about than Python (it hands them back), and divisions by zero (KP500)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from click.testing import CliRunner  # noqa: E402

from kprules.cli import cli  # noqa: E402
from kprules.cli.eval_sql import AUTO_THRESHOLD, choose_engine  # noqa: E402

VOCABULARY = """\
facts lots
  dated by day

enum actor { rebel state company }

fact rough: bool
fact buyer: actor
fact aims: set of actor
fact weight: carats
fact value: usd
fact stones: integer
fact day: date
fact origin: country
fact note: text
"""

POLICY = """\
policy rules "rules"
  status current
  reads lots

define conflict = rough and buyer in {rebel} and not (origin in {BW})
define per_stone = weight / stones
define heavy = per_stone >= 0.5 ct or (value > 1000 usd and stones > 2)
parameter limit: carats
  from 2010-01-01 = 1 ct
  from 2020-01-01 = 0.5 ct
decision trade: {banned, checked, free}
  default free
  banned when conflict from 2005-01-01
    except checked when weight < limit
  checked when rebel in aims or note = "it's \\"odd\\""
"""

GOOD: dict[str, list[Any]] = {
    "rough": [True, False], "buyer": ["rebel", "state", "company"],
    "aims": [[], ["rebel"], ["state", "company"]], "weight": [0.25, 0.5, 1, 2.75],
    "value": [10, 999.99, 1000.01], "stones": [0, 1, 3],
    "day": ["2004-12-31", "2005-01-01", "2019-12-31", "2020-01-01"],
    "origin": ["BW", "CF", "RU"], "note": ["", "it's \"odd\"", "a\\b"],
}
BAD: dict[str, list[Any]] = {
    "rough": ["yes", 1], "buyer": ["rebels", 3], "aims": [["nobody"], "rebel"],
    "weight": ["heavy", True], "stones": [1.5, "3x"], "day": ["2020-02-30", "20200101"],
    "origin": ["XX", "cf"], "note": [3],
}
# Values Python accepts and SQL leaves to it (SQL is stricter, never laxer).
ODD: dict[str, list[Any]] = {"weight": ["0.5 ct", 1e-3], "value": [12345678901234567890]}


def records(n: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        r = {k: rnd.choice(v) for k, v in GOOD.items() if rnd.random() < 0.85}
        if rnd.random() < 0.5:
            r["id"] = f"lot-{i}"
        roll = rnd.random()
        if roll < 0.06:
            k = rnd.choice(list(BAD))
            r[k] = rnd.choice(BAD[k])
        elif roll < 0.09:
            k = rnd.choice(list(ODD))
            r[k] = rnd.choice(ODD[k])
        elif roll < 0.1:
            r["colour"] = "red"
        out.append(r)
    return out


def write_jsonl(path: Path, recs: list[dict[str, Any]]) -> None:
    lines = [json.dumps(r) for r in recs]
    lines.insert(3, "")  # a blank line: record numbers and line numbers part
    lines.insert(7, "[1, 2]")
    lines.insert(9, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def cell(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ";".join(v)
    return str(v)


def write_csv(path: Path, recs: list[dict[str, Any]]) -> None:
    cols = ["id", *GOOD]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in recs:
            w.writerow(["" if r.get(c) is None else cell(r[c]) for c in cols])


def write_parquet(path: Path, recs: list[dict[str, Any]]) -> None:
    """Typed columns; bad values become wrong-typed columns' nulls, so keep a text column."""
    rows = []
    for r in recs:
        row = {k: r.get(k) for k in ["id", *GOOD]}
        row["weight"] = r.get("weight") if isinstance(r.get("weight"), int | float) \
            and not isinstance(r.get("weight"), bool) else None
        row["value"] = r.get("value") if isinstance(r.get("value"), int | float) else None
        row["stones"] = r.get("stones") if type(r.get("stones")) is int else None
        row["rough"] = r.get("rough") if isinstance(r.get("rough"), bool) else None
        row["aims"] = r.get("aims") if isinstance(r.get("aims"), list) else None
        row["note"] = r.get("note") if isinstance(r.get("note"), str) else None
        day = r.get("day")
        row["day"] = dt.date.fromisoformat(day) if day in GOOD["day"] else None
        for k in ("buyer", "origin", "id"):
            row[k] = str(row[k]) if row[k] is not None else None
        if isinstance(row["value"], int) and row["value"] > 2**62:
            row["value"] = None
        rows.append(row)
    schema = pa.schema([("id", pa.string()), ("rough", pa.bool_()), ("buyer", pa.string()),
                        ("aims", pa.list_(pa.string())), ("weight", pa.float64()),
                        ("value", pa.float64()), ("stones", pa.int64()), ("day", pa.date32()),
                        ("origin", pa.string()), ("note", pa.string())])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def run(argv: list[str]) -> tuple[str, str, int]:
    result = CliRunner().invoke(cli, argv, prog_name="kprules")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.stdout, result.stderr, result.exit_code


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}


@pytest.mark.parametrize("kind", list(WRITERS))
@pytest.mark.parametrize("fmt", ["text", "csv", "json"])
def test_duckdb_gives_what_python_gives(policies: Path, kind: str, fmt: str) -> None:
    data = policies.parent / f"lots.{kind}"
    WRITERS[kind](data, records(300, 7))
    # per_stone is left out: its divisions have 12 places in SQL, 28 digits in Python
    terms = [x for t in ("conflict", "heavy", "limit", "trade") for x in ("--term", t)]
    argv = ["eval", str(policies), "--cases", str(data), "--format", fmt,
            "--max-errors", "1000", *terms]
    want = run([*argv, "--engine", "python"])
    got = run([*argv, "--engine", "duckdb"])
    assert want[2] == 1 and "KP500" in want[1] and "KP4" in want[1]
    assert got == want


@pytest.mark.parametrize("kind", list(WRITERS))
def test_skip_invalid_and_the_first_errors(policies: Path, kind: str) -> None:
    data = policies.parent / f"lots.{kind}"
    WRITERS[kind](data, records(200, 3))
    argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", "--term", "trade"]
    skip = [run([*argv, "--skip-invalid", "--engine", e]) for e in ("python", "duckdb")]
    assert skip[0] == skip[1] and skip[0][2] == 0
    python, duck = (run([*argv, "--max-errors", "2", "--engine", e])
                    for e in ("python", "duckdb"))
    # Python stops reading after two invalid records; DuckDB evaluates every valid one and
    # shows the first two problems.
    assert duck[2] == python[2] == 1
    assert python[1].split("\n\n")[:2] == duck[1].split("\n\n")[:2]
    assert duck[0].startswith(python[0])
    assert "more invalid records (raise --max-errors to see them)" in duck[1]


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_output_files_written_by_duckdb(policies: Path, tmp_path: Path, fmt: str,
                                        kind: str) -> None:
    """Written by DuckDB itself (a Parquet input in one pass when every record is valid, and
    again with the refused ones looked for when not)."""
    data = tmp_path / f"lots.{kind}"
    WRITERS[kind](data, records(300, 11))
    argv = ["eval", str(policies), "--cases", str(data), "--term", "heavy",
            "--term", "limit", "--term", "trade", "--max-errors", "1000"]
    out = tmp_path / f"out.{fmt}"
    _, err, code = run([*argv, "--engine", "duckdb", "--format", fmt, "--output", str(out)])
    _, want_err, want_code = run([*argv, "--engine", "python", "--format", "csv"])
    assert (code, err) == (want_code, want_err)
    argv.append("--skip-invalid")
    if fmt == "parquet":
        want, _, _ = run([*argv, "--engine", "python", "--format", "csv"])
        table = pq.read_table(out).to_pylist()
        got = list(csv.reader(want.splitlines()))
        assert [r["case"] for r in table] == [row[0] for row in got[1:]]
        assert list(table[0]) == got[0]
        return
    want, _, _ = run([*argv, "--engine", "python", "--format", fmt])
    text = out.read_text(encoding="utf-8")
    if fmt == "csv":
        assert text == want
    else:
        assert [json.loads(x) for x in text.splitlines()] == \
            [json.loads(x) for x in want.splitlines()]


def test_auto_takes_duckdb_for_big_files_only(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text("{}\n", encoding="utf-8")
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"{}\n" * (AUTO_THRESHOLD // 3 + 1))
    assert choose_engine("auto", small) == "python"
    assert choose_engine("auto", big) == "duckdb"
    assert choose_engine("python", big) == "python"


def test_parquet_output_needs_an_output_file(policies: Path, tmp_path: Path) -> None:
    """Parquet is written to a file, on every engine (it was KP900 on DuckDB's: no writer of
    it to standard output); the Python path's file is tests/sql/test_engines_agree.py's."""
    data = tmp_path / "lots.jsonl"
    write_jsonl(data, records(5, 1))
    for engine in ("python", "duckdb", "auto"):
        out, err, code = run(["eval", str(policies), "--cases", str(data), "--format",
                              "parquet", "--engine", engine])
        assert (out, code) == ("", 2), engine
        assert err.endswith("Error: --format parquet writes a file: give --output FILE\n")


def test_values_sql_cannot_hold_fall_back_to_python(tmp_path: Path) -> None:
    """An integer product beyond 64 bits fails in SQL; the record-by-record path takes over."""
    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    (tmp_path / "v.kpr").write_text("facts v\nfact n: integer\n", encoding="utf-8")
    (tmp_path / "p.kpr").write_text('policy p "p"\n  status current\n  reads v\n'
                                    "define big = n * n > 10\n", encoding="utf-8")
    data = tmp_path / "d.jsonl"
    data.write_text('{"n": 3}\n{"n": 4611686018427387904}\n{"n": 5}\n', encoding="utf-8")
    argv = ["eval", str(tmp_path / "p.kpr"), "--cases", str(data), "--format", "csv"]
    out, err, code = run([*argv, "--engine", "duckdb"])
    want = run([*argv, "--engine", "python"])
    assert (out, code) == (want[0], want[2]) == ("case,as_of,p.big\n1,,false\n2,,true\n3,,true\n",
                                                 0)
    assert err == "duckdb cannot read the file as a whole; reading it record by record\n" \
        + want[1]


@pytest.mark.parametrize("output", [False, True])
def test_a_decimal_sql_cannot_hold_falls_back_to_python(tmp_path: Path, output: bool) -> None:
    """A decimal Python accepts but DECIMAL(38, 12) cannot hold (found by the one-pass work:
    it ended in KP900 when the record was added to the others): the Python path takes over."""
    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    (tmp_path / "v.kpr").write_text("facts v\nfact w: decimal\n", encoding="utf-8")
    (tmp_path / "p.kpr").write_text('policy p "p"\n  status current\n  reads v\n'
                                    "define heavy = w >= 0.5\n", encoding="utf-8")
    data = tmp_path / "d.jsonl"
    # 28 digits: within the 30 a data file's number may have, beyond DECIMAL(38,12)'s 26 whole
    data.write_text('{"w": 0.25}\n{"w": 100000000000000000000000000.5}\n{"w": 1}\n',
                    encoding="utf-8")
    argv = ["eval", str(tmp_path / "p.kpr"), "--cases", str(data), "--format", "csv"]
    if output:
        argv += ["--output", str(tmp_path / "out.csv")]
    out, err, code = run([*argv, "--engine", "duckdb"])
    written = (tmp_path / "out.csv").read_text(encoding="utf-8") if output else out
    assert (written, code) == ("case,as_of,p.heavy\n1,,false\n2,,true\n3,,true\n", 0)
    assert "KP900" not in err and "evaluated 3 records" in err


def test_a_parquet_record_is_located_by_its_row_group_and_row(policies: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """A Parquet file has no lines: a bad record, or one that divides by zero, is shown with
    its file, row group and row (from 0, as pyarrow's `read_row_group` and DuckDB's
    `parquet_metadata` count them), the same on both engines, with the one pass and without."""
    import kprules.cli.eval_sql as eval_sql

    monkeypatch.chdir(policies.parent)
    recs = [{"rough": True, "stones": 1} for _ in range(10)]
    recs[0]["origin"] = "XX"  # record 1: row group 0, row 0
    recs[5]["buyer"] = "rebels"  # record 6: row group 1, row 2
    recs[9]["origin"] = "cf"  # record 10: row group 3, row 0 (the last, of one row)
    recs[7].update(stones=0, weight=1.5)  # record 8: row group 2, row 1, divides by zero
    table = pa.Table.from_pylist([{k: r.get(k) for k in ("rough", "stones", "weight", "buyer",
                                                         "origin")} for r in recs])
    pq.write_table(table, "lots.parquet", row_group_size=3)
    want = (
        'error[KP410]: record 1 (lots.parquet, row group 0, row 0): fact `origin`: "XX" is not '
        'an ISO 3166-1 alpha-2 country code\n'
        "  = hint: did you mean `AX`, `CX` or `MX`?\n\n"
        "error[KP409]: record 6 (lots.parquet, row group 1, row 2): fact `buyer`: enum `actor` "
        'has no value "rebels"\n'
        "  = hint: did you mean `rebel`?\n\n"
        "error[KP500]: record 8 (lots.parquet, row group 2, row 1): division by zero\n"
        " --> rules.kpr:6:20\n"
        "  |\n"
        "6 | define per_stone = weight / stones\n"
        "  |                    ^^^^^^^^^^^^^^^\n"
        "  = hint: guard the division with a condition\n\n"
        'error[KP410]: record 10 (lots.parquet, row group 3, row 0): fact `origin`: "cf" is '
        "not an ISO 3166-1 alpha-2 country code\n"
        "  = hint: write `CF`\n"
        "evaluated 6 records; 4 invalid (not evaluated; the first is record 1)\n")
    argv = ["eval", "rules.kpr", "--cases", "lots.parquet", "--format", "csv", "--term",
            "trade", "--term", "per_stone"]
    seen = []
    for engine, one_pass in (("python", True), ("duckdb", True), ("duckdb", False)):
        monkeypatch.setattr(eval_sql, "ONE_PASS", one_pass)
        seen.append(run([*argv, "--engine", engine, "--output", "out.csv"])[1:])
    assert seen == [(want, 1)] * 3


@pytest.mark.parametrize("command", ["eval", "compare"])
def test_records_sql_refuses_are_checked_with_one_validator(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            command: str) -> None:
    """Quantities written as text (`"0.5 ct"`, as docs/cases.md allows) are refused by SQL and
    fixed by the Python check, one record at a time: its validator was compiled for every
    record (6 ms each: 12-40x slower than the Python path). Now once per kind of reading."""
    from kprules.cases import bulk

    made: list[bool] = []

    class Counted(bulk.Validator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(True)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(bulk, "Validator", Counted)
    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    (tmp_path / "v.kpr").write_text("facts v\nmeasure w: carats\n", encoding="utf-8")
    for name, rule in (("p", "w >= 0.5 ct"), ("q", "w >= 1 ct")):
        (tmp_path / f"{name}.kpr").write_text(f'policy {name} "{name}"\n  status current\n'
                                              f"  reads v\ndefine heavy = {rule}\n",
                                              encoding="utf-8")
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"w": f"{i % 3}.5 ct"}) + "\n" for i in range(40)),
                    encoding="utf-8")
    argv = ["eval", str(tmp_path / "p.kpr"), "--cases", str(data), "--format", "csv",
            "--output", str(tmp_path / "o.csv")] if command == "eval" else \
        ["compare", "p", "q", "--cases", str(data), "--policies", str(tmp_path)]
    _, err, code = run([*argv, "--engine", "duckdb"])
    assert code == 0, err
    assert "40 records" in err or command == "compare"
    assert len(made) <= 2, len(made)


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_reader_that_stops_early_stops_either_engine_quietly(tmp_path: Path,
                                                                engine: str) -> None:
    """`kprules eval ... | head -1`: the reader closes the pipe; the command stops with status
    1 and no message (not an internal error), whichever engine writes."""
    import subprocess
    import sys

    (tmp_path / "lots.kpr").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "rules.kpr").write_text(POLICY, encoding="utf-8")
    data = tmp_path / "many.jsonl"
    good = [{**{k: v[i % len(v)] for k, v in GOOD.items()}, "stones": 3} for i in range(20_000)]
    data.write_text("".join(json.dumps(r) + "\n" for r in good), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kprules", "eval", str(tmp_path / "rules.kpr"), "--policies",
         str(tmp_path), "--no-seeds", "--cases", str(data), "--engine", engine, "--format",
         "csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"case,")
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read().decode("utf-8")
    assert (proc.wait(timeout=120), err) == (1, "")
