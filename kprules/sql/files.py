"""Data files evaluated by DuckDB: read, validated and evaluated in SQL, no Python loop over
records.

Stage: a data file (JSON Lines, CSV, Parquet), a vocabulary and a layout -> valid records'
values (an iterator, or written by DuckDB straight to a CSV, JSON Lines or Parquet file) and the
records SQL could not accept. Effects: DuckDB reads the file (and writes the output file).

Validation (kprules.sql.validate) runs in SQL; a record it does not accept is handed, with its
raw fields, to the caller's `recheck` (the Python reader's check of one record): that gives the
located diagnostics (KP4xx) of a bad record, or the typed facts of a record that SQL was too
strict for, which is then evaluated in SQL with the others. A division by zero (KP500) is
found by the query (`_kp500`); the caller re-evaluates that record in Python for its diagnostic.

This is the robust path: `kprules eval` first tries `kprules.sql.fast`, one pass that writes the
output when every record is valid, and comes here when it stops.

Numbering as the Python readers: records from 1 in file order (blank JSON lines skipped); the
line of a JSON Lines record is its line; of a CSV record, its row + 1 (one line per row; a
quoted line break shifts later numbers); Parquet records have no line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from attrs import frozen

from kprules import ir
from kprules.core.csv_places import record_places
from kprules.core.escape import FORMULA_STARTS, NUMBER
from kprules.core.files import count_lines, has_lone_carriage_return, may_have_long_line
from kprules.core.limits import MAX_RECORD_BYTES
from kprules.core.shared_repr import SharedRepr
from kprules.ir.slots import Layout
from kprules.ir.types import Type
from kprules.ir.values import OUT_OF_RANGE
from kprules.sql.compile import ERROR, SqlQuery, compile_sql
from kprules.sql.dialect import DUCKDB
from kprules.sql.duck import connect, insert_rows
from kprules.sql.types import from_sql, holds, sql_type, to_sql
from kprules.sql.validate import (
    blank_sql,
    csv_row_ok,
    in_python_years,
    json_fact,
    json_id,
    json_record,
    text_fact,
    typed_fact,
)

ID_FIELD = "id"
BATCH = 8192


@frozen(repr=False)
class Raw(SharedRepr):
    """A record SQL did not accept: its number, line, text (a JSON line; a CSV row rebuilt)
    and fields as read (CSV: every column, in header order)."""

    number: int
    line: int | None
    text: str | None
    fields: dict[str, Any]


@frozen(repr=False)
class Fixed(SharedRepr):
    """A record the Python check accepts: its id and typed facts."""

    id: str | None
    facts: dict[str, Any]


@frozen(repr=False)
class Result(SharedRepr):
    """One evaluated record: number, line, id, date, and the targets' values (None: unknown)."""

    number: int
    line: int | None
    id: str | None
    as_of: dt.date | None
    values: tuple[Any, ...]


class ReadError(Exception):
    """DuckDB could not read the file as a whole (the Python reader then locates the problem)."""


def exact(rows: Sequence[tuple[Raw, Fixed]]) -> None:
    """`ReadError` unless SQL holds every fact of the records the Python check accepted as it
    is (kprules.sql.types.holds: a decimal of more than 12 places, which SQL would round)."""
    for raw, fixed in rows:
        if not all(map(holds, fixed.facts.values())):
            raise ReadError(f"record {raw.number} holds a number SQL would round")


def _q(name: str) -> str:
    return DUCKDB.ident(name)


def _outside(column: str, kind: str) -> str:
    """Whether a DATE or TIMESTAMP column's value is outside the years Python holds (1 to
    9999), or infinite. A TIMESTAMP WITH TIME ZONE is read as UTC: its own `year()` counts the
    era (1 BC is its year 1)."""
    at = f"CAST({column} AS TIMESTAMP)" if kind == "TIMESTAMP WITH TIME ZONE" else column
    return f"NOT coalesce(isfinite({column}) AND {in_python_years(at)}, TRUE)"


