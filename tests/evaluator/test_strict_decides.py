"""The strict code falls back only through its signal, and with every fact known it decides.

The strict code (two values, the fast path) hands a record to the traced code only by raising
`Undecided`: a missing fact, no evaluation date, a parameter with no value on the date, a
division by zero. Any other exception is a bug and must propagate, not turn into a slow but
correct answer. The properties: for every bundled policy (policies/) and for generated policies
(strategies.py), with every fact known and a date, the strict code returns the traced code's
values, and signals `Undecided` only for a parameter that has no value on that date or a
division (by zero) in the policy; the fast entry point falls back exactly then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kprules
from kprules import ir
from kprules.core.countries import ISO_3166_ALPHA2
from kprules.eval import gen_common
from kprules.eval.codegen import Compiled, Undecided
from kprules.eval.evaluate import Evaluator
from kprules.ir.runtime import EvalError
from kprules.ir.slots import Layout
from kprules.ir.types import (
    BOOL,
    COUNTRY,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    EnumType,
    Quantity,
    SetType,
    Type,
)

from .strategies import VOCABULARY, as_of_dates, cases, every_fact

ROOT = Path(__file__).resolve().parents[2]


class FellBack(Exception):
    """The fast entry point handed the record to its fallback."""


def fell_back(r: Any) -> tuple[Any, ...]:
    raise FellBack


def parameter_without_value(layout: Layout, date: dt.date) -> bool:
    return any(isinstance(t.term, ir.ParameterTerm)
               and not any(p.validity.contains(date) for p in t.term.pieces)
               for t in layout.terms.values())


def assert_decides(ev: Evaluator, fast: Any, facts: dict[str, Any], date: dt.date) -> None:
    """The strict code decides, as the traced code does, or signals a documented reason that
    holds; the fast entry point (dated by `facts`) falls back exactly when the strict code
    cannot decide."""
    layout = ev.layout
    try:
        values = ev.compiled.strict(facts, date)
    except Undecided as signal:
        assert signal.reason in ("parameter", "division"), signal
        if signal.reason == "parameter":
            assert parameter_without_value(layout, date)
        else:
            assert "_sdiv(" in ev.compiled.source  # the strict code divides
        with pytest.raises(FellBack):
            fast(facts)
        return
    traced, _ = ev.compiled.traced(facts, date)
    assert tuple(values) == tuple(traced)
    assert None not in values
    assert fast(facts) == tuple(values)


# ----------------------------------------------------------------------------- generated policies


@settings(max_examples=min(settings.default.max_examples, 100))  # each compiles a library
@given(st.data())
def test_with_every_fact_known_the_strict_code_decides_generated_policies(data: Any) -> None:
    case = data.draw(cases())
    lib = kprules.loads(*case.texts)
    ev = lib.evaluator(list(case.terms))
    fast = Compiled(ev.layout, fallback=fell_back, as_of_fact="day").fast
    for facts in data.draw(st.lists(every_fact(case), min_size=1, max_size=5)):
        as_of = data.draw(as_of_dates(case))
        if as_of is not None:
            facts["day"] = as_of
        assert_decides(ev, fast, facts, facts["day"])


# ----------------------------------------------------------------------------- bundled policies


def value_of(typ: Type) -> st.SearchStrategy[Any]:
    """Any value of a fact type, as `validate` gives it."""
    if typ == BOOL:
        return st.booleans()
    if typ == INTEGER:
        return st.integers(-3, 5000)
    if typ == DECIMAL or isinstance(typ, Quantity):
        return st.one_of(st.integers(0, 20), st.decimals(0, 10**6, places=2))
    if typ == DATE:
        return st.dates(dt.date(1995, 1, 1), dt.date(2030, 12, 31))
    if typ == COUNTRY:
        return st.sampled_from(sorted(ISO_3166_ALPHA2))
    if typ == TEXT:
        return st.text(max_size=5)
    if isinstance(typ, EnumType):
        return st.sampled_from(typ.values)
    if isinstance(typ, SetType):
        return st.frozensets(value_of(typ.element), max_size=4)
    raise AssertionError(f"no strategy for {typ}")


LIBRARY = kprules.load(ROOT / "policies")
POLICIES = sorted(LIBRARY)  # a Library iterates over its policy names


@pytest.fixture(scope="module")
def compiled() -> dict[str, tuple[Evaluator, Any]]:
    out = {}
    for policy in LIBRARY.values():
        ev = LIBRARY.evaluator([(policy.name, t) for t in policy.terms])
        dated_by = policy.vocabulary.dated_by
        assert dated_by is not None
        out[policy.name] = ev, Compiled(ev.layout, fallback=fell_back, as_of_fact=dated_by).fast
    return out


@pytest.mark.parametrize("name", POLICIES)
@settings(max_examples=min(settings.default.max_examples, 40))  # per policy: ~800 in all
@given(data=st.data())
def test_with_every_fact_known_the_strict_code_decides_bundled_policies(
        compiled: dict[str, tuple[Evaluator, Any]], name: str, data: Any) -> None:
    ev, fast = compiled[name]
    vocab = LIBRARY[name].vocabulary
    facts = data.draw(st.fixed_dictionaries(
        {fact: value_of(info.type) for fact, info in vocab.facts.items()}))
    # one date in two after the last parameter piece starts: there, every parameter has a value
    date = data.draw(st.one_of(value_of(DATE), st.dates(dt.date(2024, 9, 1), dt.date(2030, 1, 1))))
    facts[vocab.dated_by] = date
    assert_decides(ev, fast, facts, date)


def test_every_bundled_policy_is_tested() -> None:
    assert len(POLICIES) == len(list((ROOT / "policies").rglob("*.kpr"))) - 1  # but facts.kpr


# ----------------------------------------------------------------------------- the signal

POLICY = """\
policy p
  status current
  reads gen
