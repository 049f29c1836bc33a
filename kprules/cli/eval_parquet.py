"""`kprules eval --format parquet` on the Python path: the values of the records evaluated one by
one, written by DuckDB as the SQL engines write them (`case`, `as_of`, then one typed column per
`policy.term`: kprules.sql.files.output_select), so that the format does not depend on the engine
that read the file (`--engine python`, `auto` on a small file, a file DuckDB cannot read whole).

Effects: a DuckDB connection of its own, and the file written beside `--output`, put in its
place once whole (kprules.core.files.written_beside).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kprules.cli.eval_write import Item, Unwritable, Writer
from kprules.core.files import written_beside
from kprules.ir.types import DECIMAL, INTEGER, Quantity, Type
from kprules.ir.values import UNKNOWN, decimal_text
from kprules.sql.dialect import DUCKDB
from kprules.sql.duck import connect, insert_rows
from kprules.sql.types import holds, sql_type, to_sql

if TYPE_CHECKING:
    from kprules.eval.evaluate import Evaluator

BATCH = 50_000  # rows held in Python before they go to DuckDB's table
_LONG = 2**63  # BIGINT holds -2**63 .. 2**63 - 1


def parquet_writer(ev: Evaluator, output: Path) -> ParquetWriter:
    """The writer of an evaluator's targets into `output`."""
    return ParquetWriter(output, [f"{p}.{t}" for p, t in ev.keys],
                         [ev.layout.terms[k].term.type for k in ev.keys])


class ParquetWriter(Writer):
    """Rows gathered by column, a batch at a time, into a DuckDB table of the SQL engines'
    output types; `end` writes the table to `output` as Parquet. Nothing goes to a text stream."""

    def __init__(self, output: Path, columns: Sequence[str], types: Sequence[Type]) -> None:
        super().__init__(io.StringIO(), columns, types)
        self.output = output
        self.kinds = [sql_type(t, DUCKDB) for t in types]
        self.rows: list[tuple[Any, ...]] = []
        self.con: Any = None
        self.done = False

    def start(self) -> None:
        if self.con is not None:
            return
        self.con = connect()
        cols = [f"{DUCKDB.ident('case')} VARCHAR", f"{DUCKDB.ident('as_of')} DATE",
                *(f"{DUCKDB.ident(c)} {k}" for c, k in zip(self.columns, self.kinds,
                                                          strict=True))]
        self.con.execute(f"CREATE TEMP TABLE kprules_values ({', '.join(cols)})")

    def item(self, item: Item) -> None:
        values = [_cell(v, t, item, c) for v, t, c in zip(item.values, self.types, self.columns,
                                                            strict=True)]
        self.rows.append((item.label, item.as_of, *values))
        if len(self.rows) >= BATCH:
            self._flush()

    def end(self) -> None:
        """Write the file (once; with no rows when no record was evaluated, as the CSV writer
        writes its header alone)."""
        if self.done:
            return
        self.start()
        self._flush()
        with written_beside(self.output) as part:
            self.con.execute(f"COPY kprules_values TO {DUCKDB.string(str(part))} "
                             "(FORMAT parquet)")
        self.close()

    def close(self) -> None:
        """Nothing more to write (and, unless `end` ran, nothing written)."""
        self.done = True
        if self.con is not None:
            self.con.close()

    def _flush(self) -> None:
        """The rows so far into the table (`insert_rows`: one statement; decimals exact, as
        `_cell` checked that they fit)."""
        insert_rows(self.con, "kprules_values", ["VARCHAR", "DATE", *self.kinds], self.rows)
        self.rows = []


def _cell(value: Any, t: Type, item: Item, column: str) -> Any:
    """A value as the table takes it (`to_sql`; None for unknown); `Unwritable` for a number
    its column cannot hold."""
    if value is None or value is UNKNOWN:
        return None
    if (t == DECIMAL or isinstance(t, Quantity)) and not holds(value):
        raise Unwritable(f"record {item.number}: `{column}` is {decimal_text(value)}, more "
                         "digits than a Parquet DECIMAL(38,12) holds")
    if t == INTEGER and not -_LONG <= value < _LONG:
        raise Unwritable(f"record {item.number}: `{column}` is {value}, beyond a Parquet "
                         "BIGINT")
    return to_sql(value)
