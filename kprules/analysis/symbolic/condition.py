"""Cubes written as kprules expressions: enum tests grouped with `in {...}`, numbers,
quantities and dates as intervals, so that a drafter reads each disjunct as a sentence.

Everything here is the expression syntax of the language except one thing the language cannot
say: that a fact is unknown, written `x is unknown` (and `x is known` for a set fact); only the
region where one text decides and the other is unknown needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

from kprules.analysis.symbolic.domain import Cell, Domain, FactVar
from kprules.analysis.symbolic.mdd import Cube
from kprules.ir.types import TEXT
from kprules.ir.values import format_value

MAX_FREE = 3  # named countries a cube leaves open, past which a set's outside is not expanded


def conjunction(c: Cube, domain: Domain) -> str:
    """A cube as `a and b and ...` (`true` for the cube with no tests)."""
    parts = [p for fv in domain.facts.values() for p in fact_tests(fv, c)]
    return " and ".join(parts) if parts else "true"


def fact_tests(fv: FactVar, c: Cube) -> list[str]:
    if fv.kind == "set":
        return _set_tests(fv, c)
    values = c[fv.var]
    if values is None:
        return []
    unknown = fv.unknown in values
    known = sorted(values - {fv.unknown})
    if not known:
        return [f"{fv.name} is unknown"]
    if len(known) == len(fv.values):
        return [f"{fv.name} is known"]
    text = _known_test(fv, known)
    return [f"({text} or {fv.name} is unknown)" if unknown else text]


def _known_test(fv: FactVar, known: Sequence[int]) -> str:
    name = fv.name
    if fv.kind == "bool":
        return name if known == [1] else f"not {name}" if known == [0] else "true"
    if fv.kind == "ordered":
        return _ranges(name, fv, known)
    everything = range(len(fv.values))
    rest = [i for i in everything if i not in known]
    text = fv.type == TEXT  # no set of text: `x = "A" or x = "B"`, not `x in {"A", "B"}`
    if fv.kind == "opaque" and None in [fv.values[i] for i in known]:
        return _in(name, [_show(fv, fv.values[i]) for i in rest], negated=True, text=text)
    if fv.kind == "enum" and len(rest) < len(known):
        return _in(name, [_show(fv, fv.values[i]) for i in rest], negated=True)
    return _in(name, [_show(fv, fv.values[i]) for i in known], negated=False, text=text)


def _in(name: str, shown: list[str], negated: bool, text: bool = False) -> str:
    """`name` among (or, negated, outside) the values shown: one comparison, a set (enums
    and countries), or comparisons joined (text, which no set holds)."""
    if len(shown) == 1:
        return f"{name} {'!=' if negated else '='} {shown[0]}"
    if text and negated:
        return " and ".join(f"{name} != {v}" for v in shown)
    if text:
        return "(" + " or ".join(f"{name} = {v}" for v in shown) + ")"
    return f"{name} {'not in' if negated else 'in'} {{{', '.join(shown)}}}"


def _show(fv: FactVar, value: Any) -> str:
    return format_value(value, fv.type)


def _set_tests(fv: FactVar, c: Cube) -> list[str]:
    known = c[fv.vars[0]]
    if known == frozenset({1}):
        return [f"{fv.name} is unknown"]
    out = [f"{fv.name} is known"] if known == frozenset({0}) else []
    for i, elem in enumerate(fv.elements):
        values = c[fv.vars[i + 1]]
        if values is None or len(values) != 1:
            continue
        present = 1 in values
        if elem is None:
            out.append(_outside(fv, c, present))
            continue
        out.append(f"{elem} {'in' if present else 'not in'} {fv.name}")
    return out


def _outside(fv: FactVar, c: Cube, present: bool) -> str:
    """That a set of countries holds some (`present`) or no country no text names, as
    equalities with the sets of named countries the cube's other tests leave it (the language
    has no subset test): `origins != {} and origins != {RU}`, `origins = {RU}`. Past
    MAX_FREE named countries the cube leaves open, `origins has some country outside {...}`,
    which does not parse (docs/symbolic.md)."""
    fixed: list[str] = []
    free: list[str] = []
    for i, elem in enumerate(fv.elements):
        values = c[fv.vars[i + 1]]
        if elem is None:
            continue
        if values is None or len(values) != 1:
            free.append(elem)
        elif 1 in values:
            fixed.append(elem)
    if len(free) > MAX_FREE:
        named = ", ".join(e for e in fv.elements if e is not None)
        return f"{fv.name} has {'some' if present else 'no'} country outside {{{named}}}"
    sets = [_show(fv, frozenset(fixed).union(extra))
            for k in range(len(free) + 1) for extra in combinations(free, k)]
    if present:
        return " and ".join(f"{fv.name} != {s}" for s in sets)
    tests = [f"{fv.name} = {s}" for s in sets]
    return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"


def _bound(fv: FactVar, value: Any) -> str:
    return format_value(value, fv.type)


def _ranges(name: str, fv: FactVar, known: Sequence[int]) -> str:
    runs: list[tuple[int, int]] = []
    for i in known:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    cells: Sequence[Cell] = fv.values
    texts = [_run(name, fv, cells[a], cells[b]) for a, b in runs]
    return texts[0] if len(texts) == 1 else "(" + " or ".join(texts) + ")"


def _run(name: str, fv: FactVar, first: Cell, last: Cell) -> str:
    if first.point and first is last:
        return f"{name} = {_bound(fv, first.low)}"
    lower = None if first.low is None else (">=" if first.point else ">", first.low)
    upper = None if last.high is None else ("<=" if last.point else "<", last.high)
    if lower and upper and lower[0] == ">=" and upper[0] == "<=":
        return f"{name} in {_bound(fv, lower[1])} .. {_bound(fv, upper[1])}"
    parts = [f"{name} {b[0]} {_bound(fv, b[1])}" for b in (lower, upper) if b is not None]
    return " and ".join(parts) if parts else "true"

