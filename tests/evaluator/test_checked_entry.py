"""The checked entry (validation fused into the strict code) against the reference path.

For generated policies and generated records of every shape (typed facts as `validate` gives
them, and the same with hostile changes: wrong types, unknown fields, `id`, None, floats with
many digits, NaN and infinities, bools where integers are expected, Decimals, strings outside an
enum, text not folded, lists for sets, missing facts, a mapping that is not a dict), every
validating entry point (`function()`, `evaluate`, `evaluate_many`, `Policy.evaluate` with and
without `terms`, `Policy.evaluate_many`) gives exactly what the reference gives: `validate`,
then the evaluation of the typed facts (`evaluate(..., validated=True)`): the same values (types
and digits included), the same date and typed facts, or the same `FactsError` (text and
problems) or located evaluation error; a policy's results are `Result`s as `Result(values,
as_of)` makes them. And the float test of the acceptance code agrees with reading the float's
shortest decimal; the generated stand-ins for `evaluate` have their methods' signatures and
errors; the streams are generators; an entry Python cannot compile takes the slow path.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import decimal
import inspect
import math
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import kprules
from kprules.api import Policy, Result, _new_result
from kprules.eval import gen_checked
from kprules.eval.evaluate import Evaluation, Evaluator, FactsError, validate
from kprules.eval.gen_accept import CHEAP_HIGH, CHEAP_LOW, HELPERS, MISS, accept_test, float_decimal
from kprules.eval.gen_checked import compile_checked
from kprules.ir.runtime import EvalError
from kprules.ir.types import DECIMAL, INTEGER
from kprules.ir.values import UNKNOWN

from .strategies import FACTS, Case, as_of_dates, cases, every_fact, fact_sets
from .test_differential import load
from .test_validator import same  # equal and of the same types, Decimal digits included

HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.integers(2**62, 2**70),
    st.integers(10**29, 10**31),
    st.decimals(allow_nan=True, allow_infinity=True, places=2), st.decimals(places=33),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(1e-20, 1e-10),
    st.floats(1e14, 1e40), st.sampled_from([0.1 + 0.2, 1 / 3, -0.0, 5e-324, 1e-13, 1e15]),
    st.sampled_from(["red", "purple", "CF", "cf", "XX", "", "true", "2024-03-01", "0.5",
                     "0.5 ct", "7", "b  c", " a", "a"]),
    st.dates(dt.date(2010, 1, 1), dt.date(2026, 1, 1)),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1)),
    st.lists(st.sampled_from(["red", "green", "blue", "pink", 3]), max_size=3),
    st.frozensets(st.sampled_from(["red", "green", "blue"])),
    st.sets(st.sampled_from(["red", "blue"])),
    # numbers at the digit limit (30 written without an exponent) on either side of it
    st.builds(lambda digits, exponent: Decimal((0, tuple(digits), exponent)),
              st.lists(st.integers(0, 9), min_size=1, max_size=33), st.integers(-34, 34)))
# names a mapping may give that are not fact names
NOT_NAMES = st.sampled_from(["id", "unknown_fact", "Fa", "fa ", 1, None, ("fa",), b"fa"])


class _Shadowing(dict[Any, Any]):
    """A dict whose own `__getitem__` gives other values than its items: `validate` reads the
    items, and so must every entry point."""

    def __getitem__(self, key: Any) -> Any:
        value = super().__getitem__(key)
        return not value if isinstance(value, bool) else value


def _mapping(draw: Any, facts: dict[Any, Any]) -> Mapping[Any, Any]:
    """The facts as a dict (mostly), or another mapping: read-only, a defaultdict (whose
    `__missing__` must not make a missing fact known), a dict that shadows its items."""
    kind = draw(st.sampled_from(["dict"] * 7 + ["proxy", "default", "shadowing"]))
    if kind == "proxy":
        return types.MappingProxyType(facts)
    if kind == "default":
        return collections.defaultdict(bool, facts)
    return _Shadowing(facts) if kind == "shadowing" else facts


def _as_floats(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if type(v) is Decimal else v for k, v in facts.items()}


@st.composite
def records(draw: Any, case: Case) -> Mapping[str, Any]:
    """Typed facts (every fact, or some), then (often) hostile changes: a value replaced, a
    fact removed, a field added (a name that is not text among them); sometimes floats for
    decimals; sometimes not a dict, or a dict of a subclass."""
    facts = draw(every_fact(case) if draw(st.booleans()) else fact_sets(case))
    if draw(st.booleans()):
        facts = _as_floats(facts)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        change = draw(st.sampled_from(["replace", "remove", "add", "bool", "none"]))
        name = draw(st.sampled_from(sorted(FACTS)))
        if change == "replace":
            facts[name] = draw(HOSTILE)
        elif change == "remove":
            facts.pop(name, None)
        elif change == "add":
            facts[draw(NOT_NAMES)] = draw(HOSTILE)
        elif change == "bool":
            facts[name] = draw(st.booleans())
        else:
            facts[name] = None
    return _mapping(draw, facts)


def outcome(fn: Callable[[], Any]) -> Any:
    """A result, or the error it raised, as comparable data."""
    try:
        return fn()
    except FactsError as err:
        return ("FactsError", str(err), [(p.name, p.message, p.hint) for p in err.problems])
    except EvalError as err:
        d = err.diagnostic
        return ("EvalError", d.code, d.message, d.span, d.hint)


def evaluation_data(e: Evaluation) -> tuple[Any, ...]:
    return (e.row, dict(e.values), e.as_of, dict(e.facts), e.slots)


def reference(ev: Evaluator, record: Mapping[str, Any], as_of: dt.date | None) -> Any:
    """`validate`, then the evaluation of the typed facts."""
    def run() -> Any:
        typed = validate(record, ev.vocabulary)
        return evaluation_data(ev.evaluate(typed, as_of=as_of, validated=True))
    return outcome(run)


def _many(ev: Evaluator, record: Mapping[str, Any], as_of: dt.date | None) -> Any:
    (out,) = list(ev.evaluate_many([record], as_of=as_of))
    return evaluation_data(out)


def _note(what: str) -> None:
    """A hypothesis event (how often each path is taken), when inside a hypothesis test."""
    with contextlib.suppress(InvalidArgument):
        event(what)


def _evaluate(ev: Evaluator, record: Mapping[str, Any], as_of: dt.date | None) -> Any:
    out = ev.evaluate(record, as_of=as_of)
    _note("checked entry" if not hasattr(out, "__dict__") else "reference path")
    return evaluation_data(out)


def check_evaluator(ev: Evaluator, record: Mapping[str, Any], as_of: dt.date | None) -> None:
    want = reference(ev, record, as_of)
    if want[0] in ("FactsError", "EvalError"):
        _note(want[0])
    got = outcome(lambda: _evaluate(ev, record, as_of))
    assert same(got, want), ("evaluate", record, got, want)
    got = outcome(lambda: _many(ev, record, as_of))
    assert same(got, want), ("evaluate_many", record, got, want)
    row = want[0] if want[0] not in ("FactsError", "EvalError") else None
    got = outcome(lambda: ev.function(as_of=as_of)(record))
    assert same(got, row if row is not None else want), ("function()", record, got, want)


def check_policy(lib: kprules.Library, name: str, record: Mapping[str, Any],
                 as_of: dt.date | None) -> None:
    policy = lib[name]
    ev = lib.evaluator([(name, t) for t in policy.terms])
    want = reference(ev, record, as_of)
    if want[0] not in ("FactsError", "EvalError"):
        values = dict(zip([k[1] for k in ev.keys], want[0], strict=True))
        want = _result(Result(values, want[2]))
    got = outcome(lambda: _result(policy.evaluate(record, as_of=as_of)))
    assert same(got, want), ("Policy.evaluate", record, got, want)
    terms = list(reversed(policy.terms))  # the entry of named terms, in another order
    got = outcome(lambda: _result(policy.evaluate(record, as_of=as_of, terms=terms)))
    if want[0] == got[0] == "EvalError":  # the first division by zero the evaluation reaches:
        # the terms in another order may reach another one first (same code and message)
        assert (got[1], got[2], got[4]) == (want[1], want[2], want[4]), (record, got, want)
    else:
        assert same(got, want), ("Policy.evaluate, terms", record, got, want)
    got = outcome(lambda: _result(next(iter(policy.evaluate_many([record], as_of=as_of)))))
    assert same(got, want), ("Policy.evaluate_many", record, got, want)


def _result(result: Any) -> tuple[Any, ...]:
    """What a `Result` is: its values, date, no explanation, its type, its repr (sets written in
    sorted order: two equal frozensets built differently may iterate, and print, differently,
    which made this test fail now and then)."""
    values = {k: tuple(sorted(v)) if isinstance(v, frozenset) else v
              for k, v in sorted(result.values.items())}
    return (dict(result.values), result.as_of, result.explanation, type(result).__name__,
            repr(Result(values, result.as_of)))


@given(data=st.data())
def test_the_validating_entry_points_are_validate_then_evaluate(data: Any) -> None:
    case = data.draw(cases())
    lib = load(case)
    targets = data.draw(st.lists(st.sampled_from(case.terms), min_size=1, unique=True))
    ev = lib.evaluator(targets)
    as_of = data.draw(as_of_dates(case))
    for record in data.draw(st.lists(records(case), min_size=1, max_size=6)):
        check_evaluator(ev, record, as_of)
        check_policy(lib, data.draw(st.sampled_from(case.policies)), record, as_of)


@given(data=st.data())
def test_a_callers_decimal_context_changes_no_result(data: Any) -> None:
    """A caller may trap `FloatOperation` (mixing floats and decimals) or lower the precision:
    every entry point still gives what the reference gives in the default context (the strict
    code orders decimals against float constants; the traced code does not)."""
    case = data.draw(cases())
    lib = load(case)
    ev = lib.evaluator(case.terms)
    as_of = data.draw(as_of_dates(case))
    record = data.draw(records(case))
    want = reference(ev, record, as_of)
    fresh = lib.evaluator(case.terms)  # compiled inside the context too
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.FloatOperation] = True
        ctx.prec = 3
        for name, fn in [("evaluate", lambda: _evaluate(fresh, record, as_of)),
                         ("evaluate_many", lambda: _many(fresh, record, as_of)),
                         ("reference", lambda: reference(fresh, record, as_of))]:
            got = outcome(fn)
            assert same(got, want), (name, record, got, want)


# ----------------------------------------------------------------------------- the fast path


VOCAB = """\
facts v "a vocabulary with every kind of fact"
  dated by day

