"""A near-minimal disjunction of conjunctions for a set of points.

Minato and Morreale's irredundant sum of products, carried over to variables of many values: at
the top variable, the part of each value's set that cannot be covered without a test on the
variable is covered recursively, each cube's test then widened to every value whose set contains
it; what is left is covered without a test. Then, as the classic two-level minimisers do, each
cube is expanded as far as it stays inside the set (drop a test, else widen it value by value),
cubes another contains are dropped, and each cube the others cover together. The result is
irredundant and its cubes maximal, though not always the fewest cubes possible.

Some sets take exponentially many cubes to write: `not (a1 and b1) and ... and not (an and bn)`
takes 2^n. So the cover is bounded: past `_BUDGET` cubes built, it stops and gives the set's
first disjoint cubes instead (the diagram's paths), and at most `most` cubes are given, with a
flag that says whether they are the whole set. The set itself stays exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from kprules.analysis.symbolic.mdd import FALSE, TRUE, Cube, Manager

Universe = Sequence[frozenset[int]]  # per variable: the values a dropped test stands for
MAX_LISTED = 100  # the cubes a cover gives at most (a region's disjuncts written out)
_BUDGET = 400  # the cubes the minimising cover may build before it gives up


class _TooMany(Exception):
    """The minimising cover has built more than `_BUDGET` cubes."""


def cube_node(m: Manager, c: Cube, universe: Universe) -> int:
    return m.cube(tuple(v if v is not None else universe[i] for i, v in enumerate(c)))


def normal(c: Cube, universe: Universe) -> Cube:
    """Tests of every value of the universe are no tests."""
    return tuple(None if v is not None and v >= universe[i] else v for i, v in enumerate(c))


def cover(m: Manager, region: int, universe: Universe, order: Sequence[int] | None = None,
          limit: int = 120, most: int = MAX_LISTED) -> tuple[list[Cube], bool]:
    """Cubes whose union is `region` (which lies inside the universe), at most `most` of them,
    and whether they are all of it. Past `limit` cubes the minimisation stops early (still
    exact, less short): only contained cubes are dropped. Past `_BUDGET` cubes built, the
    first `most` paths of the region's diagram (disjoint, each inside it) and False."""
    if region == FALSE:
        return [], True
    # a cube without its universe tests lies inside the region when it does outside the universe
    outside = m.neg(m.cube(tuple(universe)))
    within = m.disj(region, outside)
    try:
        built = _Isop(m, universe, outside).run(region, region)[0]
    except _TooMany:
        return [normal(c, universe) for c in itertools.islice(m.paths(region), most)], False
    cubes = [normal(c, universe) for c in built]
    if len(cubes) <= limit:
        cubes = [_expand(m, c, within, universe, order) for c in cubes]
    cubes = _drop_contained(cubes)
    if len(cubes) <= limit // 2:
        cubes = _irredundant(m, cubes, outside)
    return cubes[:most], len(cubes) <= most


def _expand(m: Manager, c: Cube, within: int, universe: Universe,
            order: Sequence[int] | None) -> Cube:
    cur = list(c)
    for var in order or range(len(c)):
        if cur[var] is None:
            continue
        trial = cur.copy()
        trial[var] = None
        if m.implies(m.cube(tuple(trial)), within):
            cur = trial
            continue
        current = cur[var]
        assert current is not None
        for value in sorted(universe[var] - current):
            trial = cur.copy()
            widened = current | {value}
            trial[var] = widened
            if m.implies(m.cube(tuple(trial)), within):
                cur, current = trial, widened
    return normal(tuple(cur), universe)


def _contains(a: Cube, b: Cube) -> bool:
    return all(x is None or (y is not None and y <= x) for x, y in zip(a, b, strict=True))


def _drop_contained(cubes: list[Cube]) -> list[Cube]:
    unique = list(dict.fromkeys(cubes))
    return [c for i, c in enumerate(unique)
            if not any(j != i and _contains(d, c) for j, d in enumerate(unique))]


def _size(c: Cube) -> int:
    return sum(1 for v in c if v is not None)


def _irredundant(m: Manager, cubes: list[Cube], outside: int) -> list[Cube]:
    keep = sorted(cubes, key=lambda c: (_size(c), str(c)))
    for c in sorted(keep, key=lambda c: -_size(c)):
        others = [d for d in keep if d is not c]
        union = m.disj_all([outside, *(m.cube(d) for d in others)])
        if m.implies(m.cube(c), union):
            keep = others
    return keep


class _Isop:
    def __init__(self, m: Manager, universe: Universe, outside: int) -> None:
        self.m = m
        self.universe = universe
        self.outside = outside
        self.n = len(universe)
        self.memo: dict[tuple[int, int], tuple[list[Cube], int]] = {}
        self.built = 0  # cubes built so far (`_TooMany` past `_BUDGET`)

    def cofactor(self, a: int, var: int, value: int) -> int:
        return self.m.kids(a)[value] if a > TRUE and self.m.top(a) == var else a

    def run(self, low: int, up: int) -> tuple[list[Cube], int]:
        """Cubes covering at least `low` and within `up`, and their union."""
        if low == FALSE:
            return [], FALSE
        if up == TRUE:
            return [(None,) * self.n], TRUE
        found = self.memo.get((low, up))
        if found is None:
            found = self.memo[(low, up)] = self._split(low, up)
        return found

    def _split(self, low: int, up: int) -> tuple[list[Cube], int]:
        m = self.m
        var = min(m.top(low), m.top(up))
        values = sorted(self.universe[var])
        lows = {i: self.cofactor(low, var, i) for i in values}
        ups = {i: self.cofactor(up, var, i) for i in values}
        common = m.conj_all(list(ups.values()))
        tested: dict[Cube, set[int]] = {}
        for i in values:
            cubes, _ = self.run(m.diff(lows[i], common), ups[i])
            for c in cubes:
                tested.setdefault(c, set()).add(i)
        out: list[Cube] = []
        union = FALSE
        left = FALSE
        self.built += len(tested)
        if self.built > _BUDGET:
            raise _TooMany
        for c, found in tested.items():
            node = m.cube(c)
            allowed = frozenset(i for i in values
                                if i in found or m.implies(node, m.disj(ups[i], self.outside)))
            out.append((*c[:var], allowed, *c[var + 1:]))
            union = m.disj(union, m.conj(node, m.var_in(var, allowed)))
        for i in values:
            left = m.disj(left, m.conj(m.var_in(var, {i}), lows[i]))
        rest = m.diff(left, union)
        # what is left lies, value by value, inside `common`: cover it without a test
        flat = m.disj_all([self.cofactor(rest, var, i) for i in values])
        more, more_node = self.run(flat, common)
        return out + more, m.disj(union, more_node)