def _raw(columns: Sequence[str]) -> list[tuple[str, str]]:
    """The file's own columns, kept under names of their own (`_raw_<name>`)."""
    return [(_q(c), f"_raw_{c}") for c in columns]


def _path(path: Path) -> str:
    return DUCKDB.string(str(path))


class SqlFile:
    """One data file opened in DuckDB as the view `checked`: `_row`, `_line`, `_id`, one typed
    column per fact, `_ok`, and the raw columns for records that are not `_ok`."""

    def __init__(self, path: Path, fmt: str, vocabulary: ir.Vocabulary,
                 header: Sequence[str] = (), con: Any = None) -> None:
        self.path, self.fmt, self.vocabulary = path, fmt, vocabulary
        self.con = con or connect()
        self.id_field = ID_FIELD not in vocabulary.facts
        self.header = list(header)
        self._dates: list[str] = []  # Parquet DATE and TIMESTAMP columns (`_parquet`)
        self._maps: list[str] = []  # Parquet MAP columns (`_parquet`)
        try:
            self.raw_columns = self._open()
        except Exception as err:  # duckdb's own errors: the file does not read as a whole
            raise ReadError(str(err)) from None
        self.fixed = False
        self._lines_checked = False

    # ---------------------------------------------------------------- reading

    def _open(self) -> list[str]:
        if self.fmt != "parquet" and may_have_long_line(self.path, MAX_RECORD_BYTES):
            raise ReadError("a line longer than the Python readers read")  # KP491 there
        if self.fmt == "jsonl" and has_lone_carriage_return(self.path):
            raise ReadError("a carriage return inside a line")  # DuckDB would split there
        facts = {n: i.type for n, i in self.vocabulary.facts.items()}
        if self.fmt == "jsonl":
            return self._jsonl(facts)
        if self.fmt == "csv":
            return self._csv(facts)
        return self._parquet(facts)

    def _define(self, source: str, typed: dict[str, tuple[str, str, str]], ident: str,
                record_ok: str, raw: list[tuple[str, str]], blank: str = "FALSE") -> list[str]:
        """Read the file once, into the table `checked_t`: the record's place (`_n`, `_line`),
        typed facts, `_ok`, and the raw fields of the records that are not `_ok` (only theirs).
        The view `checked` numbers the records (`_row`: blank JSON lines are not records)."""
        ok = " AND ".join([record_ok, *(f"({ok} OR NOT {present})"
                                        for _, ok, present in typed.values())])
        cols = ", ".join(f"{sql} AS {_q(n)}" for n, (sql, _, _) in typed.items())
        inner = (f"SELECT _n, _line, {blank} AS _blank, NULLIF({ident}, '') AS _id, "
                 f"{cols}, "
                 f"(({ok}) IS TRUE OR {blank}) AS _ok"
                 + "".join(f", {expr} AS {_q(name)}" for expr, name in raw) + f" FROM {source}")
        names = [_q(name) for _, name in raw]
        if self.fmt == "parquet":  # cheap to read again: a view, read in one pass with the output
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW checked_t AS {inner}")
            blanks = 0
        else:
            outer = ", ".join(f"CASE WHEN NOT _ok THEN {n} END AS {n}" for n in names)
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE checked_t AS SELECT * EXCLUDE "
                             f"({', '.join(names)}), {outer} FROM ({inner})")
            blanks = self.con.execute("SELECT count(*) FROM checked_t WHERE _blank").fetchone()[0]
        number = "row_number() OVER (ORDER BY _n)" if blanks else "_n"
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW checked AS SELECT {number} AS _row, * "
                         "EXCLUDE (_blank, _n) FROM checked_t WHERE NOT _blank")
        return [name for _, name in raw]

    def _jsonl(self, facts: dict[str, Type]) -> list[str]:
        lines = (f"read_csv({_path(self.path)}, columns={{'_text': 'VARCHAR'}}, header=false, "
                 "delim='\x01', quote='', escape='', auto_detect=false) WITH ORDINALITY")
        names = [*facts, ID_FIELD] if self.id_field else list(facts)
        struct, keys, record_ok = json_record("_text", names)
        source = (f"(SELECT ordinality AS _n, ordinality AS _line, _text, {struct} AS _s, "
                  f"{keys} AS _k FROM {lines})")
        typed = {n: json_fact(f"_s.{_q(n)}", t) for n, t in facts.items()}
        ident, id_ok = json_id(f"_s.{_q(ID_FIELD)}") if self.id_field \
            else ("CAST(NULL AS VARCHAR)", "TRUE")
        blank = blank_sql("_text")
        return self._define(source, typed, ident, f"{record_ok} AND {id_ok}",
                            [("_text", "_text")], blank)

    def _csv(self, facts: dict[str, Type]) -> list[str]:
        types = ", ".join(f"{DUCKDB.string(c)}: 'VARCHAR'" for c in self.header)
        source = (f"(SELECT ordinality AS _n, ordinality + 1 AS _line, * FROM read_csv("
                  f"{_path(self.path)}, header=true, delim=',', quote='\"', escape='\"', "
                  f"auto_detect=false, columns={{{types}}}) WITH ORDINALITY)")
        typed = {n: text_fact(_q(n), t) if n in self.header else ("NULL", "TRUE", "FALSE")
                 for n, t in facts.items()}
        ident = _q(ID_FIELD) if self.id_field and ID_FIELD in self.header \
            else "CAST(NULL AS VARCHAR)"
        raw = self._define(source, typed, ident, csv_row_ok(self.header), _raw(self.header))
        if len(self.header) == 1 and self.con.execute(
                f"SELECT count(*) FROM checked_t WHERE {_q(raw[0])} IS NULL AND NOT _ok"
        ).fetchone()[0]:
            raise ReadError("a row with no value in a file of one column (a blank line, which "
                            "is no record, or \"\")")  # the Python reader tells them apart
        return raw

    def check_lines(self) -> None:
        """`ReadError` unless the records' lines are as `_line` gives them (`lines_agree`):
        asked by outputs that give each record's line."""
        if not self.lines_agree():
            raise ReadError("records and lines are numbered apart")  # Python numbers them

    def lines_agree(self) -> bool:
        """Whether each record's line is as the Python reader numbers it. Not always so in a
        CSV file with a blank line between records or a cell with a line break (DuckDB numbers
        the records as Python does, lines as record + 1). Asked only where lines are shown."""
        if self.fmt == "csv" and not self._lines_checked:
            records = self.con.execute("SELECT count(*) FROM checked").fetchone()[0]
            if count_lines(self.path) != records + 1:
                return False
            self._lines_checked = True
        return True

    def _parquet(self, facts: dict[str, Type]) -> list[str]:
        source = f"read_parquet({_path(self.path)})"
        described = self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        columns = {row[0]: str(row[1]) for row in described}
        self.header = list(columns)
        self._dates = [n for n, kind in columns.items()
                       if kind == "DATE" or kind.startswith("TIMESTAMP")]
        self._maps = [n for n, kind in columns.items() if kind.startswith("MAP(")]
        typed = {n: typed_fact(_q(n), columns[n], t) if n in columns
                 else ("NULL", "TRUE", "FALSE") for n, t in facts.items()}
        ident, id_ok = "CAST(NULL AS VARCHAR)", "TRUE"
        if self.id_field and ID_FIELD in columns:
            kind = columns[ID_FIELD].split("(")[0]
            ident = f"CAST({_q(ID_FIELD)} AS VARCHAR)"
            id_ok = "TRUE" if kind in ("VARCHAR", "BIGINT", "INTEGER") \
                else f"{_q(ID_FIELD)} IS NULL"
        # WITH ORDINALITY, not read_parquet's file_row_number (half the cost): with that, DuckDB
        # wrote the output of `copy` out of the file's order (tests/sql/test_fast.py)
        numbered = (f"(SELECT ordinality AS _n, CAST(NULL AS BIGINT) AS _line, * "
                    f"FROM {source} WITH ORDINALITY)")
        return self._define(numbered, typed, ident, id_ok, _raw(self.header) + [
            (_outside(_q(c), columns[c]), f"_out_{c}") for c in self._dates])

    # ---------------------------------------------------------------- records SQL refuses

    def refused(self) -> Iterator[Raw]:
        """The records SQL does not accept, in order, with their raw fields."""
        raw = ["_text"] if self.fmt == "jsonl" else [_q(f"_raw_{c}") for c in self.header]
        raw += [_q(f"_out_{c}") for c in self._dates]
        cur = self.con.execute(f"SELECT _row, _line, {', '.join(raw)} FROM checked "
                               "WHERE NOT _ok ORDER BY _row")
        names = self.header if self.fmt != "jsonl" else ["_text"]
        if self.fmt == "csv":  # shown as it is written, on its line
            rows = cur.fetchall()
            places = self._places(rows)
            for row in rows:
                fields = dict(zip(names, row[2:], strict=True))
                line, shown = places.get(row[0], (row[1], _csv_text(row[2:])))
                yield Raw(row[0], line, shown, fields)
            return
        while batch := cur.fetchmany(BATCH):
            for row in batch:
                fields = dict(zip(names, row[2:2 + len(names)], strict=True))
                # a date or time Python cannot hold: DuckDB gives `infinity` as date.max
                for c, out in zip(self._dates, row[2 + len(names):], strict=True):
                    if out:
                        fields[c] = OUT_OF_RANGE
                for c in self._maps:  # as pyarrow gives a map: a list of (key, value)
                    if isinstance(fields[c], dict):
                        fields[c] = list(fields[c].items())
                text = fields.get("_text") if self.fmt == "jsonl" \
                    else _csv_text(row[2:2 + len(names)])
                yield Raw(row[0], row[1], text, {} if self.fmt == "jsonl" else fields)

    def _places(self, rows: Sequence[Any]) -> dict[int, tuple[int, str]]:
        """The line and text as written of each refused CSV record (`rows`: `_row`, ...), by
        record number, found by reading the file as the Python reader does, up to the last of
        them (kprules.core.csv_places): right also where DuckDB's `_line` is not (a blank line
        between records, a cell with a line break), without counting the file's lines."""
        return record_places(self.path, [row[0] for row in rows])

    def add_fixed(self, rows: Sequence[tuple[Raw, Fixed]]) -> None:
        """Records the Python check accepted: evaluated with the others (`ReadError` for a
        value SQL would round: the caller then evaluates the file in Python)."""
        if not rows:
            return
        exact(rows)
        names = sorted(self.vocabulary.facts)
        cols = ["_row BIGINT", "_line BIGINT", "_id VARCHAR",
                *(f"{_q(n)} {sql_type(self.vocabulary.facts[n].type, DUCKDB)}" for n in names)]
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE fixed ({', '.join(cols)})")
        kinds = ["BIGINT", "BIGINT", "VARCHAR",
                 *(sql_type(self.vocabulary.facts[n].type, DUCKDB) for n in names)]
        try:
            insert_rows(self.con, "fixed", kinds, [
                [raw.number, raw.line, fx.id, *(to_sql(fx.facts.get(n)) for n in names)]
                for raw, fx in rows])
        except Exception as err:  # a value SQL cannot hold (a decimal beyond DECIMAL(38, 12))
            if type(err).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
                raise
            raise ReadError(str(err)) from None  # the caller takes the Python path
        self.fixed = True

    def source(self) -> str:
        """The relation of accepted records, typed, in record order."""
        facts = ", ".join(_q(n) for n in sorted(self.vocabulary.facts))
        valid = f"SELECT _row, _line, _id, {facts} FROM checked WHERE _ok"
        if not self.fixed:
            return f"({valid})"
        return f"({valid} UNION ALL SELECT _row, _line, _id, {facts} FROM fixed ORDER BY _row)"

    # ---------------------------------------------------------------- evaluating

    def query(self, layout: Layout, as_of: dt.date | None) -> SqlQuery:
        return compile_sql(layout, source=self.source(), keep=["_row", "_line", "_id"],
                           as_of=as_of, as_of_fact=self.vocabulary.dated_by)

    def failed(self, query: SqlQuery) -> list[tuple[int, int | None, dict[str, Any]]]:
        """Records whose evaluation divides by zero: number, line and typed facts."""
        if not query.divisions:
            return []
        names = sorted(self.vocabulary.facts)
        rows = self.con.execute(
            f"SELECT s._row, s._line, {', '.join('s.' + _q(n) for n in names)} FROM "
            f"({query.sql}) q JOIN {self.source()} s ON q._row = s._row "
            f"WHERE q.{_q(ERROR)} IS NOT NULL ORDER BY s._row").fetchall()
        types = [self.vocabulary.facts[n].type for n in names]
        return [(r[0], r[1], {n: from_sql(v, t) for n, v, t in zip(names, r[2:], types,
                                                                   strict=True)
                              if v is not None}) for r in rows]

    def results(self, query: SqlQuery, layout: Layout) -> Iterator[Result]:
        """The values of every record that evaluates, in order."""
        types = [layout.terms[k].term.type for k in query.targets]
        n = len(types)
        cur = self.con.execute(f"SELECT * FROM ({query.sql}) WHERE {_q(ERROR)} IS NULL")
        while batch := cur.fetchmany(BATCH):
            for row in batch:
                values = tuple(from_sql(v, t) for v, t in zip(row[4:4 + n], types, strict=True))
                yield Result(row[0], row[1], row[2], row[3], values)

    def copy(self, query: SqlQuery, layout: Layout, output: Path, fmt: str) -> int:
        """Write the values straight to a file: csv, json (JSON Lines) or parquet; the number
        of records written."""
        from kprules.core.files import written_beside

        select = output_select(query, layout, fmt)
        options = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json",
                   "parquet": "FORMAT parquet"}[fmt]
        with written_beside(output) as part:  # never half a file
            # in record order, said: DuckDB keeps the order of a plain projection, but not of
            # every one (the CASE that makes a CSV cell safe let it write rows out of order)
            row = self.con.execute(f"COPY (SELECT {select} FROM ({query.sql}) WHERE "
                                   f"{_q(ERROR)} IS NULL ORDER BY _row) TO {_path(part)} "
                                   f"({options})").fetchone()
        return int(row[0])

    def total(self) -> int | None:
        """The number of records, when it is known without reading the data (Parquet)."""
        if self.fmt != "parquet":
            return None
        row = self.con.execute(f"SELECT count(*) FROM read_parquet({_path(self.path)})")
        return int(row.fetchone()[0])

    def row_groups(self) -> tuple[int, ...] | None:
        """The number of rows of each row group of a Parquet file, in order (None: not one)."""
        return row_groups(self.con, self.path) if self.fmt == "parquet" else None