enum color "a colour" { red green blue }

fact fa: bool
fact n1: integer
fact x1: decimal
fact w1: carats
fact day: date
fact ctry: country
fact col1: color
fact cols: set of color
fact txt: text
"""
POLICY = """\
policy p "every fact read"
  status current
  reads v

define all_read = fa and n1 > 1 and x1 >= 0.5 and w1 < 2 ct and day >= 2020-01-01
  and ctry = CF and col1 = red and red in cols and txt = "a b"
define few_read = fa or n1 > 1
"""
TYPED = {"fa": True, "n1": 3, "x1": 0.75, "w1": Decimal("1.5"), "day": dt.date(2024, 1, 1),
         "ctry": "CF", "col1": "red", "cols": frozenset({"red"}), "txt": "a b"}


def _counting(ev: Evaluator) -> tuple[Callable[..., Any], list[Any]]:
    """The checked entry of `ev`, with a slow path that counts its records."""
    calls: list[Any] = []
    validating = ev.function()

    def slow(r: Any) -> Any:
        calls.append(r)
        return validating(r)

    types_ = {name: info.type for name, info in ev.vocabulary.facts.items()}
    return compile_checked(ev.layout, types_, slow, as_of_fact="day"), calls


@pytest.mark.parametrize("term", ["all_read", "few_read"])
def test_typed_records_take_the_fast_path(term: str) -> None:
    """Records of canonical values are decided by the generated code, without the slow path;
    a fact the code does not read may be missing; anything unusual takes the slow path."""
    lib = kprules.loads(VOCAB, POLICY)
    entry, calls = _counting(lib.evaluator([("p", term)]))
    assert entry(TYPED) == (True,) and calls == []
    fewer = {k: v for k, v in TYPED.items() if k in ("fa", "n1", "day")}
    if term == "few_read":
        assert entry(fewer) == (True,) and calls == []
    entry({**TYPED, "x1": 1e-20})  # outside the range test, inside the limits
    assert calls == []
    unusual: list[Mapping[str, Any]] = [
        {**TYPED, "n1": True}, {**TYPED, "x1": math.nan}, {**TYPED, "x1": 1e-40},
        {**TYPED, "col1": "pink"}, {**TYPED, "txt": "a  b"}, {**TYPED, "cols": ["red"]},
        {**TYPED, "extra": 1}, {**TYPED, "id": "r1"}, {**TYPED, "fa": None},
        {k: v for k, v in TYPED.items() if k != "day"}, types.MappingProxyType(TYPED)]
    for record in unusual:
        calls.clear()
        outcome(lambda r=record: entry(r))  # type: ignore[misc]
        assert calls == [record], record


def test_evaluation_reads_as_before() -> None:
    """An Evaluation of the fast path: by name and by key, values, row, facts as `validate`
    reads them (a float for a decimal as its shortest decimal), date, no slots, and equal to
    the reference path's."""
    lib = kprules.loads(VOCAB, POLICY)
    ev = lib.evaluator([("p", "all_read"), ("p", "few_read")])
    fast = ev.evaluate(TYPED)
    reference_ = ev.evaluate(validate(TYPED, ev.vocabulary), validated=True)
    assert fast["all_read"] is True and fast[("p", "few_read")] is True
    assert dict(fast.values) == {("p", "all_read"): True, ("p", "few_read"): True}
    assert fast.row == (True, True) and fast.as_of == dt.date(2024, 1, 1)
    assert same(dict(fast.facts), dict(validate(TYPED, ev.vocabulary)))
    assert type(fast.facts["x1"]) is Decimal and str(fast.facts["x1"]) == "0.75"
    assert fast.slots is None and fast.layout is ev.layout
    assert fast == reference_
    assert (fast != reference_) is False
    with pytest.raises(KeyError):
        fast["nope"]
    with pytest.raises(ValueError, match="explain=True"):
        _ = fast.explanation
    explained = ev.evaluate(TYPED, explain=True)
    assert explained.slots is not None and explained.explanation is not None


