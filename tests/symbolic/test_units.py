"""The pieces of the symbolic difference: cells, conditions as written, constructs outside the
exact method (marked not exhaustive), and the diagrams' basic laws."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import kprules
from kprules.analysis.symbolic import symbolic_diff
from kprules.analysis.symbolic.domain import cells
from kprules.analysis.symbolic.mdd import FALSE, TRUE, Manager
from tests.symbolic import gen

ROOT = Path(__file__).resolve().parents[2]


def diff(first: str, second: str, term: str = "t") -> list[str]:
    lib = kprules.loads(gen.VOCAB, f"policy p1\n  reads gen\n\n{gen.PARAMETER}\n{first}\n",
                        f"policy p2\n  reads gen\n\n{gen.PARAMETER}\n{second}\n")
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, [term])
    return [f"{r.kind}: {x.condition}" for r in d.regions for x in r.disjuncts]


def test_integer_cells_skip_empty_gaps() -> None:
    got = [(c.low, c.high, c.rep) for c in cells([0, 1, 3], "number", integral=True)]
    assert got == [(None, 0, -1), (0, 0, 0), (1, 1, 1), (1, 3, 2), (3, 3, 3), (3, None, 4)]


def test_decimal_and_date_cells_have_a_value_inside() -> None:
    mid = cells([Decimal("0.5"), Decimal("1.0")], "q:ct", integral=False)[2]
    assert mid.rep == Decimal("0.75")
    days = cells([dt.date(2024, 3, 1)], "date", integral=True)
    assert [c.rep for c in days] == [dt.date(2024, 2, 29), dt.date(2024, 3, 1),
                                     dt.date(2024, 3, 2)]


def test_numbers_are_written_as_intervals() -> None:
    assert diff("define t = w >= 0.5 ct", "define t = w >= 1.0 ct") == [
        "only_base: w >= 0.5 ct and w < 1.0 ct"]
    assert diff("define t = w in 0.5 ct .. 2 ct", "define t = false") == [
        "only_base: w in 0.5 ct .. 2 ct"]
    assert diff("define t = n > 3 or n < 0", "define t = false") == [
        "only_base: (n < 0 or n > 3)"]


def test_enums_sets_and_countries_are_grouped() -> None:
    assert diff("define t = e in {k0, k1}", "define t = e = k0") == ["only_base: e = k1"]
    assert diff("define t = e != k2 and a1 in s", "define t = false") == [
        "only_base: e != k2 and a1 in s"]
    assert diff("define t = c != RU", "define t = c = BE") == [
        "only_base: c not in {BE, RU}"]


def test_dated_parameters_cut_the_date() -> None:
    assert diff("define t = w >= limit", "define t = w >= 1.0 ct") == [
        "only_base: w >= 0.5 ct and w < 1.0 ct and day >= 2024-03-01"]


def test_comparing_two_facts_is_not_exhaustive() -> None:
    lib = kprules.loads(gen.VOCAB, "policy p1\n  reads gen\n\ndefine t = w >= 1.0 ct\n",
                        "policy p2\n  reads gen\n\ndefine t = n > 0 and w * 2 >= 1.0 ct\n")
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["t"])
    assert not d.exhaustive
    assert d.notes == ("arithmetic on `w` is evaluated at representative values only",)


def test_diagram_laws() -> None:
    m = Manager([3, 2])
    a = m.var_in(0, {0, 1})
    b = m.var_in(1, {1})
    assert m.conj(a, m.neg(a)) == FALSE and m.disj(a, m.neg(a)) == TRUE
    assert m.neg(m.conj(a, b)) == m.disj(m.neg(a), m.neg(b))
    assert m.var_in(0, {0, 1, 2}) == TRUE
    assert m.pick(m.conj(m.neg(a), b)) == [2, 1]


def test_every_bundled_policy_is_equivalent_to_itself() -> None:
    lib = kprules.load(ROOT / "policies")
    for policy in lib.policies.values():
        p = policy.checked
        for d in symbolic_diff(p, p, sorted(p.terms)):
            assert d.verdict == "equivalent" and d.exhaustive, (p.name, d.term)


def test_a_set_of_countries_none_named_is_tested_for_emptiness() -> None:
    vocab = "facts v\n\nfact via: set of country\nfact b: bool\n"
    lib = kprules.loads(vocab, "policy p1\n  reads v\n\ndefine t = b\n",
                        "policy p2\n  reads v\n\ndefine t = b and via = {}\n",
                        "policy q\n  reads v\n\ndefine r = b and via != {}\n")
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["t"])
    (x,) = d.regions[0].disjuncts
    assert x.condition == "b and via != {}"  # as written in q, which parses and checks
    assert x.witness.facts["via"] == frozenset({"AD"})


def verdict(first: str, second: str, term: str) -> str:
    lib = kprules.loads(gen.VOCAB, f"policy p1\n  reads gen\n\n{first}\n",
                        f"policy p2\n  reads gen\n\n{second}\n")
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, [term])
    return d.verdict


def test_a_decision_that_only_leaves_more_unknown_is_undecided() -> None:
    decision = "decision d: {{x, y}}\n  default x\n  y when {}\n"
    assert verdict(decision.format("b0"), decision.format("b0 and (b1 or not b1)"),
                   "d") == "undecided"
    assert verdict(decision.format("b0"), decision.format("b0 and b1"), "d") == "different"
    assert verdict(decision.format("b0"), decision.format("b0"), "d") == "equivalent"


def test_a_fact_passed_through_differs_only_where_its_value_does() -> None:
    lib = kprules.loads(gen.VOCAB, "policy p1\n  reads gen\n\ndefine v = if b0 then n else 3\n"
                                   "define u = if b0 then s else {a1}\n",
                        "policy p2\n  reads gen\n\ndefine v = n\ndefine u = s\n")
    diffs = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["v", "u"])
    got = [(d.term, d.verdict, d.exhaustive, r.label, x.condition, x.witness.verified)
           for d in diffs for r in d.regions if r.kind != "undecided" for x in r.disjuncts]
    assert got == [
        ("v", "different", True, "p1 gives 3, p2 gives a value of `n`",
         "not b0 and (n < 3 or n > 3)", True),
        ("u", "different", True, "p1 gives {a1}, p2 gives a value of `s`",
         "not b0 and a3 in s", True),
        ("u", "different", True, "p1 gives {a1}, p2 gives a value of `s`",
         "not b0 and a2 in s", True),
        ("u", "different", True, "p1 gives {a1}, p2 gives a value of `s`",
         "not b0 and a1 not in s", True),
        ("u", "different", True, "p1 gives {a1}, p2 gives a value of `s`",
         "not b0 and a0 in s", True),
    ]
