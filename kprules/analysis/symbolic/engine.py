"""The symbolic difference of two policies' shared terms.

Stage: checked policies -> `TermDiff`s (kprules.analysis.symbolic.model). Steps: one layout of
both policies' terms; the partitioned domain of every fact they read (domain.py); each term as
sets of points per value (translate.py); the regions where the values differ, each covered by a
near-minimal disjunction (cover.py) written as expressions (condition.py); for each disjunct a
witness, checked with the compiled evaluator, and its cause found as `compare` finds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from kprules import ir
from kprules.analysis.symbolic.condition import conjunction
from kprules.analysis.symbolic.cover import cover, cube_node
from kprules.analysis.symbolic.domain import Cell, FactVar, build_domain, intervals_of, uses_dates
from kprules.analysis.symbolic.mdd import FALSE, MAX_NODES, TRUE, Cube, Manager, TooLarge
from kprules.analysis.symbolic.model import (
    Cause,
    Disjunct,
    PairDiff,
    Period,
    Region,
    TermDiff,
    Witness,
)
from kprules.analysis.symbolic.translate import Atom, F, Sym, T, Translator
from kprules.core.source import Source
from kprules.eval.evaluate import Evaluator, resolve_as_of
from kprules.explain.why import parting
from kprules.ir.runtime import EvalError
from kprules.ir.slots import Key, build_layout
from kprules.ir.types import Type
from kprules.ir.values import format_value


def error_text(err: EvalError) -> str:
    """Why the evaluator stopped on a witness, as its diagnostic says (KP500)."""
    return f"{err.diagnostic.code}: {err.diagnostic.message}"


def too_large_note(err: TooLarge) -> str:
    """Why a symbolic question was left unanswered (docs/symbolic.md, "Limits")."""
    return (f"stopped: the texts need {err} to compare (`--max-nodes` of `kprules diff` "
            "and `kprules check` allows more); cases and `kprules test` still check them "
            "(docs/symbolic.md, Limits)")


class Space:
    """The domain, diagrams and term translations of a set of (policy, term) targets."""

    def __init__(self, targets: Sequence[tuple[ir.CheckedPolicy, str]],
                 as_of: dt.date | None, max_nodes: int = MAX_NODES) -> None:
        self.layout = build_layout(targets)
        vocabulary = targets[0][0].vocabulary
        date_fact = vocabulary.dated_by if as_of is None else None
        extra = [date_fact] if date_fact and uses_dates(self.layout) else []
        self.domain = build_domain(self.layout, vocabulary, extra)
        self.m = Manager(self.domain.sizes, max_nodes)
        self.tr = Translator(self.m, self.domain, self.layout, as_of, date_fact)
        self.as_of = as_of
        self.vocabulary = vocabulary
        n = len(self.domain.sizes)
        self.known_universe = [self.domain.known_values(v) for v in range(n)]
        self.full_universe = [frozenset(range(s)) for s in self.domain.sizes]
        self.known = self.m.conj_all([self.m.var_in(v, self.known_universe[v])
                                      for v in range(n) if self.domain.owners[v][1] < 0])

    def term(self, key: Key) -> Sym:
        return self.tr.term(key)

    @cached_property
    def fact_types(self) -> dict[str, Type]:
        return {name: fv.type for name, fv in self.domain.facts.items()}

    @cached_property
    def value_type(self) -> Type:
        """The type of the first target's values (the terms compared share it)."""
        return self.layout.terms[self.layout.targets[0]].term.type

    def facts_of(self, point: Sequence[int]) -> dict[str, Any]:
        """The fact set of a point: each fact at its cell's representative; unknown omitted."""
        out: dict[str, Any] = {}
        for name, fv in self.domain.facts.items():
            i = point[fv.var]
            if fv.kind == "set":
                if i == 0:
                    out[name] = frozenset(
                        e if e is not None else fv.other
                        for k, e in enumerate(fv.elements) if point[fv.vars[k + 1]] == 1)
                continue
            if i == fv.unknown:
                continue
            value = fv.values[i]
            out[name] = value.rep if fv.kind == "ordered" else \
                (fv.other if value is None else value)
        return out

    def point_of(self, facts: Mapping[str, Any], day: dt.date | None) -> list[int]:
        """The point (cells) of a fact set; `day` dates it when the domain has a date fact."""
        point = [0] * len(self.domain.sizes)
        for name, fv in self.domain.facts.items():
            value = day if name == self.tr.date_fact and day is not None else facts.get(name)
            for var, cell in zip(fv.vars, _cells_of(fv, value), strict=True):
                point[var] = cell
        return point

    def unknown_facts(self, region: int) -> tuple[str, ...]:
        """The facts that are unknown somewhere in the region."""
        m = self.m
        return tuple(name for name, fv in self.domain.facts.items()
                     if m.conj(region, m.var_in(fv.var, {fv.unknown})) != FALSE)

    def witness_point(self, node: int) -> list[int] | None:
        """A point of the set, outside the points where a computation may stop the
        evaluation (a division by zero) when the set has any."""
        safe = self.m.diff(node, self.tr.failing)
        return self.m.pick(safe if safe != FALSE else node)

    def value_at(self, sym: Sym, point: Sequence[int],
                 facts: Mapping[str, Any] | None = None) -> Any:
        """The term's value at the point (a fact it passes through: its value in the point's
        fact set, `facts` when the caller has it), None where it is unknown."""
        for atom, where in sym.items():
            if self.m.contains(where, point):
                if atom[0] == "v":
                    return atom[1]
                return (facts if facts is not None else self.facts_of(point)).get(atom[1])
        return None