def test_a_fast_evaluation_is_a_bare_tuple_that_reads_its_record() -> None:
    """The checked entry's Evaluation is the record and the values, nothing more (no
    `__dict__`: the garbage collector scans every result kept, and construction is tuple's),
    so `values` and `facts` are made at each reading; the reference path's keeps its typed
    facts, date and slots."""
    lib = kprules.loads(VOCAB, POLICY)
    ev = lib.evaluator([("p", "all_read"), ("p", "few_read")])
    record = dict(TYPED)
    fast = ev.evaluate(record)
    assert not hasattr(fast, "__dict__") and tuple(fast) == (record, True, True)
    assert fast != tuple(fast) and tuple(fast) != fast  # equal to evaluations only
    assert sys.getsizeof(fast) == sys.getsizeof(tuple(fast))
    assert fast.values == fast.values and fast.values is not fast.values
    assert fast.record is record and fast.facts["ctry"] == "CF"
    record["ctry"] = "FR"  # the docstring's warning: facts are read from the record
    assert fast.facts["ctry"] == "FR"
    kept = ev.evaluate(TYPED, explain=True)
    assert vars(kept).keys() == {"kept_facts", "kept_as_of", "kept_slots"}
    assert kept.facts is kept.facts and isinstance(kept, Evaluation)
    assert type(kept).__name__ == type(fast).__name__ == "Evaluation"


