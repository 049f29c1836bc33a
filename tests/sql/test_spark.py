"""The SQL back end on Spark (local mode) against DuckDB and the Python evaluator, record by
record: every term of every bundled policy on every bundled case, and generated policies on
generated data (a small sample: local Spark is slow to start and to plan)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("duckdb")

from evaluator.strategies import cases, fact_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kprules
from kprules.cases.files import read_suite
from kprules.sql.duck import evaluate_records
from kprules.sql.spark import dataframe, evaluate_dataframe, session
from kprules.sql.types import from_sql

from .test_differential import python_paths, same

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark() -> Any:
    s = session("local[1]")
    yield s


def on_spark(spark: Any, ev: Any, records: list[dict[str, Any]],
             as_of: dt.date | None) -> list[tuple[tuple[Any, ...], Any]]:
    df = dataframe(spark, ev.vocabulary, records)
    out = evaluate_dataframe(df, ev.layout, ev.vocabulary, keep=["_row"], as_of=as_of)
    types = [ev.layout.terms[k].term.type for k in ev.layout.targets]
    rows = sorted(out.collect(), key=lambda r: r[0])
    return [(tuple(from_sql(v, t) for v, t in zip(r[2:2 + len(types)], types, strict=True)),
             r[-1]) for r in rows]


def test_every_bundled_policy_agrees_on_spark_duckdb_and_python(spark: Any) -> None:
    lib = kprules.load(ROOT / "policies")
    vocab = lib["kpcs_2003"].vocabulary.name
    targets = [(p.name, t) for p in lib.values() if p.vocabulary.name == vocab for t in p.terms]
    ev = lib.evaluator(targets)
    suite = read_suite([ROOT / "policies" / "cases"], lib, allow_unloaded=True)
    facts = [c.facts for c in suite.cases]
    sparked = on_spark(spark, ev, facts, None)
    duck = evaluate_records(ev.layout, ev.vocabulary, facts)
    assert len(sparked) == len(duck) == len(suite.cases) > 100
    for case, (s, s_err), (d, d_err) in zip(suite.cases, sparked, duck, strict=True):
        want, _ = ev.run(case.facts, case.as_of(ev.vocabulary.dated_by, None))
        assert s_err is None and d_err is None
        for key, a, b, w in zip(ev.keys, s, d, want, strict=True):
            assert same(a, w, False), (case.id, key, "spark", a, w)
            assert same(b, w, False), (case.id, key, "duckdb", b, w)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_generated_policies_agree_on_spark(spark: Any, data: Any) -> None:
    case = data.draw(cases())
    targets = data.draw(st.lists(st.sampled_from(case.terms), min_size=1, unique=True))
    runs = data.draw(st.lists(fact_sets(case), min_size=1, max_size=12))
    ev = kprules.loads(*case.texts).evaluator(targets)
    divides = "/" in "".join(case.texts[1:])
    for facts, (values, error) in zip(runs, on_spark(spark, ev, runs, None), strict=True):
        ref, _ = python_paths(ev, facts, facts.get("day"))
        if ref is None:
            assert error is not None
            continue
        assert error is None
        for key, s, r in zip(ev.layout.targets, values, ref, strict=True):
            assert same(s, r, divides), (key, facts, "spark", s, r)


def test_eval_engine_spark_gives_what_python_gives(spark: Any, tmp_path: Path) -> None:
    """`kprules eval --engine spark` on a Parquet file: the same output and diagnostics."""
    from .test_eval_engine import POLICY, VOCABULARY, records, run, write_parquet

    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    (tmp_path / "lots.kpr").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "rules.kpr").write_text(POLICY, encoding="utf-8")
    data = tmp_path / "lots.parquet"
    write_parquet(data, records(120, 5))
    argv = ["eval", str(tmp_path / "rules.kpr"), "--cases", str(data), "--format", "csv",
            "--max-errors", "1000", "--term", "trade", "--term", "heavy"]
    want = run([*argv, "--engine", "python"])
    got = run([*argv, "--engine", "spark"])
    assert want[2] == got[2] == 1 and "KP500" in want[1]
    assert got[0] == want[0]
    problems = [line for line in got[1].splitlines() if "error[" in line or "evaluated" in line]
    assert problems == [line for line in want[1].splitlines()
                        if "error[" in line or "evaluated" in line]


def test_a_spark_job_shows_its_progress_and_ctrl_c_cancels_it(spark: Any) -> None:
    """`QueryProgress.watch_spark`: the line gives the share of the active stages' tasks done,
    rising, and is erased at the end; an interrupt cancels the session's jobs."""
    import io
    import re

    from kprules.core.progress import Progress
    from kprules.sql.progress import QueryProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    line = re.compile(r"counting in Spark: (\d+)%(, about [0-9hmins ]+ left)?")
    with QueryProgress(Progress("counting in Spark", stream=screen, delay=0, interval=0),
                       interval=0.02) as watch:
        assert watch.watch_spark(spark) is spark and watch.running
        total = spark.range(0, 40_000_000, numPartitions=40) \
            .selectExpr("sum((id * 7) % 13) AS s").collect()[0][0]
    assert total > 0 and not watch.running
    drawn = [p.rstrip() for p in screen.getvalue().split("\r") if p.strip()]
    shares = [int(m[1]) for p in drawn if (m := line.fullmatch(p))]
    assert shares and len(shares) == len(drawn), drawn
    assert shares == sorted(shares) and shares[-1] > shares[0]
    assert screen.getvalue().split("\r")[-1] == ""  # erased

    cancelled: list[str] = []
    watch = QueryProgress(Progress("counting in Spark", quiet=True))
    watch.watch_spark(spark)
    real = watch._engines[-1].interrupt
    watch._engines[-1].interrupt = lambda: cancelled.append("jobs") or real()
    with pytest.raises(KeyboardInterrupt):
        watch._interrupt(2, None)
    with pytest.raises(KeyboardInterrupt):  # the interrupt is not lost
        watch.close()
    assert cancelled == ["jobs"]


