"""`kprules compare --engine duckdb`: the bulk summary of a comparison, computed in SQL.

Effects only: open the data file in DuckDB (kprules.sql.files), check the records SQL refuses
with the Python reader (the first bad record stops the comparison, as on the Python path), run
the summary queries (kprules.sql.summary), print them as text or JSON. The per-case rows and the
explained differences of the full report stay on the Python path (`--engine python`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from attrs import frozen

from kprules.core.shared_repr import SharedRepr

if TYPE_CHECKING:
    from kprules.compare import Comparison
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.source import Source


class NoRecords(Exception):
    """A data file without a record (KP603, as on the Python path)."""


class Refused(Exception):
    """A record that does not fit the vocabulary: its diagnostics."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...], sources: dict[str, Source]) -> None:
        super().__init__("a bad record")
        self.diagnostics = diagnostics
        self.sources = sources


def summary_in_sql(comparison: Comparison, path: Path, name: str, group_by: list[str],
                   fmt: str, out: TextIO, con: Any = None) -> int:
    """Write the summary; the number of records where some term differs. Raises `Refused`.
    `con`: the DuckDB connection to use (a new one by default)."""
    import duckdb

    from kprules.cases.bulk import Record, RecordChecker, data_format, header_problems
    from kprules.sql.compile import compile_sql
    from kprules.sql.duck import connect
    from kprules.sql.fast import NotFast, fact_types, records
    from kprules.sql.files import Fixed, Raw, SqlFile, evaluate_file, row_groups
    from kprules.sql.summary import (
        exact_sums,
        group_column,
        group_fact,
        grouped,
        summary_queries,
    )

    vocab = comparison.vocabulary
    kind = data_format(path) or "jsonl"
    header = _header(path, kind, name, vocab)
    con = con if con is not None else connect()
    where = _where_is(kind, name, lambda: row_groups(con, path))

    check = RecordChecker(vocab)

    def recheck(raw: Raw) -> Any:
        checked = check(kind, raw.text, raw.fields, raw.number, raw.line, name,
                        where(raw.number))
        if isinstance(checked, Record):
            return Fixed(checked.id, dict(checked.facts))
        raise Refused(checked.diagnostics, checked.sources)

    layout = comparison.evaluator.layout
    measures = list(comparison.weight_facts)

    facts = list(dict.fromkeys(group_fact(g)[0] for g in group_by))

    def evaluated(source: str) -> Any:  # evaluated once into __q, read three times
        # `_id` kept, though no summary reads it: DuckDB checks a CSV cell's UTF-8 only when it
        # reads the cell, and a record with a bad byte in its id is refused (KP101)
        query = compile_sql(layout, source=source, keep=["_id", *measures, *facts],
                            as_of=comparison.as_of, as_of_fact=vocab.dated_by)
        con.execute(f"CREATE OR REPLACE TEMP TABLE __q AS {grouped(query.sql, group_by)}")
        return query

    try:  # one pass (kprules.sql.fast) when SQL accepts every record
        query = evaluated(f"({records(con, path, kind, fact_types(vocab), header)})")
    except (NotFast, duckdb.Error):  # the robust path finds and reports what stopped it
        file = SqlFile(path, kind, vocab, header, con=con)
        wrong = header_problems(file.header, vocab) if kind == "parquet" else []
        if wrong:
            raise Refused(tuple(wrong), {}) from None
        evaluate_file(file, layout, comparison.as_of, recheck)
        query = evaluated(file.source())
    def aggregated(split: bool) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        sql = summary_queries(query, layout, comparison.base, comparison.others,
                              comparison.terms, measures, [group_column(g) for g in group_by],
                              split=split)
        g, n = len(group_by), len(measures)
        return (exact_sums(con.execute(sql.transitions).fetchall(), 5 + g, n, 2),
                exact_sums(con.execute(sql.totals).fetchall(), 1 + g, n, 3))

    try:
        transitions, totals = aggregated(split=False)
    except duckdb.OutOfRangeException:  # a sum beyond DECIMAL(38): summed in two parts
        transitions, totals = aggregated(split=True)
    g = len(group_by)
    if not sum(row[g] for row in totals):
        raise NoRecords(name)
    differing = con.execute(_differing(comparison, query)).fetchone()[0]
    doc = _document(comparison, name, group_by, measures, transitions, totals, int(differing),
                    lazy=fmt != "json")
    if fmt == "json":
        out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(_text(doc, _Shown.of(vocab, group_by, measures, comparison.term_units)))
    return int(differing)


