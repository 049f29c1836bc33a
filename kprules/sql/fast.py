"""One pass over a data file whose records are all valid: read, validate, evaluate and write in
a single DuckDB statement (no table of the records, no second scan).

Stage: a data file (JSON Lines, CSV, Parquet), a vocabulary, a compiled layout -> an output file
(CSV, JSON Lines, Parquet), or `NotFast` and nothing written. Effects: DuckDB reads the data file
and writes a file next to the output, renamed onto it once complete (the output appears whole or
not at all).

The pass is optimistic. The statement checks every record with the SQL validation of the robust
path (kprules.sql.validate: for a present value, the typed value is NULL exactly when the robust
path refuses it) and stops with `error()` at the first record the robust path would hand to
Python, and at the first division by zero (KP500). DuckDB's own errors stop it too: a JSON line
that is not one object, with an unknown or repeated key (`read_json` in auto-detect mode refuses
a key its sample did not show). It does not start on a file that may have a line longer than
the Python readers read (KP491; `core.files.may_have_long_line`: DuckDB's
`maximum_object_size` does not stop such a line). Then, or when the file's columns do not fit
(an unknown column: its diagnostic is the robust path's), the caller takes the robust path
(kprules.sql.files), which locates and reports every problem. So what the pass writes is what
the robust path writes for the same file.

JSON values: `read_json` with `maximum_depth=1` gives each top-level field as its JSON text,
the text `json_transform` gives the robust path (the same parser and writer; the tests compare
them on generated lines). Numbering as the Python readers: records from 1 in file order, blank
lines skipped; a JSON Lines record's line is its number when the file has no blank line (the
JSON Lines output, which has lines, is kept only then); a CSV record's line is its row + 1.

Two statements, so that both cores work: numbering records in the statement that reads them
(`WITH ORDINALITY`, `row_number() OVER ()`) makes DuckDB read, validate and evaluate on one
thread. So the first statement evaluates every record into a temporary table, in parallel and
unnumbered (DuckDB keeps the file's order on insertion: its "order preservation" guarantee for
SELECT and WHERE over one table function), and the second writes the output from that table,
numbering each record by its `rowid` (its place in that order). A Parquet file needs neither
the table nor the second statement: DuckDB's Parquet reader numbers each row itself
(`file_row_number`), in parallel, and one `COPY` reads, evaluates and writes. Both `COPY`s
sort by that number: DuckDB keeps the order of a plain projection, but the CASE that makes a
CSV cell safe from spreadsheets let it write rows out of order (the order test fails then).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from kprules import ir
from kprules.core.files import count_lines, may_have_long_line, written_beside
from kprules.core.limits import MAX_RECORD_BYTES
from kprules.core.shared_repr import SharedRepr
from kprules.ir.slots import Layout
from kprules.ir.types import Type
from kprules.sql.compile import ERROR, compile_sql
from kprules.sql.dialect import DUCKDB
from kprules.sql.duck import connect
from kprules.sql.types import sql_type
from kprules.sql.validate import (
    column_typed,
    csv_row_ok,
    json_id,
    json_typed,
    text_fact,
    text_typed,
    typed_fact,
)

ID_FIELD = "id"
EVALUATED = "_kprules_evaluated"  # the temporary table of the evaluated, unnumbered records
FILE_ROW = "_file_row"  # a Parquet record's row in the file, from 0 (`file_row_number`)
# The records read_json samples for the fields (twice: the DESCRIBE, then the statement): a
# field first seen later stops the pass. 4,096 rather than DuckDB's 20,480: each sampling
# takes 0.03 s instead of 0.1 s.
JSON_SAMPLE = 4096
LINE = {"jsonl": 0, "csv": 1}  # a record's line is its number plus this (Parquet: no line)
OPTIONS = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json", "parquet": "FORMAT parquet"}


class NotFast(Exception):
    """The one pass does not apply to this file, or it stopped: nothing was written."""


def _q(name: str) -> str:
    return DUCKDB.ident(name)


def _path(path: Path) -> str:
    return DUCKDB.string(str(path))


@frozen(repr=False)
class Plan(SharedRepr):
    """What one pass runs, made from the checked policies (`make_plan`) for one data format
    and one output format: the facts' types, the evaluating query with `slot` where the
    records go, whether it divides or multiplies decimals (then a division by zero, or a
    product SQL would round, stops it: `SqlQuery.checks`), and the output columns. Plain
    texts and types, so that a plan can be kept (kprules.sql.plan_json)."""

    facts: Mapping[str, Type]
    sql: str
    slot: str
    divides: bool
    select: str
    data_fmt: str
    out_fmt: str


def make_plan(facts: Mapping[str, Type], layout: Layout, as_of: dt.date | None,
              dated_by: str | None, data_fmt: str, out_fmt: str) -> Plan:
    """The plan of one pass over `data_fmt` records (jsonl, csv, parquet) written as
    `out_fmt` (csv, json, parquet)."""
    from kprules.sql.files import output_select

    numbered = data_fmt == "parquet"  # numbered by the reader, in parallel (`FILE_ROW`)
    slot = f"__kprules_records_{uuid.uuid4().hex}__"
    query = compile_sql(layout, source=slot, keep=["_id", FILE_ROW] if numbered else ["_id"],
                        as_of=as_of, as_of_fact=dated_by)
    return Plan(dict(facts), query.sql, slot, query.checks,
                output_select(query, layout, out_fmt), data_fmt, out_fmt)


def fact_types(vocabulary: ir.Vocabulary) -> dict[str, Type]:
    """Each fact's type, by name."""
    return {name: fact.type for name, fact in vocabulary.facts.items()}