parameter limit: carats
  from 2020-01-01 = 0.5 ct
define heavy = w1 >= limit
define ratio = x1 / x2
decision recent: {yes, no}
  default no
  yes when fa from 2021-01-01
"""
DAY = dt.date(2022, 1, 1)


def evaluator(*terms: str) -> Evaluator:
    return kprules.loads(VOCABULARY, POLICY).evaluator([("p", t) for t in terms])


@pytest.mark.parametrize(("term", "facts", "date", "reason"), [
    ("heavy", {}, DAY, "fact"),
    ("heavy", {"w1": Decimal(1)}, dt.date(2019, 1, 1), "parameter"),
    ("ratio", {"x1": Decimal(1), "x2": Decimal(0)}, DAY, "division"),
    ("recent", {"fa": True}, None, "date"),
])
def test_the_strict_code_signals_why_it_cannot_decide(term: str, facts: dict[str, Any],
                                                      date: dt.date | None, reason: str) -> None:
    ev = evaluator(term)
    with pytest.raises(Undecided) as signal:
        ev.compiled.strict(facts, date)
    assert signal.value.reason == reason
    if reason == "fact":
        assert signal.value.detail == "w1"


def test_an_undecided_record_gets_the_traced_answer_and_errors() -> None:
    fast = evaluator("heavy", "ratio", "recent").function(validate_input=False)
    assert fast({"w1": Decimal(1), "fa": True, "day": dt.date(2019, 1, 1)}) == (
        kprules.UNKNOWN, kprules.UNKNOWN, "no")
    with pytest.raises(EvalError, match="division by zero"):
        fast({"x1": Decimal(1), "x2": Decimal(0), "day": DAY})


@pytest.mark.parametrize("error", [RuntimeError("a bug"), TypeError("a bug"),
                                   KeyError("w1"), KeyError("not_a_fact")])
def test_any_other_exception_of_the_strict_code_propagates(
        monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """A bug in the strict code (here: its reading of decimals) fails loudly; it used to be
    caught and answered, more slowly, by the traced code."""
    def broken(x: Any) -> Any:
        raise error

    monkeypatch.setattr(gen_common, "_num", broken)
    lib = kprules.loads(VOCABULARY, POLICY)
    facts = {"w1": Decimal(1), "day": DAY}
    ev = lib.evaluator([("p", "heavy")])
    for run in (lambda: ev.compiled.strict(facts, DAY), lambda: ev.function()(facts),
                lambda: ev.function(validate_input=False)(facts),
                lambda: lib["p"].evaluate(facts, terms=["heavy"])):
        with pytest.raises(type(error)) as raised:
            run()
        assert raised.value is error
