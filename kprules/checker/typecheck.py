"""Checker pass 3 (expressions): type every expression.

Input: a surface expression and the `Scope` of its policy. Output: an `ir.Expr`. Errors: KP300-
KP303, KP310-KP313, and through `names` KP200, KP208, KP304, KP305, KP315. The type the context
expects travels down (`check(e, expected)`), so that a bare enum value is read in the enum of the
other side of a comparison, of a set, or of a declared type. After an error the expression gets
the error type, which matches anything, so one mistake is reported once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from kprules import ir
from kprules.checker.context import Scope, Sink
from kprules.checker.names import NameResolver, TermTyper
from kprules.core.source import Span
from kprules.ir.types import (
    BOOL,
    COUNTRY,
    DATE,
    DECIMAL,
    ERROR,
    INTEGER,
    TEXT,
    ArithOp,
    CompareOp,
    EnumType,
    Quantity,
    SetType,
    Type,
    arith_result,
    describe,
    is_error,
    is_numeric,
    is_ordered,
    unify,
)
from kprules.syntax import nodes as n


class ExprChecker:
    """Types the expressions of one policy; `term_type` gives (or infers) a term's type."""

    def __init__(self, scope: Scope, sink: Sink, term_type: TermTyper,
                 base_type: TermTyper | None = None) -> None:
        self.sink = sink
        self.names = NameResolver(scope, sink, term_type, base_type)

    def check(self, e: n.Expr, expected: Type | None = None) -> ir.Expr:
        match e:
            case n.BoolLit(value=v):
                return ir.Const(v, BOOL, e.span)
            case n.NumberLit(value=v):
                return ir.Const(v, INTEGER if isinstance(v, int) else DECIMAL, e.span)
            case n.QuantityLit(value=v, unit=u):
                return ir.Const(v, Quantity(u), e.span)
            case n.DateLit(value=v):
                return ir.Const(v, DATE, e.span)
            case n.StringLit(value=v):
                return ir.Const(v, TEXT, e.span)
            case n.Name():
                return self.names.name(e, expected)
            case n.BaseName():
                return self.names.base(e)
            case n.SetLit():
                return self._set(e, expected)
            case n.Not(operand=o):
                return ir.Not(self.boolean(o, "`not`"), BOOL, e.span)
            case n.And(operands=ops):
                return ir.And(tuple(self.boolean(o, "`and`") for o in ops), BOOL, e.span)
            case n.Or(operands=ops):
                return ir.Or(tuple(self.boolean(o, "`or`") for o in ops), BOOL, e.span)
            case n.Compare():
                return self._compare(e)
            case n.Member():
                return self._member(e)
            case n.InRange():
                return self._range(e)
            case n.Arith():
                return self._arith(e)
            case n.Neg(operand=o):
                return self._neg(e, o)
            case n.IfThenElse():
                return self._if(e, expected)
        raise AssertionError(f"kprules bug: unhandled expression {type(e).__name__}")

    # ------------------------------------------------------------------ helpers

    def boolean(self, e: n.Expr, where: str) -> ir.Expr:
        out = self.check(e, BOOL)
        if not is_error(out.type) and out.type != BOOL:
            self.sink.error("KP301", f"{where} needs a condition, but this is {describe(out.type)}",
                            e.span, hint=_bool_hint(out.type))
        return out

    def expect(self, e: n.Expr, expected: Type, what: str) -> ir.Expr:
        out = self.check(e, expected)
        if unify(out.type, expected) != expected and not is_error(out.type):
            self.sink.error("KP300", f"{what} should be {describe(expected)}, "
                            f"but this is {describe(out.type)}", e.span,
                            hint=_mismatch_hint(expected, out.type))
        return out

    # ------------------------------------------------------------------ sets

    def _set(self, e: n.SetLit, expected: Type | None) -> ir.Expr:
        element = expected.element if isinstance(expected, SetType) else None
        items = []
        for item in e.items:
            out = self.check(item, element)
            if element is None and not is_error(out.type):
                element = out.type
            elif element is not None and unify(out.type, element) is None:
                self.sink.error("KP313", f"this set holds {describe(element)} values, "
                                f"but this is {describe(out.type)}", item.span,
                                hint="the values of a set all have one type")
            items.append(out)
        if element is not None and not _settable(element):
            self.sink.error("KP313", f"sets hold enum values or countries, not {describe(element)}",
                            e.span, hint="for numbers, dates and quantities write a range: "
                            "`x in low .. high`")
            element = ERROR
        typ: Type = SetType(element) if element is not None else SetType(ERROR)
        if all(isinstance(i, ir.Const) for i in items):
            values = frozenset(str(i.value) for i in items if isinstance(i, ir.Const))
            return ir.Const(values, typ, e.span)
        return ir.SetOf(tuple(items), typ, e.span)

    def _member(self, e: n.Member) -> ir.Expr:
        element, collection = self._pair(e.element, e.collection, member=True)
        ctype = collection.type
        if not is_error(element.type, ctype):
            if not isinstance(ctype, SetType):
                self.sink.error("KP313", f"`in` needs a set or a range after it, but this is "
                                f"{describe(ctype)}", e.collection.span,
                                hint="write `x in {a, b}` or `x in low .. high`")
            elif unify(ctype.element, element.type) is None and not is_error(ctype.element):
                self.sink.error("KP313", f"{describe(element.type)} cannot be in a set of "
                                f"{describe(ctype.element)} values", e.span,
                                hint=_mismatch_hint(element.type, ctype.element))
        return ir.Member(element, collection, e.negated, BOOL, e.span)

    def _range(self, e: n.InRange) -> ir.Expr:
        element = self.check(e.element)
        low = self.check(e.low, element.type)
        high = self.check(e.high, element.type)
        if not is_error(element.type) and not is_ordered(element.type):
            self.sink.error("KP311", f"`..` needs ordered values; {describe(element.type)} has "
                            "no order", e.span, hint="list the values: `x in {a, b}`")
        else:
            for bound in (low, high):
                self._comparable(element.type, bound.type, "..", bound.span)
        return ir.InRange(element, low, high, e.negated, BOOL, e.span)

    # ------------------------------------------------------------------ comparisons

    def _needs_context(self, e: n.Expr) -> bool:
        if isinstance(e, n.SetLit):
            return all(self.names.is_bare_value(x) for x in e.items)
        return self.names.is_bare_value(e)

    def _compare(self, e: n.Compare) -> ir.Expr:
        left, right = self._pair(e.left, e.right, member=False)
        self._comparable(left.type, right.type, e.op, e.span)
        return ir.Compare(e.op, left, right, BOOL, e.span)

    def _pair(self, a: n.Expr, b: n.Expr, member: bool) -> tuple[ir.Expr, ir.Expr]:
        """Type `a`, then `b` expecting `a`'s type (or a set of it); but a bare enum value (or a
        set literal of them, or `{}`) on the left is typed after the right side, so that its
        enum is known."""
        if self._needs_context(a) and not self._needs_context(b):
            right = self.check(b)
            rt = right.type
            return self.check(a, rt.element if member and isinstance(rt, SetType) else rt), right
        left = self.check(a)
        return left, self.check(b, SetType(left.type) if member else left.type)

    def _comparable(self, a: Type, b: Type, op: CompareOp | Literal[".."], span: Span) -> None:
        if is_error(a, b):
            return
        if isinstance(a, Quantity) and isinstance(b, Quantity) and a != b:
            self.sink.error("KP303", f"cannot compare {describe(a)} with {describe(b)}", span,
                            hint="write both sides in the same unit")
        elif unify(a, b) is None:
            self.sink.error("KP302", f"cannot compare {describe(a)} with {describe(b)}", span,
                            hint=_mismatch_hint(a, b))
        elif op not in ("=", "!=") and not is_ordered(a):
            self.sink.error("KP311", f"`{op}` needs ordered values; {describe(a)} has no order",
                            span, hint="use `=`, `!=` or `in {...}`")

    # ------------------------------------------------------------------ arithmetic

    def _arith(self, e: n.Arith) -> ir.Expr:
        left = self.check(e.left)
        right = self.check(e.right)
        typ = arith_result(e.op, left.type, right.type)
        if typ is None:
            mixed = _both_quantities(left.type, right.type) and left.type != right.type
            code = "KP303" if mixed else "KP310"
            self.sink.error(code, f"cannot compute {describe(left.type)} {e.op} "
                            f"{describe(right.type)}", e.span, hint=_arith_hint(e.op, left.type,
                                                                                right.type))
            typ = ERROR
        return ir.Arith(e.op, left, right, typ, e.span)

    def _neg(self, e: n.Neg, operand: n.Expr) -> ir.Expr:
        out = self.check(operand)
        if is_error(out.type) or is_numeric(out.type) or isinstance(out.type, Quantity):
            if isinstance(out, ir.Const) and isinstance(out.value, int | Decimal) \
                    and not isinstance(out.value, bool):
                return ir.Const(-out.value, out.type, e.span)
            return ir.Neg(out, out.type, e.span)
        self.sink.error("KP310", f"cannot negate {describe(out.type)}", e.span,
                        hint="write `not` to negate a condition" if out.type == BOOL
                        else "only numbers and quantities have a minus sign")
        return ir.Neg(out, ERROR, e.span)

    def _if(self, e: n.IfThenElse, expected: Type | None) -> ir.Expr:
        cond = self.boolean(e.cond, "`if`")
        then = self.check(e.then, expected)
        else_ = self.check(e.else_, then.type if not is_error(then.type) else expected)
        typ = unify(then.type, else_.type)
        if typ is None:
            self.sink.error("KP312", f"`then` gives {describe(then.type)} but `else` gives "
                            f"{describe(else_.type)}", e.span,
                            hint="both branches give values of one type")
            typ = ERROR
        return ir.If(cond, then, else_, typ, e.span)


