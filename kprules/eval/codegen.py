"""The compiler: Python source generated from a checked layout, for speed.

Stage: layout -> Python functions (by way of source text). Generated functions:

- `strict(r, asof)`: two-valued and inlined, as fast as hand-written Python. It assumes every fact
  it reads is well typed. Where two values cannot decide (a missing fact, no date, a parameter
  with no value on the date, a division by zero) it raises `Undecided`, its one signal, and the
  caller falls back to `traced`; any other exception is a bug and propagates. When it returns,
  it returns what `traced` would: every operand that could make a value unknown is
  evaluated (a range test reads both bounds), and a decimal fact given as a float is read as its
  shortest decimal (`_num`) wherever a raw float would not give the same result.
- `traced(r, asof)`: three-valued (None is unknown), writing every clause's value into a slot list,
  for explanations, coverage, and for facts that are missing; it returns (values, slots).
- `fast(r)` and `explain(r)`: `strict` and `traced` with the evaluation date taken from the record
  (or fixed), the entries of `Evaluator.function`.

Safety: nothing in a policy is pasted into the source. Names in the source are generated here
(`_k3`, `v12`); constants are bound in the namespace from their typed values (or written with
repr() when they are plain identifiers, ints or floats); the source is parsed back and every name
and string in it is checked against what this module generated before it is compiled; it runs
with empty builtins. `verify_source` is that check.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any, Final, Literal

from kprules import ir
from kprules.core.diagnostics import Diagnostic
from kprules.core.source import Span
from kprules.eval.arith import add, multiply, negate, quotient, subtract
from kprules.ir.dates import Interval
from kprules.ir.runtime import NOT_EVALUATED, EvalError
from kprules.ir.slots import (
    Clause,
    Key,
    Layout,
    RuleLayout,
    TermLayout,
    ref_key,
    term_refs,
)
from kprules.ir.types import DECIMAL, CompareOp, Quantity
from kprules.ir.values import UNKNOWN

_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_OPS: dict[CompareOp, str] = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# Deeper inlined expressions are computed into locals instead (Python's parser nests ~200 levels).
_INLINE_DEPTH = 25


UndecidedReason = Literal["fact", "date", "parameter", "division", "uncompiled"]


class Undecided(Exception):
    """The strict code's one way of saying that it cannot decide a record in two values, so that
    the traced code decides: a `fact` is missing, there is no evaluation `date`, a `parameter`
    has no value on the date, or a `division` by zero (which the traced code reports, located,
    if it evaluates that division; the strict code computes shared terms eagerly); or there is
    no strict code (`uncompiled`: too deeply nested for Python)."""

    def __init__(self, reason: UndecidedReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: UndecidedReason = reason
        self.detail = detail


class _NoDate:
    """The evaluation date of strict code that has none: comparing it with a date (the only
    thing strict code does with a date) signals `Undecided`, so that a missing date costs the
    dated records nothing."""

    def _undecided(self, other: object) -> bool:
        raise Undecided("date")

    __lt__ = __le__ = __gt__ = __ge__ = _undecided

    def __repr__(self) -> str:
        return "NO_DATE"


NO_DATE: Final = _NoDate()


def _missing(r: Any, err: KeyError, facts: frozenset[str]) -> Undecided:
    """The signal for a KeyError of strict code that reads a fact the record lacks (a missing
    fact is found by reading it, which costs nothing when it is there); any other KeyError is
    re-raised: it is a bug."""
    key = err.args[0] if len(err.args) == 1 else None
    if isinstance(key, str) and key in facts and key not in r:
        return Undecided("fact", key)
    raise err


def _sdiv(a: Any, b: Any) -> Decimal:
    """Division in strict code: by zero, the traced code decides (and reports it, located)."""
    if b == 0:
        raise Undecided("division")
    return quotient(a, b)


def _div(a: Any, b: Any, span: int, spans: list[Span]) -> Decimal:
    if b == 0:
        raise EvalError(Diagnostic("KP500", "division by zero", spans[span],
                                   hint="guard the division with a condition"))
    return quotient(a, b)


def _num(x: Any) -> Any:
    """Floats are read by their shortest repr, as the validating path reads them."""
    return Decimal(repr(x)) if type(x) is float else x


def _no_value() -> Any:
    raise Undecided("parameter")


class Namespace:
    """Constants and helpers the generated code may use, each under a generated name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {
            "_div": _div, "_sdiv": _sdiv, "_num": _num, "_unk": _no_value, "_Und": Undecided,
            "_KE": KeyError, "_ND": NO_DATE,
            "_NE": NOT_EVALUATED, "_spans": [], "_fs": frozenset, "_Dec": Decimal,
            "_add": add, "_sub": subtract, "_mul": multiply, "_neg": negate,
        }
        self._by_value: dict[tuple[type, Any, str], str] = {}

    def bind(self, value: Any) -> str:
        # repr too: Decimal("1.0") == Decimal("1"), but they show (and compute) differently
        key = (type(value), value, repr(value))
        name = self._by_value.get(key)
        if name is None:
            name = f"_k{len(self._by_value)}"
            self._by_value[key] = name
            self.values[name] = value
        return name

    def span(self, span: Span) -> int:
        spans: list[Span] = self.values["_spans"]
        spans.append(span)
        return len(spans) - 1

    def literal(self, value: Any, *, compare: bool = False) -> str:
        """Source text for a constant. In comparisons, exactly representable decimals become
        floats (exact against int, float and Decimal facts alike); elsewhere they stay Decimal."""
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, int):
            return repr(value)
        if isinstance(value, Decimal) and compare and _float_exact(value):
            return repr(float(value))
        if isinstance(value, str) and _SAFE.match(value):
            return repr(value)
        return self.bind(value)


