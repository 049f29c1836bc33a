"""Symbolic evaluation: every term of a layout as the sets of points where it takes each value.

Stage: layout + domain -> for each term key a `Sym`: a mapping from each value the term can take
to the set (a diagram node) of points where it takes it; the points in no set are where it is
unknown. It mirrors the reference semantics (docs/language.md, "Evaluation"): Kleene logic, any
unknown operand of a comparison, membership, arithmetic or `if` makes it unknown, a decision's
first applicable rule (exceptions first) decides, and unknown rules leave it decided only where
every way they resolve gives the same outcome.

Values are atoms: `("v", value)` a run-time value; `("cell", fact, i)` the cell i of an ordered
fact; `("other", fact)` a value of a country or text fact that no policy names; `("set", fact)`
the value of a set fact. Where a construct compares two facts, or computes with a fact, the
result is found at each cell's representative only: it is recorded in `inexact` and the output
says "not exhaustive".
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from itertools import product
from typing import Any, TypeAlias

from kprules import ir
from kprules.analysis.symbolic.domain import Domain, FactVar
from kprules.analysis.symbolic.mdd import FALSE, TRUE, Manager
from kprules.ir.dates import Interval
from kprules.ir.slots import Key, Layout, RuleLayout, TermLayout, ref_key

Atom: TypeAlias = tuple[Any, ...]
Sym: TypeAlias = dict[Atom, int]

T: Atom = ("v", True)
F: Atom = ("v", False)

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


def truth(t: int, f: int) -> Sym:
    return {T: t, F: f}


class Translator:
    """Terms of one layout over one domain; `as_of` a fixed date, or None to date each point by
    the vocabulary's `dated by` fact (`date_fact`), or neither (dated things are unknown)."""

    def __init__(self, m: Manager, domain: Domain, layout: Layout, as_of: dt.date | None,
                 date_fact: str | None) -> None:
        self.m = m
        self.domain = domain
        self.layout = layout
        self.as_of = as_of
        self.date_fact = date_fact if as_of is None else None
        self.memo: dict[Key, Sym] = {}
        self.inexact: list[str] = []
        # where a computation may stop the evaluation (a division by zero): witnesses avoid it
        self.failing = FALSE

    # ------------------------------------------------------------------ terms

    def term(self, key: Key) -> Sym:
        found = self.memo.get(key)
        if found is None:
            t = self.layout.terms[key]
            if isinstance(t.term, ir.ParameterTerm):
                found = self.parameter(t.term)
            elif isinstance(t.term, ir.Definition):
                found = self.expr(t.term.body, t)
            else:
                found = self.decision(t)
            self.memo[key] = found
        return found

    def parameter(self, term: ir.ParameterTerm) -> Sym:
        out: Sym = {}
        for piece in term.pieces:
            _add(self.m, out, ("v", piece.value), self.dated(piece.validity))
        return out

    def dated(self, iv: Interval) -> int:
        """Where the evaluation date is known and inside the interval."""
        if self.as_of is not None:
            return TRUE if iv.contains(self.as_of) else FALSE
        if self.date_fact is None:
            return FALSE
        fv = self.domain.facts[self.date_fact]
        inside = {i for i, c in enumerate(fv.values) if _cell_in(c, iv)}
        return self.m.var_in(fv.var, inside)

    def in_force(self, intervals: tuple[Interval | None, ...]) -> tuple[int, int]:
        present = [iv for iv in intervals if iv is not None]
        if not present:
            return TRUE, FALSE
        inside = self.m.conj_all([self.dated(iv) for iv in present])
        known = TRUE if self.as_of is not None else self._date_known()
        return inside, self.m.diff(known, inside)

    def _date_known(self) -> int:
        if self.date_fact is None:
            return FALSE
        fv = self.domain.facts[self.date_fact]
        return self.m.var_in(fv.var, set(range(len(fv.values))))

    def decision(self, t: TermLayout) -> Sym:
        """The outcome wherever every resolution of the unknown rules gives the same one
        (docs/language.md, "Under unknowns"): a walk over the rules keeping, region by region,
        the outcomes still possible; a rule that applies ends the walk, an unknown one adds its
        outcomes and lets it go on, the default ends it. Where two outcomes are possible the
        decision is unknown (in no set)."""
        assert isinstance(t.term, ir.DecisionTerm)
        m = self.m
        walking = _Possible(m, none=TRUE)
        done = _Possible(m, none=FALSE)
        for rule in t.rules:
            at, af = self.applies(rule, t)
            maybe = m.neg(m.disj(at, af))
            joined = walking.join(self._chain(rule, t))
            done = done.union(joined.within(at))
            walking = joined.within(maybe).union(walking.within(af))
        done = done.union(walking.add(t.term.default, TRUE))
        out: Sym = {}
        for outcome, region in done.one.items():
            _add(m, out, ("v", outcome), region)
        return out

    def _chain(self, rule: RuleLayout, t: TermLayout) -> _Possible:
        """The outcomes a rule may give where it applies: its exceptions in order (one that
        applies ends the chain, an unknown one adds its outcome), then its own outcome."""
        m = self.m
        going = _Possible(m, none=TRUE)
        done = _Possible(m, none=FALSE)
        for exc in rule.exceptions:
            et, ef = self.applies(exc, t)
            maybe = m.neg(m.disj(et, ef))
            added = going.add(exc.rule.outcome, TRUE)
            done = done.union(added.within(et))
            going = added.within(maybe).union(going.within(ef))
        return done.union(going.add(rule.rule.outcome, TRUE))

    def applies(self, rule: RuleLayout, t: TermLayout) -> tuple[int, int]:
        active_t, active_f = self.in_force((t.context.in_force, rule.rule.validity))
        cond = self.expr(rule.rule.condition, t)
        ct, cf = cond.get(T, FALSE), cond.get(F, FALSE)
        return self.m.conj(active_t, ct), self.m.disj(active_f, cf)

    # ------------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr, t: TermLayout) -> Sym:
        m = self.m
        match e:
            case ir.Const(value=v):
                return {("v", v): TRUE}
            case ir.FactRef(name=name):
                return self.fact(self.domain.facts[name])
            case ir.TermRef() | ir.BaseRef():
                return self.term(ref_key(t.context, e))
            case ir.Not(operand=o):
                s = self.expr(o, t)
                return truth(s.get(F, FALSE), s.get(T, FALSE))
            case ir.And(operands=ops):
                subs = [self.expr(o, t) for o in ops]
                return truth(m.conj_all([s.get(T, FALSE) for s in subs]),
                             m.disj_all([s.get(F, FALSE) for s in subs]))
            case ir.Or(operands=ops):
                subs = [self.expr(o, t) for o in ops]
                return truth(m.disj_all([s.get(T, FALSE) for s in subs]),
                             m.conj_all([s.get(F, FALSE) for s in subs]))
            case ir.If(cond=c, then=a, else_=b):
                cs = self.expr(c, t)
                out: Sym = {}
                for atom, g in self.expr(a, t).items():
                    _add(m, out, atom, m.conj(g, cs.get(T, FALSE)))
                for atom, g in self.expr(b, t).items():
                    _add(m, out, atom, m.conj(g, cs.get(F, FALSE)))
                return out
        return self._strict(e, [self.expr(k, t) for k in ir.children(e)])

    def _strict(self, e: ir.Expr, args: list[Sym]) -> Sym:
        """An operation that is unknown when any operand is: over every combination of the
        operands' values, each combination's set is where they all take those values."""
        m = self.m
        out: Sym = {}
        for combo in product(*(list(a.items()) for a in args)):
            guard = m.conj_all([g for _, g in combo])
            if guard == FALSE:
                continue
            value = self.apply(e, [a for a, _ in combo])
            if not value:  # no value: the evaluator stops here (KP500)
                self.failing = m.disj(self.failing, guard)
            for atom, where in value.items():
                _add(m, out, atom, m.conj(guard, where))
        return out

    def apply(self, e: ir.Expr, atoms: list[Atom]) -> Sym:
        """The value of one operation on atoms: a mapping to sets (TRUE when it does not depend
        on anything else)."""
        match e:
            case ir.Compare(op=op):
                return self.compare(op, atoms[0], atoms[1])
            case ir.Member(negated=neg):
                s = self.member(atoms[0], atoms[1])
                return _flip(s) if neg else s
            case ir.InRange(negated=neg):
                lo = self.compare(">=", atoms[0], atoms[1])
                hi = self.compare("<=", atoms[0], atoms[2])
                s = truth(self.m.conj(lo.get(T, FALSE), hi.get(T, FALSE)),
                          self.m.disj(lo.get(F, FALSE), hi.get(F, FALSE)))
                return _flip(s) if neg else s
            case ir.Arith(op=op):
                return self.arith(op, atoms[0], atoms[1])
            case ir.Neg():
                return {("v", -self.value(atoms[0])): TRUE}
            case ir.SetOf():
                return {("v", frozenset(self.value(a) for a in atoms)): TRUE}
        raise AssertionError(f"kprules bug: unhandled {type(e).__name__}")

    # ------------------------------------------------------------------ atoms

    def fact(self, fv: FactVar) -> Sym:
        m = self.m
        if fv.kind == "bool":
            return truth(m.var_in(fv.var, {1}), m.var_in(fv.var, {0}))
        if fv.kind == "set":
            return {("set", fv.name): m.var_in(fv.var, {0})}
        out: Sym = {}
        for i, v in enumerate(fv.values):
            atom: Atom = ("v", v) if fv.kind == "enum" or (fv.kind == "opaque" and v is not None) \
                else ("cell", fv.name, i) if fv.kind == "ordered" else ("other", fv.name)
            out[atom] = m.var_in(fv.var, {i})
        return out

    def value(self, a: Atom) -> Any:
        """An atom's value, or a representative of it (recorded as inexact)."""
        if a[0] == "v":
            return a[1]
        fv = self.domain.facts[a[1]]
        self._inexact(f"arithmetic on `{fv.name}` is evaluated at representative values "
                      "only")
        if a[0] == "cell":
            return fv.values[a[2]].rep
        if a[0] == "other":
            return fv.other
        return frozenset()

    def _inexact(self, what: str) -> None:
        if what not in self.inexact:
            self.inexact.append(what)

    def compare(self, op: str, a: Atom, b: Atom) -> Sym:
        if a[0] == "set" or b[0] == "set":
            return self._set_equal(op, a, b)
        exact = _exact_compare(op, a, b, self.domain)
        if exact is None:
            self._inexact(f"`{_name(a, b)}` is compared with another fact or a computed value")
            exact = COMPARE[op](self.value(a), self.value(b))
        return truth(TRUE, FALSE) if exact else truth(FALSE, TRUE)

    def _set_equal(self, op: str, a: Atom, b: Atom) -> Sym:
        if a[0] != "set":
            a, b = b, a
        if b[0] == "set" and op in ("=", "!="):
            s = self._sets_equal(self.domain.facts[a[1]], self.domain.facts[b[1]])
            return s if op == "=" else _flip(s)
        if b[0] != "v" or op not in ("=", "!="):
            self._inexact(f"the set `{a[1]}` is compared with another set fact")
            return truth(FALSE, FALSE)
        fv = self.domain.facts[a[1]]
        want: frozenset[Any] = b[1]
        m = self.m
        parts = []
        for i, elem in enumerate(fv.elements):
            inside = elem in want if elem is not None else bool(want - set(fv.elements))
            parts.append(m.var_in(fv.vars[i + 1], {1 if inside else 0}))
        eq = m.conj_all(parts)
        s = truth(eq, m.neg(eq))
        return s if op == "=" else _flip(s)

    def _sets_equal(self, fa: FactVar, fb: FactVar) -> Sym:
        """Two set facts are equal where both are known and every element is in both or in
        neither: exact for the elements of an enum and the countries the texts name. Two sets
        that both hold a country no text names are taken as equal when the rest is (as at the
        representatives, one such country each): not exhaustive."""
        m = self.m
        known = m.conj(m.var_in(fa.var, {0}), m.var_in(fb.var, {0}))
        same = [m.disj(m.conj(m.var_in(u, {1}), m.var_in(v, {1})),
                       m.conj(m.var_in(u, {0}), m.var_in(v, {0})))
                for u, v in zip(fa.vars[1:], fb.vars[1:], strict=True)]
        eq = m.conj(known, m.conj_all(same))
        if None in fa.elements and fa.name != fb.name:
            self._inexact(f"the sets `{fa.name}` and `{fb.name}` are compared: where both hold "
                          "a country no text names, they are taken as equal")
        return truth(eq, m.diff(known, eq))

    def member(self, x: Atom, coll: Atom) -> Sym:
        m = self.m
        if coll[0] == "set":
            fv = self.domain.facts[coll[1]]
            if x[0] == "v" and x[1] in fv.elements:
                var = fv.vars[1 + fv.elements.index(x[1])]
                return truth(m.var_in(var, {1}), m.var_in(var, {0}))
            if x[0] == "v" or (x[0] == "other" and None in fv.elements):
                var = fv.vars[-1]  # another country: only approximately this one
                self._inexact(f"`{coll[1]}` is tested for a country no policy names")
                return truth(m.var_in(var, {1}), m.var_in(var, {0}))
            return truth(FALSE, TRUE)
        if x[0] == "v":
            return truth(TRUE, FALSE) if x[1] in coll[1] else truth(FALSE, TRUE)
        if x[0] == "other":
            return truth(FALSE, TRUE)
        fv = self.domain.facts[x[1]]
        cell = fv.values[x[2]]
        if not cell.point and any(_inside(cell, v) for v in coll[1]):
            self._inexact(f"`{fv.name}` is tested against a set")
        return truth(TRUE, FALSE) if cell.rep in coll[1] else truth(FALSE, TRUE)

    def arith(self, op: str, a: Atom, b: Atom) -> Sym:
        x, y = self.value(a), self.value(b)
        try:
            if op == "+":
                v = x + y
            elif op == "-":
                v = x - y
            elif op == "*":
                v = x * y
            elif y == 0:
                self._inexact("a division may divide by zero")
                return {}
            else:
                v = Decimal(x) / Decimal(y)
        except (TypeError, InvalidOperation):
            self._inexact("a computation mixes values it cannot combine")
            return {}
        return {("v", v): TRUE}


