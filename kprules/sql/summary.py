"""A comparison's bulk summary in SQL: records and measures reclassified, per transition,
grouped by any facts, and by the year or month of date facts.

Stage: a compiled query evaluating the base's and the other policies' terms (kprules.sql.compile,
with the measure and grouping facts kept) -> one aggregate query. Pure (SQL text); the engine
runs it. What it computes is `kprules.compare.Summary`'s counts, without the causes (those come
from explanations, which stay in Python): per (other policy, term, base value -> other value,
group values), the records and the sum of each measure; and per group, the records evaluated
and each measure's total over the records that give it.

Values are written as `format_value` writes them (`true`, `unknown`, enum values, `{a, b}`;
decimals without trailing zeros).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from kprules.core.shared_repr import SharedRepr
from kprules.eval.arith import add
from kprules.ir.slots import Key, Layout
from kprules.ir.types import BOOL, DECIMAL, Quantity, SetType, Type
from kprules.sql.compile import ERROR, SqlQuery, column_name
from kprules.sql.dialect import DUCKDB, SCALE, Dialect


@frozen(repr=False)
class SummaryQueries(SharedRepr):
    """`transitions`: other, term, base_value, other_value, the group columns, records, then a
    sum per measure. `totals`: the group columns, records, then per measure its total and the
    number of records that give it. Each sum is two columns (`exact_sums` makes them one): the
    sum, and 0. A sum of DECIMAL(38,12) values overflows DECIMAL(38) past 26 digits before the
    point (an error), where Python's sum is exact: the queries made with `split` then sum the
    whole units and the fractions (in units of 10^-12) apart, as integers (slower: a third more
    time over a million records, so only when the plain sum overflows)."""

    transitions: str
    totals: str


def _sum(column: str, name: str, dialect: Dialect, split: bool) -> str:
    """The two sums of a DECIMAL(38,12) column: the sum and 0, or (`split`) the whole units and
    the fractions x 10^12, each as an integer."""
    wide = "HUGEINT" if dialect is DUCKDB else "DECIMAL(38,0)"
    if not split:
        return f"sum({column}) AS {dialect.ident(name + '__units')}, " \
            f"CAST(0 AS {wide}) AS {dialect.ident(name + '__fraction')}"
    units = f"CAST(trunc({column}) AS {wide})"
    fraction = f"CAST(({column} - trunc({column})) * 1000000000000 AS {wide})"
    return f"sum({units}) AS {dialect.ident(name + '__units')}, " \
        f"sum({fraction}) AS {dialect.ident(name + '__fraction')}"


def exact_sums(rows: Iterable[Sequence[Any]], start: int, measures: int,
               width: int) -> list[tuple[Any, ...]]:
    """Rows of a summary query with each measure's two sums (columns `start + width * i` and
    the next) made one exact `Decimal` (None over no record), the other columns as they are."""
    out = []
    for row in rows:
        merged = list(row[:start])
        for i in range(measures):
            at = start + width * i
            units, fraction = row[at], row[at + 1]
            merged.append(None if units is None else
                          add(Decimal(units), Decimal(int(fraction)).scaleb(-SCALE)))
            merged.extend(row[at + 2:at + width])
        out.append(tuple(merged))
    return out


def value_text(col: str, t: Type, dialect: Dialect = DUCKDB) -> str:
    if t == BOOL:
        inner = f"CASE WHEN {col} THEN 'true' ELSE 'false' END"
    elif t == DECIMAL or isinstance(t, Quantity):
        inner = f"rtrim(rtrim(CAST({col} AS {dialect.string_type}), '0'), '.')"
    elif isinstance(t, SetType):
        inner = f"'{{' || array_to_string({col}, ', ') || '}}'"
    else:
        inner = f"CAST({col} AS {dialect.string_type})"
    return f"(CASE WHEN {col} IS NULL THEN 'unknown' ELSE {inner} END)"


# A date fact can be grouped by one of its parts: `--group-by shipment_date:year`.
DATE_PARTS = ("year", "month")


def group_fact(group: str) -> tuple[str, str | None]:
    """A `--group-by` entry as (fact, part): `exported_from` -> (exported_from, None),
    `shipment_date:year` -> (shipment_date, year). The part is not checked here."""
    fact, sep, part = group.partition(":")
    return (fact, part) if sep else (group, None)


def group_column(group: str) -> str:
    """The column of a group: the fact's own, or `__year__shipment_date` for a part of one."""
    fact, part = group_fact(group)
    return fact if part is None else f"__{part}__{fact}"


