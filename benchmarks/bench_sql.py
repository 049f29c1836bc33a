"""`kprules eval --engine duckdb` against hand-written DuckDB SQL and the Python path, in one run.

    .venv/bin/python benchmarks/bench_sql.py                       # 1,000,000 records
    .venv/bin/python benchmarks/bench_sql.py --records 100000 --python-records 20000  # quicker
    .venv/bin/python benchmarks/bench_sql.py --json-readers 1000000  # reading JSON Lines alone

The records are the benchmark workload's (the generator of bench_stream.py), written as JSON Lines
and, by DuckDB, as Parquet. Each path runs in a child process, end to end (start, read, evaluate
the three workload rules, write CSV): its wall time, CPU time and peak RSS are measured, and its
output is checked row by row against plain-Python versions of the rules. Paths:

- kprules eval --engine duckdb --format csv --output out.csv, over Parquet and over JSON Lines
  (--robust: also with the one pass turned off, the robust path alone);
- the same rules as hand-written DuckDB SQL (read_parquet / read_json, COPY to CSV), the baseline;
- kprules eval --engine python (today's path), over the same number of records by default
  (--python-records fewer for a quicker run: its rate then includes its start, about 0.2 s,
  over fewer records, which makes the Python path look slower and the ratio larger than over
  the whole file; the verdict says so);
- with --spark, kprules eval --engine spark (local mode, for information).

--repeat N measures the first three N times, interleaved, and the closing lines give the targets'
verdicts on each path's best wall time (noise only adds time), and, for information, the median
of the rounds' ratios (each round runs the two one after the other, under much the same load).
The children keep Python's compiled modules (in a cache under the temporary folder), as an
installed kprules has them, and kprules' kept plans (docs/sql.md, "Kept plans"), made by a
warm-up run on 1,000 records of each format: every measured kprules run is a repeated one.
--cold turns the plans off (each run reads, checks and compiles the policies).
Ratios are against the baseline measured in the same run. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_stream import POLICIES, records, reference

HERE = Path(__file__).resolve().parent
COMPARE_TARGET = 10.0  # seconds, issue 10
COLUMNS = ["workload_kpcs_2003.conflict_diamond", "workload_proposal.conflict_diamond",
           "workload_restriction.export_blocked"]

# The three rules as a person would write them in DuckDB SQL (the baseline).
HAND_SQL = """
COPY (SELECT
  CAST(row_number() OVER () AS VARCHAR) AS "case",
  rough AND seller_kind IN ('rebel_movement', 'armed_group_allied_to_rebels')
    AND proceeds_finance_armed_conflict AND conflict_aims_to_undermine_legitimate_government
    AS a,
  rough AND ((seller_kind IN ('rebel_movement', 'armed_group_allied_to_rebels')
              AND proceeds_finance_armed_conflict
              AND conflict_aims_to_undermine_legitimate_government)
             OR (seller_kind IN ('state', 'state_owned_enterprise')
                 AND proceeds_finance_aggression_against_another_state)
             OR systematic_human_rights_abuses_at_mine OR un_security_council_sanction) AS b,
  (origin_country = 'CF' AND export_year BETWEEN 2013 AND 2024
     AND (export_year < 2015 OR NOT origin_zone_compliant))
  OR (origin_country = 'RU' AND export_year >= 2024 AND carats >= 0.5)
  OR NOT kp_participant_compliant AS c
FROM {source}) TO '{out}' (FORMAT csv, HEADER true)
"""

CHILD = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                      text=True).returncode
wall = time.perf_counter() - start
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024)
"""