def _cells_of(fv: FactVar, value: Any) -> list[int]:
    if fv.kind == "set":
        if value is None:
            return [1] + [0] * len(fv.elements)
        named = {e for e in fv.elements if e is not None}
        return [0] + [int(e in value if e is not None else bool(set(value) - named))
                      for e in fv.elements]
    if value is None:
        return [fv.unknown]
    if fv.kind == "ordered":
        return [next(i for i, c in enumerate(fv.values) if _in_cell(c, value))]
    if fv.kind == "opaque":
        return [fv.values.index(value) if value in fv.values else fv.values.index(None)]
    return [fv.values.index(value)]


def _in_cell(c: Cell, value: Any) -> bool:
    if c.point:
        return bool(value == c.low)
    return (c.low is None or c.low < value) and (c.high is None or value < c.high)


def defined(sym: Sym, m: Manager) -> int:
    return m.disj_all(list(sym.values()))


RawRegion = tuple[str, str, int, Any, Any]


def region_sets(s: Space, b: Sym, o: Sym, base: str, other: str) -> list[RawRegion]:
    m = s.m
    out: list[RawRegion] = []
    if set(b) | set(o) <= {T, F}:
        out.append(("only_base", f"only under {base}",
                    m.conj_all([b.get(T, FALSE), o.get(F, FALSE), s.known]), True, False))
        out.append(("only_other", f"only under {other}",
                    m.conj_all([b.get(F, FALSE), o.get(T, FALSE), s.known]), False, True))
    else:
        out.extend(_value_regions(s, b, o, base, other))
    db, do = defined(b, m), defined(o, m)
    undecided = m.disj(m.diff(db, do), m.diff(do, db))
    out.append(("undecided", "one decides, the other is unknown", undecided, None, None))
    return out


def _value_regions(s: Space, b: Sym, o: Sym, base: str, other: str) -> list[RawRegion]:
    """One region per pair of values the terms give, where they are different values; the
    cells of a fact a term passes through make one region (`a value of `shipped_on``)."""
    m = s.m
    found: dict[str, RawRegion] = {}
    for ab, gb in sorted(b.items(), key=str):
        for ao, go in sorted(o.items(), key=str):
            both = m.conj_all([gb, go, s.known])
            if ab == ao or both == FALSE:
                continue
            label = (f"{base} gives {_show(ab, s.value_type)}, "
                     f"{other} gives {_show(ao, s.value_type)}")
            node = m.conj(both, _unequal(s, ab, ao))
            if label in found:
                node = m.disj(found[label][2], node)
            found[label] = ("values", label, node, _plain(ab), _plain(ao))
    return list(found.values())