def _float_exact(d: Decimal) -> bool:
    f = float(d)
    return math.isfinite(f) and Decimal(f) == d and abs(f) < 2**53


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 1

    def add(self, text: str) -> None:
        self.lines.append("    " * self.level + text)

    def block(self, head: str) -> _Indent:
        self.add(head)
        return _Indent(self)


class _Indent:
    def __init__(self, out: _Lines) -> None:
        self.out = out
        self.start = len(out.lines)

    def __enter__(self) -> None:
        self.out.level += 1

    def __exit__(self, *exc: object) -> None:
        if len(self.out.lines) == self.start:  # nothing to do in this block
            self.out.add("pass")
        self.out.level -= 1


def _intervals(t: TermLayout, rule: RuleLayout) -> tuple[Interval, ...]:
    return tuple(iv for iv in (t.context.in_force, rule.rule.validity) if iv is not None)


def _interval_test(ns: Namespace, ivs: tuple[Interval, ...]) -> str:
    parts = []
    for iv in ivs:
        start = ns.bind(iv.start)
        parts.append(f"{start} <= asof" if iv.end is None else
                     f"{start} <= asof < {ns.bind(iv.end)}")
    return " and ".join(parts)


# ----------------------------------------------------------------------------- strict code


class StrictGen:
    """Two-valued expressions, terms inlined where used once and small, else computed once."""

    def __init__(self, layout: Layout, ns: Namespace) -> None:
        self.layout = layout
        self.ns = ns
        self.uses = _use_counts(layout)
        self.locals: dict[Key, str] = {}
        self.prelude: list[str] = []
        self.facts: set[str] = set()  # the facts the code reads

    def entry(self) -> str:
        results = [self._result(k) for k in self.layout.targets]
        body = [f"    {line}" for line in self.prelude]
        tup = "(" + ", ".join(results) + ("," if len(results) == 1 else "") + ")"
        return "\n".join([*body, f"    return {tup}"])

    def _result(self, key: Key) -> str:
        """A target's value; a decimal one may be a fact given as a float: read it exactly."""
        code = self.term(key)
        return f"_num({code})" if _is_decimal(self.layout.terms[key].term) else code

    def term(self, key: Key) -> str:
        if key in self.locals:
            return self.locals[key]
        t = self.layout.terms[key]
        code = self._term_code(t)
        if self.uses.get(key, 0) > 1 or key in self.layout.targets or _depth(code) > _INLINE_DEPTH:
            name = f"t{len(self.locals)}"
            self.prelude.append(f"{name} = {code}")
            self.locals[key] = name
            return name
        return code

    def _term_code(self, t: TermLayout) -> str:
        if isinstance(t.term, ir.ParameterTerm):
            return self._parameter(t.term)
        if t.body is not None:
            return self.expr(t.body, t)
        assert isinstance(t.term, ir.DecisionTerm)
        code = self.ns.literal(t.term.default)
        for rule in reversed(t.rules):
            code = f"({self._rule_value(rule, t)} if {self._applies(rule, t)} else {code})"
        return code

    def _applies(self, rule: RuleLayout, t: TermLayout) -> str:
        cond = self.expr(rule.condition, t)
        ivs = _intervals(t, rule)
        return f"({_interval_test(self.ns, ivs)} and {cond})" if ivs else cond

    def _rule_value(self, rule: RuleLayout, t: TermLayout) -> str:
        code = self.ns.literal(rule.rule.outcome)
        for exc in reversed(rule.exceptions):
            code = f"({self.ns.literal(exc.rule.outcome)} if {self._applies(exc, t)} else {code})"
        return code

    def _parameter(self, term: ir.ParameterTerm) -> str:
        code = "_unk()"
        for piece in reversed(term.pieces):
            value = self.ns.literal(piece.value)
            code = f"({value} if {_interval_test(self.ns, (piece.validity,))} else {code})"
        return code

    def expr(self, c: Clause, t: TermLayout) -> str:
        e = c.expr
        kids = c.children
        match e:
            case ir.Const(value=v):
                return self.ns.literal(v)
            case ir.FactRef(name=name):
                self.facts.add(name)
                return f"r[{self.ns.literal(name)}]"
            case ir.TermRef() | ir.BaseRef():
                return self.term(ref_key(t.context, e))
            case ir.And() | ir.Or():
                word = " and " if isinstance(e, ir.And) else " or "
                return "(" + word.join(self.expr(k, t) for k in kids) + ")"
            case ir.InRange(negated=neg):
                test = self._in_range(c, t)
                return f"(not {test})" if neg else test
            case ir.If():
                cond, then, other = (self.expr(k, t) for k in kids)
                return f"({then} if {cond} else {other})"
            case ir.Compare():
                return python_op(e, self._operands(kids, t), self.ns)
            case ir.Arith() | ir.Neg():
                return python_op(e, [self._arith_operand(k, t) for k in kids], self.ns,
                                 strict=True)
        return python_op(e, [self.expr(k, t) for k in kids], self.ns)

    def _in_range(self, c: Clause, t: TermLayout) -> str:
        """`low <= x <= high` with every operand evaluated: a chained comparison skips the last
        operand once the first test fails, and an unknown (or failing) bound must not be
        skipped, since it makes the range test unknown."""
        a, lo, hi = self._operands(c.children, t)
        const_lo, const_hi = (isinstance(k.expr, ir.Const) for k in c.children[1:])
        if const_hi:
            return f"({lo} <= {a} <= {hi})"
        if const_lo:
            return f"({hi} >= {a} >= {lo})"
        v = f"v{c.index}"
        return f"(({lo} <= ({v} := {a})) & ({v} <= {hi}))"

    def _operands(self, kids: tuple[Clause, ...], t: TermLayout) -> list[str]:
        """Comparison operands. Constants are exact floats where possible. A decimal operand that
        may be a fact given as a float is read exactly (`_num`) unless every other operand is a
        constant that is a float exactly: comparing two floats, or a float with an int, orders
        them as their shortest decimals do, but a float against a Decimal does not."""
        exact = [isinstance(k.expr, ir.Const) and (isinstance(k.expr.value, int | float)
                                                    or _float_exact_const(k.expr)) for k in kids]
        out = []
        for i, k in enumerate(kids):
            if isinstance(k.expr, ir.Const):
                out.append(self.ns.literal(k.expr.value, compare=True))
            elif _is_decimal(k.expr) and not all(exact[:i] + exact[i + 1:]):
                out.append(f"_num({self.expr(k, t)})")
            else:
                out.append(self.expr(k, t))
        return out

    def _arith_operand(self, k: Clause, t: TermLayout) -> str:
        code = self.expr(k, t)
        return f"_num({code})" if _is_decimal(k.expr) and not isinstance(k.expr, ir.Const) \
            else code