def one_pass(path: Path, fmt: str, vocabulary: ir.Vocabulary, layout: Layout,
             as_of: dt.date | None, output: Path, out_fmt: str,
             header: Sequence[str] = (), watch: Callable[[Any], Any] | None = None) -> int:
    """Evaluate every record of a data file (`fmt`: jsonl, csv with its `header`, parquet) and
    write the values to `output` (`out_fmt`: csv, json, parquet) as the robust path writes them;
    the number of records. `NotFast` when a record is not valid, a division by zero, a value SQL
    cannot hold, or a file the pass does not read: nothing is written then. `watch` is given
    the connection (kprules.sql.progress.QueryProgress.watch: progress, Ctrl-C)."""
    plan = make_plan(fact_types(vocabulary), layout, as_of, vocabulary.dated_by, fmt, out_fmt)
    return run(plan, path, output, header, watch)


def run(plan: Plan, path: Path, output: Path, header: Sequence[str] = (),
        watch: Callable[[Any], Any] | None = None) -> int:
    """`one_pass` with its plan made: the same outcomes."""
    if plan.sql.count(plan.slot) != 1:
        raise NotFast("a plan without one place for the records")
    if plan.data_fmt != "parquet" and may_have_long_line(path, MAX_RECORD_BYTES):
        raise NotFast("a line longer than the Python readers read (KP491)")
    con = connect()
    if watch is not None:
        watch(con)
    try:
        con.execute("SET preserve_insertion_order = true")  # DuckDB's default, relied upon
        fmt, numbered = plan.data_fmt, plan.data_fmt == "parquet"
        source = records(con, path, fmt, plan.facts, header, numbered=numbered)
        sql = plan.sql.replace(plan.slot, f"({source})")
        if numbered:
            relation = f"(SELECT {FILE_ROW} + 1 AS _row, CAST(NULL AS BIGINT) AS _line, * " \
                f"FROM ({sql}){_stop(plan.divides)})"
        else:
            _evaluate(con, sql, plan.divides)
            relation = _numbered(LINE.get(fmt))
        return _write(con, plan.select, output, plan.out_fmt, relation,
                      path if fmt in LINE and plan.out_fmt == "json" else None, LINE.get(fmt, 0))
    except NotFast:
        raise
    except Exception as err:  # duckdb's errors: a record or a value the pass does not take
        if type(err).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
            raise
        raise NotFast(str(err)) from None
    finally:
        con.close()