def test_checked_parquet_locates_each_row_of_a_dataset_by_file_and_row(
        spark: Any, tmp_path: Path) -> None:
    """A folder of Parquet files (docs/scale.md): each file numbers its rows from 1, and
    `_file` says which file a row is in, so a refused row is located."""
    import duckdb

    lib = kprules.load(ROOT / "policies")
    vocab = lib["kpcs_2003"].vocabulary
    (tmp_path / "ds").mkdir()
    duckdb.sql(f"COPY (SELECT 'state_owned_enterprise' AS used_by UNION ALL SELECT "
               f"'rebel_movement') TO '{tmp_path / 'ds' / 'a.parquet'}' (FORMAT parquet)")
    duckdb.sql(f"COPY (SELECT 'rebel_movement' AS used_by UNION ALL SELECT 'nobody' UNION ALL "
               f"SELECT 'state') TO '{tmp_path / 'ds' / 'b.parquet'}' (FORMAT parquet)")
    from kprules.sql.spark import checked_parquet

    rows = checked_parquet(spark, str(tmp_path / "ds"), vocab).select(
        "_file", "_row", "_ok", "used_by").collect()
    assert sorted((Path(r["_file"]).name, r["_row"], r["_ok"], r["used_by"]) for r in rows) == [
        ("a.parquet", 1, True, "state_owned_enterprise"), ("a.parquet", 2, True, "rebel_movement"),
        ("b.parquet", 1, True, "rebel_movement"), ("b.parquet", 2, False, None),
        ("b.parquet", 3, False, None)]


def test_spark_folds_text_as_python_does(spark: Any) -> None:
    """`fold_space_sql` in Spark's dialect (its string literals take backslash escapes, its
    regular expressions are Java's) gives `fold_space`."""
    from kprules.ir.values import fold_space
    from kprules.sql.dialect import SPARK
    from kprules.sql.validate import SPACES, fold_space_sql

    texts = [" a  b ", "a\u2028b\u3000", "\x1c\x85a\tb\r\n", "a\u200bb", "", "  ", "a'b"]
    texts.append(SPACES.join("abc"))
    df = spark.createDataFrame([(t,) for t in texts], "t string")
    got = [r[0] for r in df.selectExpr(fold_space_sql("t", SPARK)).collect()]
    assert got == [fold_space(t) for t in texts]


