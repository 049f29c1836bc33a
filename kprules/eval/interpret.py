"""The reference interpreter: a plain tree walk over a layout, the oracle the compiler is tested
against. Not used in production paths; kept small and obviously right.

Input: a `Layout`, validated facts (a mapping; a missing fact is unknown) and the evaluation date
(None when unknown). Output: the value of every target (None = unknown) and the slot list (the
value of every clause evaluated; `NOT_EVALUATED` elsewhere). Errors: `EvalError` (KP5xx) with the
span of the failing expression.

Semantics (docs/language.md, "Evaluation"): Kleene three-valued logic; a comparison, membership,
arithmetic or `if` with an unknown operand is unknown; a decision takes the first rule that is in
force and whose condition holds, an exception of that rule winning over it; otherwise the
default. Under unknowns, the outcome when every way of resolving them gives the same one, else
unknown (`decision`).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from typing import Any

from kprules import ir
from kprules.core.diagnostics import Diagnostic
from kprules.eval.arith import OPERATIONS, negate, quotient
from kprules.ir.dates import in_force
from kprules.ir.runtime import NOT_EVALUATED, EvalError
from kprules.ir.slots import Clause, Key, Layout, RuleLayout, TermLayout, ref_key
from kprules.ir.types import DECIMAL, ArithOp, Quantity

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


def parameter_value(term: ir.ParameterTerm, as_of: dt.date | None) -> Any:
    if as_of is None:
        return None
    for piece in term.pieces:
        if piece.validity.contains(as_of):
            return piece.value
    return None


def _decimal(e: ir.Expr) -> bool:
    """A decimal or quantity result: computed in the exact context, as a Decimal."""
    return e.type == DECIMAL or isinstance(e.type, Quantity)


def arith(op: ArithOp, a: Any, b: Any, e: ir.Expr) -> Any:
    """As the evaluator computes: Python's operators on two integers, the exact context of
    kprules.eval.arith on anything else, quotients to 28 digits."""
    if op != "/":
        return OPERATIONS[op](a, b) if _decimal(e) else {"+": a + b, "-": a - b, "*": a * b}[op]
    if b == 0:
        raise EvalError(Diagnostic("KP500", "division by zero", e.span,
                                   hint="guard the division with a condition"))
    return quotient(a, b)


class Interpreter:
    def __init__(self, layout: Layout, facts: Mapping[str, Any], as_of: dt.date | None) -> None:
        self.layout = layout
        self.facts = facts
        self.as_of = as_of
        self.slots: list[Any] = [NOT_EVALUATED] * layout.size
        self.memo: dict[Key, Any] = {}

    def run(self) -> dict[Key, Any]:
        return {key: self.term(key) for key in self.layout.targets}

    def term(self, key: Key) -> Any:
        if key in self.memo:
            return self.memo[key]
        t = self.layout.terms[key]
        if isinstance(t.term, ir.ParameterTerm):
            value = parameter_value(t.term, self.as_of)
        elif t.body is not None:
            value = self.expr(t.body, t)
        else:
            value = self.decision(t)
        self.slots[t.index] = value
        self.memo[key] = value
        return value

    def decision(self, t: TermLayout) -> Any:
        """First match under unknowns: the outcomes still possible, rule by rule; an unknown
        rule lets the walk go on; decided when only one outcome is possible."""
        assert isinstance(t.term, ir.DecisionTerm)
        possible: set[str] = set()
        for rule in t.rules:
            applies = self.applies(rule, t)
            if applies is False:
                continue
            if not self.contribute(rule, t, possible) or len(possible) > 1:
                return None
            if applies:
                return possible.pop()
        possible.add(t.term.default)
        return possible.pop() if len(possible) == 1 else None

    def contribute(self, rule: RuleLayout, t: TermLayout, possible: set[str]) -> bool:
        """Add the outcomes a rule that (may) apply can give: its exceptions' in order, an
        exception that applies ending the chain, else its own. False once two are possible."""
        for exc in rule.exceptions:
            exc_applies = self.applies(exc, t)
            if exc_applies is False:
                continue
            possible.add(exc.rule.outcome)
            if len(possible) > 1:
                return False
            if exc_applies:
                return True
        possible.add(rule.rule.outcome)
        return len(possible) == 1

    def applies(self, rule: RuleLayout, t: TermLayout) -> bool | None:
        active = in_force((t.context.in_force, rule.rule.validity), self.as_of)
        result: bool | None
        if active is False:
            result = False
        else:
            cond = self.expr(rule.condition, t)
            result = False if cond is False else (None if None in (active, cond) else True)
        self.slots[rule.index] = result
        return result

    def expr(self, c: Clause, t: TermLayout) -> Any:
        value = self._eval(c, t)
        self.slots[c.index] = value
        return value

    def _eval(self, c: Clause, t: TermLayout) -> Any:
        e = c.expr
        kids = c.children
        match e:
            case ir.Const(value=v):
                return v
            case ir.FactRef(name=name):
                return self.facts.get(name)
            case ir.TermRef() | ir.BaseRef():
                return self.term(ref_key(t.context, e))
            case ir.Not():
                v = self.expr(kids[0], t)
                return None if v is None else not v
            case ir.And():
                return self._chain(kids, t, stop=False)
            case ir.Or():
                return self._chain(kids, t, stop=True)
            case ir.If():
                cond = self.expr(kids[0], t)
                if cond is None:
                    return None
                return self.expr(kids[1] if cond else kids[2], t)
        values = [self.expr(k, t) for k in kids]
        if None in values:
            return None
        match e:
            case ir.Compare(op=op):
                return COMPARE[op](values[0], values[1])
            case ir.Member(negated=neg):
                return (values[0] in values[1]) != neg
            case ir.InRange(negated=neg):
                return (values[1] <= values[0] <= values[2]) != neg
            case ir.Arith(op=op):
                return arith(op, values[0], values[1], e)
            case ir.Neg():
                return negate(values[0]) if _decimal(e) else -values[0]
            case ir.SetOf():
                return frozenset(values)
        raise AssertionError(f"kprules bug: unhandled {type(e).__name__}")

    def _chain(self, kids: tuple[Clause, ...], t: TermLayout, stop: bool) -> Any:
        """`and` (stop on False) or `or` (stop on True), Kleene: unknown unless decided."""
        unknown = False
        for k in kids:
            v = self.expr(k, t)
            if v is stop:
                return stop
            unknown = unknown or v is None
        return None if unknown else not stop


def interpret(layout: Layout, facts: Mapping[str, Any],
              as_of: dt.date | None) -> tuple[dict[Key, Any], list[Any]]:
    """Evaluate every target of a layout; return the values and the slots."""
    interp = Interpreter(layout, facts, as_of)
    return interp.run(), interp.slots
