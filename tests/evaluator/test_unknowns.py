"""Decisions under unknowns (docs/language.md, "Decisions"): a decision gives an outcome when
every way of resolving its unknown rules gives that outcome, and is unknown otherwise.

The property: for generated policies and facts with some unknown, every value the interpreter
gives (not unknown) is the value of every completion of the unknown facts (each completed over a
few values near the policy's constants, the evaluation date included when the `day` fact gives
it). The compiled code agrees with the interpreter clause by clause (test_differential.py); here
the compiled code and the explanation are checked on hand-written decisions too.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

import kprules
from kprules.eval.interpret import interpret
from kprules.explain.tree import Explanation, all_values
from kprules.ir.runtime import EvalError
from kprules.ir.slots import Layout, build_layout, term_rules

from .strategies import (
    COLORS,
    COUNTRIES,
    FACTS,
    VOCABULARY,
    Case,
    _Gen,
    as_of_dates,
    cases,
    every_fact,
)
from .test_differential import load

MAX_COMPLETIONS = 150


def pool(case: Case, typ: str) -> list[Any]:
    """A few values of a fact's type, near the policy's constants."""
    ints = sorted({v + d for v in (*case.ints, 0) for d in (-1, 0, 1)})
    decs = sorted({v + d for v in (*case.decs, *map(Decimal, case.ints), Decimal(0))
                   for d in (Decimal("-0.01"), Decimal(0), Decimal("0.01"))})
    dates = sorted({d + dt.timedelta(days=k) for d in case.dates for k in (-1, 0)}
                   | {dt.date(2010, 1, 1)})
    pools: dict[str, list[Any]] = {
        "bool": [True, False], "int": ints, "dec": decs, "ct": decs, "date": dates,
        "country": [*COUNTRIES, "BE"], "color": list(COLORS), "text": ["a", "b c", ""],
        "colors": [frozenset(), frozenset({"red"}), frozenset({"green", "blue"}),
                   frozenset(COLORS)],
    }
    return pools[typ]


def completions(case: Case, facts: dict[str, Any], missing: list[str]) -> Iterator[dict[str, Any]]:
    """Every completion of the missing facts over their pools (a regular subset when there are
    more than MAX_COMPLETIONS)."""
    pools = [pool(case, FACTS[name]) for name in missing]
    total = 1
    for p in pools:
        total *= len(p)
    stride = max(1, total // MAX_COMPLETIONS)
    for i, values in enumerate(itertools.product(*pools)):
        if i % stride == 0:
            yield {**facts, **dict(zip(missing, values, strict=True))}


def run(layout: Layout, facts: dict[str, Any],
        as_of: dt.date | None) -> tuple[dict[Any, Any], list[Any]] | None:
    try:
        return interpret(layout, facts, as_of if as_of is not None else facts.get("day"))
    except EvalError:
        return None


def moot(layout: Layout, slots: list[Any], key: Any) -> bool:
    """A decided decision with an unknown rule or exception (the case this file is about)."""
    return any(slots[r.index] is None for r in term_rules(layout.terms[key]))


@st.composite
def decisions(draw: Any) -> Case:
    """A policy of decisions only (each may read the earlier ones), so that most examples have
    decisions with several rules."""
    gen = _Gen(draw)
    text = gen.header("p", None)
    for i in range(gen.n(1, 3)):
        gen.visible = i
        term = gen.decision(f"t{i}", (f"t{i}_yes", f"t{i}_no"))  # two: outcomes often agree
        gen.terms.append(term)
        text += term.text + "\n"
    return Case((VOCABULARY, text), ("p",), tuple(("p", t.name) for t in gen.terms),
                frozenset(gen.ints), frozenset(gen.decs), frozenset(gen.dates))


@st.composite
def scenarios(draw: Any) -> tuple[Case, dt.date | None, dict[str, Any], list[str]]:
    case = draw(st.one_of(decisions(), cases()))
    facts = draw(every_fact(case))
    # facts the policies read (and the date), so that the unknowns reach their rules
    text = " ".join(case.texts[1:]).replace("(", " ").replace(")", " ").split()
    read = sorted({name for name in FACTS if name in text} | {"day"})
    missing = draw(st.lists(st.sampled_from(read), min_size=1, max_size=3, unique=True))
    for name in missing:
        del facts[name]
    return case, draw(as_of_dates(case)), facts, missing


@given(scenarios())
def test_an_outcome_given_is_the_outcome_of_every_completion(scenario: Any) -> None:
    case, as_of, facts, missing = scenario
    lib = load(case)
    layout = build_layout((lib[p].checked, t) for p, t in case.terms)  # the interpreter's only
    given_run = run(layout, facts, as_of)
    if given_run is None:
        return
    known = {k: v for k, v in given_run[0].items() if v is not None}
    event(f"decided under unknown rules: {any(moot(layout, given_run[1], k) for k in known)}")
    for completed in completions(case, facts, missing):
        completed_run = run(layout, completed, as_of)
        if completed_run is None:  # an error (division by zero) is no outcome
            continue
        values = completed_run[0]
        for key, value in known.items():
            assert values[key] == value, (key, value, values[key], completed)


VOCAB = """\
facts v "test"
enum origin_kind { rebel state }
fact origin: country
fact rough: bool
fact kind: origin_kind
"""


def policy(body: str) -> kprules.Library:
    return kprules.loads(VOCAB, f'policy p "p"\n  status current\n  reads v\n\n{body}')


def evaluate(lib: kprules.Library, facts: dict[str, Any]) -> Any:
    """The decision `d` by the interpreter, the traced code and the strict-or-traced function;
    all three must agree, slots included."""
    ev = lib.evaluator([("p", "d")])
    ref, ref_slots = interpret(ev.layout, facts, None)
    values, slots = ev.compiled.traced(facts, None)
    assert all_values(ev.layout, slots, facts, None) == ref_slots
    assert values[0] == ref[("p", "d")]
    return ref[("p", "d")]


SAME = """decision d: { prohibited, allowed }
  default allowed
  prohibited when origin in { CF, RU }
  prohibited when rough