def _float_exact_const(c: ir.Const) -> bool:
    return isinstance(c.value, Decimal) and _float_exact(c.value)


_ARITH = {"+": "_add", "-": "_sub", "*": "_mul"}


def _arith(e: ir.Expr, op: str, a: str, b: str) -> str:
    """Integers with Python's operators; a decimal result in the exact context (eval.arith),
    whatever the caller's `decimal` context."""
    return f"{_ARITH[op]}({a}, {b})" if _is_decimal(e) else f"({a} {op} {b})"


def _is_decimal(e: ir.Expr | ir.Term) -> bool:
    """Decimal-valued (a decimal or a quantity): inputs may be floats, read exactly by `_num`."""
    return e.type == DECIMAL or isinstance(e.type, Quantity)


def _depth(code: str) -> int:
    depth = best = 0
    for ch in code:
        if ch == "(":
            depth += 1
            best = max(best, depth)
        elif ch == ")":
            depth -= 1
    return best


def _use_counts(layout: Layout) -> dict[Key, int]:
    counts: dict[Key, int] = {}
    for t in layout.terms.values():
        for key in term_refs(t):
            counts[key] = counts.get(key, 0) + 1
    return counts


# ----------------------------------------------------------------------------- traced code


class TracedGen:
    """Three-valued statements (None is unknown); every clause stores its value in the slot list
    `s` (except constants and facts, which an explanation reads from the policy and the facts).

    A term used in one place only (one clause, or a target nothing else uses) is inlined there;
    other terms are functions `_t<n>(r, asof, s)`, run once (their slot memoises them). A clause
    nested deeper than `_MAX_LEVEL` blocks goes to a function `_c<index>` of its own, so that
    inlining never reaches Python's limit of 100 indentation levels. Boolean values are exactly
    True, False or None, so Kleene `and`/`or` need one identity test per operand. Decimal and
    quantity facts are read by `_num`, so that a float gives the result of its shortest decimal.
    """

    def __init__(self, layout: Layout, ns: Namespace) -> None:
        self.layout = layout
        self.ns = ns
        self.ids = {key: i for i, key in enumerate(layout.terms)}
        uses = _use_counts(layout)
        for key in layout.targets:
            uses[key] = uses.get(key, 0) + 1
        self.inline = {key for key, n in uses.items() if n == 1}
        self.defs: dict[str, str] = {}  # function name -> source, in the order written

    def functions(self, date: str) -> str:
        """The term and clause functions, `_run(r, asof)` -> (values of the targets, slots), and
        `_explain(r)` -> `_Ex((public values, slots, r, asof, *_X))` with the date `date`."""
        out = _Lines()
        out.add(f"s = [_NE] * {self.layout.size}")
        names = [self.term_value(key, out) for key in self.layout.targets]
        body = "\n".join(out.lines)
        run = f"def _run(r, asof):\n{body}\n    return {_tuple(names)}, s"
        public = _tuple([n if _is_literal(n) else f"(_U if {n} is None else {n})" for n in names])
        explain = (f"def _explain(r):\n    asof = {date}\n{body}\n"
                   f"    return _Ex(({public}, s, r, asof, _X0, _X1))")
        return "\n\n".join([*self.defs.values(), run, explain])

    def term_value(self, key: Key, out: _Lines) -> str:
        """Statements that make the term's value available; returns its variable or literal."""
        t = self.layout.terms[key]
        if key in self.inline:
            return self._term(t, out)
        name = f"_t{self.ids[key]}"
        if name not in self.defs:
            self.defs[name] = ""  # reserved first: the order of definitions does not matter
            inner = _Lines()
            var = self._term(t, inner)
            inner.add(f"return {var}")
            self.defs[name] = f"def {name}(r, asof, s):\n" + "\n".join(inner.lines)
        var = f"x{t.index}"
        out.add(f"{var} = s[{t.index}]")
        with out.block(f"if {var} is _NE:"):
            out.add(f"{var} = {name}(r, asof, s)")
        return var

    def _term(self, t: TermLayout, out: _Lines) -> str:
        if isinstance(t.term, ir.ParameterTerm):
            return self._parameter(t, out)
        if t.body is not None:
            value = self.expr(t.body, t, out)
            out.add(f"s[{t.index}] = {value}")
            return value
        return self._decision(t, out)

    def _parameter(self, t: TermLayout, out: _Lines) -> str:
        assert isinstance(t.term, ir.ParameterTerm)
        var = f"v{t.index}"
        with out.block("if asof is None:"):
            out.add(f"{var} = None")
        for piece in t.term.pieces:
            with out.block(f"elif {_interval_test(self.ns, (piece.validity,))}:"):
                out.add(f"{var} = {self.ns.literal(piece.value)}")
        with out.block("else:"):
            out.add(f"{var} = None")
        out.add(f"s[{t.index}] = {var}")
        return var

    def _decision(self, t: TermLayout, out: _Lines) -> str:
        """First match under unknowns (docs/language.md, "Decisions"): `p<n>` is the one outcome
        possible so far; a rule that applies or may apply adds its outcomes; a second outcome
        makes the decision unknown (`None`), a rule that applies ends it with `p<n>`."""
        assert isinstance(t.term, ir.DecisionTerm)
        var, possible = f"v{t.index}", f"p{t.index}"
        out.add(f"{var} = {possible} = _NE")
        for i, rule in enumerate(t.rules):
            with _guard(out, f"if {var} is _NE:", i > 0):
                app = self._applies(rule, t, out)
                with out.block(f"if {app} is not False:"):
                    self._chain_outcomes(rule, t, out, rule.exceptions)
                    with out.block(f"if {app} and {var} is _NE:"):
                        out.add(f"{var} = {possible}")
        default = self.ns.literal(t.term.default)
        with _guard(out, f"if {var} is _NE:", bool(t.rules)):
            out.add(f"{var} = {default} if {possible} is _NE or {possible} == {default} "
                    "else None")
        out.add(f"s[{t.index}] = {var}")
        return var

    def _chain_outcomes(self, rule: RuleLayout, t: TermLayout, out: _Lines,
                        exceptions: tuple[RuleLayout, ...]) -> None:
        """The outcomes of a rule that (may) apply: each exception that may apply adds its own,
        one that applies ends the chain; else the rule's own outcome."""
        if not exceptions:
            self._add_outcome(t, rule.rule.outcome, out)
            return
        exc, *rest = exceptions
        app = self._applies(exc, t, out)
        with out.block(f"if {app} is not False:"):
            self._add_outcome(t, exc.rule.outcome, out)
        with out.block(f"if {app} is not True and v{t.index} is _NE:"):
            self._chain_outcomes(rule, t, out, tuple(rest))

    def _add_outcome(self, t: TermLayout, outcome: str, out: _Lines) -> None:
        possible, lit = f"p{t.index}", self.ns.literal(outcome)
        with out.block(f"if {possible} is _NE:"):
            out.add(f"{possible} = {lit}")
        with out.block(f"elif {possible} != {lit}:"):
            out.add(f"v{t.index} = None")

    def _applies(self, rule: RuleLayout, t: TermLayout, out: _Lines) -> str:
        """Whether a rule applies: False when out of force, else its condition (unknown when
        the date is unknown, unless the condition is false)."""
        app = f"v{rule.index}"
        ivs = _intervals(t, rule)
        if not ivs:
            out.add(f"{app} = s[{rule.index}] = {self.expr(rule.condition, t, out)}")
            return app
        act = f"a{rule.index}"
        out.add(f"{act} = None if asof is None else ({_interval_test(self.ns, ivs)})")
        with out.block(f"if {act} is False:"):
            out.add(f"{app} = False")
        with out.block("else:"):
            cond = self.expr(rule.condition, t, out)
            if _is_literal(cond):
                out.add(f"{app} = True if {act} else None" if cond == "True" else f"{app} = False")
            else:
                out.add(f"{app} = {cond} if {act} else (False if {cond} is False else None)")
        out.add(f"s[{rule.index}] = {app}")
        return app

    # ---------------------------------------------------------------- expressions

    def expr(self, c: Clause, t: TermLayout, out: _Lines) -> str:
        """Statements computing clause `c` (and storing it in its slot); returns the variable
        holding its value, or the literal when it is a constant."""
        e = c.expr
        if isinstance(e, ir.Const):
            return self.ns.literal(e.value)
        v = f"v{c.index}"
        if isinstance(e, ir.FactRef):
            read = f"r.get({self.ns.literal(e.name)})"
            out.add(f"{v} = _num({read})" if _is_decimal(e) else f"{v} = {read}")
            return v
        if out.level > _MAX_LEVEL:
            return self._apart(c, t, out)
        match e:
            case ir.TermRef() | ir.BaseRef():
                value = self.term_value(ref_key(t.context, e), out)
                out.add(f"s[{c.index}] = {value}")
                return value
            case ir.And() | ir.Or():
                v = self._chain(c, t, out, stop=isinstance(e, ir.Or))
            case ir.If():
                self._if(c, t, out)
            case _:
                args = [self.expr(k, t, out) for k in c.children]
                maybe = [a for a in args if not _is_literal(a)]
                code = python_op(e, args, self.ns)
                if maybe:
                    unknown = " or ".join(f"{a} is None" for a in maybe)
                    code = f"None if {unknown} else {code}"
                out.add(f"{v} = s[{c.index}] = {code}")
                return v
        out.add(f"s[{c.index}] = {v}")
        return v

    def _apart(self, c: Clause, t: TermLayout, out: _Lines) -> str:
        """A deeply nested clause as a function of its own, called where it is needed."""
        name = f"_c{c.index}"
        inner = _Lines()
        inner.add(f"return {self.expr(c, t, inner)}")
        self.defs[name] = f"def {name}(r, asof, s):\n" + "\n".join(inner.lines)
        v = f"v{c.index}"
        out.add(f"{v} = {name}(r, asof, s)")
        return v

    def _chain(self, c: Clause, t: TermLayout, out: _Lines, stop: bool) -> str:
        """Kleene `and` (stop=False) / `or` (stop=True): the value so far is `go` or None until
        an operand equals `stop`; later operands run only while it is not. The value is kept in
        the first operand's variable when that is the operand's own (its slot is written)."""
        stop_lit, go_lit = ("True", "False") if stop else ("False", "True")
        first, *rest = c.children
        v = self.expr(first, t, out)
        if _is_literal(v) or isinstance(first.expr, ir.TermRef | ir.BaseRef):
            out.add(f"v{c.index} = {v}")
            v = f"v{c.index}"
        for k in rest:
            with out.block(f"if {v} is not {stop_lit}:"):
                kv = self.expr(k, t, out)
                if kv == stop_lit:
                    out.add(f"{v} = {stop_lit}")
                elif not _is_literal(kv):
                    with out.block(f"if {kv} is not {go_lit}:"):
                        out.add(f"{v} = {kv}")
        return v

    def _if(self, c: Clause, t: TermLayout, out: _Lines) -> None:
        v = f"v{c.index}"
        cond, then, other = c.children
        test = self.expr(cond, t, out)
        if _is_literal(test):  # `if true then ...`: only one branch is ever evaluated
            out.add(f"{v} = {self.expr(then if test == 'True' else other, t, out)}")
            return
        with out.block(f"if {test} is None:"):
            out.add(f"{v} = None")
        with out.block(f"elif {test}:"):
            out.add(f"{v} = {self.expr(then, t, out)}")
        with out.block("else:"):
            out.add(f"{v} = {self.expr(other, t, out)}")


