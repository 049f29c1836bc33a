"""Checker pass: the size limits of docs/limits.md that need checked policies.

- KP290: a parameter with more than MAX_PIECES dated pieces;
- KP291: a decision with more than MAX_RULES rules and exceptions;
- KP293: more than MAX_CLAUSES clauses in all the policies of a run (each with its bases);
- KP390: arithmetic whose result may need more than MAX_RESULT_DIGITS digits.

The last is a bound, computed once per term from its operands (linear in the size of the
policies): a fact has at most MAX_NUMBER_DIGITS digits (the readers refuse more, KP490), a
literal its own; `a + b` and `a - b` need one more than the longer, `a * b` the sum, `a / b` the
sum plus the DIVISION_DIGITS significant digits of a quotient. No legal formula comes near the
limit; forty squarings of a fact would need 30 * 2^40 digits, and never finish. Within the
bound, arithmetic in the evaluator's context is exact (kprules.eval.arith).

The amendment depth (KP292) is checked with the module graph (modules.py).
"""

from __future__ import annotations

from decimal import Decimal

from kprules import ir
from kprules.checker.context import Sink
from kprules.checker.structure import dependencies, postorder, term_exprs
from kprules.core.limits import (
    DIVISION_DIGITS,
    MAX_CLAUSES,
    MAX_NUMBER_DIGITS,
    MAX_PIECES,
    MAX_RESULT_DIGITS,
    MAX_RULES,
    plain_digits,
)
from kprules.core.source import Span
from kprules.ir.types import Quantity, is_numeric

Digits = dict[tuple[str, str], int]


def check_sizes(policy: ir.CheckedPolicy, sink: Sink) -> None:
    """KP290 and KP291 for the policy's own parameters and decisions."""
    for name in sorted(policy.own):
        term = policy.terms[name]
        if isinstance(term, ir.ParameterTerm) and len(term.pieces) > MAX_PIECES:
            sink.error("KP290", f"the parameter `{name}` has {len(term.pieces):,} dated pieces; "
                       f"the limit is {MAX_PIECES:,}", _head(term.origin.span),
                       hint="split it into several parameters, or keep the values in a data "
                       "file")
        if isinstance(term, ir.DecisionTerm):
            count = _rules(term.rules)
            if count > MAX_RULES:
                sink.error("KP291", f"the decision `{name}` has {count:,} rules and "
                           f"exceptions; the limit is {MAX_RULES:,}", _head(term.origin.span),
                           hint="group the conditions into definitions")


def check_total(policies: list[ir.CheckedPolicy], sink: Sink) -> None:
    """KP293 at the first policy that takes the run past MAX_CLAUSES clauses."""
    total = 0
    for policy in policies:
        total += sum(1 for t in policy.terms.values() for e in term_exprs(t) for _ in ir.walk(e))
        if total > MAX_CLAUSES:
            sink.error("KP293", f"with `{policy.name}` the policies of this run hold {total:,} "
                       f"clauses, each counted with its bases; the limit is {MAX_CLAUSES:,}",
                       _head(policy.span), hint="check fewer policies at once, or group "
                       "repeated conditions into definitions")
            return


def _head(span: Span) -> Span:
    """The first character of a term: its whole span would quote every piece or rule."""
    return Span(span.source, span.start, span.start + 1)


def _rules(rules: tuple[ir.CheckedRule, ...]) -> int:
    count, stack = 0, list(rules)
    while stack:
        rule = stack.pop()
        count += 1
        stack.extend(rule.exceptions)
    return count


def check_magnitudes(policy: ir.CheckedPolicy, digits: Digits, sink: Sink) -> None:
    """Each term's digit bound (`digits`, extended; bases come first), and KP390 at each
    arithmetic operation of the policy's own terms whose bound first passes the limit.

    Terms are taken in dependency order (the term graph has no cycle: checked before)."""
    graph = {name: dependencies(t) for name, t in policy.terms.items()}
    order = postorder(sorted(graph), lambda name: (r.name for r in graph[name] if r.name in graph))
    for name in order:
        term = policy.terms[name]
        bound = _Bound(policy.name, digits, sink if name in policy.own else None)
        if isinstance(term, ir.Definition):
            digits[(policy.name, name)] = bound.of(term.body)
            continue
        for e in term_exprs(term):
            bound.of(e)
        if isinstance(term, ir.ParameterTerm):
            digits[(policy.name, name)] = max((_const(p.value) for p in term.pieces), default=0)


def _const(value: ir.Value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return 0
    return plain_digits(value)


class _Bound:
    """Digit bounds of expressions of one term; reports to `sink` unless it is None."""

    def __init__(self, policy: str, digits: Digits, sink: Sink | None) -> None:
        self.policy, self.digits, self.sink = policy, digits, sink

    def of(self, e: ir.Expr) -> int:
        match e:
            case ir.Const(value=value):
                return _const(value)
            case ir.FactRef(type=typ):
                return MAX_NUMBER_DIGITS if is_numeric(typ) or isinstance(typ, Quantity) else 0
            case ir.TermRef(name=name):
                return self.digits.get((self.policy, name), 0)
            case ir.BaseRef(policy=policy, name=name):
                return self.digits.get((policy, name), 0)
            case ir.Neg(operand=operand):
                return self.of(operand)
            case ir.If(cond=cond, then=then, else_=other):
                self.of(cond)
                return max(self.of(then), self.of(other))
            case ir.Arith():
                return self._arith(e)
        for child in ir.children(e):
            self.of(child)
        return 0

    def _arith(self, e: ir.Arith) -> int:
        a, b = self.of(e.left), self.of(e.right)
        out = {"+": max(a, b) + 1, "-": max(a, b) + 1, "*": a + b}.get(
            e.op, a + b + DIVISION_DIGITS)
        if out > MAX_RESULT_DIGITS >= max(a, b) and self.sink is not None:
            self.sink.error("KP390", f"this result may need {out:,} digits; the limit is "
                            f"{MAX_RESULT_DIGITS:,}", e.span,
                            hint=f"a fact has up to {MAX_NUMBER_DIGITS} digits, `*` adds the "
                            "digits of its operands: compute fewer products of products")
        return out
