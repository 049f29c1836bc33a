"""Spark: the SQL back end on a Spark session, for data that outgrows one machine.

Stage: compiled query (kprules.sql.compile, Spark dialect) + a Spark DataFrame -> a DataFrame.
Effects: Spark jobs. `pyspark` is an optional dependency (`pip install 'kprules[spark]'`, and a
Java runtime); `session` raises `EngineMissing` without it.

`evaluate_dataframe(df, layout, vocabulary)` is the library function (docs/scale.md): `df` has a
column per fact, typed as the vocabulary says (kprules.sql.types; a missing column is unknown
for every row); the result has the columns asked to be kept, `as_of`, one column per target
(`policy.term`) and `_kp500`. `checked_parquet` reads Parquet files with their own types and
validates them in Spark SQL (the Parquet rules of kprules.sql.validate), for `kprules eval
--engine spark`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kprules import ir
from kprules.ir.slots import Layout
from kprules.ir.types import BOOL, DATE, DECIMAL, INTEGER, TEXT, Quantity, SetType, Type
from kprules.ir.values import OUT_OF_RANGE
from kprules.sql.compile import SqlQuery, compile_sql
from kprules.sql.dialect import DECIMAL_TYPE, SPARK
from kprules.sql.duck import EngineMissing
from kprules.sql.types import from_sql, sql_type, to_sql
from kprules.sql.validate import (
    allowed,
    declared_decimal,
    fold_space_sql,
    in_python_years,
    python_date,
)

if TYPE_CHECKING:
    from kprules.sql.files import Fixed, Raw, Result

_views = itertools.count()

# The settings under which Spark's decimal arithmetic is what the compiled queries need (exact
# sums and differences of DECIMAL(38,12), products of DECIMAL(38,24) that the query checks):
# by default Spark lets a result lose places (the sum of two DECIMAL(38,12) values becomes a
# DECIMAL(38,11), their product a DECIMAL(38,6): rounded), and outside ANSI mode an overflow
# gives NULL, which would read as unknown. With them, a value SQL cannot give exactly stops the
# statement, and kprules evaluates the file in Python. Spark reads them when it plans (and
# plans again) a statement, so they hold for the whole session.
EXACT_DECIMALS = {"spark.sql.decimalOperations.allowPrecisionLoss": "false",
                  "spark.sql.ansi.enabled": "true"}


# Column names as Python and DuckDB read them: `A` is not the fact `a` (Spark matches names
# without regard to case by default, and a file with both fails to read).
CASE_SENSITIVE = {"spark.sql.caseSensitive": "true"}


def session(master: str = "local[2]") -> Any:
    """A Spark session (the active one, or a local one), with `EXACT_DECIMALS` and
    `CASE_SENSITIVE` set; its log shows only fatal errors (a query the engine stops is the
    Python path's to evaluate, not a stack trace for the user)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineMissing("the Spark engine needs pyspark: pip install 'kprules[spark]'") \
            from None
    spark = (SparkSession.builder.master(master).appName("kprules")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    spark.sparkContext.setLogLevel("FATAL")
    for key, value in {**EXACT_DECIMALS, **CASE_SENSITIVE}.items():
        spark.conf.set(key, value)
    return spark


def inexact_settings(spark: Any) -> list[str]:
    """The `EXACT_DECIMALS` settings the session does not have, as `key=value`."""
    return [f"{k}={v}" for k, v in EXACT_DECIMALS.items()
            if str(spark.conf.get(k, None)).lower() != v]


def with_all_facts(df: Any, vocabulary: ir.Vocabulary) -> Any:
    """The DataFrame with a NULL column (of the fact's type) for every fact it lacks."""
    from pyspark.sql import functions as f

    present = set(df.columns)
    for name, info in sorted(vocabulary.facts.items()):
        if name not in present:
            df = df.withColumn(name, f.expr(_null(info.type)))
    return df


def evaluate_dataframe(df: Any, layout: Layout, vocabulary: ir.Vocabulary, *,
                       keep: Sequence[str] = (), as_of: dt.date | None = None) -> Any:
    """Every target of `layout` on each row of `df`, as a DataFrame (see the module's doc).

    The evaluation date of a row is its `dated by` fact, else `as_of`, else unknown.
    ValueError when the policies add, subtract or multiply decimals and the session lacks
    `EXACT_DECIMALS` (Spark would round the values; kprules does not change your session)."""
    df = with_all_facts(df, vocabulary)
    view = f"kprules_facts_{next(_views)}"
    query = compile_sql(layout, dialect=SPARK, source=SPARK.ident(view), keep=keep,
                        as_of=as_of, as_of_fact=vocabulary.dated_by)
    missing = inexact_settings(df.sparkSession) if query.decimal_arithmetic else []
    if missing:
        raise ValueError("the policies compute with decimals, which this Spark session would "
                         "round: set " + " and ".join(missing) + " (docs/scale.md)")
    df.createOrReplaceTempView(view)
    return df.sparkSession.sql(query.sql)


def spark_query(layout: Layout, vocabulary: ir.Vocabulary, source: str, keep: Sequence[str],
                as_of: dt.date | None) -> SqlQuery:
    return compile_sql(layout, dialect=SPARK, source=source, keep=keep, as_of=as_of,
                       as_of_fact=vocabulary.dated_by)


# ----------------------------------------------------------------------------- Parquet


def _typed(column: str, column_type: str, t: Type) -> tuple[str, str]:
    """(typed value, ok) of a Parquet column (Spark type name) for a fact of type `t`."""
    kind = column_type.lower()
    cast: str | None = None
    if t == BOOL and kind == "boolean":
        cast = column
    elif t == INTEGER and kind in ("tinyint", "smallint", "int", "bigint"):
        cast = f"CAST({column} AS BIGINT)"
    elif (t == DECIMAL or isinstance(t, Quantity)) and (
            kind in ("tinyint", "smallint", "int", "bigint") or kind.startswith("decimal")):
        # not a DOUBLE or FLOAT: Python reads one as its shortest decimal, which Spark's
        # cast (of the binary value) is not; the Python check takes those rows
        cast = declared_decimal(column, kind, f"try_cast({column} AS {DECIMAL_TYPE})")
    elif t == DATE and kind == "date":
        cast = python_date(column)
    elif isinstance(t, SetType) and kind == "array<string>":
        items = ", ".join(SPARK.string(v) for v in allowed(t) or [])
        ok = f"(size(array_except({column}, array({items}))) = 0)"
        return f"(CASE WHEN {ok} THEN array_sort(array_distinct({column})) END)", ok
    elif kind == "string" and not isinstance(t, SetType) and (
            allowed(t) is not None or t == TEXT):  # other facts' text is Python's to read
        values = allowed(t)
        ok = "TRUE" if values is None else \
            f"({column} IN ({', '.join(SPARK.string(v) for v in values)}))"
        value = fold_space_sql(column, SPARK) if t == TEXT else column
        return f"(CASE WHEN {ok} THEN {value} END)", ok
    if cast is None:  # a column of another type: every value is Python's to judge
        return _null(t), f"({column} IS NULL)"
    return cast, f"({column} IS NULL OR {cast} IS NOT NULL)"


def _null(t: Type) -> str:
    """A NULL of the fact's type (an untyped NULL is Spark's NullType, which `array_contains`
    and other functions refuse)."""
    return f"CAST(NULL AS {sql_type(t, SPARK)})"


def checked_parquet(spark: Any, path: str, vocabulary: ir.Vocabulary) -> Any:
    """A Parquet file (or a dataset: a folder of them) as a DataFrame: `_row` (the row in its
    file, from 1), `_file` (the file's path: with `_row`, where a refused row is), `_id`, a
    typed column per fact, `_ok`, and the file's columns as `_raw_<name>`."""
    from pyspark.sql import functions as f

    df = spark.read.parquet(path)
    types = dict(df.dtypes)
    df = df.select("*", f.col("_metadata.row_index").alias("_kprules_row"),
                   f.col("_metadata.file_path").alias("_kprules_file"))
    view = f"kprules_raw_{next(_views)}"
    df.createOrReplaceTempView(view)
    q = SPARK.ident
    typed, oks = [], []
    for name, info in sorted(vocabulary.facts.items()):
        if name in types:
            value, ok = _typed(q(name), types[name], info.type)
        else:
            value, ok = _null(info.type), "TRUE"
        typed.append(f"{value} AS {q(name)}")
        oks.append(ok)
    ident = "CAST(NULL AS STRING)"
    if "id" not in vocabulary.facts and "id" in types:
        ident = f"CAST({q('id')} AS STRING)"
        oks.append(f"({q('id')} IS NULL OR {SPARK.string(types['id'])} IN "
                   "('string', 'bigint', 'int'))")
    raw = ", ".join(f"{q(c)} AS {q('_raw_' + c)}" for c in types)
    return spark.sql(
        f"SELECT _kprules_row + 1 AS _row, _kprules_file AS _file, CAST(NULL AS BIGINT) AS _line, "
        f"NULLIF({ident}, '') AS _id, {', '.join(typed)}, ({' AND '.join(oks)}) IS TRUE AS _ok, "
        f"{raw} "
        f"FROM {q(view)}")


def spark_type(t: Type) -> Any:
    """The pyspark type of a fact of type `t` (kprules.sql.types)."""
    from pyspark.sql import types as st

    if t == BOOL:
        return st.BooleanType()
    if t == INTEGER:
        return st.LongType()
    if t == DECIMAL or isinstance(t, Quantity):
        return st.DecimalType(38, 12)
    if t == DATE:
        return st.DateType()
    if isinstance(t, SetType):
        return st.ArrayType(st.StringType())
    return st.StringType()


def _value(value: Any, t: Type) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and (
            t == DECIMAL or isinstance(t, Quantity)):
        return Decimal(value)
    return value


def dataframe(spark: Any, vocabulary: ir.Vocabulary, records: Sequence[Any]) -> Any:
    """Validated fact sets (as `kprules.eval.evaluate.validate` returns them) as a DataFrame
    with `_row` (0-based) and one typed column per fact."""
    from pyspark.sql import types as st

    names = sorted(vocabulary.facts)
    schema = st.StructType([st.StructField("_row", st.LongType()), *(
        st.StructField(n, spark_type(vocabulary.facts[n].type)) for n in names)])
    types = [vocabulary.facts[n].type for n in names]
    rows = [(i, *(_value(to_sql(r.get(n)), t) for n, t in zip(names, types, strict=True)))
            for i, r in enumerate(records)]
    return spark.createDataFrame(rows, schema)


def _held(column: str, kind: str, shape: str, i: int) -> list[str]:
    """A raw column as `v<i>`, and `o<i>`: whether its value is a date or a time Python cannot
    hold (a year before 1 or after 9999, which a Parquet file may have: Spark's rows would fail
    to reach Python), then NULL in `v<i>`. A list, struct or map holding dates or times
    (`shape`: Spark's type) comes as its JSON text (`_from_json`): refused all the same."""
    q = SPARK.ident(column)
    if kind in ("array", "struct", "map") and ("date" in shape or "timestamp" in shape):
        return [f"to_json({q}) AS v{i}", f"FALSE AS o{i}"]
    if kind not in ("date", "timestamp", "timestamp_ntz"):
        return [f"{q} AS v{i}", f"FALSE AS o{i}"]
    inside = f"coalesce({in_python_years(q)}, {q} IS NULL)"
    return [f"CASE WHEN {inside} THEN {q} END AS v{i}", f"NOT {inside} AS o{i}"]


def _from_json(value: Any, kind: str) -> Any:
    """A raw value as the Python reader gives it: one `_held` gave as JSON text read back; a
    map (a dict to Spark) as pyarrow gives one, a list of (key, value)."""
    if kind in ("array", "struct", "map") and isinstance(value, str):
        value = json.loads(value)
    return list(value.items()) if kind == "map" and isinstance(value, dict) else value


class SparkFile:
    """A Parquet file (or folder of them) opened in Spark, with the interface of
    `kprules.sql.files.SqlFile`: refused records, fixed ones, the query, failures, results."""

    def __init__(self, path: str, vocabulary: ir.Vocabulary, spark: Any = None) -> None:
        self.spark = spark or session()
        self.vocabulary = vocabulary
        self.checked = checked_parquet(self.spark, path, vocabulary)
        self.view = f"kprules_checked_{next(_views)}"
        self.checked.createOrReplaceTempView(self.view)
        self.header = [c.removeprefix("_raw_") for c in self.checked.columns
                       if c.startswith("_raw_")]
        self.fixed_view: str | None = None

    @property
    def records(self) -> int:
        return int(self.checked.count())

    def refused(self) -> Iterator[Raw]:
        from kprules.sql.files import Raw

        types = {f.name: f.dataType for f in self.checked.schema.fields}
        kinds = [types[f"_raw_{c}"].typeName() for c in self.header]
        raw = [e for i, c in enumerate(self.header)
               for e in _held(f"_raw_{c}", kinds[i], types[f"_raw_{c}"].simpleString(), i)]
        rows = self.checked.filter("NOT _ok").selectExpr("_row", *raw).orderBy("_row")
        for row in rows.toLocalIterator():
            fields = {c: OUT_OF_RANGE if row[f"o{i}"] else _from_json(row[f"v{i}"], kinds[i])
                      for i, c in enumerate(self.header)}
            yield Raw(row[0], None, None, fields)

    def add_fixed(self, rows: Sequence[tuple[Raw, Fixed]]) -> None:
        if not rows:
            return
        from kprules.sql.files import exact

        exact(rows)  # ReadError: the file is evaluated in Python
        records = [fx.facts for _, fx in rows]
        df = dataframe(self.spark, self.vocabulary, records)
        numbers = {i: (raw.number, fx.id) for i, (raw, fx) in enumerate(rows)}
        pairs = self.spark.createDataFrame(
            [(i, n, rid) for i, (n, rid) in numbers.items()], "_i long, _n long, _id string")
        df = df.join(pairs, df["_row"] == pairs["_i"]).drop("_row", "_i") \
            .withColumnRenamed("_n", "_row")
        self.fixed_view = f"kprules_fixed_{next(_views)}"
        df.createOrReplaceTempView(self.fixed_view)

    def source(self) -> str:
        q = SPARK.ident
        facts = ", ".join(q(n) for n in sorted(self.vocabulary.facts))
        valid = f"SELECT _row, CAST(NULL AS BIGINT) AS _line, _id, {facts} FROM {q(self.view)} " \
                "WHERE _ok"
        if self.fixed_view is None:
            return f"({valid})"
        return (f"({valid} UNION ALL SELECT _row, CAST(NULL AS BIGINT) AS _line, _id, {facts} "
                f"FROM {q(self.fixed_view)})")

    def query(self, layout: Layout, as_of: dt.date | None) -> SqlQuery:
        return spark_query(layout, self.vocabulary, self.source(), ["_row", "_line", "_id"],
                           as_of)

    def failed(self, query: SqlQuery) -> list[tuple[int, int | None, dict[str, Any]]]:

        if not query.divisions:
            return []
        names = sorted(self.vocabulary.facts)
        out = self.spark.sql(query.sql).filter("_kp500 IS NOT NULL").select("_row")
        src = self.spark.sql(f"SELECT * FROM {self.source()}")
        rows = src.join(out, "_row").orderBy("_row").collect()
        types = [self.vocabulary.facts[n].type for n in names]
        return [(r["_row"], None, {n: from_sql(r[n], t) for n, t in zip(names, types,
                                                                         strict=True)
                                   if r[n] is not None}) for r in rows]

    def results(self, query: SqlQuery, layout: Layout) -> Iterator[Result]:
        from kprules.sql.files import Result

        types = [layout.terms[k].term.type for k in query.targets]
        n = len(types)
        rows = self.spark.sql(query.sql).filter("_kp500 IS NULL").orderBy("_row")
        for row in rows.toLocalIterator():
            values = tuple(from_sql(v, t) for v, t in zip(row[4:4 + n], types, strict=True))
            yield Result(row[0], None, row[2], row[3], values)
