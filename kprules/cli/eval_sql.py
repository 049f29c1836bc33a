"""`kprules eval --engine duckdb`: a data file opened in DuckDB (kprules.sql.files).

Effects only: choosing the engine, opening the file in DuckDB, handing the records SQL refuses to
the Python reader's check (kprules.cases.bulk.RecordChecker) for their diagnostics. Writing and
reporting are `kprules.cli.eval_cmd`'s, as on the Python path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from kprules.cli.inputs import report
from kprules.core.shared_repr import SharedRepr

if TYPE_CHECKING:
    from kprules import ir
    from kprules.cases.bulk import BadRecord, RecordChecker
    from kprules.cli.plan_cache import PlanKey
    from kprules.eval.evaluate import Evaluator
    from kprules.sql.compile import SqlQuery
    from kprules.sql.fast import Plan
    from kprules.sql.files import Raw, SqlFile
    from kprules.sql.progress import QueryProgress
    from kprules.sql.spark import SparkFile
    from kprules.syntax.loader import Workspace

# Above this size (bytes), `--engine auto` reads a data file with DuckDB when it is installed.
AUTO_THRESHOLD = 8 * 1024 * 1024


def duckdb_available() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


def choose_engine(engine: str, path: Path) -> str:
    if engine != "auto":
        return engine
    big = path.is_file() and path.stat().st_size >= AUTO_THRESHOLD
    return "duckdb" if big and duckdb_available() else "python"


# Whether `kprules eval` tries the one pass (kprules.sql.fast) before the robust path; the tests
# turn it off to compare the two.
ONE_PASS = True


def one_pass(path: Path, ev: Evaluator, as_of: dt.date | None, output: Path, fmt: str,
             watch: QueryProgress | None = None, keep_as: PlanKey | None = None,
             workspace: Workspace | None = None) -> int | None:
    """The number of records of a data file evaluated and written to `output` in one pass;
    None, with nothing written, when the robust path (`prepare`) must run. `watch`: shows the
    progress of the statement (and turns Ctrl-C into KeyboardInterrupt, not a fallback).
    `keep_as`: the key under which the plan is kept once it ran, with the modules `workspace`
    found by searching (kprules.cli.plan_cache)."""
    from kprules.cases.bulk import data_format
    from kprules.core.files import display_name
    from kprules.sql.fast import fact_types, make_plan

    kind = data_format(path)
    if not ONE_PASS or kind is None or not path.is_file():
        return None
    header: list[str] = []
    if kind == "csv":
        found = _csv_header(path, ev, display_name(path))
        if found is None:
            return None
        header = found
    plan = make_plan(fact_types(ev.vocabulary), ev.layout, as_of, ev.vocabulary.dated_by,
                     kind, fmt)
    written = run_plan(plan, path, header, output, watch)
    if written is not None and keep_as is not None and workspace is not None:
        from kprules.cli.plan_cache import keep

        keep(keep_as, plan, workspace)
    return written


def run_plan(plan: Plan, path: Path, header: list[str], output: Path,
             watch: QueryProgress | None = None) -> int | None:
    """The records written by one pass of `plan`; None, with nothing written, when it stops."""
    from kprules.sql.fast import NotFast, run

    try:
        return run(plan, path, output, header, watch.watch if watch is not None else None)
    except NotFast:
        if watch is not None and watch.interrupted:
            raise KeyboardInterrupt from None
        return None


def _csv_header(path: Path, ev: Evaluator, name: str) -> list[str] | None:
    """The columns of a CSV file; None when the Python reader finds its header wrong (the
    Python path reports it)."""
    from kprules.cases.bulk import DataError

    try:
        return csv_header(path, ev.vocabulary, name)
    except DataError:
        return None


def csv_header(path: Path, vocabulary: ir.Vocabulary, name: str) -> list[str]:
    """The columns of a CSV file, once the Python reader has checked its header (`DataError`
    with its diagnostics otherwise: an unknown fact, a column given twice, no header)."""
    from kprules.cases.bulk import read_data

    next(read_data(path, vocabulary, name), None)  # reads and checks the header
    return csv_columns(path)


def csv_columns(path: Path) -> list[str]:
    """The columns of a CSV file whose header the Python reader has checked."""
    import csv

    # the header is valid UTF-8 (the Python reader checked it); what follows need not be, and
    # the reader decodes a buffer beyond the header: a bad byte there is for the records' check
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        return [c.strip() for c in next(csv.reader(fh))]


class WrongHeader(Exception):
    """A CSV header or Parquet columns the Python reader refuses: the Python path reports them
    and writes what it writes for such a file (an output of the header alone)."""


def open_file(path: Path, fmt: str, ev: Evaluator, name: str,
              watch: QueryProgress | None = None) -> SqlFile:
    """The file in DuckDB; `WrongHeader` (nothing reported) when its header or columns are
    wrong. Raises `ReadError` when DuckDB cannot read it as a whole. `watch`: shows the
    progress of the statements on the file's connection."""
    from kprules.cases.bulk import header_problems
    from kprules.sql.duck import connect
    from kprules.sql.files import SqlFile

    header: list[str] = []
    if fmt == "csv":
        found = _csv_header(path, ev, name)
        if found is None:
            raise WrongHeader(name)
        header = found
    con = connect()
    if watch is not None:
        watch.watch(con)
    file = SqlFile(path, fmt, ev.vocabulary, header, con=con)
    if fmt == "parquet" and header_problems(file.header, ev.vocabulary):
        con.close()
        raise WrongHeader(name)
    return file