def grouped(source: str, groups: Sequence[str], dialect: Dialect = DUCKDB) -> str:
    """`source`'s rows with a column (`group_column`) per group that is a part of a date fact:
    the year as a number, the month as `YYYY-MM` text; unknown when the date is."""
    q = dialect.ident
    parts = []
    for group in groups:
        fact, part = group_fact(group)
        column = q(group_column(group))
        if part == "year":
            parts.append(f"CAST(year({q(fact)}) AS BIGINT) AS {column}")
        elif part == "month":
            # years 1 to 999 with their zeros: 0005-03, as an ISO date writes them
            parts.append(f"lpad(CAST(year({q(fact)}) AS {dialect.string_type}), 4, '0') || "
                         f"'-' || lpad(CAST(month({q(fact)}) AS {dialect.string_type}), 2, '0') "
                         f"AS {column}")
    return f"SELECT *{''.join(', ' + p for p in parts)} FROM ({source})"


def summary_queries(query: SqlQuery, layout: Layout, base: str, others: Sequence[str],
                    terms: Sequence[str], measures: Sequence[str] = (),
                    group_by: Sequence[str] = (), dialect: Dialect = DUCKDB,
                    split: bool = False) -> SummaryQueries:
    """The aggregates over `query`'s rows (records that divide by zero left out); `query` must
    keep the `measures` and `group_by` columns. `split`: sums that cannot overflow."""
    q = dialect.ident
    groups = [q(g) for g in group_by]
    sums = [_sum(q(m), m, dialect, split) for m in measures]
    parts = []
    for other in others:
        for term in terms:
            b, o = (base, term), (other, term)
            parts.append(_pair(other, term, b, o, layout, groups, measures, dialect))
    union = " UNION ALL ".join(parts)
    keys = ["other", "term", "base_value", "other_value", *groups]
    transitions = (f"SELECT {', '.join(keys)}, count(*) AS records"
                   + "".join(f", {s}" for s in sums)
                   + f" FROM ({union}) GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)}")
    totals_cols = [*groups, "count(*) AS records",
                   *(f"{_sum(q(m), m, dialect, split)}, count({q(m)}) AS {q(m + '_records')}"
                     for m in measures)]
    totals = (f"SELECT {', '.join(totals_cols)} FROM __q WHERE {q(ERROR)} IS NULL"
              + (f" GROUP BY {', '.join(groups)} ORDER BY {', '.join(groups)}" if groups else ""))
    return SummaryQueries(transitions, totals)


def _pair(other: str, term: str, b: Key, o: Key, layout: Layout, groups: list[str],
          measures: Sequence[str], dialect: Dialect) -> str:
    q = dialect.ident
    bcol, ocol = q(column_name(b)), q(column_name(o))
    bt, ot = layout.terms[b].term.type, layout.terms[o].term.type
    cols = [f"{dialect.string(other)} AS other", f"{dialect.string(term)} AS term",
            f"{value_text(bcol, bt, dialect)} AS base_value",
            f"{value_text(ocol, ot, dialect)} AS other_value", *groups,
            *(q(m) for m in measures)]
    return (f"SELECT {', '.join(cols)} FROM __q WHERE {q(ERROR)} IS NULL AND "
            f"{bcol} IS DISTINCT FROM {ocol}")


def with_query(query: SqlQuery, aggregate: str) -> str:
    """The aggregate with the evaluation query as `__q` (materialized: the aggregate reads it
    once per other policy and term)."""
    return f"WITH __q AS MATERIALIZED ({query.sql}) {aggregate}"
