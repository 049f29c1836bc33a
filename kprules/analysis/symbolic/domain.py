"""The partitioned domain: every fact the compared terms read, cut into finitely many cells.

Stage: checked policies (their layouts) -> a `Domain`: one or more diagram variables per fact.
Booleans and enums keep their values; countries and text keep every constant either policy
names, plus one cell "any other"; numbers, quantities and dates are cut at every constant of
their kind either policy uses (literals, parameter values, in-force and rule dates), into points
and the open intervals between them. A set fact is one variable "known or not" and one yes/no
variable per element (for country sets: per named country, plus "another country"). Every plain
fact has a last cell, unknown. Two points of one cell are told apart by no expression of the
policies that compares with constants (docs/symbolic.md), so the domain is finite and exact.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from kprules import ir
from kprules.core.countries import ISO_3166_ALPHA2
from kprules.core.shared_repr import SharedRepr
from kprules.eval.arith import EXACT
from kprules.ir.dates import Interval
from kprules.ir.slots import Layout, TermLayout, ref_key, term_clauses, term_rules
from kprules.ir.types import (
    BOOL,
    COUNTRY,
    DATE,
    INTEGER,
    TEXT,
    EnumType,
    Quantity,
    SetType,
    Type,
    is_numeric,
)

UNKNOWN_CELL = "unknown"


@frozen(repr=False)
class Cell(SharedRepr):
    """A piece of an ordered fact's range: a point (`low == high`, both closed), or the open
    interval between two cut points (`low`/`high` None: unbounded). `rep` is a value inside."""

    low: Any
    high: Any
    rep: Any

    @property
    def point(self) -> bool:
        return self.low is not None and self.low == self.high


@frozen(repr=False)
class FactVar(SharedRepr):
    """How one fact is modelled: `kind` is bool, enum, opaque (country, text), ordered or set;
    `vars` the diagram variables (for a set: the known variable, then one per element);
    `values` the known values of a plain fact's variable (cells for ordered facts; for opaque
    facts the constants then `None` for "any other"); `elements` a set fact's elements (None for
    "another country")."""

    name: str
    type: Type
    kind: str
    vars: tuple[int, ...]
    values: tuple[Any, ...] = ()
    elements: tuple[str | None, ...] = ()
    other: Any = None  # a value of an opaque fact (or set element) that no policy names

    @property
    def var(self) -> int:
        return self.vars[0]

    @property
    def unknown(self) -> int:
        """The index of the unknown cell of the first variable."""
        return len(self.values) if self.kind != "set" else 1


@frozen(repr=False)
class Domain(SharedRepr):
    facts: Mapping[str, FactVar]
    sizes: tuple[int, ...]
    owners: tuple[tuple[str, int], ...]  # per variable: (fact, element index or -1)

    def known_values(self, var: int) -> frozenset[int]:
        """The cells of a variable that are not "unknown" (all cells for a set's element)."""
        _, elem = self.owners[var]
        size = self.sizes[var]
        if elem >= 0:
            return frozenset(range(size))
        return frozenset(range(size - 1))


def ordered_kind(t: Type) -> str | None:
    """The family of constants a fact of this type is cut at (None: not an ordered type)."""
    if t == DATE:
        return "date"
    if isinstance(t, Quantity):
        return "q:" + t.unit
    return "number" if is_numeric(t) else None


# ----------------------------------------------------------------------------- collecting


def layout_exprs(layout: Layout) -> Iterator[tuple[TermLayout, ir.Expr]]:
    for t in layout.terms.values():
        for c in term_clauses(t):
            yield t, c.expr


def _constants(layout: Layout) -> tuple[dict[str, set[Any]], set[str], set[str]]:
    """Ordered constants by family; countries and text constants named anywhere."""
    ordered: dict[str, set[Any]] = {}
    countries: set[str] = set()
    texts: set[str] = set()

    def add(value: Any, t: Type) -> None:
        kind = ordered_kind(t)
        if kind is not None:
            ordered.setdefault(kind, set()).add(value)
        elif t == COUNTRY:
            countries.add(value)
        elif t == TEXT:
            texts.add(value)
        elif isinstance(t, SetType) and t.element == COUNTRY:
            countries.update(value)

    for _, e in layout_exprs(layout):
        if isinstance(e, ir.Const):
            add(e.value, e.type)
    for t in layout.terms.values():
        for iv in _intervals(t):
            ordered.setdefault("date", set()).update(d for d in (iv.start, iv.end) if d)
        if isinstance(t.term, ir.ParameterTerm):
            for piece in t.term.pieces:
                add(piece.value, t.term.type)
    return ordered, countries, texts


def _intervals(t: TermLayout) -> Iterator[Interval]:
    if t.context.in_force is not None and t.rules:
        yield t.context.in_force
    for r in term_rules(t):
        if r.rule.validity is not None:
            yield r.rule.validity
    if isinstance(t.term, ir.ParameterTerm):
        for piece in t.term.pieces:
            yield piece.validity


def intervals_of(layout: Layout) -> Iterator[Interval]:
    for t in layout.terms.values():
        yield from _intervals(t)


def uses_dates(layout: Layout) -> bool:
    return any(True for t in layout.terms.values() for _ in _intervals(t))


def read_facts(layout: Layout, extra: Iterable[str] = ()) -> list[str]:
    """The facts the layout reads, in order of first appearance (then `extra`)."""
    out: dict[str, None] = {}
    for key in layout.targets:
        _visit(layout, layout.terms[key], out, set())
    for name in extra:
        out[name] = None
    return list(out)


def _visit(layout: Layout, t: TermLayout, out: dict[str, None], seen: set[tuple[str, str]]) -> None:
    if t.key in seen:
        return
    seen.add(t.key)
    clauses = sorted(term_clauses(t), key=lambda c: c.index)
    for c in clauses:
        if isinstance(c.expr, ir.FactRef):
            out[c.expr.name] = None
        elif isinstance(c.expr, ir.TermRef | ir.BaseRef):
            _visit(layout, layout.terms[ref_key(t.context, c.expr)], out, seen)


# ----------------------------------------------------------------------------- cells


def _step(value: Any, kind: str, up: bool) -> Any | None:
    """A value past a cut point; below a positive quantity, half of it (weights and amounts
    are rarely negative, and a witness should read as a real shipment). None past the
    calendar's ends: no date lies below 0001-01-01 or above 9999-12-31."""
    if kind == "date":
        if (value == dt.date.min and not up) or (value == dt.date.max and up):
            return None
        return value + dt.timedelta(days=1 if up else -1)
    if isinstance(value, int):
        return value + (1 if up else -1)
    d = Decimal(value)  # exact arithmetic: 28 digits would round a 30-digit cut point
    if not up and kind.startswith("q:") and d > 0:
        return EXACT.divide(d, 2)
    return EXACT.add(d, 1 if up else -1)


def _between(a: Any, b: Any, kind: str, integral: bool) -> Any | None:
    """A value strictly between two cut points, or None when there is none."""
    if kind == "date":
        return a + dt.timedelta(days=1) if (b - a).days > 1 else None
    if integral:
        return a + 1 if b - a > 1 else None
    return EXACT.divide(EXACT.add(Decimal(a), Decimal(b)), 2)


def cells(cuts: Sequence[Any], kind: str, integral: bool) -> tuple[Cell, ...]:
    """Points at every cut and the non-empty open intervals around them."""
    if not cuts:
        rep = dt.date(2000, 1, 1) if kind == "date" else 0
        return (Cell(None, None, rep),)
    below, above = _step(cuts[0], kind, up=False), _step(cuts[-1], kind, up=True)
    out = [] if below is None else [Cell(None, cuts[0], below)]
    for i, c in enumerate(cuts):
        out.append(Cell(c, c, c))
        if i + 1 < len(cuts):
            mid = _between(c, cuts[i + 1], kind, integral)
            if mid is not None:
                out.append(Cell(c, cuts[i + 1], mid))
    if above is not None:
        out.append(Cell(cuts[-1], None, above))
    return tuple(out)


def _other_country(named: set[str]) -> str:
    return min(ISO_3166_ALPHA2 - named)


def _other_text(named: set[str]) -> str:
    other = "other"
    while other in named:
        other += "_"
    return other


def build_domain(layout: Layout, vocabulary: ir.Vocabulary, extra: Iterable[str] = ()) -> Domain:
    """Model every fact the layout reads (and `extra` facts, such as the date the evaluation
    is dated by)."""
    ordered, countries, texts = _constants(layout)
    facts: dict[str, FactVar] = {}
    sizes: list[int] = []
    owners: list[tuple[str, int]] = []

    def new_var(fact: str, size: int, elem: int = -1) -> int:
        sizes.append(size)
        owners.append((fact, elem))
        return len(sizes) - 1

    for name in read_facts(layout, extra):
        typ = vocabulary.facts[name].type
        facts[name] = _fact_var(name, typ, ordered, countries, texts, new_var)
    return Domain(facts, tuple(sizes), tuple(owners))


def _cuts(constants: set[Any], typ: Type) -> list[Any]:
    """A fact's cut points: the constants of its family. An integer fact takes whole values
    only, so it is cut at the whole numbers on either side of each constant: a fractional
    constant such as 2.5 tells apart exactly what 2 and 3 do (no whole number lies between),
    and the cells stay whole (`n > 2.5` is `n >= 3`)."""
    if typ != INTEGER:
        return sorted(constants)
    return sorted({f(Decimal(c)) for c in constants for f in (math.floor, math.ceil)})


def _fact_var(name: str, typ: Type, ordered: Mapping[str, set[Any]], countries: set[str],
              texts: set[str], new_var: Any) -> FactVar:
    if typ == BOOL:
        return FactVar(name, typ, "bool", (new_var(name, 3),), (False, True))
    if isinstance(typ, EnumType):
        return FactVar(name, typ, "enum", (new_var(name, len(typ.values) + 1),), typ.values)
    if isinstance(typ, SetType):
        if isinstance(typ.element, EnumType):
            elements: tuple[str | None, ...] = typ.element.values
            other = None
        else:
            elements = (*sorted(countries), None)
            other = _other_country(countries)
        known = new_var(name, 2)
        evars = tuple(new_var(name, 2, i) for i in range(len(elements)))
        return FactVar(name, typ, "set", (known, *evars), elements=elements, other=other)
    kind = ordered_kind(typ)
    if kind is not None:
        cuts = _cuts(ordered.get(kind, set()), typ)
        cs = cells(cuts, kind, integral=kind == "date" or typ == INTEGER)
        return FactVar(name, typ, "ordered", (new_var(name, len(cs) + 1),), cs)
    named = countries if typ == COUNTRY else texts
    other = _other_country(named) if typ == COUNTRY else _other_text(named)
    values: tuple[Any, ...] = (*sorted(named), None)
    return FactVar(name, typ, "opaque", (new_var(name, len(values) + 1),), values, other=other)