@pytest.mark.parametrize("name", ["years-outside-parquet", "timestamps-outside-parquet",
                                  "nested-dates-parquet", "map-parquet",
                                  "decimal-places-parquet", "decimal-scale-parquet",
                                  "decimal-scale-31-parquet",
                                  "dates-for-text-parquet", "text-spaces-parquet"])
def test_spark_reads_dates_and_texts_as_python_does(spark: Any, tmp_path: Path,
                                                   name: str) -> None:
    """Dates and times outside Python's years, also inside a list or a struct, are refused as
    on the Python path (they made it and Spark's refused rows crash); a map is a list of pairs;
    text is folded."""
    from .test_engines_agree import FILES, POLICY, VOCABULARY, _run

    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    (tmp_path / "lots.kpr").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "rules.kpr").write_text(POLICY, encoding="utf-8")
    data = tmp_path / "data.parquet"
    FILES[name][1](data)
    argv = ["eval", str(tmp_path / "rules.kpr"), "--cases", str(data), "--format", "csv"]
    want = _run([*argv, "--engine", "python"], None)
    got = _run([*argv, "--engine", "spark"], None)
    assert got[0] == want[0] and got[2] == want[2]
    lines = [[line for line in r[1].splitlines() if "error[" in line or "evaluated" in line]
             for r in (got, want)]
    assert lines[0] == lines[1] and "KP900" not in want[1]


def test_spark_writes_parquet_as_duckdb_does(spark: Any, tmp_path: Path) -> None:
    """`--engine spark --format parquet --output` (it was KP900): DuckDB writes Spark's values,
    in the SQL engines' columns and types."""
    from .test_engines_agree import FILES, POLICY, VOCABULARY, _run

    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    (tmp_path / "lots.kpr").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "rules.kpr").write_text(POLICY, encoding="utf-8")
    data = tmp_path / "data.parquet"
    FILES["years-outside-parquet"][1](data)
    argv = ["eval", str(tmp_path / "rules.kpr"), "--cases", str(data), "--format", "parquet"]
    want = _run([*argv, "--engine", "duckdb"], tmp_path / "duckdb.parquet")
    got = _run([*argv, "--engine", "spark"], tmp_path / "spark.parquet")
    assert got[2:] == want[2:] and isinstance(got[3], tuple) and len(got[3][1]) == 1


def test_spark_adds_and_multiplies_decimals_exactly_or_stops(spark: Any) -> None:
    """With the session's exact settings, a sum of two values of 12 places keeps its 12th place
    (Spark's default makes it a DECIMAL(38,11)), a product that fits is exact, and one with more
    than 12 places stops the job (the CLI then evaluates the file in Python). A session without
    the settings is refused, and left as it was."""
    from decimal import Decimal

    from kprules.sql.compile import INEXACT
    from kprules.sql.spark import EXACT_DECIMALS

    lib = kprules.loads('facts nums\n\nfact x: decimal\nfact y: decimal\n',
                        'policy p "p"\n  status current\n  reads nums\n\n'
                        'define s = x + y\ndefine m = x * y\n')
    ev = lib.evaluator([("p", "s"), ("p", "m")])
    exact = {"x": Decimal("0.123456789012"), "y": Decimal("0.5")}
    assert on_spark(spark, ev, [exact], None) == [
        ((Decimal("0.623456789012"), Decimal("0.061728394506")), None)]
    fits = {"x": Decimal("0.123456789012"), "y": Decimal("0.000000000001")}  # 24 places
    with pytest.raises(Exception, match=INEXACT):
        on_spark(spark, ev, [fits], None)
    before = spark.conf.get("spark.sql.decimalOperations.allowPrecisionLoss")
    spark.conf.set("spark.sql.decimalOperations.allowPrecisionLoss", "true")
    try:
        with pytest.raises(ValueError, match="allowPrecisionLoss=false"):
            on_spark(spark, ev, [fits], None)
        assert spark.conf.get("spark.sql.decimalOperations.allowPrecisionLoss") == "true"
    finally:
        spark.conf.set("spark.sql.decimalOperations.allowPrecisionLoss", before)
    assert before == EXACT_DECIMALS["spark.sql.decimalOperations.allowPrecisionLoss"]