def test_a_missing_fact_is_unknown_on_every_path() -> None:
    lib = kprules.loads(VOCAB, POLICY)
    ev = lib.evaluator([("p", "all_read")])
    record = {k: v for k, v in TYPED.items() if k != "ctry"}
    assert ev.evaluate(record)["all_read"] is UNKNOWN
    assert ev.function()(record) == (UNKNOWN,)
    assert lib["p"].evaluate(record)["all_read"] is UNKNOWN


def test_a_bad_as_of_is_reported_after_the_facts() -> None:
    """As the reference path: the facts' FactsError first, then the TypeError of `as_of`."""
    lib = kprules.loads(VOCAB, POLICY)
    ev = lib.evaluator([("p", "all_read")])
    stamp: Any = dt.datetime(2024, 1, 1, 12)
    with pytest.raises(FactsError):
        ev.evaluate({"fa": 3}, as_of=stamp)
    with pytest.raises(TypeError, match="as_of"):
        ev.evaluate(TYPED, as_of=stamp)
    with pytest.raises(FactsError):
        list(ev.evaluate_many([{"fa": 3}], as_of=stamp))
    with pytest.raises(TypeError, match="as_of"):
        list(ev.evaluate_many([TYPED], as_of=stamp))


# ----------------------------------------------------------------------------- floats