@frozen(repr=False)
class Prepared(SharedRepr):
    """A data file in DuckDB, ready to write: the query, the records Python reported (in
    order), the records whose evaluation divides by zero (number, line, typed facts)."""

    file: SqlFile | SparkFile
    query: SqlQuery
    bad: list[BadRecord]
    failed: list[tuple[int, int | None, dict[str, Any]]]
    name: str

    kind: str
    where: Callable[[int], str]  # where record N is, when it has no line (`_locator`)
    complete: bool = True  # False: the refused records are not looked for yet

    @property
    def records(self) -> int:
        from kprules.sql.spark import SparkFile

        if isinstance(self.file, SparkFile):
            return self.file.records
        return self.file.total() or \
            int(self.file.con.execute("SELECT count(*) FROM checked").fetchone()[0])


def prepare(path: Path, ev: Evaluator, as_of: dt.date | None, engine: str = "duckdb",
            optimistic: bool = False, watch: QueryProgress | None = None,
            ) -> Prepared | int | None:
    """Open, validate and compile; 1 when the file's header is wrong (Spark: reported), None
    when DuckDB cannot read the file (take the Python path), `WrongHeader` when the Python
    path is to report its header (DuckDB). `engine`: duckdb, or spark (Parquet
    only). `optimistic`: do not look for refused records yet (`complete` does), so that a
    Parquet file written with `copy` is read once when every record is valid. `watch`: the
    progress of DuckDB's statements."""
    from kprules.cases.bulk import RecordChecker, data_format
    from kprules.core.files import display_name
    from kprules.sql.files import ReadError, evaluate_file

    name = display_name(path)
    kind = data_format(path) or "jsonl"
    try:
        file: SqlFile | SparkFile | None = open_spark(path, ev, watch) \
            if engine == "spark" else open_file(path, kind, ev, name, watch)
        if file is None:
            return 1
        where = _locator(file, path, kind, name)
        if optimistic and kind == "parquet" and engine == "duckdb":
            query = file.query(ev.layout, as_of)
            return Prepared(file, query, [], file.failed(query), name, kind, where, False)
        check = RecordChecker(ev.vocabulary)
        bad, query = evaluate_file(file, ev.layout, as_of,
                                   lambda raw: _recheck(raw, kind, name, check, where))
        return Prepared(file, query, bad, file.failed(query), name, kind, where)
    except ReadError:
        return None
    except Exception as err:  # the engine stopped the query (a product SQL would round)
        if not engine_error(err):
            raise
        return None


def engine_error(err: BaseException) -> bool:
    """Whether an exception is one of the SQL engines' own (DuckDB's, Spark's): the query
    stopped, and the Python path is to evaluate the file."""
    return type(err).__module__.split(".")[0] in ("duckdb", "_duckdb", "pyspark", "py4j")


def complete(prepared: Prepared, ev: Evaluator, as_of: dt.date | None) -> Prepared:
    """An optimistic preparation with its refused records looked for (and fixed ones added)."""
    from kprules.cases.bulk import RecordChecker
    from kprules.sql.files import evaluate_file

    name, kind, where = prepared.name, prepared.kind, prepared.where
    check = RecordChecker(ev.vocabulary)
    bad, query = evaluate_file(prepared.file, ev.layout, as_of,
                               lambda raw: _recheck(raw, kind, name, check, where))
    return Prepared(prepared.file, query, bad, prepared.file.failed(query), name, kind, where)


def open_spark(path: Path, ev: Evaluator, watch: QueryProgress | None = None,
               ) -> SparkFile | None:
    """The Parquet file in Spark; None (after reporting) when its columns are wrong. `watch`:
    shows the progress of the session's jobs (and cancels them on Ctrl-C)."""
    from kprules.cases.bulk import header_problems
    from kprules.sql.spark import SparkFile, session

    spark = session()
    if watch is not None:
        watch.watch_spark(spark)
    file = SparkFile(str(path), ev.vocabulary, spark)
    problems = header_problems(file.header, ev.vocabulary)
    if problems:
        report(problems, {})
        return None
    return file


def _locator(file: SqlFile | SparkFile, path: Path, fmt: str, name: str) -> Callable[[int], str]:
    """Where record N of the file is, when it has no line: for Parquet ` (NAME, row group G,
    row R)` (kprules.cases.parquet.place), the row groups from the file's metadata, looked up
    at the first call: DuckDB's, or pyarrow's for Spark (one file, when pyarrow is installed)."""
    from kprules.cases.parquet import file_row_groups, locator
    from kprules.sql.files import SqlFile

    if fmt != "parquet":
        return lambda number: f" of {name}"
    if isinstance(file, SqlFile):
        return locator(name, file.row_groups)
    return locator(name, lambda: file_row_groups(path))


def _recheck(raw: Raw, fmt: str, name: str, check: RecordChecker,
             where: Callable[[int], str]) -> Any:
    from kprules.cases.bulk import Record
    from kprules.sql.files import Fixed

    at = where(raw.number) if fmt == "parquet" else ""
    checked = check(fmt, raw.text, raw.fields, raw.number, raw.line, name, at)
    if isinstance(checked, Record):
        return Fixed(checked.id, dict(checked.facts))
    return checked