def _header(path: Path, kind: str, name: str, vocab: Any) -> list[str]:
    """A CSV file's columns, once the Python reader has found its header right (`Refused`
    with its diagnostics otherwise: an unknown fact, a column given twice, no header)."""
    if kind != "csv":
        return []
    from kprules.cases.bulk import DataError
    from kprules.cli.eval_sql import csv_header

    try:
        return csv_header(path, vocab, name)
    except DataError as err:
        raise Refused(tuple(err.diagnostics), dict(err.sources)) from None


def _where_is(kind: str, name: str, groups: Callable[[], Any]) -> Callable[[int], str]:
    """Where a Parquet record is, for its diagnostic (` (NAME, row group G, row R)`)."""
    if kind != "parquet":
        return lambda number: ""
    from kprules.cases.parquet import locator

    return locator(name, groups)


def _differing(comparison: Comparison, query: Any) -> str:
    from kprules.sql.compile import ERROR, column_name
    from kprules.sql.dialect import DUCKDB

    q = DUCKDB.ident
    tests = [f"{q(column_name((comparison.base, t)))} IS DISTINCT FROM "
             f"{q(column_name((o, t)))}" for o in comparison.others for t in comparison.terms]
    return f"SELECT count(*) FROM __q WHERE {q(ERROR)} IS NULL AND ({' OR '.join(tests)})"


def _number(value: Any) -> Any:
    """A decimal as plain text without trailing zeros (`12.5`, `1000`, `0`); anything else as
    it is: `decimal_text(normal(value))` by string work, in half the time, over the
    millions of sums a summary by a fact of many values writes. `format(d, "f")` is exact
    whatever the digits: no context rounds it."""
    if not isinstance(value, Decimal):
        return value
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _group_value(value: Any) -> Any:
    """A group's value as JSON holds it: a date as `YYYY-MM-DD`, a set as its list, a decimal
    as text; null when unknown."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_group_value(v) for v in value]
    return _number(value)


def _group(group_by: list[str], values: Sequence[Any]) -> dict[str, Any]:
    return {g: _group_value(v) for g, v in zip(group_by, values, strict=True)}


def _key(values: Sequence[Any]) -> tuple[Any, ...]:
    """A group's values as a dictionary key (a set's list as a tuple)."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _document(comparison: Comparison, name: str, group_by: list[str], measures: list[str],
              transitions: list[tuple[Any, ...]], totals: list[tuple[Any, ...]],
              differing: int, lazy: bool = False) -> dict[str, Any]:
    """The summary document; `lazy`: its transitions made one at a time as they are read (the
    text summary reads them once: a million of them need not all be kept)."""
    g = len(group_by)
    group_totals = {_key(row[:g]): [row[g + 1 + 2 * i] for i in range(len(measures))]
                    for row in totals}
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}  # each group's JSON form, made once

    def transition(row: tuple[Any, ...]) -> dict[str, Any]:
        key = _key(row[4:4 + g])
        group = groups.get(key)
        if group is None:
            group = groups[key] = _group(group_by, row[4:4 + g])
        return {"other": row[0], "term": row[1], "from": row[2], "to": row[3], "group": group,
                "records": row[4 + g],
                "measures": {m: _number(_sum(v))
                             for m, v in zip(measures, row[5 + g:], strict=True)},
                "shares": _shares(measures, row[5 + g:], group_totals.get(key))}

    return {
        "version": 1, "engine": "duckdb", "data": name, "base": comparison.base,
        "others": list(comparison.others), "terms": list(comparison.terms),
        "group_by": group_by, "differing_records": differing,
        "totals": [{"group": _group(group_by, row[:g]), "records": row[g],
                    "measures": {m: {"total": _number(_sum(row[g + 1 + 2 * i])),
                                     "records": row[g + 2 + 2 * i]}
                                 for i, m in enumerate(measures)}} for row in totals],
        "transitions": (map(transition, transitions) if lazy
                        else [transition(row) for row in transitions]),
    }


def _shares(measures: list[str], values: Any, totals: list[Any] | None) -> dict[str, Any]:
    """Each measure reclassified as a share of its total over the transition's group (of the
    whole data without --group-by): the share of the world's carats, for production data.
    Rounded to 4 places as the full report's shares are; null when the total is zero."""
    from kprules.report.model import share

    return {m: share(_sum(values[i]), _sum(totals[i] if totals is not None else None))
            for i, m in enumerate(measures)}