WHOLE_VOCAB = "facts w\nfact x: decimal\n"
WHOLE_POLICY = f"""policy q "comparisons with whole numbers a float may not hold"
  reads w
define at_2_53 = x >= {2**53}
define above_2_53 = x > {2**53 + 1}
define big = x >= {10**23}
define not_big = x != {10**23}
define below = x < -{10**23}
define within = x in {10**23} .. {2 * 10**23}
"""
WHOLE = kprules.loads(WHOLE_VOCAB, WHOLE_POLICY).evaluator(
    [("q", t) for t in ("at_2_53", "above_2_53", "big", "not_big", "below", "within")])


@given(st.floats(1e15, 1e25) | st.floats(-1e25, -1e15) | st.sampled_from([1e23, -1e23, 2e23])
       | st.integers(2**53 - 4, 2**53 + 4).map(float))
def test_a_float_against_a_whole_number_reads_its_shortest_decimal(v: float) -> None:
    """Above 2**53 a whole number is not a float exactly, and a float does not order against
    it as its shortest decimal does (the float 1e23 is 99999999999999991611392, below 10**23;
    `validate` reads it as 1E+23): the checked entry reads the float exactly there."""
    check_evaluator(WHOLE, {"x": v}, None)


def _float_accepts() -> Callable[[Any], bool]:
    names: dict[str, Any] = dict(HELPERS)

    def bind(value: Any) -> str:
        names[f"_k{len(names)}"] = value
        return f"_k{len(names) - 1}"

    source = f"def _t(v0):\n    return bool({accept_test(DECIMAL, 'v0', bind)})"
    exec(compile(source, "<test>", "exec"), names)
    fn: Callable[[Any], bool] = names["_t"]
    return fn


@given(st.floats(allow_nan=True, allow_infinity=True) | st.floats(1e-16, 1e-12)
       | st.floats(1e14, 1e16) | st.floats(-1e-12, -1e-16))
def test_the_float_test_is_reading_the_shortest_decimal(v: float) -> None:
    assert _float_accepts()(v) == (float_decimal(v) is not MISS), v


@given(st.floats(CHEAP_LOW, CHEAP_HIGH, exclude_max=True) | st.just(0.0) | st.just(-0.0))
def test_floats_in_the_cheap_range_always_fit(v: float) -> None:
    """What the range test takes for granted: there, the shortest decimal fits the limits."""
    assert float_decimal(v) is not MISS and float_decimal(-v) is not MISS, v


