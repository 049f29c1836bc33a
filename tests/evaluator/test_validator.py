"""The compiled validator against `validate`: for raw fact sets of every shape (good values of
every type, near misses, wrong types, unknown names, nulls; typed and as CSV text) it gives the
same typed facts, digits and types included, or raises the same `FactsError`."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kprules
from kprules.eval.evaluate import FactsError, validate
from kprules.eval.validator import compile_validator

from .strategies import VOCABULARY

VOCAB = kprules.loads(VOCABULARY, 'policy z "z"\n  status current\n  reads gen\n')["z"].vocabulary

ANY = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(2**62, 2**70),
    st.decimals(allow_nan=True, allow_infinity=True, places=2),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
        ["red", "blue", "purple", "CF", "cf", "XX", "", "true", "True", " false", "2024-03-01",
         "2024-3-1", "0.5", "0.5 ct", "0.5 g", "1e3", "7", " 7 ", "red;blue", "red; pink"]),
    st.dates(dt.date(1999, 1, 1), dt.date(2030, 1, 1)),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1)),
    st.lists(st.sampled_from(["red", "green", "blue", "pink", 3]), max_size=3),
    st.frozensets(st.sampled_from(["red", "green"])))
NAMES = st.sampled_from([*VOCAB.facts, "unknown_fact"])


def outcome(fn: Any, facts: dict[str, Any]) -> Any:
    try:
        return fn(facts)
    except FactsError as err:
        return ("error", [(p.name, p.message, p.hint) for p in err.problems])


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return str(a) == str(b)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


@pytest.mark.parametrize("from_text", [False, True])
@given(data=st.data())
def test_the_compiled_validator_is_validate(from_text: bool, data: Any) -> None:
    slow = partial(validate, vocabulary=VOCAB, from_text=from_text)
    fast = compile_validator(VOCAB, slow, from_text=from_text)
    values = st.text(max_size=12) | ANY.map(lambda v: v if isinstance(v, str) else str(v)) \
        if from_text else ANY
    facts = data.draw(st.dictionaries(NAMES, values, max_size=8))
    want, got = outcome(slow, facts), outcome(fast, facts)
    assert same(got, want), (facts, got, want)


def test_common_values_do_not_take_the_slow_path() -> None:
    calls: list[Any] = []

    def slow(r: Any) -> dict[str, Any]:
        calls.append(r)
        return validate(r, VOCAB)

    fast = compile_validator(VOCAB, slow)
    facts = {"fa": True, "n1": 3, "x1": Decimal("0.5"), "x2": 0.25, "w1": 2, "day":
             dt.date(2024, 1, 1), "ctry": "CF", "col1": "red", "cols": ["red", "blue"],
             "txt": "a"}
    assert fast(facts) == validate(facts, VOCAB)
    assert calls == []


@given(facts=st.dictionaries(NAMES, ANY, max_size=8))
def test_what_the_acceptor_accepts_validates_to_itself(facts: dict[str, Any]) -> None:
    """Input the validating entry points pass on as it is must be what `validate` gives (floats
    for decimals aside: the compiled code reads them as `validate` does, by their repr)."""
    from kprules.eval.validator import compile_acceptor

    accepts = compile_acceptor(VOCAB)
    if not accepts(facts):
        return
    typed = validate(facts, VOCAB)
    assert typed.keys() == facts.keys()
    for name, value in facts.items():
        want = Decimal(repr(value)) if type(value) is float else value
        assert same(typed[name], want), (name, value, typed[name])


def test_the_acceptor_refuses_none_lists_and_strangers() -> None:
    from kprules.eval.validator import compile_acceptor

    accepts = compile_acceptor(VOCAB)
    assert accepts({"fa": True, "x1": 0.5, "cols": frozenset({"red"})})
    for facts in ({"fa": None}, {"cols": ["red"]}, {"nope": 1}, {"x1": math.inf},
                  {"n1": True}, {"day": dt.datetime(2020, 1, 1)}, {"col1": "pink"}):
        assert not accepts(facts), facts
