"""The SQL compiler: a checked layout as one SQL query over a relation of typed facts.

Stage: layout (kprules.layout) -> `SqlQuery`. Pure. The query reads a relation (`source`: a
table, a view or a parenthesised query) with one typed column per fact (NULL: unknown; sets as
sorted lists of distinct strings, decimals and quantities as DECIMAL(38,12), integers as
BIGINT, dates as DATE, enum values, countries and text as strings) and gives, per row, the
columns it is asked to keep, `as_of` (the evaluation date), one column per target named
`policy.term`, and `_kp500`: NULL, or the number of the division by zero the evaluator would
have failed on (`SqlQuery.divisions` gives its span).

Shape: terms and rules are columns, computed in layers (`WITH l1 AS (SELECT *, ... FROM l0), l2
AS ...`), each layer using the columns of the layers before, so a term used many times is
computed once. Semantics follow the reference interpreter (docs/language.md, "Evaluation");
docs/sql.md says how each construct maps and where SQL's NULL logic needs help:

- `and`, `or`, `not`, comparisons and arithmetic: SQL's three-valued logic is Kleene's.
- `if`: `CASE c WHEN TRUE THEN a WHEN FALSE THEN b END` (NULL when `c` is NULL).
- `in` a set literal with unknown items, a set-valued operand, and `x in lo .. hi`: unknown as
  soon as any operand is unknown, written out with `IS NULL` tests (SQL's `IN` and `BETWEEN`
  would decide some of them).
- rules: `active AND condition` is exactly "applies" (false out of force, else unknown when the
  date or the condition is); a decision walks its rules with a state column per rule (the
  outcomes still possible, as the evaluators do under unknowns: decided when only one is
  possible); parameters are `CASE` over their pieces' intervals.
- division: by NULLIF(divisor, 0), computed in DOUBLE and rounded to 12 places; whether the
  evaluator would have reached a division by zero (through `and`/`or` short cuts, `if` branches,
  rules tried in order) is tracked by guards and reported in `_kp500`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from attrs import frozen

from kprules import ir
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Span
from kprules.ir.slots import Clause, Key, Layout, RuleLayout, TermLayout, ref_key, term_clauses
from kprules.ir.types import DECIMAL, Quantity, Type
from kprules.sql.dialect import DECIMAL_TYPE, DUCKDB, Dialect

ASOF = "_asof"
ERROR = "_kp500"
# What stops a statement whose product of decimals has more places than DECIMAL(38,12) holds:
# the engine's error, so that the caller evaluates the file in Python (exact, as always).
INEXACT = "kprules: a product of decimals with more than 12 decimal places"
_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@frozen(repr=False)
class SqlQuery(SharedRepr):
    """A compiled query: its text, the targets in column order and their column names, the
    spans of its divisions (by the number `_kp500` gives), the facts it reads, and whether
    `_kp500` also checks products of decimals (it stops the statement, INEXACT, at one with
    more than 12 places): a query that `divides` or `multiplies` must read `_kp500`."""

    sql: str
    targets: tuple[Key, ...]
    columns: tuple[str, ...]
    divisions: tuple[Span, ...]
    facts: tuple[str, ...]
    multiplies: bool = False
    decimal_arithmetic: bool = False  # it adds, subtracts or multiplies decimals

    @property
    def checks(self) -> bool:
        """Whether `_kp500` must be read: the query divides, or multiplies decimals."""
        return bool(self.divisions) or self.multiplies


@frozen(repr=False)
class _Col(SharedRepr):
    sql: str
    deps: frozenset[str]


@frozen(repr=False)
class _Division(SharedRepr):
    owner: Key
    guard: tuple[str, ...]
    left: str
    right: str
    span: Span


def column_name(key: Key) -> str:
    return f"{key[0]}.{key[1]}"


def compile_sql(layout: Layout, *, dialect: Dialect = DUCKDB, source: str = "facts",
                keep: Iterable[str] = (), as_of: dt.date | None = None,
                as_of_fact: str | None = None) -> SqlQuery:
    """The query evaluating every target of `layout` on each row of `source`.

    The evaluation date of a row is its `as_of_fact` column when that is not NULL, else
    `as_of`, else unknown. `keep` names columns of `source` passed through first."""
    gen = _Gen(layout, dialect)
    for key in layout.targets:
        gen.term(key)
    date = dialect.date(as_of) if as_of is not None else "CAST(NULL AS DATE)"
    if as_of_fact is not None:
        gen.facts.add(as_of_fact)
        fact = dialect.ident(as_of_fact)
        date = fact if as_of is None else f"COALESCE({fact}, {date})"
    error = gen.error_column()
    q = dialect.ident
    final = [*(q(k) for k in keep), f"{q(ASOF)} AS {q('as_of')}",
             *(f"{q(gen.names[k])} AS {q(column_name(k))}" for k in layout.targets),
             f"{error} AS {q(ERROR)}"]
    layers = [f"l0 AS (SELECT *, {date} AS {q(ASOF)} FROM {source})"]
    for i, cols in enumerate(gen.layers(), 1):
        defs = ", ".join(f"{gen.cols[n].sql} AS {q(n)}" for n in cols)
        layers.append(f"l{i} AS (SELECT *, {defs} FROM l{i - 1})")
    sql = ("WITH " + ",\n".join(layers) + "\nSELECT " + ", ".join(final)
           + f" FROM l{len(layers) - 1}")
    return SqlQuery(sql, layout.targets, tuple(column_name(k) for k in layout.targets),
                    tuple(d.span for d in gen.divisions), tuple(sorted(gen.facts)),
                    bool(gen.products), gen.decimal_arithmetic)


def _has_division(layout: Layout) -> bool:
    return any(isinstance(c.expr, ir.Arith) and c.expr.op == "/"
               for t in layout.terms.values() for c in term_clauses(t))


def _is_decimal(t: Type) -> bool:
    return t == DECIMAL or isinstance(t, Quantity)


class _Gen:
    """Columns for terms (`_t<slot>`), rules (`_r<slot>`) and, when the layout divides,
    reachability (`_h<slot>`: whether the evaluator would evaluate the term at all)."""

    def __init__(self, layout: Layout, dialect: Dialect) -> None:
        self.layout = layout
        self.d = dialect
        self.cols: dict[str, _Col] = {}
        self.names: dict[Key, str] = {}
        self.facts: set[str] = set()
        self.deps: set[str] = set()
        self.track = _has_division(layout)
        self.divisions: list[_Division] = []
        self.products: list[str] = []  # products of two decimals, before their CAST
        self.decimal_arithmetic = False
        self.refs: list[tuple[Key, tuple[str, ...], Key]] = []
        self.rule_guard: dict[int, tuple[str, ...]] = {}

    # ---------------------------------------------------------------- columns and layers

    def add(self, name: str, sql: str, deps: set[str]) -> str:
        self.cols[name] = _Col(sql, frozenset(deps))
        return name

    def layers(self) -> list[list[str]]:
        depth: dict[str, int] = {}

        def level(name: str) -> int:
            if name not in self.cols:
                return 0
            if name not in depth:
                depth[name] = 1 + max((level(d) for d in self.cols[name].deps), default=0)
            return depth[name]

        out: dict[int, list[str]] = {}
        for name in self.cols:
            out.setdefault(level(name), []).append(name)
        return [out[i] for i in sorted(out)]

    def ref(self, name: str) -> str:
        self.deps.add(name)
        return self.d.ident(name)

    # ---------------------------------------------------------------- terms

    def term(self, key: Key) -> str:
        """The column holding a term's value (compiled on first use)."""
        if key in self.names:
            return self.ref(self.names[key])
        t = self.layout.terms[key]
        name = self.names[key] = f"_t{t.index}"
        outer, self.deps = self.deps, set()
        if isinstance(t.term, ir.ParameterTerm):
            sql = self.parameter(t.term)
        elif t.body is not None:
            sql = self.expr(t.body, t, ())
        else:
            sql = self.decision(t)
        self.add(name, sql, self.deps)
        self.deps = outer
        return self.ref(name)

    def parameter(self, term: ir.ParameterTerm) -> str:
        whens = " ".join(f"WHEN {self.interval(p.validity.start, p.validity.end)} "
                         f"THEN {self.const(p.value, term.type)}" for p in term.pieces)
        return f"(CASE {whens} END)" if whens else "NULL"

    def interval(self, start: dt.date, end: dt.date | None) -> str:
        """Whether the evaluation date is in [start, end): NULL when it is unknown."""
        asof = self.ref(ASOF)
        test = f"{self.d.date(start)} <= {asof}"
        return f"({test} AND {asof} < {self.d.date(end)})" if end else f"({test})"

    def decision(self, t: TermLayout) -> str:
        """First match under unknowns (docs/language.md), as the evaluators walk it: a state
        column per rule holds the outcomes still possible, as a number (string states cost
        several times more per row): 0 none yet, i the i-th outcome, -1 two or more (unknown,
        the walk stops), DECIDED + i once a rule that applies decided i."""
        assert isinstance(t.term, ir.DecisionTerm)
        numbers = _outcomes(t)
        state = "0"
        for rule in t.rules:
            walking = self._walking(state, _DECIDED)
            applies = self.rule(rule, t, (walking,))
            contributed = self._contribute(rule, t, state, walking, applies)
            sql = (f"(CASE WHEN NOT {walking} THEN {state} ELSE (CASE {applies} "
                   f"WHEN FALSE THEN {state} WHEN TRUE THEN {self._mark(contributed, _DECIDED)} "
                   f"ELSE {contributed} END) END)")
            state = self._state(f"_s{rule.index}", sql)
        default = numbers[t.term.default]
        names = " ".join(f"WHEN {i} THEN {self.d.string(o)}" for o, i in
                         [("", 0), *numbers.items()])
        return (f"(CASE WHEN {state} = -1 THEN NULL "
                f"WHEN {state} >= {_DECIDED} AND {state} < {_ENDED} "
                f"THEN (CASE {state} - {_DECIDED} {names} END) "
                f"ELSE (CASE WHEN {state} = 0 OR {state} = {default} "
                f"THEN {self.d.string(t.term.default)} END) END)")

    def _contribute(self, rule: RuleLayout, t: TermLayout, state: str, walking: str,
                    applies: str) -> str:
        """The state after a rule that (may) apply adds its outcomes: its exceptions in order
        (one that applies ends the chain, marked ENDED + i while the chain runs), then its
        own."""
        chain = state
        for exc in rule.exceptions:
            going = self._walking(chain, _ENDED)
            col = self.rule(exc, t, (walking, f"{applies} IS NOT FALSE", going))
            joined = self._join(chain, exc.rule.outcome, t)
            sql = (f"(CASE WHEN NOT {going} THEN {chain} ELSE (CASE {col} "
                   f"WHEN FALSE THEN {chain} WHEN TRUE THEN {self._mark(joined, _ENDED)} "
                   f"ELSE {joined} END) END)")
            chain = self._state(f"_x{exc.index}", sql)
        return (f"(CASE WHEN {chain} = -1 THEN -1 "
                f"WHEN {chain} >= {_ENDED} THEN {chain} - {_ENDED} "
                f"ELSE {self._join(chain, rule.rule.outcome, t)} END)")

    def _walking(self, state: str, done: int) -> str:
        """Whether the walk goes on: not stopped by two outcomes, nor ended (a state marked
        `done`: DECIDED marks lie below ENDED marks)."""
        if done == _ENDED:
            return f"({state} <> -1 AND {state} < {_ENDED})"
        return f"({state} <> -1 AND NOT ({state} >= {_DECIDED} AND {state} < {_ENDED}))"

    def _join(self, state: str, outcome: str, t: TermLayout) -> str:
        """The state once `outcome` (of the decision `t`) is possible too."""
        o = _outcomes(t)[outcome]
        return f"(CASE WHEN {state} = 0 OR {state} = {o} THEN {o} ELSE -1 END)"

    def _mark(self, state: str, mark: int) -> str:
        return f"(CASE WHEN {state} = -1 THEN -1 ELSE {mark} + {state} END)"

    def _state(self, name: str, sql: str) -> str:
        """A column of the walk: its dependencies are the columns its SQL names."""
        deps = {c for c in self.cols if self.d.ident(c) in sql}
        self.add(name, sql, deps)
        return self.ref(name)

    def rule(self, rule: RuleLayout, t: TermLayout, guard: tuple[str, ...]) -> str:
        """A column: whether the rule applies (in force and its condition holds), Kleene."""
        self.rule_guard[rule.index] = guard
        outer, self.deps = self.deps, set()
        ivs = [iv for iv in (t.context.in_force, rule.rule.validity) if iv is not None]
        active = " AND ".join(self.interval(iv.start, iv.end) for iv in ivs)
        cond_guard = (*guard, f"({active}) IS NOT FALSE") if ivs else guard
        cond = self.expr(rule.condition, t, cond_guard)
        sql = f"({active} AND {cond})" if ivs else cond
        name = self.add(f"_r{rule.index}", sql, self.deps)
        self.deps = outer
        return self.ref(name)

    # ---------------------------------------------------------------- expressions

    def const(self, value: Any, typ: Type) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if _is_decimal(typ) or isinstance(value, Decimal | float):
            return self.d.decimal(Decimal(repr(value)) if isinstance(value, float) else value)
        if isinstance(value, int):
            return f"CAST({value} AS BIGINT)"
        if isinstance(value, dt.date):
            return self.d.date(value)
        if isinstance(value, frozenset):
            return self.d.list_of([self.d.string(v) for v in sorted(value)])
        assert isinstance(value, str)
        return self.d.string(value)

    def expr(self, c: Clause, t: TermLayout, guard: tuple[str, ...]) -> str:
        e = c.expr
        kids = c.children
        match e:
            case ir.Const(value=v, type=typ):
                return self.const(v, typ)
            case ir.FactRef(name=name):
                self.facts.add(name)
                return self.d.ident(name)
            case ir.TermRef() | ir.BaseRef():
                known = self.constant(c, t)
                if known is not None:  # a named constant: inlined, not a column per row
                    return self.const(known.value, known.type)
                key = ref_key(t.context, e)
                if self.track:
                    self.refs.append((t.key, guard, key))
                return self.term(key)
            case ir.Not():
                return f"(NOT {self.expr(kids[0], t, guard)})"
            case ir.And() | ir.Or():
                return self.chain(kids, t, guard, isinstance(e, ir.Or))
            case ir.If():
                cond = self.expr(kids[0], t, guard)
                then = self.expr(kids[1], t, (*guard, f"{cond} IS TRUE"))
                other = self.expr(kids[2], t, (*guard, f"{cond} IS FALSE"))
                return f"(CASE {cond} WHEN TRUE THEN {then} WHEN FALSE THEN {other} END)"
        args = [self.expr(k, t, guard) for k in kids]
        maybe = [a for k, a in zip(kids, args, strict=True) if self.constant(k, t) is None]
        return self.op(c, args, maybe, guard, t)

    def from_division(self, c: Clause, t: TermLayout) -> bool:
        """Whether a value is computed from a quotient (in the clause, or in a term it names):
        a product of one is as approximate as the quotient, rounded to 12 places as SQL's
        divisions are (docs/sql.md), not checked for exactness."""
        seen: set[Key] = set()
        stack = [(c, t)]
        while stack:
            clause, owner = stack.pop()
            e = clause.expr
            if isinstance(e, ir.Arith) and e.op == "/":
                return True
            if isinstance(e, ir.TermRef | ir.BaseRef):
                key = ref_key(owner.context, e)
                ref = self.layout.terms.get(key)
                if ref is not None and key not in seen:
                    seen.add(key)
                    stack.extend((k, ref) for k in term_clauses(ref))
            stack.extend((k, owner) for k in clause.children)
        return False

    def constant(self, c: Clause, t: TermLayout) -> ir.Const | None:
        """The constant a clause is: a literal, or a term defined as one (through any chain
        of names), such as a set of outcomes named once and used in many rules. A named
        constant written as a column would be built for every row (a list per row for a set:
        seconds over a million rows); inlined, `x in named_set` is SQL's `IN` over literals."""
        seen = 0
        while seen < len(self.layout.terms):
            if isinstance(c.expr, ir.Const):
                return c.expr
            if not isinstance(c.expr, ir.TermRef | ir.BaseRef):
                return None
            ref = self.layout.terms.get(ref_key(t.context, c.expr))
            if ref is None or ref.body is None or isinstance(ref.term, ir.ParameterTerm):
                return None
            c, t, seen = ref.body, ref, seen + 1
        return None

    def chain(self, kids: tuple[Clause, ...], t: TermLayout, guard: tuple[str, ...],
              is_or: bool) -> str:
        """Kleene `and`/`or` is SQL's; each operand's guard says the ones before did not
        decide (the evaluator stops at the first false `and` operand, true `or` operand)."""
        parts: list[str] = []
        for k in kids:
            stop = "TRUE" if is_or else "FALSE"
            parts.append(self.expr(k, t, (*guard, *(f"{p} IS NOT {stop}" for p in parts))))
        return "(" + (" OR " if is_or else " AND ").join(parts) + ")"

    def op(self, c: Clause, a: list[str], maybe: list[str], guard: tuple[str, ...],
           t: TermLayout) -> str:
        e = c.expr
        match e:
            case ir.Compare(op=op):
                return f"({a[0]} {_OPS[op]} {a[1]})"
            case ir.Member(negated=neg):
                return self.member(c, a, maybe, neg, t)
            case ir.InRange(negated=neg):
                test = f"({a[0]} BETWEEN {a[1]} AND {a[2]})"
                return _unknown_if(maybe, f"(NOT {test})" if neg else test)
            case ir.Arith(op="/"):
                if self.track:
                    self.divisions.append(_Division(t.key, guard, a[0], a[1], e.span))
                return f"CAST(CAST({a[0]} AS DOUBLE) / NULLIF(CAST({a[1]} AS DOUBLE), 0) " \
                       f"AS {DECIMAL_TYPE})"
            case ir.Arith(op=op):
                code = f"({a[0]} {op} {a[1]})"
                if not _is_decimal(e.type):
                    return code
                self.decimal_arithmetic = True
                if op == "*" and all(_is_decimal(k.expr.type) for k in c.children) and \
                        not any(self.from_division(k, t) for k in c.children):
                    self.products.append(code)  # its places may add up to more than 12
                return f"CAST({code} AS {DECIMAL_TYPE})"
            case ir.Neg():
                return f"(-{a[0]})"
            case ir.SetOf():
                return _unknown_if(maybe, self.d.set_value(a))
        raise AssertionError(f"kprules bug: unhandled {type(e).__name__}")

    def member(self, c: Clause, a: list[str], maybe: list[str], neg: bool,
               t: TermLayout) -> str:
        """`x in s`: unknown when `x` or `s` (or an item of a set literal) is unknown."""
        coll = c.children[1].expr
        word = "NOT IN" if neg else "IN"
        known = self.constant(c.children[1], t)
        if known is not None:
            coll = known
        if isinstance(coll, ir.Const):
            assert isinstance(coll.value, frozenset)
            if not coll.value:
                return _unknown_if(maybe, "TRUE" if neg else "FALSE")
            items = ", ".join(self.d.string(v) for v in sorted(coll.value))
            return f"({a[0]} {word} ({items}))"
        test = f"{self.d.contains}({a[1]}, {a[0]})"
        return _unknown_if(maybe, f"(NOT {test})" if neg else test)

    # ---------------------------------------------------------------- division errors

    def error_column(self) -> str:
        """`_kp500`: the number of the division by zero the evaluator would fail on; and the
        statement stops (INEXACT) at a product of decimals that DECIMAL(38,12) would round
        (the product's own type holds every place: DuckDB's has 24, Spark's too when it may
        not lose precision, kprules.sql.spark)."""
        division = self.division_column()
        if not self.products:
            return division
        # the difference, not `p <> CAST(p ...)`: Spark compares the two at the lower scale
        inexact = " OR ".join(f"(({p} - CAST({p} AS {DECIMAL_TYPE})) <> 0)"
                              for p in self.products)
        return f"(CASE WHEN {inexact} THEN {self.d.fail(INEXACT)} ELSE {division} END)"

    def division_column(self) -> str:
        if not self.divisions:
            return "CAST(NULL AS INTEGER)"
        reach = self.reach_columns()
        whens = []
        for i, d in enumerate(self.divisions):
            parts = [reach[d.owner], *d.guard, f"{d.left} IS NOT NULL", f"{d.right} = 0"]
            whens.append(f"WHEN {' AND '.join(parts)} THEN {i}")
        return f"(CASE {' '.join(whens)} END)"

    def reach_columns(self) -> dict[Key, str]:
        """`_h<slot>`: whether the evaluator evaluates a term: a target always, another term
        when some clause naming it is evaluated."""
        out: dict[Key, str] = {}
        computed = set(self.cols)

        def reach(key: Key) -> str:
            if key in out:
                return out[key]
            if key in self.layout.targets:
                out[key] = "TRUE"
                return "TRUE"
            ways = []
            for owner, guard, target in self.refs:
                if target == key:
                    ways.append("(" + " AND ".join([reach(owner), *guard]) + ")")
            name = f"_h{self.layout.terms[key].index}"
            owners = {f"_h{self.layout.terms[o].index}" for o, _, tk in self.refs if tk == key}
            self.add(name, "(" + (" OR ".join(ways) or "FALSE") + ")", computed | owners)
            out[key] = self.d.ident(name)
            return out[key]

        for key in self.layout.terms:
            reach(key)
        return out


_DECIDED = 1000  # + i: a rule that applies decided the i-th outcome (a decision's walk ends)
_ENDED = 2000  # + i: an exception that applies gave the i-th outcome (its rule's chain ends)


def _outcomes(t: TermLayout) -> dict[str, int]:
    """A decision's outcomes, numbered from 1 (in the order of its type, else first seen)."""
    assert isinstance(t.term, ir.DecisionTerm)
    values = getattr(t.term.type, "values", None) or ()
    seen = [*values, t.term.default]
    for rule in t.rules:
        seen += [rule.rule.outcome, *(e.rule.outcome for e in rule.exceptions)]
    return {o: i for i, o in enumerate(dict.fromkeys(seen), 1)}


def _unknown_if(maybe: list[str], code: str) -> str:
    if not maybe:
        return code
    tests = " OR ".join(f"{m} IS NULL" for m in maybe)
    return f"(CASE WHEN {tests} THEN NULL ELSE {code} END)"