def test_the_differential_test_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checked entry that took a bool for an integer (True is an int to Python) is caught:
    the reference reports the fact, the wrong entry would have evaluated it."""
    from kprules.eval import gen_checked

    def loose(t: Any, v: str, bind: Callable[[Any], str]) -> str:
        test = accept_test(t, v, bind)
        return f"({test}) or {v} is True" if t == INTEGER else test

    monkeypatch.setattr(gen_checked, "accept_test", loose)
    ev = kprules.loads(VOCAB, POLICY).evaluator([("p", "few_read")])
    with pytest.raises(AssertionError):
        check_evaluator(ev, {**TYPED, "n1": True}, None)
    check_evaluator(ev, TYPED, None)  # what is right stays right


def _iterate(records_: list[Any]) -> Iterator[Any]:
    yield from records_


def test_evaluate_many_is_lazy_and_takes_any_iterable() -> None:
    lib = kprules.loads(VOCAB, POLICY)
    ev = lib.evaluator([("p", "few_read")])
    stream = ev.evaluate_many(_iterate([TYPED, {"fa": 3}]))
    assert next(stream).row == (True,)
    with pytest.raises(FactsError):
        next(stream)


def test_policy_evaluate_with_no_terms_still_refuses() -> None:
    """`terms=[]` is not "every term": as before, there is nothing to evaluate."""
    policy = kprules.loads(VOCAB, POLICY)["p"]
    with pytest.raises(ValueError, match="nothing to evaluate"):
        policy.evaluate(TYPED, terms=[])
    assert policy.evaluate(TYPED, terms=["few_read"]).values == {"few_read": True}
    assert set(policy.evaluate(TYPED).values) == {"all_read", "few_read"}


def test_the_policy_check_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A policy's generated entry that made its `Result` without the date is caught."""
    import kprules.api

    monkeypatch.setattr(kprules.api, "_new_result", lambda values, as_of: Result(values, None))
    lib = kprules.loads(VOCAB, POLICY)
    with pytest.raises(AssertionError):
        check_policy(lib, "p", TYPED, None)


# ----------------------------------------------------------------------------- the stand-ins


def test_evaluate_is_a_stand_in_with_the_methods_signature() -> None:
    """After the first plain call, `evaluate` is generated code standing in for the method:
    the same signature, name and errors; a call with keywords goes to the method."""
    lib = kprules.loads(VOCAB, POLICY)
    ev = lib.evaluator([("p", "few_read")])
    policy = lib["p"]
    first = evaluation_data(ev.evaluate(TYPED))
    assert policy.evaluate(TYPED) == Result({"all_read": True, "few_read": True},
                                            dt.date(2024, 1, 1))
    for obj, method in ((ev, Evaluator.evaluate), (policy, Policy.evaluate)):
        assert "evaluate" in vars(obj), obj
        stand_in = obj.evaluate  # type: ignore[attr-defined]
        assert inspect.signature(stand_in) == inspect.signature(method.__get__(obj))
        assert stand_in.__qualname__ == method.__qualname__
        wrong: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
            ((TYPED, None), {}), ((TYPED,), {"bogus": 1}), ((), {}),
            ((TYPED,), {"facts": TYPED}), ((TYPED, None), {"explain": True})]
        for args, kwargs in wrong:  # Python's own message, as the method gives it
            with pytest.raises(TypeError) as want:
                method(obj, *args, **kwargs)
            with pytest.raises(TypeError) as got:
                stand_in(*args, **kwargs)
            assert str(got.value) == str(want.value), (args, kwargs)
    assert same(evaluation_data(ev.evaluate(facts=TYPED)), first)
    assert same(evaluation_data(ev.evaluate(TYPED, explain=False)), first)
    later = ev.evaluate(TYPED, as_of=dt.date(2030, 1, 1))
    assert later.as_of == dt.date(2030, 1, 1) and later.row == (True,)
    assert policy.evaluate(facts=TYPED, terms=["few_read"]) == Result({"few_read": True},
                                                                       dt.date(2024, 1, 1))


def test_a_subclass_that_overrides_evaluate_keeps_it() -> None:
    checked = kprules.loads(VOCAB, POLICY)["p"].checked
    calls: list[Any] = []

    class Counting(Evaluator):
        def evaluate(self, facts: Mapping[str, Any], **kw: Any) -> Evaluation:
            calls.append(facts)
            return super().evaluate(facts, **kw)

    ev = Counting([(checked, "few_read")])
    assert ev.evaluate(TYPED).row == ev.evaluate(TYPED).row == (True,)
    assert len(calls) == 2 and "evaluate" not in vars(ev)


