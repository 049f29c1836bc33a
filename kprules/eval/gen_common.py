"""What both code generators share (kprules.eval.codegen builds on them): the one signal of the
strict code (`Undecided`), the run-time helpers the generated code calls, the namespace that binds
constants, source lines with indentation, and `python_op`, an operator as Python code."""

from __future__ import annotations

import math
import re
from decimal import Decimal, FloatOperation
from typing import Any, Final, Literal

from kprules import ir
from kprules.core.diagnostics import Diagnostic
from kprules.core.source import Span
from kprules.eval.arith import add, multiply, negate, quotient, subtract
from kprules.ir.dates import Interval
from kprules.ir.runtime import NOT_EVALUATED, EvalError
from kprules.ir.slots import (
    RuleLayout,
    TermLayout,
)
from kprules.ir.types import DECIMAL, CompareOp, Quantity

_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


_OPS: dict[CompareOp, str] = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


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


# What the strict code's callers catch to hand a record to the traced code: `Undecided`, and
# the `FloatOperation` a caller's decimal context may trap, since the strict code orders
# decimals against exact float constants (`Namespace.literal`); the traced code does not, so
# no result depends on the caller's context.
NOT_DECIDED: Final = (Undecided, FloatOperation)


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
            "_div": _div, "_sdiv": _sdiv, "_num": _num, "_unk": _no_value, "_Und": NOT_DECIDED,
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
    return math.isfinite(f) and Decimal.from_float(f) == d and abs(f) < 2**53


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
