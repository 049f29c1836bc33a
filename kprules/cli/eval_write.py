"""`kprules eval`'s values: evaluating a case or a record (`run`), a case file's suite, and
the writers of each output format (text, CSV, JSON, JSON Lines) shared by case files and data
files.

Effects only: writing to the stream given.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import attrs
from attrs import frozen

from kprules.cli.inputs import (
    report,
)
from kprules.core.escape import csv_safe, terminal
from kprules.core.shared_repr import SharedRepr
from kprules.ir.runtime import EvalError
from kprules.ir.values import decimal_text, public

if TYPE_CHECKING:
    from kprules.api import Library
    from kprules.cases.model import Suite
    from kprules.core.diagnostics import Diagnostic
    from kprules.eval.evaluate import Evaluator
    from kprules.ir.types import Type

WIDTH = 100
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def where(file: str, line: int | None, as_of: dt.date | None) -> str:
    place = f"{file}:{line}" if line else file
    return f"({place}; " + (f"as of {as_of})" if as_of else "no evaluation date)")


# ----------------------------------------------------------------------------- output


@frozen(repr=False)
class Item(SharedRepr):
    """One evaluated case or record, ready to print."""

    label: str
    title: str | None
    file: str
    line: int | None
    as_of: dt.date | None
    values: tuple[Any, ...]
    number: int | None = None  # a bulk record's number
    id: str | None = None


class Unwritable(Exception):
    """A value an output format cannot hold exactly (Parquet's types: no rounding, no wrapping):
    nothing is written then."""


class Writer:
    """Writes items as they come; `columns` are the targets, `types` their types."""

    def __init__(self, out: TextIO, columns: Sequence[str], types: Sequence[Type]) -> None:
        from kprules.ir.types import DECIMAL, Quantity

        self.out = out
        self.columns = columns
        self.types = types
        self.numbers = tuple(t == DECIMAL or isinstance(t, Quantity) for t in types)

    def start(self) -> None:
        return None

    def item(self, item: Item) -> None:
        raise NotImplementedError

    def end(self) -> None:
        return None


class TextWriter(Writer):
    """One block per item: a heading, then `policy.term  value` lines, aligned."""

    def __init__(self, out: TextIO, columns: Sequence[str], types: Sequence[Type]) -> None:
        super().__init__(out, columns, types)
        self.name_width = min(max((len(c) for c in columns), default=0), 60)
        self.first = True

    def item(self, item: Item) -> None:
        from kprules.core.escape import printable
        from kprules.ir.values import format_value

        if item.number is None:  # a case file's id and title, a record's id: one line each
            head = f"{printable(item.label)}: {printable(item.title or '')}"
        else:
            head = f"record {item.number}" + (f": {printable(item.id)}"
                                              if item.id is not None else "")
        lines = [] if self.first else [""]
        lines += [_cut(head, WIDTH), _cut("  " + where(item.file, item.line, item.as_of), WIDTH)]
        room = max(WIDTH - 4 - self.name_width, 20)
        pad = " " * (self.name_width + 4)
        for name, typ, value in zip(self.columns, self.types, item.values, strict=True):
            shown = textwrap.wrap(format_value(value, typ), room) or [""]
            lines.append(f"  {_cut(name, self.name_width):<{self.name_width}}  {shown[0]}".rstrip())
            lines.extend(pad + more for more in shown[1:])
        self.first = False
        self.out.write(terminal("\n".join(lines)) + "\n")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class _RowsEndingInLineFeeds:
    """The stream of a `csv.writer` whose rows end in `\r\n`, so that it quotes a cell that
    holds a carriage return (which many readers take for the end of a row; with `\n` rows it
    does not), written with `\n` ends, as DuckDB's CSV writer writes them."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, row: str) -> int:
        return self.out.write(row[:-2] + "\n")  # csv.writer writes each row whole


class CsvWriter(Writer):
    """A header `case,as_of,<policy.term>...`, then one row per item: unknown is an empty
    cell, a set is `BY;RU`, a quantity its number."""

    def start(self) -> None:
        self.csv = csv.writer(_RowsEndingInLineFeeds(self.out), lineterminator="\r\n")
        self.csv.writerow(["case", "as_of", *self.columns])

    def item(self, item: Item) -> None:
        self.csv.writerow([csv_safe(item.label), item.as_of.isoformat() if item.as_of else "",
                           *(csv_safe(csv_cell(v)) for v in item.values)])


def csv_cell(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is str:
        return value
    if isinstance(value, frozenset):
        return ";".join(sorted(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None or str(value) == "unknown" else decimal_text(value)


def _json_values(columns: Sequence[str], values: Sequence[Any],
                 numbers: Sequence[bool]) -> dict[str, Any]:
    """The values as JSON: a decimal or a quantity (`numbers`: the columns of one) as text,
    also when it was read as a whole number (`45300000`; docs/cases.md), as the SQL engines
    write it."""
    from kprules.ir.values import to_json

    return {c: str(v) if number and type(v) is int else to_json(v)
            for c, v, number in zip(columns, values, numbers, strict=True)}


class JsonWriter(Writer):
    """Case files: one JSON document `{"version": 1, "cases": [...]}` (docs/cases.md)."""

    def start(self) -> None:
        self.items: list[dict[str, Any]] = []

    def item(self, item: Item) -> None:
        self.items.append({"id": item.label, "title": item.title, "file": item.file,
                           "line": item.line,
                           "as_of": item.as_of.isoformat() if item.as_of else None,
                           "values": _json_values(self.columns, item.values, self.numbers)})

    def end(self) -> None:
        doc = {"version": 1, "cases": self.items}
        self.out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


class JsonLinesWriter(Writer):
    """Bulk data: one JSON object per record, on its own line (docs/cases.md), without spaces
    after `,` and `:`, as DuckDB writes it: the engines' outputs are the same bytes."""

    def item(self, item: Item) -> None:
        self.out.write(json.dumps({
            "record": item.number, "line": item.line, "id": item.id,
            "as_of": item.as_of.isoformat() if item.as_of else None,
            "values": _json_values(self.columns, item.values, self.numbers)},
            ensure_ascii=False, separators=(",", ":")) + "\n")


def make_writer(fmt: str, bulk: bool, out: TextIO, ev: Evaluator) -> Writer:
    columns = [f"{p}.{t}" for p, t in ev.keys]
    types = [ev.layout.terms[k].term.type for k in ev.keys]
    kinds: dict[str, type[Writer]] = {"text": TextWriter, "csv": CsvWriter,
                                      "json": JsonLinesWriter if bulk else JsonWriter}
    return kinds[fmt](out, columns, types)


# ----------------------------------------------------------------------------- evaluating


def run(ev: Evaluator, facts: Mapping[str, Any],
        as_of: dt.date | None) -> tuple[Any, ...] | Diagnostic:
    """The public values of the targets, or the diagnostic of an evaluation error (`located`
    says whose: made only then, not for every record)."""
    try:
        values, _ = ev.run(facts, as_of)
    except EvalError as err:
        return err.diagnostic
    return tuple(public(v) for v in values)


def located(diagnostic: Diagnostic, what: str) -> Diagnostic:
    """An evaluation error's diagnostic, its message beginning with the case or record."""
    return attrs.evolve(diagnostic, message=f"{what}: {diagnostic.message}")


def eval_suite(suite: Suite, ev: Evaluator, writer: Writer, as_of: dt.date | None,
               lib: Library) -> int:
    """Evaluate every case; the number of cases that could not be evaluated."""
    failed: list[Diagnostic] = []
    writer.start()
    for case in suite.cases:
        date = case.as_of(ev.vocabulary.dated_by, as_of)
        values = run(ev, case.facts, date)
        if isinstance(values, tuple):
            writer.item(Item(case.id, case.title, case.file, case.line, date, values))
        else:
            failed.append(located(values, f"case `{case.id}` ({case.file}:{case.line})"))
    writer.end()
    report(failed, lib.sources)
    return len(failed)
