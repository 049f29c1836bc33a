"""`{}` is a set of any element type: in either branch of an `if`, as a term of its own, as a
redefinition's body. The SQL and the Python evaluator agree on every record (unknowns
included), and the checker accepts what docs/language.md says it takes (`if` branches of one
type; `{}` fits every set)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb")

import kprules  # noqa: E402
from kprules.sql.duck import evaluate_records  # noqa: E402

VOCABULARY = """\
facts f
fact a: bool
fact s: set of country
fact t: set of country
"""

POLICY = """\
policy p "empty sets"
  status current
  reads f

define then_empty = (if a then {} else s) = t
define else_empty = (if a then s else {}) = t
define chosen = if a then {} else s
define empty = {}
define equal = empty = s
define member = RU in (if a then {} else s)
decision d: {x, y}
  default x
  y when (if a then {} else s) = t
"""

AMENDED = """\
policy q "the chosen set emptied"
  status proposed
  amends p

redefine chosen = {}
"""

TERMS = ("then_empty", "else_empty", "chosen", "empty", "equal", "member", "d")
VALUES: list[Any] = [None, frozenset(), frozenset({"RU"}), frozenset({"RU", "BY"})]


def records() -> list[dict[str, Any]]:
    out = []
    for a, s, t in itertools.product([None, True, False], VALUES, VALUES):
        record = {"a": a, "s": s, "t": t}
        out.append({k: v for k, v in record.items() if v is not None})
    return out


def test_the_engines_agree_on_empty_sets() -> None:
    lib = kprules.loads(VOCABULARY, POLICY, AMENDED)
    assert not lib.result.diagnostics or all(not d.is_error for d in lib.result.diagnostics)
    ev = lib.evaluator([("p", t) for t in TERMS] + [("q", "chosen")])
    rows = records()
    sql = evaluate_records(ev.layout, ev.vocabulary, rows)
    for record, (values, error) in zip(rows, sql, strict=True):
        assert error is None
        python = tuple(None if v is kprules.UNKNOWN else v for v in ev.function()(record))
        assert values == python, record
    assert ev.function()({"a": True, "s": frozenset({"RU"}), "t": frozenset()}) == (
        True, False, frozenset(), frozenset(), False, False, "y", frozenset())