def _unequal(s: Space, a: Atom, b: Atom) -> int:
    """Where two different atoms are different values: everywhere for two constants, but a
    fact passed through (`if rough then shipped_on else 2020-01-01` against `shipped_on`) may
    equal a constant or another fact: exactly where its cell says so (two set facts: element
    by element, docs/symbolic.md), else (two facts' cells) at the cells' representatives, and
    the result is not exhaustive."""
    if (a[0] == "v" and b[0] == "v") or (a[0] != "v" and a[1] == b[1]):
        return TRUE  # two constants, or two cells of one fact
    return s.tr.compare("=", a, b).get(F, FALSE)


def _plain(a: Atom) -> Any:
    return a[1] if a[0] == "v" else None


def _show(a: Atom, typ: Type) -> str:
    return format_value(a[1], typ) if a[0] == "v" else f"a value of `{a[1]}`"


def verdict(s: Space, b: Sym, o: Sym, regions: Sequence[RawRegion]) -> str:
    if all(r[2] == FALSE for r in regions):
        return "equivalent"
    if not set(b) | set(o) <= {T, F}:  # they differ, or only one is unknown somewhere
        return "different" if any(r[2] != FALSE for r in regions if r[0] == "values") \
            else "undecided"
    m = s.m
    narrower = m.diff(b.get(T, FALSE), o.get(T, FALSE)) != FALSE  # BASE holds, OTHER not
    broader = m.diff(o.get(T, FALSE), b.get(T, FALSE)) != FALSE
    if narrower and broader:
        return "overlapping"
    return "narrower" if narrower else "broader" if broader else "undecided"


class Differ:
    """Symbolic differences between a base policy and another, over their shared terms."""

    def __init__(self, base: ir.CheckedPolicy, other: ir.CheckedPolicy, terms: Sequence[str],
                 as_of: dt.date | None = None,
                 sources: Mapping[str, Source] | None = None, unknowns: bool = False,
                 max_nodes: int = MAX_NODES) -> None:
        self.base, self.other, self.terms = base, other, tuple(terms)
        self.unknowns, self.max_nodes = unknowns, max_nodes
        targets = [(p, t) for t in self.terms for p in (base, other)]
        self.evaluator = Evaluator(targets, sources)
        self.sources = sources or {}
        self.as_of = as_of

    def run(self) -> tuple[TermDiff, ...]:
        return tuple(self.term(t) for t in self.terms)

    def term(self, name: str) -> TermDiff:
        """The difference on one term; verdict `too_large`, with a note and no regions, when
        its diagrams outgrow the manager's bounds (`max_nodes`, and five times as many
        steps)."""
        try:
            return self._term(name)
        except TooLarge as err:
            return TermDiff(name, self.base.name, self.other.name, "too_large", (), self.as_of,
                            False, (too_large_note(err),))

    def _term(self, name: str) -> TermDiff:
        s = self.space = Space([(self.base, name), (self.other, name)], self.as_of,
                               self.max_nodes)
        bkey, okey = (self.base.name, name), (self.other.name, name)
        b, o = s.term(bkey), s.term(okey)
        raw = region_sets(s, b, o, self.base.name, self.other.name)
        regions = []
        for kind, label, node, bv, ov in raw:
            undecided = kind == "undecided"
            universe = s.full_universe if undecided else s.known_universe
            listed = self.unknowns or not undecided
            cubes, complete = cover(s.m, node, universe) if listed else ([], True)
            disjuncts = tuple(self._disjunct(c, node, universe, b, o, bkey, okey) for c in cubes)
            if node != FALSE or kind != "values":
                regions.append(Region(kind, label, disjuncts, bv, ov, node == FALSE,
                                      s.unknown_facts(node) if undecided else (), listed,
                                      complete))
        inexact = tuple(s.tr.inexact)
        return TermDiff(name, self.base.name, self.other.name, verdict(s, b, o, raw),
                        tuple(regions), self.as_of, not inexact, inexact)

    def _disjunct(self, c: Cube, region: int, universe: Sequence[frozenset[int]], b: Sym, o: Sym,
                  bkey: Key, okey: Key) -> Disjunct:
        s = self.space
        node = s.m.conj(cube_node(s.m, c, universe), region)
        point = s.witness_point(node)
        assert point is not None
        facts = s.facts_of(point)
        expect = (s.value_at(b, point, facts), s.value_at(o, point, facts))
        witness, causes = self._witness(facts, expect, bkey, okey)
        return Disjunct(conjunction(c, s.domain), witness, causes)

    def _witness(self, facts: dict[str, Any], expect: tuple[Any, Any], bkey: Key,
                 okey: Key) -> tuple[Witness, tuple[Cause, ...]]:
        ev = self.evaluator
        as_of = resolve_as_of(facts, ev.vocabulary, self.as_of)
        try:
            values, slots = ev.run(facts, as_of, explain=True)
        except EvalError as err:  # every point of the disjunct divides by zero
            witness = Witness(facts, as_of, *expect, False, error_text(err), *self._types())
            return witness, self._causes(self.other.name, okey[1], "provision")
        assert slots is not None
        got = dict(zip(ev.keys, values, strict=True))
        pair = (got[bkey], got[okey])
        witness = Witness(facts, as_of, pair[0], pair[1], pair == expect, None, *self._types())
        (policy, name), reason = parting(ev.layout, slots, facts, as_of, bkey, okey)
        return witness, self._causes(policy, name, reason)

    def _types(self) -> tuple[dict[str, Type], Type]:
        return self.space.fact_types, self.space.value_type

    def _causes(self, policy: str, name: str, reason: str) -> tuple[Cause, ...]:
        other_policy = self.other.policy_named(policy) if policy != self.other.name \
            else self.other
        out = []
        term = other_policy.terms.get(name)
        if reason == "in force" or term is None:
            out.append(Cause(policy, name, "in force"))
        else:
            out.append(Cause(term.origin.policy, name, line=self._line(term.origin)))
            b = self.base.terms.get(name)
            if b is not None and b.origin != term.origin:
                out.append(Cause(b.origin.policy, name, line=self._line(b.origin)))
        return tuple(out)

    def _line(self, origin: ir.Provenance) -> int | None:
        src = self.sources.get(origin.span.source)
        return src.line_col(origin.span.start)[0] if src is not None else None