def row_groups(con: Any, path: Path) -> tuple[int, ...]:
    """The number of rows of each row group of a Parquet file, in order."""
    rows = con.execute(
        "SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata("
        f"{_path(path)}) GROUP BY row_group_id ORDER BY row_group_id").fetchall()
    return tuple(int(r[1]) for r in rows)


def output_select(query: SqlQuery, layout: Layout, fmt: str) -> str:
    """The output columns, as kprules' writers write them (docs/cases.md): CSV `case,as_of,
    policy.term...` in text; JSON Lines `record, line, id, as_of, values`; Parquet typed."""
    label = "coalesce(_id, CAST(_row AS VARCHAR))"
    if fmt == "parquet":
        cols = [f"{label} AS {_q('case')}", _q("as_of"),
                *(_q(c) for c in query.columns)]
        return ", ".join(cols)
    texts = [f"{_text(_q(c), layout.terms[k].term.type, csv=fmt == 'csv')}"
             for k, c in zip(query.targets, query.columns, strict=True)]
    if fmt == "csv":
        label = f"coalesce({_csv_safe('_id')}, CAST(_row AS VARCHAR))"
        return ", ".join([f"{label} AS {_q('case')}", f"CAST(as_of AS VARCHAR) AS {_q('as_of')}",
                          *(f"{t} AS {_q(c)}" for t, c in zip(texts, query.columns,
                                                                 strict=True))])
    values = ", ".join(f"{_q(c)} := {_json(_q(c), layout.terms[k].term.type)}"
                       for k, c in zip(query.targets, query.columns, strict=True))
    return (f"_row AS record, _line AS line, _id AS id, CAST(as_of AS VARCHAR) AS as_of, "
            f"struct_pack({values}) AS {_q('values')}")