def _stop(divides: bool) -> str:
    """The WHERE clause that stops the statement at a division by zero (none without one)."""
    return f" WHERE CASE WHEN {_q(ERROR)} IS NULL THEN TRUE ELSE error('kprules: division " \
        "by zero') END" if divides else ""  # _kp500 itself stops at a product SQL would round


def _evaluate(con: Any, sql: str, divides: bool) -> None:
    """Every record's values into the temporary table `EVALUATED`, in file order, unnumbered;
    a division by zero stops the statement."""
    con.execute(f"CREATE TEMP TABLE {EVALUATED} AS SELECT * FROM ({sql}){_stop(divides)}")


def _numbered(line: int | None) -> str:
    """`EVALUATED` with `_row` (from 1, in file order) and `_line` (`_row` + `line`)."""
    at = "CAST(NULL AS BIGINT)" if line is None else f"rowid + {line + 1}"
    return f"(SELECT rowid + 1 AS _row, {at} AS _line, * FROM {EVALUATED})"


def _write(con: Any, select: str, output: Path, fmt: str, relation: str,
           lines_of: Path | None, first: int = 0) -> int:
    """COPY the `select` columns of the evaluated, numbered records (`relation`: `_row`,
    `_line` and the query's columns, in file order) to a file beside `output`, put in its place
    once whole (and, for `lines_of`, once its records are known to be its lines after the
    `first`: no blank line, no CSV cell with a line break)."""
    with written_beside(output) as part:  # put in place as atomic_binary writes
        # ORDER BY: DuckDB keeps the order of a plain projection, but not of every one (the
        # CASE that makes a CSV cell safe let it write rows out of order)
        row = con.execute(f"COPY (SELECT {select} FROM {relation} ORDER BY _row) "
                          f"TO {_path(part)} ({OPTIONS[fmt]})").fetchone()
        written = int(row[0])
        if lines_of is not None and count_lines(lines_of) != written + first:
            raise NotFast("records and lines are numbered apart")
    return written




# ----------------------------------------------------------------------------- sources


def records(con: Any, path: Path, fmt: str, facts: Mapping[str, Type],
            header: Sequence[str] = (), numbered: bool = False) -> str:
    """The records of a data file as a relation `_id, <facts>`, typed, in file order,
    unnumbered (numbering them here would make DuckDB read on one thread): the one pass's
    source, and the comparison summary's. A record the robust path would not accept stops the
    statement that reads it (a DuckDB error); `NotFast` when the file's columns do not fit.
    `numbered` (Parquet only): with `FILE_ROW`, the record's row in the file from 0, which
    DuckDB's Parquet reader gives without a thread of its own."""
    if fmt == "jsonl":
        return _jsonl(con, path, facts)
    if fmt == "csv":
        return _csv(path, facts, header)
    return _parquet(con, path, facts, numbered)


def _checked(source: str, typed: dict[str, tuple[str, str]], ident: str, id_ok: str,
             facts: Mapping[str, Type], carry: Sequence[tuple[str, str]] = ()) -> str:
    """Typed facts (`typed`: name -> (typed or NULL, present)) from `source`, with a stop at
    the first record whose present value does not fit; `carry`: (expression, name) columns
    kept."""
    # an empty id is no id, as the Python readers read it
    inner = [f"NULLIF({ident}, '') AS _id", *(f"{e} AS {n}" for e, n in carry),
             f"{id_ok} AS _id_ok"]
    checks = ["_id_ok"]
    for i, name in enumerate(sorted(facts)):
        kind = sql_type(facts[name], DUCKDB)
        value, present = typed.get(name, ("NULL", "FALSE"))
        inner.append(f"CAST({value} AS {kind}) AS {_q(name)}")
        if present != "FALSE":
            inner.append(f"{present} AS _p{i}")
            checks.append(f"(NOT _p{i} OR {_q(name)} IS NOT NULL)")
    columns = ", ".join(_q(n) for n in sorted(facts))
    stop = f"CASE WHEN {' AND '.join(checks)} THEN TRUE ELSE error('kprules: a record SQL " \
        "does not accept') END"
    kept = "".join(f"{n}, " for _, n in carry)
    return f"SELECT _id, {kept}{columns} FROM (SELECT {', '.join(inner)} FROM {source}) " \
        f"WHERE {stop}"