def symbolic_diff(base: ir.CheckedPolicy, other: ir.CheckedPolicy, terms: Sequence[str],
                  as_of: dt.date | None = None,
                  sources: Mapping[str, Source] | None = None,
                  unknowns: bool = False, max_nodes: int = MAX_NODES) -> tuple[TermDiff, ...]:
    """For each term both policies have: the verdict and the complete regions where they
    disagree (docs/symbolic.md); `unknowns` writes out the region where one decides and the
    other is unknown, too; `max_nodes` bounds the decision diagrams of each term (past it,
    the verdict `too_large`)."""
    return Differ(base, other, terms, as_of, sources, unknowns, max_nodes).run()




def change_dates(base: ir.CheckedPolicy, other: ir.CheckedPolicy,
                 terms: Sequence[str]) -> list[dt.date]:
    """Every date where either text changes: in-force intervals, dated rules, parameters."""
    layout = build_layout([(p, t) for t in terms for p in (base, other)])
    days = {d for iv in intervals_of(layout) for d in (iv.start, iv.end) if d is not None}
    return sorted(days)


def diff_pair(base: ir.CheckedPolicy, other: ir.CheckedPolicy, terms: Sequence[str], *,
              as_of: dt.date | None = None, over_time: bool = False,
              sources: Mapping[str, Source] | None = None, unknowns: bool = False,
              max_nodes: int = MAX_NODES) -> PairDiff:
    """`other` against `base`; over time, one difference per period between change dates."""
    if not over_time:
        return PairDiff(other.name, symbolic_diff(base, other, terms, as_of, sources, unknowns,
                                                  max_nodes))
    days = change_dates(base, other, terms)
    starts: list[dt.date | None] = [None, *days]
    periods = []
    for i, start in enumerate(starts):
        end = days[i] if i < len(days) else None
        day = start if start is not None else (days[0] - dt.timedelta(days=1) if days
                                               else dt.date(2000, 1, 1))
        periods.append(Period(start, end, symbolic_diff(base, other, terms, day, sources,
                                                        unknowns, max_nodes)))
    return PairDiff(other.name, (), tuple(periods))