def _text(col: str, t: Type, csv: bool = False) -> str:
    """A value as text (`csv`: a cell a spreadsheet will not run, as kprules' CSV writer
    writes it)."""
    kind = sql_type(t, DUCKDB)
    if kind == "BOOLEAN":  # DuckDB's CSV writer writes true, false, and NULL as nothing
        return col
    if kind.startswith("DECIMAL"):
        return _decimal_text(col)
    text = f"array_to_string({col}, ';')" if kind.endswith("[]") else f"CAST({col} AS VARCHAR)"
    if not csv or kind in ("BIGINT", "DATE"):
        return text
    # an empty text or set is an empty cell, as Python's csv module writes it (DuckDB's
    # writer would quote it: "")
    return f"NULLIF({_csv_safe(text)}, '')"


def _csv_safe(text: str) -> str:
    """kprules.core.escape.csv_safe in SQL, from its own characters and number pattern."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    return (f"(CASE WHEN left({text}, 1) IN ({starts}) AND NOT regexp_full_match({text}, "
            f"{DUCKDB.string(NUMBER)}) THEN concat(chr(39), {text}) ELSE {text} END)")


def _json(col: str, t: Type) -> str:
    kind = sql_type(t, DUCKDB)
    if kind.startswith("DECIMAL"):
        return _decimal_text(col)
    if kind == "DATE":
        return f"CAST({col} AS VARCHAR)"
    return col


def _decimal_text(col: str) -> str:
    """A decimal without trailing zeros: 0.5, 2."""
    return f"rtrim(rtrim(CAST({col} AS VARCHAR), '0'), '.')"


def _csv_text(cells: Sequence[Any]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(["" if c is None else c for c in cells])
    return out.getvalue()


class Opened(Protocol):
    """A data file opened by an engine (SqlFile, or kprules.sql.spark.SparkFile)."""

    def refused(self) -> Iterator[Raw]: ...

    def add_fixed(self, rows: Sequence[tuple[Raw, Fixed]]) -> None: ...

    def query(self, layout: Layout, as_of: dt.date | None) -> SqlQuery: ...


def evaluate_file(file: Opened, layout: Layout, as_of: dt.date | None,
                  recheck: Callable[[Raw], Fixed | Any]) -> tuple[list[Any], SqlQuery]:
    """Hand the refused records to `recheck`; keep the ones it fixes. Returns what it reported
    (in record order) and the query for the accepted records."""
    bad: list[Any] = []
    fixed: list[tuple[Raw, Fixed]] = []
    for raw in file.refused():
        checked = recheck(raw)
        if isinstance(checked, Fixed):
            fixed.append((raw, checked))
        else:
            bad.append(checked)
    file.add_fixed(fixed)
    return bad, file.query(layout, as_of)