def _jsonl(con: Any, path: Path, facts: Mapping[str, Type]) -> str:
    # A line longer than the Python readers read (KP491, with its newline) is not one object.
    source = (f"read_json({_path(path)}, format='newline_delimited', maximum_depth=1, "
              f"maximum_object_size={MAX_RECORD_BYTES - 2}, sample_size={JSON_SAMPLE})")
    columns = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * "
                               f"FROM {source})").fetchall())
    id_field = ID_FIELD not in facts
    if not set(columns) <= _known(facts) or any(t != "JSON" for t in columns.values()):
        raise NotFast("a field that is not a fact")
    # JSON null is read as NULL: a value is present when it is not NULL (the robust path's
    # `present` also says no to a text `null`, which the check here would stop at)
    typed = {n: (json_typed(_q(n), facts[n]), f"({_q(n)} IS NOT NULL)")
             for n in columns if n in facts}
    ident, id_ok = json_id(_q(ID_FIELD)) if id_field and ID_FIELD in columns \
        else ("CAST(NULL AS VARCHAR)", "TRUE")
    return _checked(source, typed, ident, id_ok, facts)


def _known(facts: Mapping[str, Type]) -> set[str]:
    """The fields a record may have: the facts, and `id` unless it is a fact."""
    return {*facts, ID_FIELD}


def _csv(path: Path, facts: Mapping[str, Type], header: Sequence[str]) -> str:
    if not set(header) <= _known(facts) or len(set(header)) != len(header):
        raise NotFast("a column that is not a fact")
    types = ", ".join(f"{DUCKDB.string(c)}: 'VARCHAR'" for c in header)
    source = (f"read_csv({_path(path)}, header=true, delim=',', quote='\"', escape='\"', "
              f"auto_detect=false, columns={{{types}}})")
    typed = {n: (text_typed(_q(n), facts[n]),
                 text_fact(_q(n), facts[n])[2])
             for n in header if n in facts}
    ident = _q(ID_FIELD) if ID_FIELD not in facts and ID_FIELD in header \
        else "CAST(NULL AS VARCHAR)"
    return _checked(source, typed, ident, csv_row_ok(header), facts)


def _parquet(con: Any, path: Path, facts: Mapping[str, Type], numbered: bool = False) -> str:
    source = f"read_parquet({_path(path)})"
    columns = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}")
               .fetchall()}
    if not set(columns) <= _known(facts):
        raise NotFast("a column that is not a fact")
    typed = {n: (column_typed(_q(n), columns[n], facts[n]),
                 typed_fact(_q(n), columns[n], facts[n])[2])
             for n in columns if n in facts}
    ident, id_ok = "CAST(NULL AS VARCHAR)", "TRUE"
    if ID_FIELD not in facts and ID_FIELD in columns:
        kind = columns[ID_FIELD].split("(")[0]
        ident = f"CAST({_q(ID_FIELD)} AS VARCHAR)"
        id_ok = "TRUE" if kind in ("VARCHAR", "BIGINT", "INTEGER") else f"{_q(ID_FIELD)} IS NULL"
    if numbered:
        source = f"read_parquet({_path(path)}, file_row_number=true)"
    return _checked(source, typed, ident, id_ok, facts,
                    [("file_row_number", FILE_ROW)] if numbered else [])
