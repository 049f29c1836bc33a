"""The shapes of the SQL the back end writes where a naive shape costs seconds per million rows,
and the exactness of the faster shapes.

- A term defined as a constant (a named set of outcomes, through any chain of names) is written
  inline, so `x in named_set` is SQL's `IN` over literals, not a list built for every row; the
  values stay the interpreter's, unknowns included.
- A set given as a list is checked item by item against its allowed values by a lookup in an
  `ENUM` of them, and kept as it is when it is already canonical (sorted, distinct):
  both exact, checked against plain Python on generated lists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kprules  # noqa: E402
from kprules.core.countries import ISO_3166_ALPHA2  # noqa: E402
from kprules.eval.interpret import interpret  # noqa: E402
from kprules.ir.types import COUNTRY, EnumType, SetType  # noqa: E402
from kprules.sql.compile import compile_sql  # noqa: E402
from kprules.sql.duck import evaluate_records  # noqa: E402
from kprules.sql.validate import _set  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

VOCABULARY = """\
facts crowd

enum actor { rebel ally state company }

fact buyer: actor
fact helpers: set of actor
"""

POLICY = """\
policy named "named constants"
  status current
  reads crowd

define rebels: set of actor = {rebel, ally}
define also_rebels: set of actor = rebels
define none_at_all: set of actor = {}
define rebel_buyer = buyer in also_rebels
define not_rebel_buyer = buyer not in rebels
define never = buyer in none_at_all
define rebels_help = ally in helpers
"""


def test_a_named_set_is_written_inline_in_the_bundled_definition() -> None:
    lib = kprules.load(ROOT / "policies")
    ev = lib.evaluator([("kpcs_2003", t) for t in lib["kpcs_2003"].terms])
    sql = compile_sql(ev.layout, as_of_fact=ev.vocabulary.dated_by).sql
    assert re.search(r"list_contains\(\"_t\d+\"", sql) is None, "a constant list read per row"
    assert "IN ('rebel_ally_group', 'rebel_ally_state', 'rebel_movement')" in sql


def test_named_constants_give_the_interpreters_values_unknowns_included() -> None:
    lib = kprules.loads(VOCABULARY, POLICY)
    ev = lib.evaluator([("named", t) for t in lib["named"].terms])
    sql = compile_sql(ev.layout).sql
    assert re.search(r"list_contains\(\"_t\d+\"", sql) is None
    assert "IN ('ally', 'rebel')" in sql
    records: list[dict[str, Any]] = [{}, {"helpers": frozenset()},
                                     {"helpers": frozenset({"ally", "state"})}]
    records += [{"buyer": b} for b in ("rebel", "ally", "state", "company")]
    got = evaluate_records(ev.layout, ev.vocabulary, records)
    for facts, (values, error) in zip(records, got, strict=True):
        want, _ = interpret(ev.layout, facts, None)
        assert error is None
        assert list(values) == [want[k] for k in ev.layout.targets], facts


ENUM = SetType(EnumType("actor", ("rebel", "ally", "state", "company")))
COUNTRIES = SetType(COUNTRY)
NEAR = ["", "R", "RU,BY", "RU\x1fBY", "rebel,ally", "rebel\x1fally", "reb", "allyx", "ru"]


def sql_set(items: list[str | None], t: SetType) -> tuple[Any, Any]:
    typed, ok = _set("(CAST($1 AS VARCHAR[]))", t)
    row = duckdb.execute(f"SELECT {ok}, {typed}", [items]).fetchone()
    assert row is not None
    return row[0], row[1]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([ENUM, COUNTRIES]), st.data())
def test_set_items_are_checked_and_kept_canonical_exactly(t: SetType, data: Any) -> None:
    allowed = sorted(ISO_3166_ALPHA2) if t is COUNTRIES else ["rebel", "ally", "state", "company"]
    item = st.one_of(st.sampled_from(allowed), st.sampled_from(NEAR), st.none(),
                     st.text(max_size=3))
    items = data.draw(st.lists(item, max_size=4))
    ok, typed = sql_set(items, t)
    assert ok is (all(x is not None and x in allowed for x in items)), items
    if ok:
        assert typed == sorted(set(items)), items


def test_spaces_are_the_characters_python_splits_at() -> None:
    from kprules.sql.validate import SPACES

    every = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert sorted(SPACES) == sorted(every) and len(SPACES) == len(every)


TEXTS = st.text(st.sampled_from(["a", "b", " ", "\t", "\n", "\r", "\x0b", "\x1c", "\x85",
                                 "\xa0", "\u2003", "\u2028", "\u3000", "\u200b", "é", "'"]),
                max_size=12)


@given(st.lists(TEXTS, min_size=1, max_size=8))
def test_the_sql_fold_is_pythons(texts: list[str]) -> None:
    """`fold_space_sql` on DuckDB gives `fold_space` (U+200B, not a space to Python, kept)."""
    import duckdb

    from kprules.ir.values import fold_space
    from kprules.sql.validate import fold_space_sql

    rows = duckdb.execute(f"SELECT {fold_space_sql('t')} FROM unnest(?) AS u(t)",
                          [texts]).fetchall()
    assert [r[0] for r in rows] == [fold_space(t) for t in texts]