def python_op(e: ir.Expr, a: list[str], ns: Namespace, strict: bool = False) -> str:
    """The Python code of one operator applied to its operands' code (both code generators):
    `not`, comparisons, memberships, ranges, arithmetic (division checked: in `strict` code a
    division by zero signals `Undecided`, in traced code it raises the located error), sets."""
    match e:
        case ir.Not():
            return f"(not {a[0]})"
        case ir.Compare(op=op):
            return f"({a[0]} {_OPS[op]} {a[1]})"
        case ir.Member(negated=neg):
            return f"({a[0]} {'not in' if neg else 'in'} {a[1]})"
        case ir.InRange(negated=neg):
            test = f"({a[1]} <= {a[0]} <= {a[2]})"
            return f"(not {test})" if neg else test
        case ir.Arith(op=op):
            if op == "/":
                return f"_sdiv({a[0]}, {a[1]})" if strict else \
                    f"_div({a[0]}, {a[1]}, {ns.span(e.span)}, _spans)"
            return _arith(e, op, a[0], a[1])
        case ir.Neg():
            return f"_neg({a[0]})" if _is_decimal(e) else f"(-{a[0]})"
        case ir.SetOf():
            return "_fs((" + "".join(x + ", " for x in a) + "))"
    raise AssertionError(f"kprules bug: unhandled {type(e).__name__}")