def _numbers_alike(text: str) -> list[list[str]]:
    """CSV rows with each number as its value (SQL drops the trailing zeros Python keeps from a
    Parquet DECIMAL(p, s): docs/sql.md)."""
    import csv
    from decimal import Decimal, InvalidOperation

    def cell(c: str) -> str:
        try:
            return str(Decimal(c).normalize()) if c not in ("", "true", "false") else c
        except InvalidOperation:
            return c
    return [[cell(c) for c in row] for row in csv.reader(text.splitlines())]


@pytest.mark.parametrize(("columns", "status"), [
    ({"x": ("decimal(38,20)", ["1.00000000000001", "2.5"])}, 0),  # 14 places: not rounded
    ({"x": ("double", [0.1 + 0.2, 1e-13, 0.5])}, 0),  # Python reads the shortest decimal
    ({"f": ("string", ["yes", "true"])}, 1),  # text for a bool: KP408 on every engine
    ({"day": ("string", ["2021-01-01"])}, 0),  # text for a date: Python reads it
    ({"x": ("decimal(38,12)", ["1.5"]), "X": ("double", [2.0])}, 1),  # `X` is not `x`: KP407
    ({"missing": ("", [None])}, 0),  # no set column: a NULL of the set's type
], ids=["decimal-14-places", "double", "text-for-bool", "text-for-date", "case-of-a-name",
        "missing-set"])
def test_spark_reads_parquet_columns_as_python_does(spark: Any, tmp_path: Path,
                                                    columns: dict[str, Any],
                                                    status: int) -> None:
    """Values Spark's own casts would round or take (decimals past 12 places, binary floats,
    text for other facts), a UINT64, a name that differs from a fact's only in case, a
    missing column: the values, diagnostics and status of the Python path."""
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    from .test_eval_engine import run

    (tmp_path / "nums.kpr").write_text(
        'facts nums\n  dated by day\n\nenum colour { red blue }\n\nfact x: decimal\n'
        "fact n: integer\nfact f: bool\nfact day: date\nfact s: set of colour\n",
        encoding="utf-8")
    (tmp_path / "p.kpr").write_text(
        'policy p "p"\n  status current\n  reads nums\n\ndefine sum = x + 0.000000000001\n'
        "define prod = x * 3\ndefine next = n + 1\ndefine yes = f\ndefine reds = red in s\n"
        "define recent = day >= 2020-01-01\n", encoding="utf-8")
    size = max(len(values) for _, values in columns.values())
    arrays = {  # every other fact given, valid: nothing else sends the file to Python
        "x": pa.array([Decimal("1.5")] * size, pa.decimal128(38, 12)),
        "n": pa.array([1] * size, pa.int64()), "f": pa.array([True] * size),
        "day": pa.array([dt.date(2021, 1, 1)] * size),
        "s": pa.array([["red"]] * size, pa.list_(pa.string()))}
    if "missing" in columns:
        del arrays["s"], columns["missing"]
    for name, (kind, values) in columns.items():
        if kind.startswith("decimal"):
            arrays[name] = pa.array([Decimal(v) for v in values], pa.decimal128(38, int(
                kind.split(",")[1][:-1])))
        else:
            arrays[name] = pa.array(values, {"double": pa.float64(), "string": pa.string(),
                                             "uint64": pa.uint64()}[kind])
    arrays = {k: pa.concat_arrays([a, pa.nulls(size - len(a), a.type)]) for k, a in
              arrays.items()}
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table(arrays), data)
    argv = ["eval", str(tmp_path / "p.kpr"), "--policies", str(tmp_path), "--no-seeds",
            "--cases", str(data), "--format", "csv"]
    want = run([*argv, "--engine", "python"])
    got = run([*argv, "--engine", "spark"])
    assert got[2] == want[2] == status and "KP900" not in got[1]
    assert want[0].startswith("case,as_of,p.next,p.prod,p.recent,p.reds,p.sum,p.yes\n") or (
        "error[KP407]: the vocabulary `nums` has no fact `X`" in want[1])
    assert _numbers_alike(got[0]) == _numbers_alike(want[0])
    diagnostics = [line for line in want[1].splitlines() if "error[" in line]
    assert diagnostics == [line for line in got[1].splitlines() if "error[" in line]