"""


def test_an_unknown_rule_followed_by_a_rule_with_its_outcome_decides() -> None:
    lib = policy(SAME)
    assert evaluate(lib, {"rough": True}) == "prohibited"
    assert evaluate(lib, {"rough": False}) is None  # origin decides between the two
    assert evaluate(lib, {"rough": False, "origin": "BW"}) == "allowed"


def test_an_unknown_rule_with_the_default_outcome_decides() -> None:
    lib = policy("decision d: { prohibited, allowed }\n  default allowed\n"
                 "  allowed when origin = CF\n  prohibited when rough\n")
    assert evaluate(lib, {"rough": False}) == "allowed"
    assert evaluate(lib, {"rough": True}) is None


def test_exceptions_under_unknowns() -> None:
    lib = policy("decision d: { prohibited, allowed }\n  default allowed\n"
                 "  prohibited when rough\n    except prohibited when origin = CF\n"
                 "    except allowed when kind = state\n")
    # the first exception gives the rule's own outcome: unknown or not, it does not matter
    assert evaluate(lib, {"rough": True, "kind": "rebel"}) == "prohibited"
    # the second gives another outcome: unknown
    assert evaluate(lib, {"rough": True}) is None
    # ... unless the first certainly applies, which ends the chain
    assert evaluate(lib, {"rough": True, "origin": "CF"}) == "prohibited"
    # an unknown rule whose exception applies gives that exception's outcome only
    assert evaluate(lib, {"kind": "state", "origin": "BW"}) == "allowed"
    assert evaluate(lib, {"kind": "state"}) is None  # ... or the first exception's


def test_the_explanation_says_which_unknowns_did_not_matter() -> None:
    lib = policy(SAME)
    ev = lib.evaluator([("p", "d")])
    facts = {"rough": True}
    _, slots = ev.compiled.traced(facts, None)
    ex = Explanation(ev.layout, tuple(slots), facts, None)
    text = ex.text()
    assert ("rule 1 (prohibited when origin in {CF, RU}) is unknown (these facts were not "
            "given: origin), but every way it resolves gives prohibited: if it applies, it "
            "gives prohibited; if not, rule 2 does") in " ".join(text.split())
    assert "rule: prohibited when origin in {CF, RU} -> unknown  <- does not change the outcome" \
        in text
    assert "rule: prohibited when rough -> applies  <- gives the outcome" in text
    moot = ex.to_json()["terms"][0]["unknowns_that_did_not_matter"]
    assert moot == [{"provision": "rule 1", "text": "prohibited when origin in {CF, RU}",
                     "unknown_because": {"facts_not_given": ["origin"]},
                     "gives": "prohibited", "otherwise": "rule 2"}]
    # an undecided decision names no unknown that did not matter
    _, slots = ev.compiled.traced({"rough": False}, None)
    undecided = Explanation(ev.layout, tuple(slots), {"rough": False}, None)
    assert "unknowns_that_did_not_matter" not in undecided.to_json()["terms"][0]
    assert "<- leaves the outcome unknown" in undecided.text()
