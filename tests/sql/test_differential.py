"""Differential tests: the SQL back end on DuckDB against the compiled Python code and the
reference interpreter, on generated policies and generated data.

For every generated policy (terms, decisions with exceptions and dated rules, dated parameters,
amendments using `base.`) and every generated fact set (unknown facts, values at the boundaries
of the policy's constants, zero divisors), with an explicit date or the `day` fact: every target's
value from one DuckDB query equals the interpreter's and the compiled code's, and a record fails
with a division by zero in SQL exactly when it does in Python. Decimals are compared as numbers
(SQL keeps 12 places, docs/sql.md): to 1e-9 when a division is involved, else exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb")

from evaluator.strategies import Case, as_of_dates, cases, fact_sets  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kprules  # noqa: E402
from kprules.eval.interpret import EvalError, interpret  # noqa: E402
from kprules.ir.slots import Key  # noqa: E402
from kprules.sql.compile import INEXACT  # noqa: E402
from kprules.sql.duck import evaluate_records  # noqa: E402


@st.composite
def scenarios(draw: Any) -> tuple[Case, list[Key], dt.date | None, list[dict[str, Any]]]:
    case = draw(cases())
    targets = draw(st.lists(st.sampled_from(case.terms), min_size=1, unique=True))
    as_of = draw(as_of_dates(case))
    runs = draw(st.lists(fact_sets(case), min_size=1, max_size=12))
    return case, targets, as_of, runs


def same(got: Any, want: Any, divides: bool) -> bool:
    if want is None or got is None:
        return got is want
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, int | Decimal) and isinstance(got, int | Decimal):
        if not divides:
            return Decimal(got) == Decimal(want)
        return abs(Decimal(got) - Decimal(want)) <= Decimal("1e-9") * max(1, abs(Decimal(want)))
    return bool(got == want) and type(got) is type(want)


def python_paths(ev: Any, facts: dict[str, Any],
                 date: dt.date | None) -> tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]:
    """The interpreter's values and the compiled code's, or (None, None) on an error."""
    try:
        ref, _ = interpret(ev.layout, facts, date)
    except EvalError:
        with pytest.raises(EvalError):
            ev.run(facts, date)
        return None, None
    values, _ = ev.run(facts, date)
    return tuple(ref[k] for k in ev.layout.targets), tuple(values)


@given(scenarios())
def test_duckdb_agrees_with_python_and_the_interpreter(scenario: Any) -> None:
    case, targets, as_of, runs = scenario
    try:
        lib = kprules.loads(*case.texts)
    except kprules.PolicyError as err:  # the generator must write well-typed policies
        raise AssertionError("\n".join(d.message for d in err.diagnostics)) from None
    ev = lib.evaluator(targets)
    divides = "/" in "".join(case.texts[1:])
    try:
        got = evaluate_records(ev.layout, ev.vocabulary, runs, as_of=as_of)
    except duckdb.Error as err:  # SQL declines a product it would round: Python evaluates
        assert INEXACT in str(err), err  # (tests/sql/test_products.py checks when)
        return
    for facts, (values, error) in zip(runs, got, strict=True):
        date = as_of if as_of is not None else facts.get("day")
        ref, compiled = python_paths(ev, facts, date)
        if ref is None or compiled is None:
            assert error is not None, f"SQL gives {values} where Python divides by zero"
            continue
        assert error is None, f"SQL divides by zero (#{error}) where Python gives {ref}"
        for key, s, r, c in zip(ev.layout.targets, values, ref, compiled, strict=True):
            assert same(c, r, False), (key, "compiled", c, r)
            assert same(s, r, divides), (key, facts, date, "sql", s, "interpreter", r)


def test_the_bundled_policies_agree_on_every_case() -> None:
    """Every term of every bundled policy, on every bundled case, in one query."""
    from pathlib import Path

    from kprules.cases.files import read_suite

    root = Path(__file__).resolve().parents[2] / "policies"
    lib = kprules.load(root)
    vocab = lib["kpcs_2003"].vocabulary.name
    targets = [(p.name, t) for p in lib.values() if p.vocabulary.name == vocab for t in p.terms]
    ev = lib.evaluator(targets)
    suite = read_suite([root / "cases"], lib, allow_unloaded=True)
    assert suite.ok and len(suite.cases) > 100
    got = evaluate_records(ev.layout, ev.vocabulary, [c.facts for c in suite.cases])
    for case, (values, error) in zip(suite.cases, got, strict=True):
        want, _ = ev.run(case.facts, case.as_of(ev.vocabulary.dated_by, None))
        assert error is None
        for key, s, w in zip(ev.keys, values, want, strict=True):
            assert same(s, w, False), (case.id, key, s, w)
