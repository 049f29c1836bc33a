"""Two set facts compared with each other (`u = w`, `s != t`): element by element over the
variables the domain already has. For sets of an enum that is exact, so every fact set gets the
value the evaluator computes and the difference stays exhaustive; for sets of countries it is
exact on the countries the texts name and where at most one set holds another country, and
where both do, the sets are taken as equal (as at the representatives, one such country each),
which the result says: not exhaustive."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import kprules
from kprules.analysis.symbolic import symbolic_diff
from kprules.analysis.symbolic.engine import Space
from kprules.ir.values import UNKNOWN

VOCAB = """facts lots
enum k { a, b, c }
fact u: set of k
fact w: set of k
fact s: set of country
fact t: set of country
fact r: bool
"""
ENUM_ATOMS = ("u = w", "u != w", "w = u", "a in u", "c in w", "u = {a, b}", "w = {}", "r")
COUNTRY_ATOMS = ("s = t", "s != t", "RU in s", "BE in t", "s = {RU}", "t = {}", "r")
NAMED = ("RU", "BE")


def conditions(atoms: Sequence[str]) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(atoms)
    return st.recursive(leaf, lambda sub: st.one_of(
        st.tuples(sub, st.sampled_from((" and ", " or ")), sub).map(lambda x: f"({''.join(x)})"),
        sub.map(lambda x: f"not {x}")), max_leaves=4)


def policies(base: str, other: str) -> kprules.Library:
    return kprules.loads(VOCAB, f"policy p1\n  reads lots\n\ndefine x = {base}\n",
                         f"policy p2\n  amends p1\n\nredefine x = {other}\n")


def subsets(elements: Sequence[str]) -> Iterator[frozenset[str] | None]:
    yield None
    for n in range(len(elements) + 1):
        for c in itertools.combinations(elements, n):
            yield frozenset(c)


def fact_sets(first: str, second: str, elements: Sequence[str]) -> Iterator[dict[str, Any]]:
    for x, y, r in itertools.product(subsets(elements), subsets(elements), (None, False, True)):
        yield {k: v for k, v in ((first, x), (second, y), ("r", r)) if v is not None}


def agree_everywhere(lib: kprules.Library, facts_list: Iterator[dict[str, Any]]) -> None:
    """The symbolic value of each policy's `x` at each fact set's point is the evaluator's,
    except where two sets of countries both hold countries no text names, different ones."""
    s = Space([(lib["p1"].checked, "x"), (lib["p2"].checked, "x")], None)
    syms = {p: s.term((p, "x")) for p in ("p1", "p2")}
    named = {e for fv in s.domain.facts.values() for e in fv.elements if e is not None}
    for facts in facts_list:
        if _both_hold_others(facts, named):
            continue
        point = s.point_of(facts, None)
        for p, sym in syms.items():
            want = lib[p].evaluate(facts)["x"]
            assert s.value_at(sym, point) == (None if want is UNKNOWN else want), (p, facts)


@settings(max_examples=40, deadline=None)
@given(conditions(ENUM_ATOMS), conditions(ENUM_ATOMS))
def test_enum_sets_compared_exactly(base: str, other: str) -> None:
    lib = policies(base, other)
    agree_everywhere(lib, fact_sets("u", "w", ("a", "b", "c")))
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["x"])
    assert d.exhaustive, d.notes
    assert all(x.witness.verified for r in d.regions for x in r.disjuncts)


def _both_hold_others(facts: dict[str, Any], named: set[str]) -> bool:
    """Both sets of countries hold countries no text names, different ones: the cell where
    `s = t` is taken at its representative."""
    s, t = (facts.get(k, frozenset()) - named for k in ("s", "t"))
    return bool(s) and bool(t) and s != t


@settings(max_examples=40, deadline=None)
@given(conditions(COUNTRY_ATOMS), conditions(COUNTRY_ATOMS))
def test_country_sets_compared_soundly(base: str, other: str) -> None:
    lib = policies(base, other)
    agree_everywhere(lib, fact_sets("s", "t", (*NAMED, "AD", "FR")))
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["x"])
    compared = any(a in text for a in ("s = t", "s != t") for text in (base, other))
    assert d.exhaustive == (not compared), d.notes
    assert all(x.witness.verified for r in d.regions for x in r.disjuncts)


def test_enum_set_equality_is_a_verdict() -> None:
    lib = policies("u = w", "u = w and a in u")
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["x"])
    assert (d.verdict, d.exhaustive) == ("narrower", True)
    assert [x.condition for r in d.regions for x in r.disjuncts] == [
        "a not in u and b not in u and c not in u and a not in w and b not in w and c not in w",
        "a not in u and b not in u and c in u and a not in w and b not in w and c in w",
        "a not in u and b in u and c not in u and a not in w and b in w and c not in w",
        "a not in u and b in u and c in u and a not in w and b in w and c in w"]


def test_country_set_equality_says_where_it_is_not_exact() -> None:
    lib = policies("s = t", "RU in s")
    (d,) = symbolic_diff(lib["p1"].checked, lib["p2"].checked, ["x"])
    assert d.verdict == "overlapping" and not d.exhaustive
    assert d.notes == ("the sets `s` and `t` are compared: where both hold a country no text "
                       "names, they are taken as equal",)
