"""Region coverage of a case library: for each disjunct of each region where two policies
disagree, the cases that fall in it, and a witness for each disjunct no case reaches.

Stage: two checked policies, the terms, and cases (validated facts and a date) ->
`RegionCoverage`. A case falls in a disjunct when its facts meet every test of the disjunct and
the two terms, evaluated symbolically on it, give the region's values (so a case whose facts
leave a term unknown does not count, whatever its other facts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from kprules import ir
from kprules.analysis.symbolic.cover import cover
from kprules.analysis.symbolic.engine import Differ, region_sets
from kprules.analysis.symbolic.model import Disjunct
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source


@frozen(repr=False)
class CaseFacts(SharedRepr):
    id: str
    facts: Mapping[str, Any]
    date: dt.date | None = None


@frozen(repr=False)
class DisjunctCoverage(SharedRepr):
    other: str
    term: str
    region: str
    disjunct: Disjunct
    cases: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.cases)


def region_coverage(base: ir.CheckedPolicy, other: ir.CheckedPolicy, terms: Sequence[str],
                    cases: Sequence[CaseFacts],
                    sources: Mapping[str, Source] | None = None) -> tuple[DisjunctCoverage, ...]:
    differ = Differ(base, other, terms, None, sources)
    out: list[DisjunctCoverage] = []
    for name in terms:
        diff = differ.term(name)
        s = differ.space
        b, o = s.term((base.name, name)), s.term((other.name, name))
        raw = {label: node for _, label, node, _, _ in
               region_sets(s, b, o, base.name, other.name)}
        points = [(c.id, s.point_of(c.facts, c.date)) for c in cases]
        for region in diff.regions:
            if region.kind == "undecided":
                continue
            node = raw[region.label]
            cubes, _ = cover(s.m, node, s.known_universe)  # as the region lists them
            for cube, disjunct in zip(cubes, region.disjuncts, strict=True):
                tests = s.m.cube(cube)
                inside = tuple(
                    case_id for case_id, point in points
                    if s.m.contains(tests, point) and s.m.contains(node, point))
                out.append(DisjunctCoverage(other.name, name, region.label, disjunct, inside))
    return tuple(out)
