"""Properties of the symbolic difference over generated policy pairs (tests/symbolic/gen.py):
the regions are exactly what brute force over the partitioned domain finds, their covers are
exact, every witness differs under the compiled evaluator, every printed condition parses back
to the same region, and a policy is equivalent to itself and to its `kprules fmt` text.

Each example loads, checks and compiles policies and enumerates up to 4,000 points, so the
numbers of examples are fixed here (25-30) rather than taken from the profile."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import HealthCheck, assume, given, settings

import kprules
from kprules.analysis.symbolic import symbolic_diff
from kprules.analysis.symbolic.cover import cover, cube_node
from kprules.analysis.symbolic.engine import Space, region_sets
from kprules.analysis.symbolic.mdd import FALSE
from kprules.core.source import Source
from kprules.eval.interpret import interpret
from kprules.ir.slots import build_layout
from kprules.syntax.canonical import canonical_text
from tests.symbolic import gen

MAX_POINTS = 4000
TERMS = ("t", "d")


def load(*texts: str) -> kprules.Library:
    return kprules.loads(gen.VOCAB, *texts)


def points(space: Space) -> Iterator[list[int]]:
    for p in itertools.product(*(range(s) for s in space.domain.sizes)):
        yield list(p)


def space_of(lib: kprules.Library, term: str) -> Space:
    return Space([(lib["p1"].checked, term), (lib["p2"].checked, term)], None)


def expected(kind: str, b: Any, o: Any, bv: Any, ov: Any) -> bool:
    if kind == "undecided":
        return (b is None) != (o is None)
    if b is None or o is None:
        return False
    return bool(b == bv and o == ov)


def small(space: Space) -> bool:
    total = 1
    for s in space.domain.sizes:
        total *= s
    return total <= MAX_POINTS


# Most generated pairs have too many points to enumerate and are discarded (`assume`), by
# design: the health check that counts them failed one CI run in several (9 kept, 50 dropped).
@settings(max_examples=30, suppress_health_check=[HealthCheck.filter_too_much])
@given(gen.pairs())
def test_regions_are_what_brute_force_finds(texts: tuple[str, str]) -> None:
    lib = load(*texts)
    for term in TERMS:
        s = space_of(lib, term)
        assume(small(s))
        b, o = s.term(("p1", term)), s.term(("p2", term))
        raw = region_sets(s, b, o, "p1", "p2")
        for point in points(s):
            facts = s.facts_of(point)
            values, _ = interpret(s.layout, facts, facts.get("day"))
            bv, ov = values[("p1", term)], values[("p2", term)]
            all_known = all(point[v] in s.known_universe[v] for v in range(len(point)))
            for kind, _, node, want_b, want_o in raw:
                inside = s.m.contains(node, point)
                if kind != "undecided" and not all_known:
                    assert not inside
                    continue
                assert inside == expected(kind, bv, ov, want_b, want_o), (kind, facts, bv, ov)
        for kind, _, node, _, _ in raw:  # and each cover is exactly its region
            universe = s.full_universe if kind == "undecided" else s.known_universe
            cubes, complete = cover(s.m, node, universe)
            union = s.m.disj_all([cube_node(s.m, c, universe) for c in cubes])
            assert union == node if complete else s.m.implies(union, node)


@settings(max_examples=25)
@given(gen.pairs())
def test_every_witness_differs_under_the_compiled_evaluator(texts: tuple[str, str]) -> None:
    lib = load(*texts)
    diffs = symbolic_diff(lib["p1"].checked, lib["p2"].checked, TERMS, unknowns=True)
    ev = lib.evaluator([("p1", t) for t in TERMS] + [("p2", t) for t in TERMS])
    for d in diffs:
        assert d.exhaustive
        for r in d.regions:
            for x in r.disjuncts:
                w = x.witness
                assert w.verified
                got = ev.evaluate(w.facts, validated=True)
                bv, ov = got[("p1", d.term)], got[("p2", d.term)]
                assert repr(bv) != repr(ov), (x.condition, w.facts)


def conditions_policy(conditions: Sequence[str]) -> str:
    body = " or ".join(f"({c})" for c in conditions) if conditions else "false"
    return f"policy q\n  reads gen\n\n{PARAM}\ndefine r = {body}\n"


PARAM = gen.PARAMETER


@settings(max_examples=30, suppress_health_check=[HealthCheck.filter_too_much])
@given(gen.pairs())  # pairs with too many points to enumerate are discarded, by design
def test_printed_conditions_parse_back_to_the_same_region(texts: tuple[str, str]) -> None:
    lib = load(*texts)
    for d in symbolic_diff(lib["p1"].checked, lib["p2"].checked, TERMS):
        s = space_of(lib, d.term)
        assume(small(s))
        b, o = s.term(("p1", d.term)), s.term(("p2", d.term))
        nodes = {label: node for _, label, node, _, _ in region_sets(s, b, o, "p1", "p2")}
        for r in d.regions:
            if r.kind == "undecided":
                continue
            q = load(conditions_policy([x.condition for x in r.disjuncts]))["q"].checked
            layout = build_layout([(q, "r")])
            for point in points(s):
                if not all(point[v] in s.known_universe[v] for v in range(len(point))):
                    continue
                facts = s.facts_of(point)
                values, _ = interpret(layout, facts, facts.get("day"))
                assert values[("q", "r")] == s.m.contains(nodes[r.label], point), \
                    (r.label, facts)


def renamed(text: str, name: str) -> str:
    return text.replace("policy p1\n", f"policy {name}\n", 1)


@settings(max_examples=25)
@given(gen.policy("p1"))
def test_a_policy_is_equivalent_to_itself_and_to_its_fmt(text: str) -> None:
    formatted = canonical_text(Source("<p1>", renamed(text, "p1f")))
    lib = load(text, renamed(text, "p1s"), formatted)
    p1 = lib["p1"].checked
    for other in ("p1", "p1s", "p1f"):
        for d in symbolic_diff(p1, lib[other].checked, TERMS):
            assert d.verdict == "equivalent"
            assert all(r.empty for r in d.regions)


def test_brute_force_finds_a_region_when_there_is_one() -> None:
    """The properties above are not vacuous: a known pair has both regions."""
    lib = load("policy p1\n  reads gen\n\ndefine t = b0 and e = k1\n",
               "policy p2\n  reads gen\n\ndefine t = b0 and w >= 1.0 ct\n")
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["t"])
    assert d.verdict == "overlapping"
    assert [x.condition for x in d.regions[0].disjuncts] == ["b0 and e = k1 and w < 1.0 ct"]
    assert [x.condition for x in d.regions[1].disjuncts] == ["b0 and e != k1 and w >= 1.0 ct"]


def test_nothing_found_is_marked_empty() -> None:
    lib = load("policy p1\n  reads gen\n\ndefine t = b0\n",
               "policy p2\n  reads gen\n\ndefine t = b0 or b0 and b1\n")
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["t"])
    assert d.verdict == "equivalent"
    assert all(r.empty for r in d.regions) and FALSE == 0
