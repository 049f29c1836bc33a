"""Integer facts take whole values only, whatever decimal constants the texts use elsewhere:
their cells lie between whole cut points, so every region, proof and decision finding is about
whole numbers (a decimal constant 2.5 cuts an integer fact as 2 and 3 do)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

import kprules
from kprules.analysis.symbolic import symbolic_diff
from kprules.analysis.symbolic.decisions import analyse_decision
from kprules.analysis.symbolic.prove import prove_all

VOCAB = "facts lots\nfact n: integer\nfact share: decimal\n"
CONSTANTS = ("-1", "0", "0.5", "1", "2.5", "3")
OPS = (">", ">=", "<", "<=", "=", "!=")
# whole numbers around every constant, and decimals around and between them
NS = range(-3, 6)
SHARES = [Decimal(x) for x in ("-2", "-1", "-0.5", "0", "0.25", "0.5", "0.75", "1", "2",
                               "2.5", "2.75", "3", "4")]


def policies(base: str, other: str) -> kprules.Library:
    return kprules.loads(VOCAB, f"policy a\n  reads lots\n\ndefine x = {base}\n",
                         f"policy b\n  amends a\n\nredefine x = {other}\n")


comparisons = st.tuples(st.sampled_from(("n", "share")), st.sampled_from(OPS),
                        st.sampled_from(CONSTANTS)).map(" ".join)
conditions = st.lists(comparisons, min_size=1, max_size=2).map(" and ".join)


@settings(max_examples=40, deadline=None)
@given(conditions, conditions)
def test_witnesses_are_whole_and_regions_are_what_whole_numbers_give(base: str,
                                                                      other: str) -> None:
    lib = policies(base, other)
    (d,) = symbolic_diff(lib["a"].checked, lib["b"].checked, ["x"])
    assert d.exhaustive
    found = {r.kind: not r.empty for r in d.regions}
    for r in d.regions:
        for x in r.disjuncts:
            w = x.witness
            assert w.verified, (x.condition, w.facts)
            assert isinstance(w.facts.get("n", 0), int), (x.condition, w.facts)
            got = (lib["a"].evaluate(w.facts)["x"], lib["b"].evaluate(w.facts)["x"])
            assert got == (w.base_value, w.other_value) and got[0] != got[1]
    brute = {"only_base": False, "only_other": False}
    for n, share in itertools.product(NS, SHARES):
        got = (lib["a"].evaluate({"n": n, "share": share})["x"],
               lib["b"].evaluate({"n": n, "share": share})["x"])
        brute["only_base"] |= got == (True, False)
        brute["only_other"] |= got == (False, True)
    assert {k: found[k] for k in brute} == brute


def test_a_decimal_constant_elsewhere_leaves_integers_whole() -> None:
    lib = policies("n >= 1", "n > 0 and share != 0.5")
    (d,) = symbolic_diff(lib["a"].checked, lib["b"].checked, ["x"])
    assert d.verdict == "narrower"
    assert [(r.kind, x.condition) for r in d.regions for x in r.disjuncts] == [
        ("only_base", "n >= 1 and share = 0.5")]


def test_a_decimal_cut_on_an_integer_is_its_whole_neighbour() -> None:
    lib = policies("n > 2.5", "n >= 3")
    (d,) = symbolic_diff(lib["a"].checked, lib["b"].checked, ["x"])
    assert d.verdict == "equivalent"


def test_a_true_assertion_over_integers_is_proved() -> None:
    lib = kprules.loads(VOCAB, "policy a\n  reads lots\n\ndefine x = n >= 1\n",
                        "policy b\n  amends a\n\nredefine x = n > 0 and share != 0.5\n\n"
                        "assert narrows: b.x implies a.x\n")
    (proof,) = prove_all(lib.result.assertions, lib.result.policies)
    assert proof.holds and proof.exhaustive


def test_a_rule_shadowed_on_whole_numbers_is_dead() -> None:
    lib = kprules.loads(VOCAB, "policy c\n  reads lots\n\ndecision d: {ok, watch, no}\n"
                               "  default ok\n  no when n >= 3\n  watch when n > 2.5\n")
    report = analyse_decision(lib["c"].checked, "d")
    assert [(f.kind, f.rules, f.conditions, f.witness) for f in report.findings] == [
        ("dead", ("rule 2 (watch when ...)",), ("n >= 3",), {"n": 3}),
        ("default", (), ("n <= 2",), {"n": 1}),
        ("conflict", ("rule 1 (no when ...)", "rule 2 (watch when ...)"), ("n >= 3",), {"n": 3}),
    ]
