"""DuckDB: the embedded engine for the SQL back end.

Stage: compiled query (kprules.sql.compile) + data -> values. Effects: an in-process DuckDB
connection, and the folder its spill files go to. `duckdb` is an optional dependency (`pip
install 'kprules[duckdb]'`); `connect` raises `EngineMissing` without it.

`evaluate_records` evaluates validated fact sets (as `kprules.evaluate.validate` returns them)
in one query: the library's way to run many records through SQL, and what the differential
tests use.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kprules import ir
from kprules.ir.slots import Layout
from kprules.sql.compile import ERROR, SqlQuery, compile_sql
from kprules.sql.dialect import DUCKDB
from kprules.sql.types import from_sql, sql_type, to_sql

ROW = "_row"


class EngineMissing(ImportError):
    """The engine's Python package is not installed."""


def connect() -> Any:
    """An in-memory DuckDB connection. What outgrows memory (the one pass's table of values,
    the robust path's table of records, a large sort) spills to a folder of its own in this
    process's private temporary folder, not to DuckDB's default `.tmp` in the working folder
    (which may be read-only, or someone else's): DuckDB makes that folder when it first spills
    and removes it when the connection closes; the private folder goes at exit."""
    try:
        import duckdb
    except ImportError:
        raise EngineMissing("the DuckDB engine needs duckdb: pip install 'kprules[duckdb]'") \
            from None
    con = duckdb.connect()
    spill = os.path.join(_private_temp(), f"spill-{uuid.uuid4().hex[:12]}")
    con.execute(f"SET temp_directory = {DUCKDB.string(spill)}")
    return con


@functools.cache
def _private_temp() -> str:
    """A folder only this user can read (mode 0700), made once per process, removed at exit."""
    folder = tempfile.mkdtemp(prefix="kprules-duckdb-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def facts_table(con: Any, vocabulary: ir.Vocabulary, name: str = "facts") -> list[str]:
    """Create an empty table with a `_row` column and one typed column per fact."""
    q = DUCKDB.ident
    names = sorted(vocabulary.facts)
    cols = [f"{q(ROW)} BIGINT", *(f"{q(n)} {sql_type(vocabulary.facts[n].type, DUCKDB)}"
                                  for n in names)]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {q(name)} ({', '.join(cols)})")
    return names


def evaluate_records(layout: Layout, vocabulary: ir.Vocabulary,
                     records: Sequence[Mapping[str, Any]], *, as_of: dt.date | None = None,
                     con: Any = None) -> list[tuple[tuple[Any, ...], int | None]]:
    """Per record: the values of the layout's targets (None: unknown) and the number of the
    division by zero that stops its evaluation (None when it has none).

    The date of a record is `as_of` when given, else its `dated by` fact, else unknown."""
    con = con or connect()
    names = facts_table(con, vocabulary)
    kinds = ["BIGINT", *(sql_type(vocabulary.facts[n].type, DUCKDB) for n in names)]
    insert_rows(con, "facts", kinds,
                [[i, *(to_sql(r.get(n)) for n in names)] for i, r in enumerate(records)])
    query = compile_sql(layout, keep=[ROW], as_of=as_of,
                        as_of_fact=None if as_of is not None else vocabulary.dated_by)
    return read_results(con, query, layout)


def read_results(con: Any, query: SqlQuery,
                 layout: Layout) -> list[tuple[tuple[Any, ...], int | None]]:
    types = [layout.terms[k].term.type for k in query.targets]
    rows = con.execute(f"{query.sql} ORDER BY {DUCKDB.ident(ROW)}").fetchall()
    out = []
    for row in rows:
        values = row[2:2 + len(types)]
        out.append((tuple(from_sql(v, t) for v, t in zip(values, types, strict=True)),
                    row[-1]))
    assert all(isinstance(r[1], int | type(None)) for r in out), ERROR
    return out


def insert_rows(con: Any, table: str, kinds: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Python rows (values as `to_sql` gives them) into `table` (columns of these DuckDB types,
    in order) in one statement: each column a list, unnested (DuckDB's `executemany` took 13 s
    for 20,000 rows; this, 0.12 s). A decimal goes as its text and is cast by DuckDB, exactly
    (a value DECIMAL(38,12) cannot hold fails the statement, as `executemany` did)."""
    if not rows:
        return
    columns = [list(c) for c in zip(*rows, strict=True)]
    parts = []
    for i, kind in enumerate(kinds):
        if kind.startswith("DECIMAL"):
            columns[i] = [None if v is None else _decimal_text(v) for v in columns[i]]
            parts.append(f"unnest(?::VARCHAR[])::{kind}")
        else:
            parts.append(f"unnest(?::{kind}[])")
    con.execute(f"INSERT INTO {table} SELECT {', '.join(parts)}", columns)


def _decimal_text(value: Any) -> str:
    """A decimal (or a whole number) as plain text; floats are Decimals already (`to_sql`)."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)