def child_env(cache: Path, plans: Path | None) -> dict[str, str]:
    """The children's environment: Python's compiled modules kept (in `cache`), as an installed
    kprules has them, even where PYTHONDONTWRITEBYTECODE is set (an editable install without
    them compiles kprules' modules at every start: 0.15-0.2 s); kprules' kept plans in `plans`
    (docs/sql.md, "Kept plans"), or none (`--cold`)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "KPRULES_NO_CACHE", "KPRULES_CACHE_DIR")}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if plans is None:
        env["KPRULES_NO_CACHE"] = "1"
    else:
        env["KPRULES_CACHE_DIR"] = str(plans)
    return env


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall s, CPU s and peak RSS MB of one child process (its own children included)."""
    out = subprocess.run([sys.executable, "-c", CHILD, *cmd], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    if out[0] != "0":
        sys.exit(f"failed: {' '.join(cmd)}")
    return float(out[1]), float(out[2]), float(out[3])


def check(out: Path, n: int, columns: list[str]) -> str | None:
    with out.open(encoding="utf-8", newline="") as fh:
        rows = 0
        for row, r in zip(csv.DictReader(fh), records(n), strict=False):
            rows += 1
            got = tuple(row[c] == "true" for c in columns)
            if got != reference(r) or row["case"] != str(rows):
                return f"record {rows}: got {got}, want {reference(r)}"
    return None if rows == n else f"{rows} rows for {n} records"


# `kprules` with the one pass turned off (the switch the tests use): the robust path alone.
ROBUST = ("import sys; import kprules.cli.eval_sql as e; e.ONE_PASS = False; "
          "from kprules.cli import main; sys.argv[0] = 'kprules'; main()")


def kprules(data: Path, out: Path, engine: str, robust: bool = False) -> list[str]:
    start = ["-c", ROBUST] if robust else ["-m", "kprules"]
    return [sys.executable, *start, "eval", *map(str, POLICIES), "--cases", str(data),
            "--format", "csv", "--no-seeds", "--engine", engine, "--output", str(out)]


def hand(source: str, out: Path) -> list[str]:
    sql = HAND_SQL.format(source=source, out=out)
    return [sys.executable, "-c", f"import duckdb; duckdb.sql({sql!r})"]


def write_data(tmp: Path, n: int, name: str) -> tuple[Path, Path]:
    jsonl, parquet = tmp / f"{name}.jsonl", tmp / f"{name}.parquet"
    with jsonl.open("w", encoding="utf-8") as fh:
        for r in records(n):
            fh.write(json.dumps(r) + "\n")
    import duckdb

    duckdb.sql(f"COPY (SELECT * FROM read_json('{jsonl}', format='newline_delimited')) "
               f"TO '{parquet}' (FORMAT parquet)")
    return jsonl, parquet


def row(name: str, n: int, figures: tuple[float, float, float], base: float | None,
        problem: str | None) -> str:
    wall, cpu, peak = figures
    rate = n / wall
    ratio = f"{rate / base:.2f}" if base else "1"
    ok = "ok" if problem is None else f"MISMATCH {problem}"
    return (f"| {name} | {n:,} | {wall:.2f} s | {cpu:.2f} s | {rate:,.0f} | {ratio} | "
            f"{peak:.0f} MB | {ok} |")


def best(fn: Callable[[], object], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def in_process(n: int) -> int:
    """The validating entry points against hand-written Python, per record, in this process
    (bench_evaluate.py --validating N: the same table, with the targets)."""
    from bench_evaluate import validating

    return validating(n)


def compare_summary(n: int) -> None:
    """kpcs_2003 against every bundled proposal over n generated shipments, summary in SQL."""
    import duckdb

    import kprules
    from kprules.compare import Comparison
    from kprules.sql.compile import compile_sql
    from kprules.sql.dialect import DUCKDB
    from kprules.sql.summary import summary_queries, with_query
    from kprules.sql.types import sql_type

    root = HERE.parent / "policies"
    start = time.perf_counter()
    lib = kprules.load(root)
    proposals = sorted(p.stem for p in (root / "proposals").glob("*.kpr"))
    comparison = Comparison(lib, "kpcs_2003", proposals)
    vocab = comparison.vocabulary
    con = duckdb.connect()
    cols = []
    for name, info in sorted(vocab.facts.items()):  # every fact drawn from its type's values
        t, kind = info.type, sql_type(info.type, DUCKDB)
        values = getattr(t, "values", None) or getattr(getattr(t, "element", None), "values", None)
        if kind == "BOOLEAN":
            cols.append(f"random() < 0.5 AS {name}")
        elif kind == "DATE":
            cols.append(f"DATE '2000-01-01' + CAST(floor(random() * 9500) AS INTEGER) AS {name}")
        elif kind.startswith("DECIMAL") or kind == "BIGINT":
            cols.append(f"CAST(round(random() * 100, 2) AS {kind}) AS {name}")
        elif kind.endswith("[]"):
            items = values or ["RU", "BY", "CF"]
            cols.append(f"list_sort(list_distinct([{items[0]!r}, "
                        f"{items[-1]!r}][1:CAST(floor(random() * 3) AS INTEGER)])) AS {name}")
        else:
            items = list(values or ["CF", "RU", "BW", "AO", "SL", "ZW", "BE", "US"])
            cols.append(f"({items!r})[1 + CAST(floor(random() * {len(items)}) AS INTEGER)] "
                        f"AS {name}")
    con.execute(f"CREATE TABLE facts AS SELECT {', '.join(cols)} FROM range({n})")
    made = time.perf_counter()
    measures = list(comparison.weight_facts)
    layout = comparison.evaluator.layout
    query = compile_sql(layout, keep=measures, as_of_fact=vocab.dated_by)
    sql = summary_queries(query, layout, "kpcs_2003", proposals, comparison.terms, measures)
    rows = con.execute(with_query(query, sql.transitions)).fetchall()
    totals = con.execute(with_query(query, sql.totals)).fetchall()
    done = time.perf_counter()
    print(f"\ncompare kpcs_2003 against {len(proposals)} proposals ({len(comparison.terms)} "
          f"terms), {n:,} shipments: summary in SQL {done - made:.2f} s (load and compile "
          f"{made - start:.2f} s with generating the data); {len(rows)} transitions, "
          f"{totals[0][0]:,} records")
    with tempfile.TemporaryDirectory(prefix="kprules-bench-compare-") as tmp:
        data = Path(tmp) / "shipments.parquet"
        con.execute(f"COPY facts TO '{data}' (FORMAT parquet)")
        cmd = [sys.executable, "-m", "kprules", "compare", "kpcs_2003", str(root / "proposals"),
               "--cases", str(data), "--policies", str(root), "--format", "json"]
        start_up = measure([sys.executable, "-m", "kprules", "--help"])
        wall, cpu, peak = measure(cmd)  # --engine auto: a big data file, so DuckDB
        verdict = "met" if wall < COMPARE_TARGET else "MISSED"
        print(f"kprules compare (engine auto: duckdb), end to end (start, read and validate the "
              f"Parquet file, evaluate, summarise): {wall:.2f} s wall, {cpu:.2f} s CPU, peak "
              f"RSS {peak:.0f} MB; target under {COMPARE_TARGET:.0f} s: {verdict}. For "
              f"reference, `kprules --help` in the same run: {start_up[0]:.2f} s wall")


def verdict(label: str, n: int, m: int, walls: dict[str, list[float]]) -> str:
    """The targets, on the best wall time of each path over the rounds (the machine's noise
    only ever adds time): --engine duckdb within 1.25x of the hand-written SQL, and at least
    20x the Python path's rate (records per second, start included, over `m` records)."""
    hand, duck, py = (min(walls[k]) for k in ("hand", "duckdb", "python"))
    ratio, speed = duck / hand, (n / duck) / (m / py)
    paired = statistics.median(d / h for d, h in zip(walls["duckdb"], walls["hand"],
                                                     strict=True))
    return (f"{label}, best of {len(walls['hand'])}: --engine duckdb {duck:.2f} s against the "
            f"hand-written SQL's {hand:.2f} s: {ratio:.2f}x (target 1.25x: "
            f"{'met' if ratio <= 1.25 else 'MISSED'}); {n / duck:,.0f} records/s against the "
            f"Python path's {m / py:,.0f}: {speed:.1f}x (target 20x: "
            f"{'met' if speed >= 20 else 'MISSED'}{_fewer(n, m)}). For information, the median "
            f"of each round's ratio (the two run one after the other): {paired:.2f}x")


def json_readers(n: int) -> None:
    """How long each way of reading the JSON Lines file takes in DuckDB, in process, on both
    cores (best of 3; each into a temporary table, as the one pass reads), against the time a
    run would have to take to be 20x the Python path (measured in the same run): what is left
    for the start, the checks, the evaluation and the writing."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="kprules-bench-readers-") as tmp_name:
        tmp = Path(tmp_name)
        jsonl, _ = write_data(tmp, n, "big")
        env = child_env(tmp / "pycache", tmp / "plans")
        measure(kprules(write_data(tmp, 1000, "warm")[0], tmp / "out.csv", "python"), env)
        python = measure(kprules(jsonl, tmp / "out.csv", "python"), env)[0]
        fields = sorted(next(records(1)))
        paths = ", ".join(f"'$.\"{f}\"'" for f in fields)
        src = f"'{jsonl}', format='newline_delimited'"
        readers = {
            "read_json, DuckDB's own types (the hand-written query's; lenient: 1 for true)":
                f"SELECT * FROM read_json({src})",
            "read_json, each field as JSON text (the one pass's reading)":
                f"SELECT * FROM read_json({src}, maximum_depth=1)",
            "read_ndjson_objects, then json_extract of the fields":
                f"SELECT json_extract(json, [{paths}]) FROM read_ndjson_objects('{jsonl}')",
            "each line as text, no JSON parsed (a floor)":
                f"SELECT line FROM read_csv('{jsonl}', columns={{'line': 'VARCHAR'}}, "
                "delim='\x01', quote='', escape='', header=false)",
        }
        con = duckdb.connect()
        budget = python / 20
        print(f"{n:,} JSON Lines records ({jsonl.stat().st_size / 2**20:.0f} MiB): kprules eval "
              f"--engine python {python:.2f} s, so 20x is {budget:.2f} s end to end\n")
        print("| reading, in process, both cores, best of 3 | wall | share of the 20x budget |")
        print("|---|---|---|")
        for label, sql in readers.items():
            wall = best(lambda sql=sql: con.execute(
                f"CREATE OR REPLACE TEMP TABLE t AS {sql}"))
            print(f"| {label} | {wall:.2f} s | {wall / budget:.0%} |")
        polars_reader(jsonl, next(records(1)), budget)


def polars_reader(jsonl: Path, first: dict[str, object], budget: float) -> None:
    """For comparison, when polars is installed (it is no dependency of kprules): its
    multi-threaded NDJSON reader with the records' schema, into a data frame."""
    if importlib.util.find_spec("polars") is None:
        print("\n(polars is not installed: `pip install polars` adds its NDJSON reader here)")
        return
    import polars as pl

    kinds = {bool: pl.Boolean, str: pl.String, float: pl.Float64, int: pl.Int64}
    schema = {name: kinds[type(value)] for name, value in first.items()}
    wall = best(lambda: pl.read_ndjson(jsonl, schema=schema))
    print(f"| polars {pl.__version__} `read_ndjson` with the schema (strict for booleans and "
          f"numbers, but a number is read as text for a text field, and a repeated key "
          f"is dropped) | {wall:.2f} s | {wall / budget:.0%} |")


def _fewer(n: int, m: int) -> str:
    return "" if m >= n else (f"; the Python path ran {m:,} records, so its start weighs more "
                              "in its rate than over the whole file, and the ratio is too large")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--python-records", type=int, default=0,
                        help="records for --engine python (default: --records)")
    parser.add_argument("--spark", action="store_true",
                        help="also run --engine spark (Parquet)")
    parser.add_argument("--formats", default="parquet,jsonl",
                        help="the input formats to measure (parquet, jsonl)")
    parser.add_argument("--in-process", type=int, default=0, metavar="N",
                        help="only the in-process validating paths, over N records")
    parser.add_argument("--compare", type=int, default=0, metavar="N",
                        help="only the comparison summary in SQL, over N shipments")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="measure the baseline and --engine duckdb N times, alternately")
    parser.add_argument("--robust", action="store_true",
                        help="also the robust path alone (the one pass turned off)")
    parser.add_argument("--cold", action="store_true",
                        help="no kept plans: every kprules run reads and checks the policies")
    parser.add_argument("--json-readers", type=int, default=0, metavar="N",
                        help="only the ways of reading N JSON Lines records in DuckDB, "
                        "against the time 20x the Python path leaves")
    args = parser.parse_args()
    if args.json_readers:
        json_readers(args.json_readers)
        return
    if args.in_process:
        sys.exit(in_process(args.in_process))
    if args.compare:
        compare_summary(args.compare)
        return
    n, m = args.records, args.python_records or args.records
    with tempfile.TemporaryDirectory(prefix="kprules-bench-sql-") as tmp_name:
        tmp = Path(tmp_name)
        jsonl, parquet = write_data(tmp, n, "big")
        small_jsonl, small_parquet = (jsonl, parquet) if m == n else \
            write_data(tmp, m, "small")
        out = tmp / "out.csv"
        print("| path | records | wall | CPU | records/s (wall) | vs hand-written SQL | "
              "peak RSS | output |")
        print("|---|---|---|---|---|---|---|---|")
        inputs = {
            "parquet": ("Parquet", parquet, f"read_parquet('{parquet}')"),
            "jsonl": ("JSON Lines", jsonl, f"read_json('{jsonl}', format='newline_delimited')")}
        env = child_env(tmp / "pycache", None if args.cold else tmp / "plans")
        for warm in write_data(tmp, 1000, "warm"):  # compiles kprules' modules, keeps the plans
            measure(kprules(warm, out, "duckdb"), env)
        verdicts = []
        for label, data, reader in (inputs[f] for f in args.formats.split(",")):
            small = small_parquet if data == parquet else small_jsonl
            walls: dict[str, list[float]] = {"hand": [], "duckdb": [], "python": []}
            for _ in range(args.repeat):  # interleaved: each round measures all three
                base = measure(hand(reader, out), env)
                base_rate = n / base[0]
                print(row(f"hand-written DuckDB SQL, {label}", n, base, None,
                          check(out, n, ["a", "b", "c"])))
                got = measure(kprules(data, out, "duckdb"), env)
                print(row(f"kprules eval --engine duckdb, {label}", n, got, base_rate,
                          check(out, n, COLUMNS)))
                py = measure(kprules(small, out, "python"), env)
                print(row(f"kprules eval --engine python, {label}", m, py, base_rate,
                          check(out, m, COLUMNS)))
                for key, fig in (("hand", base), ("duckdb", got), ("python", py)):
                    walls[key].append(fig[0])
            verdicts.append(verdict(label, n, m, walls))
            if args.robust:
                got = measure(kprules(data, out, "duckdb", robust=True), env)
                print(row(f"kprules eval --engine duckdb, robust path only, {label}", n, got,
                          base_rate, check(out, n, COLUMNS)))
            if args.spark and data == parquet:
                sp = measure(kprules(small, out, "spark"), env)
                print(row(f"kprules eval --engine spark (local), {label}", m, sp, base_rate,
                          check(out, m, COLUMNS)))
        print("", *verdicts, sep="\n")



if __name__ == "__main__":
    main()