def test_a_result_made_fast_is_a_result() -> None:
    """`_new_result` sets what attrs' `__init__` sets: the fields it knows of."""
    assert [f.name for f in attrs.fields(Result)] == ["values", "as_of", "explanation"]
    made = _new_result({"d": True}, dt.date(2024, 1, 1))
    want = Result({"d": True}, dt.date(2024, 1, 1))
    assert made == want and repr(made) == repr(want) and type(made) is Result
    assert made.explanation is None and made["d"] is True
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.as_of = None  # type: ignore[misc]


@pytest.mark.parametrize("as_of", [None, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 12)])
def test_the_streams_end_at_an_error_as_generators_do(as_of: Any) -> None:
    """A bad record raises its FactsError, and the stream is over (nothing after it is read)."""
    lib = kprules.loads(VOCAB, POLICY)
    ev = lib.evaluator([("p", "few_read")])
    for stream in (ev.evaluate_many(_iterate([TYPED, {"fa": 3}, TYPED]), as_of=as_of),
                   lib["p"].evaluate_many(_iterate([TYPED, {"fa": 3}, TYPED]), as_of=as_of)):
        assert isinstance(stream, types.GeneratorType)
        if isinstance(as_of, dt.datetime):  # the facts first, then the bad date
            with pytest.raises(TypeError, match="as_of"):
                next(stream)
            continue
        assert next(stream) is not None
        with pytest.raises(FactsError):
            next(stream)
        assert list(stream) == []


def test_an_entry_python_cannot_compile_takes_the_slow_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Code too deeply nested for Python: every shape of the entry still answers, slowly."""
    def refuse(*args: Any, **kwargs: Any) -> list[str]:
        raise RecursionError("too deep")

    monkeypatch.setattr(gen_checked, "_body", refuse)
    lib = kprules.loads(VOCAB, POLICY)
    ev, policy = lib.evaluator([("p", "few_read")]), lib["p"]
    assert ev.function()(TYPED) == (True,)
    assert ev.evaluate(TYPED).row == ev.evaluate(TYPED).row == (True,)
    assert [e.row for e in ev.evaluate_many([TYPED, TYPED])] == [(True,), (True,)]
    both = Result({"all_read": True, "few_read": True}, dt.date(2024, 1, 1))
    assert policy.evaluate(TYPED) == policy.evaluate(TYPED) == both
    assert list(policy.evaluate_many([TYPED])) == [both]
    with pytest.raises(FactsError):
        ev.evaluate({"fa": 3})


def _raised(call: Callable[[], Any], error: type[BaseException]) -> BaseException:
    with pytest.raises(error) as info:
        call()
    return info.value


def test_errors_of_the_slow_path_carry_no_internal_context() -> None:
    """A record the fast code gives up on (a fact missing, a value it cannot decide) goes to the
    reference path outside the generated code's handlers, so the error a caller sees (a
    FactsError, a division by zero) does not read as raised 'during handling of' a KeyError."""
    lib = kprules.loads(VOCAB, POLICY + "define share = fa or x1 / n1 > 1\n")
    ev, policy = lib.evaluator([("p", "all_read")]), lib["p"]
    bad = {"fa": 3}  # the other facts of all_read missing: a KeyError in the fast code
    for call in (lambda: ev.evaluate(bad), lambda: ev.function()(bad),
                 lambda: list(ev.evaluate_many([bad])), lambda: policy.evaluate(bad),
                 lambda: list(policy.evaluate_many([bad]))):
        err = _raised(call, FactsError)
        assert err.__context__ is None and err.__cause__ is None
    shares = lib.evaluator([("p", "share")])
    zero = {"x1": Decimal(1), "n1": 0}  # fa missing: the fast code gives up, then divides by 0
    for call in (lambda: shares.evaluate(zero), lambda: shares.function()(zero),
                 lambda: shares.function(validate_input=False)(zero),
                 lambda: list(shares.evaluate_many([zero]))):
        err = _raised(call, EvalError)
        assert "division by zero" in str(err) and err.__context__ is None