def _sum(value: Decimal | None) -> Decimal:
    """A measure's sum: SQL's NULL over no record is 0, as the full report writes it."""
    return Decimal(0) if value is None else value


@frozen(repr=False)
class _Shown(SharedRepr):
    """How the text summary writes what the document holds: each measure's unit, the groups
    whose values are texts (quoted, so that the text "unknown" is not an unknown), and the unit
    of each compared term whose values are quantities (`0 ct -> 1250.5 ct`)."""

    units: dict[str, str]
    texts: frozenset[str]
    term_units: Mapping[str, str]

    @classmethod
    def of(cls, vocab: Any, group_by: list[str], measures: list[str],
           term_units: Mapping[str, str]) -> _Shown:
        from kprules.ir.types import TEXT
        from kprules.sql.summary import group_fact

        def is_text(group: str) -> bool:
            fact, part = group_fact(group)
            t = vocab.facts[fact].type
            return part is None and TEXT in (t, getattr(t, "element", None))

        return cls({m: str(getattr(vocab.facts[m].type, "unit", "")) for m in measures},
                   frozenset(g for g in group_by if is_text(g)), dict(term_units))

    def value(self, term: str, value: str) -> str:
        """A compared term's value as text (`unknown`, or its text), with its unit."""
        from kprules.report.model import unit_text

        return unit_text(None if value == "unknown" else value, self.term_units.get(term))

    def amount(self, measure: str, value: Any) -> str:
        unit = self.units.get(measure, "")
        return f"{measure} {value}" + (f" {unit}" if unit else "")


def _measure_text(shown: _Shown, name: str, value: Any, share: Any, grouped: bool) -> str:
    """`carats 243.41 ct (98.84% of the group's)`: to 2 places, as the full report's shares."""
    whole = "of the group's" if grouped else "of the total"
    return shown.amount(name, value) + (f" ({share:.2%} {whole})" if share is not None else "")


def _text(doc: dict[str, Any], shown: _Shown) -> str:
    """The summary for a reader: every value from the data escaped (`\\x1b`, `\\u202e`)."""
    from kprules.core.escape import terminal
    from kprules.core.wording import plural

    records = sum(t["records"] for t in doc["totals"])
    lines = [f"{doc['base']} against {', '.join(doc['others'])} over {plural(records, 'record')} "
             f"of {doc['data']} (summary computed in SQL)",
             f"records where a term differs: {doc['differing_records']:,}",
             "(the provisions behind each transition and explained differences: "
             "--engine python)", ""]
    for t in doc["totals"]:
        where = _where(t["group"], shown)
        parts = [plural(t["records"], "record")] + [
            f"{shown.amount(m, v['total'])} over {v['records']:,}"
            for m, v in t["measures"].items()]
        lines.append(("  " + where + ": " if where else "  total: ") + "; ".join(parts))
    lines += ["", "transitions:"]
    wheres: dict[int, str] = {}  # the transitions of one group share its dict: written once
    for t in doc["transitions"]:
        if id(t["group"]) not in wheres:
            wheres[id(t["group"])] = _where(t["group"], shown)
        where = wheres[id(t["group"])]
        measures = "; ".join(_measure_text(shown, m, v, t["shares"].get(m), bool(where))
                             for m, v in t["measures"].items())
        lines.append(f"  {t['other']}.{t['term']}: {shown.value(t['term'], t['from'])} -> "
                     f"{shown.value(t['term'], t['to'])}"
                     + (f" [{where}]" if where else "") + f": {plural(t['records'], 'record')}"
                     + (f"; {measures}" if measures else ""))
    return terminal("\n".join(lines) + "\n")


def _where(group: dict[str, Any], shown: _Shown) -> str:
    """A group as the text summary shows it: `exported_from=RU, natural=true`; a set as
    `{a, b}`, an unknown value as `unknown` (as the reports write values); a text quoted
    (`exporter="unknown"`), and every control or bidi character in a value escaped."""
    return ", ".join(f"{k}={_value(v, k in shown.texts)}" for k, v in group.items())


def _value(value: Any, text: bool) -> str:
    from kprules.core.escape import printable
    from kprules.report.model import value_text

    if isinstance(value, list):
        return "{" + ", ".join(_value(v, text) for v in value) + "}"
    if isinstance(value, str) and (text or value == "unknown"):
        return '"' + printable(value.replace("\\", "\\\\").replace('"', '\\"')) + '"'
    return printable(value_text(value))
