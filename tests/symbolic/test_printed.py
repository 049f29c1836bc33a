"""Printed conditions over text facts and sets of countries are expressions of the language:
parsed back, each region's conditions denote the region (no `x not in {"A", "B"}`, which no
set of text allows, nor `origins has some country outside {RU}`)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import kprules
from kprules.analysis.symbolic import symbolic_diff
from kprules.analysis.symbolic.engine import Space, region_sets
from kprules.eval.interpret import interpret
from kprules.ir.slots import build_layout
from tests.symbolic.test_properties import points

VOCAB = """facts lots

fact b: bool
fact exporter: text
fact mined_in: country
fact origins: set of country
"""

ATOMS = ('exporter = "A"', 'exporter != "B"', 'exporter = "C"', "mined_in in {RU, BE}",
         "mined_in = CF", "RU in origins", "BE not in origins", "origins = {RU}",
         "origins = {}", "origins = {BE, RU}", "origins != {CF}", "b")

exprs = st.lists(st.tuples(st.sampled_from(["", "not "]), st.sampled_from(ATOMS)),
                 min_size=1, max_size=3).map(lambda xs: " and ".join(f"{n}({a})" for n, a in xs))


def policy(name: str, body: str) -> str:
    return f"policy {name}\n  reads lots\n\ndefine t = {body}\n"


def denotes(lib: kprules.Library, label: str, conditions: list[str]) -> None:
    """The conditions, parsed back, hold exactly on the region's points."""
    s = Space([(lib["p1"].checked, "t"), (lib["p2"].checked, "t")], None)
    b, o = s.term(("p1", "t")), s.term(("p2", "t"))
    node = {lbl: n for _, lbl, n, _, _ in region_sets(s, b, o, "p1", "p2")}[label]
    body = " or ".join(f"({c})" for c in conditions) if conditions else "false"
    q = kprules.loads(VOCAB, policy("q", body))["q"].checked
    layout = build_layout([(q, "t")])
    for point in points(s):
        if all(point[v] in s.known_universe[v] for v in range(len(point))):
            facts = s.facts_of(point)
            values, _ = interpret(layout, facts, None)
            assert values[("q", "t")] == s.m.contains(node, point), (label, conditions, facts)


@settings(max_examples=40, deadline=None)
@given(exprs, exprs)
def test_printed_conditions_parse_back_to_the_same_region(first: str, second: str) -> None:
    lib = kprules.loads(VOCAB, policy("p1", first), policy("p2", second))
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["t"])
    for r in d.regions:
        if r.kind != "undecided":
            denotes(lib, r.label, [x.condition for x in r.disjuncts])


def conditions(first: str, second: str) -> list[str]:
    lib = kprules.loads(VOCAB, policy("p1", first), policy("p2", second))
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["t"])
    return [f"{r.kind}: {x.condition}" for r in d.regions for x in r.disjuncts]


def test_text_and_country_sets_are_written_as_the_language_says() -> None:
    assert conditions('exporter = "A"', 'exporter != "A" and exporter != "B"') == [
        'only_base: exporter = "A"', 'only_other: exporter != "A" and exporter != "B"']
    assert conditions('exporter = "A" or exporter = "B"', "false") == [
        'only_base: (exporter = "A" or exporter = "B")']
    assert conditions("RU in origins", "origins = {RU}") == [
        "only_base: RU in origins and origins != {RU}"]
    assert conditions("b", "b and origins = {RU}") == [
        "only_base: b and origins != {} and origins != {RU}", "only_base: b and RU not in origins"]