# Clauses nested deeper than this many blocks are generated as functions of their own.
_MAX_LEVEL = 40
_LITERAL = re.compile(r"True|False|-?[0-9]+|'[A-Za-z_][A-Za-z0-9_]*'|_k[0-9]+")


def _is_literal(code: str) -> bool:
    return _LITERAL.fullmatch(code) is not None


def _tuple(items: list[str]) -> str:
    return "(" + "".join(x + ", " for x in items) + ")"


class _NoGuard:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _guard(out: _Lines, head: str, needed: bool) -> _Indent | _NoGuard:
    """A block under `head` when `needed`, else the statements at the current level."""
    return out.block(head) if needed else _NoGuard()


# ----------------------------------------------------------------------------- assembly


_ALLOWED_ATTRS = frozenset({"get"})
_LOCAL = re.compile(r"(v|a|t|x|p)[0-9]+\Z|_[tc][0-9]+\Z")


def verify_source(source: str, namespace: dict[str, Any]) -> None:
    """Reject generated code that names anything this module did not generate."""
    tree = ast.parse(source)
    params = {"r", "asof", "s", "err"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            ok = node.id in namespace or node.id in params or _LOCAL.match(node.id)
            if not ok:
                raise AssertionError(f"kprules bug: generated code names {node.id!r}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if not _SAFE.match(node.value):
                raise AssertionError("kprules bug: an unsafe string in generated code")
        elif isinstance(node, ast.Attribute) and node.attr not in _ALLOWED_ATTRS:
            raise AssertionError(f"kprules bug: generated code reads .{node.attr}")
        elif isinstance(node, ast.Import | ast.ImportFrom | ast.Lambda | ast.ClassDef):
            raise AssertionError("kprules bug: unexpected construct in generated code")


def _indent(body: str) -> str:
    return "\n".join("    " + line for line in body.splitlines())


def _never(r: Any, asof: Any = None) -> Any:
    raise Undecided("uncompiled")


def _exec(source: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Verify and run generated source in a namespace of its own, with no builtins."""
    namespace = dict(namespace)
    verify_source(source, namespace)
    namespace["__builtins__"] = {}
    exec(compile(source, "<kprules generated>", "exec"), namespace)
    return namespace


def _strict_source(gen: StrictGen, ns: Namespace, date: str, as_of_fact: str | None) -> str:
    """`_strict(r, asof)` and `_fast(r)`. Only `Undecided` and the KeyError of a fact missing from
    `r` (turned into `Undecided` by `_miss`) mean "undecided"; other exceptions propagate."""
    body = gen.entry()
    reads = frozenset(gen.facts) | ({as_of_fact} if as_of_fact is not None else frozenset())
    ns.values["_miss"] = partial(_missing, facts=reads)
    strict = ("def _strict(r, asof):\n    if asof is None:\n        asof = _ND\n"
              f"    try:\n{_indent(body)}\n"
              "    except _KE as err:\n        raise _miss(r, err) from None")
    fast = (f"def _fast(r):\n    try:\n        asof = {date}\n{_indent(body)}\n"
            "    except _Und:\n        return _fb(r)\n"
            "    except _KE as err:\n        _miss(r, err)\n        return _fb(r)")
    return "\n\n".join([strict, fast])


class Compiled:
    """The generated functions of one layout.

    `strict(r, asof)` and `traced(r, asof)` as described above; `fast(r)`: strict code whose date
    is the fact `as_of_fact` of `r` (or the fixed `as_of`), and which hands any record it cannot
    decide (`Undecided`, or the KeyError of a missing fact) to `fallback(r)`; `explain(r)`:
    traced code with that date, returning `explained((public values, slots, r, date,
    *explain_context))` (one tuple: `explained` may be a tuple subclass's `tuple.__new__`, the
    cheapest constructor).

    Strict code is one expression per term: an expression nested so deeply that Python refuses to
    compile it gets no strict code (every record then takes the fallback).
    """

    def __init__(self, layout: Layout, fallback: Callable[[Any], tuple[Any, ...]] | None = None,
                 as_of_fact: str | None = None, as_of: dt.date | None = None,
                 explained: Callable[[tuple[Any, ...]], Any] | None = None,
                 explain_context: tuple[Any, Any] = (None, None)) -> None:
        self.layout = layout
        ns = Namespace()
        ns.values.update(_fb=fallback, _Ex=explained, _U=UNKNOWN, _X0=explain_context[0],
                         _X1=explain_context[1])
        traced_date = ns.literal(as_of) if as_of is not None else "None"
        date = ns.literal(as_of) if as_of is not None else "_ND"
        if as_of_fact is not None:
            date = f"r[{ns.literal(as_of_fact)}]"
            traced_date = f"r.get({ns.literal(as_of_fact)})"
        traced_source = TracedGen(layout, ns).functions(traced_date)
        strict_source = _strict_source(StrictGen(layout, ns), ns, date, as_of_fact)
        self.source = "\n\n".join([strict_source, traced_source])
        names = _exec(traced_source, ns.values)
        self.traced: Callable[[Any, dt.date | None], tuple[tuple[Any, ...], list[Any]]] = \
            names["_run"]
        self.explain: Callable[[Any], Any] = names["_explain"]
        try:
            names = _exec(strict_source, ns.values)
        except (SyntaxError, RecursionError, MemoryError):  # too deeply nested for Python
            names = {"_strict": _never, "_fast": fallback or _never}
        self.strict: Callable[[Any, dt.date | None], tuple[Any, ...]] = names["_strict"]
        self.fast: Callable[[Any], tuple[Any, ...]] = names["_fast"]