def _settable(t: Type) -> bool:
    return isinstance(t, EnumType) or t == COUNTRY or is_error(t)


def _both_quantities(a: Type, b: Type) -> bool:
    return isinstance(a, Quantity) and isinstance(b, Quantity)


def _bool_hint(t: Type) -> str:
    if isinstance(t, EnumType) and t.values:
        return f"compare it with a value, such as `= {t.values[0]}`"
    if is_ordered(t):
        return "compare it, such as `>= ...`"
    if isinstance(t, SetType):
        return "test whether a value is in it, such as `x in ...`"
    return "a condition is a comparison, a `bool` fact or term, `true` or `false`"


def _unit_hint(a: Type, b: Type) -> str | None:
    """For a quantity meeting a plain number: write the unit."""
    for q, other in ((a, b), (b, a)):
        if isinstance(q, Quantity) and is_numeric(other):
            return f"write the number with its unit, such as `1 {q.unit}`"
    return None


def _mismatch_hint(a: Type, b: Type) -> str:
    """The fix for two types that do not go together."""
    if hint := _unit_hint(a, b):
        return hint
    for e in (a, b):
        if isinstance(e, EnumType):
            return f"values of enum `{e.name}` compare only with each other"
    if DATE in (a, b):
        return "dates compare only with dates, such as `2024-03-01`"
    return "compare values of one type"


def _arith_hint(op: ArithOp, a: Type, b: Type) -> str:
    if _both_quantities(a, b):
        return "write both sides in the same unit" if a != b else \
            "multiply a quantity by a plain number"
    if op in "+-" and (hint := _unit_hint(a, b)):
        return hint
    return "arithmetic works on numbers, and on quantities of one unit"