def _add(m: Manager, out: Sym, atom: Atom, where: int) -> None:
    if where != FALSE:
        out[atom] = m.disj(out.get(atom, FALSE), where)


def _flip(s: Sym) -> Sym:
    return truth(s.get(F, FALSE), s.get(T, FALSE))


def _name(a: Atom, b: Atom) -> str:
    return str(a[1] if a[0] != "v" else b[1])


def _cell_in(c: Any, iv: Interval) -> bool:
    """Whether a date cell lies inside a half-open interval (its ends are cut points)."""
    probe = c.rep
    return bool(iv.contains(probe))


def _inside(cell: Any, v: Any) -> bool:
    try:
        return (cell.low is None or cell.low < v) and (cell.high is None or v < cell.high)
    except TypeError:
        return False


def _exact_compare(op: str, a: Atom, b: Atom, domain: Domain) -> bool | None:
    """The comparison's result when the cell decides it, else None."""
    if a[0] == "v" and b[0] == "v":
        return COMPARE[op](a[1], b[1])
    if a[0] != "v" and b[0] != "v":
        if a == b and op in ("=", "!=", "<=", ">="):
            same = a[0] == "other" or domain.facts[a[1]].values[a[2]].point
            return (op != "!=") if same else None
        return None
    flipped = a[0] == "v"
    atom, value = (b, a[1]) if flipped else (a, b[1])
    fv = domain.facts[atom[1]]
    if atom[0] == "other":
        return {"=": False, "!=": True}.get(op) if value in fv.values else None
    cell = fv.values[atom[2]]
    if _inside(cell, value):
        return None
    rep = cell.rep
    return COMPARE[op](value, rep) if flipped else COMPARE[op](rep, value)


class _Possible:
    """Regions of the space by the outcomes still possible there: `none` (no outcome yet),
    `one[o]` (only o), `many` (two or more: unknown). The regions are disjoint."""

    def __init__(self, m: Manager, none: int = FALSE, one: dict[Any, int] | None = None,
                 many: int = FALSE) -> None:
        self.m, self.none, self.one, self.many = m, none, dict(one or {}), many

    def within(self, g: int) -> _Possible:
        m = self.m
        return _Possible(m, m.conj(self.none, g), {o: m.conj(r, g) for o, r in self.one.items()},
                         m.conj(self.many, g))

    def union(self, other: _Possible) -> _Possible:
        """Both, on disjoint regions."""
        m = self.m
        one = dict(self.one)
        for o, r in other.one.items():
            one[o] = m.disj(one.get(o, FALSE), r)
        return _Possible(m, m.disj(self.none, other.none), one, m.disj(self.many, other.many))

    def add(self, outcome: Any, g: int) -> _Possible:
        """Outcome `outcome` becomes possible in region g."""
        return self.join(_Possible(self.m, one={outcome: TRUE}).within(g)
                         .union(_Possible(self.m, none=self.m.neg(g))))

    def join(self, other: _Possible) -> _Possible:
        """Pointwise: the outcomes possible under either (the union of the two sets)."""
        m = self.m
        one: dict[Any, int] = {}
        many = m.disj(self.many, other.many)
        for o, r in other.one.items():
            one[o] = m.disj(one.get(o, FALSE), m.conj(self.none, r))
        for o, r in self.one.items():
            one[o] = m.disj(one.get(o, FALSE), m.conj(r, other.none))
            for o2, r2 in other.one.items():
                both = m.conj(r, r2)
                if o2 == o:
                    one[o] = m.disj(one[o], both)
                else:
                    many = m.disj(many, both)
        return _Possible(m, m.conj(self.none, other.none), one, many)
