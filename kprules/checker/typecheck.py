"""Checker pass 3 (expressions): resolve every name and type every expression.

Input: a surface expression and the `Scope` of its policy. Output: an `ir.Expr`. Errors: KP200,
KP208, KP301-KP305, KP310-KP313, KP315. Names are resolved by kind (fact, term, `base.` term), and,
when no fact or term has the name, as an enum value of the type the context expects. After an
error the expression gets the error type, which matches anything, so one mistake is reported once.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from kprules import ir
from kprules import nodes as n
from kprules.checker.context import Scope, Sink
from kprules.countries import ISO_3166_ALPHA2, is_country, looks_like_country
from kprules.source import Span
from kprules.suggest import did_you_mean
from kprules.typesys import (
    BOOL,
    COUNTRY,
    DATE,
    DECIMAL,
    ERROR,
    INTEGER,
    TEXT,
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

TermTyper = Callable[[str, n.Ident], Type]


class ExprChecker:
    """Types the expressions of one policy; `term_type` gives (or infers) a term's type."""

    def __init__(self, scope: Scope, sink: Sink, term_type: TermTyper,
                 base_type: TermTyper | None = None) -> None:
        self.scope = scope
        self.sink = sink
        self.term_type = term_type
        self.base_type = base_type

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
                return self._name(e, expected)
            case n.BaseName():
                return self._base(e)
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
                            f"but this is {describe(out.type)}", e.span)
        return out

    # ------------------------------------------------------------------ names

    def _name(self, e: n.Name, expected: Type | None) -> ir.Expr:
        name = e.ident.name
        if looks_like_country(name):
            return self._country(e)
        if name in self.scope.vocabulary.facts:
            return ir.FactRef(name, self.scope.vocabulary.facts[name].type, e.span)
        if name in self.scope.terms:
            return ir.TermRef(name, self.term_type(name, e.ident), e.span)
        element = expected.element if isinstance(expected, SetType) else expected
        if isinstance(element, EnumType) and name in element.values:
            return ir.Const(name, element, e.span)
        owners = self.scope.value_owners.get(name, ())
        if len(owners) == 1:
            return ir.Const(name, owners[0], e.span)
        if len(owners) > 1:
            listed = ", ".join(f"`{o.name}`" for o in owners)
            self.sink.error("KP315", f"`{name}` is a value of several enums ({listed})", e.span,
                            hint="compare it with a fact or term of the enum you mean")
            return ir.Const(name, ERROR, e.span)
        return self._undefined(e, element)

    def _undefined(self, e: n.Name, element: Type | None) -> ir.Expr:
        name = e.ident.name
        if isinstance(element, EnumType):
            hint = did_you_mean(name, element.values)
            if hint:
                self.sink.error("KP304", f"enum `{element.name}` has no value `{name}`", e.span,
                                hint=hint)
                return ir.Const(name, ERROR, e.span)
        candidates = [*self.scope.names(), *self.scope.value_owners]
        self.sink.error("KP200", f"undefined name `{name}`", e.span,
                        hint=did_you_mean(name, candidates))
        return ir.Const(name, ERROR, e.span)

    def _country(self, e: n.Name) -> ir.Expr:
        code = e.ident.name
        if not is_country(code):
            self.sink.error("KP305", f"`{code}` is not an ISO 3166-1 alpha-2 country code",
                            e.span, hint=did_you_mean(code, ISO_3166_ALPHA2))
            return ir.Const(code, ERROR, e.span)
        return ir.Const(code, COUNTRY, e.span)

    def _base(self, e: n.BaseName) -> ir.Expr:
        name = e.ident.name
        if self.scope.base is None or self.base_type is None:
            self.sink.error("KP208", "`base.` is only for policies that amend another",
                            e.span, hint="add `amends <policy>` to the header")
            return ir.Const(name, ERROR, e.span)
        if name not in self.scope.base_terms:
            self.sink.error("KP208", f"the base policy `{self.scope.base}` has no term `{name}`",
                            e.ident.span, hint=did_you_mean(name, self.scope.base_terms))
            return ir.Const(name, ERROR, e.span)
        return ir.BaseRef(self.scope.base, name, self.base_type(name, e.ident), e.span)

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
                                f"but this is {describe(out.type)}", item.span)
            items.append(out)
        if element is not None and not _settable(element):
            self.sink.error("KP313", f"sets hold enum values or countries, not {describe(element)}",
                            e.span)
            element = ERROR
        typ: Type = SetType(element) if element is not None else SetType(ERROR)
        if all(isinstance(i, ir.Const) for i in items):
            values = frozenset(str(i.value) for i in items if isinstance(i, ir.Const))
            return ir.Const(values, typ, e.span)
        return ir.SetOf(tuple(items), typ, e.span)

    def _member(self, e: n.Member) -> ir.Expr:
        element = self.check(e.element)
        collection = self.check(e.collection, SetType(element.type))
        ctype = collection.type
        if not is_error(element.type, ctype):
            if not isinstance(ctype, SetType):
                self.sink.error("KP313", f"`in` needs a set or a range after it, but this is "
                                f"{describe(ctype)}", e.collection.span,
                                hint="write `x in {a, b}` or `x in low .. high`")
            elif unify(ctype.element, element.type) is None and not is_error(ctype.element):
                self.sink.error("KP313", f"{describe(element.type)} cannot be in a set of "
                                f"{describe(ctype.element)} values", e.span)
        return ir.Member(element, collection, e.negated, BOOL, e.span)

    def _range(self, e: n.InRange) -> ir.Expr:
        element = self.check(e.element)
        low = self.check(e.low, element.type)
        high = self.check(e.high, element.type)
        for bound in (low, high):
            self._comparable(element.type, bound.type, "..", e.span)
        return ir.InRange(element, low, high, e.negated, BOOL, e.span)

    # ------------------------------------------------------------------ comparisons

    def _compare(self, e: n.Compare) -> ir.Expr:
        if self._is_bare_value(e.left) and not self._is_bare_value(e.right):
            right = self.check(e.right)
            left = self.check(e.left, right.type)
        else:
            left = self.check(e.left)
            right = self.check(e.right, left.type)
        self._comparable(left.type, right.type, e.op, e.span)
        return ir.Compare(e.op, left, right, BOOL, e.span)

    def _is_bare_value(self, e: n.Expr) -> bool:
        """A name that is not a fact or term: an enum value, read in the other side's type."""
        return isinstance(e, n.Name) and e.ident.name not in self.scope.vocabulary.facts \
            and e.ident.name not in self.scope.terms and not looks_like_country(e.ident.name)

    def _comparable(self, a: Type, b: Type, op: str, span: Span) -> None:
        if is_error(a, b):
            return
        if isinstance(a, Quantity) and isinstance(b, Quantity) and a != b:
            self.sink.error("KP303", f"cannot compare {describe(a)} with {describe(b)}", span,
                            hint="write both sides in the same unit")
        elif unify(a, b) is None:
            self.sink.error("KP302", f"cannot compare {describe(a)} with {describe(b)}", span,
                            hint=_compare_hint(a, b))
        elif op not in ("=", "!=") and not is_ordered(a):
            self.sink.error("KP311", f"`{op}` needs ordered values; {describe(a)} has no order",
                            span, hint="use `=`, `!=` or `in {...}`")

    # ------------------------------------------------------------------ arithmetic

    def _arith(self, e: n.Arith) -> ir.Expr:
        left = self.check(e.left)
        right = self.check(e.right)
        typ = arith_result(e.op, left.type, right.type)
        if typ is None:
            code = "KP303" if _both_quantities(left.type, right.type) else "KP310"
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
        self.sink.error("KP310", f"cannot negate {describe(out.type)}", e.span)
        return ir.Neg(out, ERROR, e.span)

    def _if(self, e: n.IfThenElse, expected: Type | None) -> ir.Expr:
        cond = self.boolean(e.cond, "`if`")
        then = self.check(e.then, expected)
        else_ = self.check(e.else_, then.type if not is_error(then.type) else expected)
        typ = unify(then.type, else_.type)
        if typ is None:
            self.sink.error("KP312", f"`then` gives {describe(then.type)} but `else` gives "
                            f"{describe(else_.type)}", e.span)
            typ = ERROR
        return ir.If(cond, then, else_, typ, e.span)


def _settable(t: Type) -> bool:
    return isinstance(t, EnumType) or t == COUNTRY or is_error(t)


def _both_quantities(a: Type, b: Type) -> bool:
    return isinstance(a, Quantity) and isinstance(b, Quantity)


def _bool_hint(t: Type) -> str | None:
    if isinstance(t, EnumType):
        return f"compare it with a value, such as `= {t.values[0]}`" if t.values else None
    if is_ordered(t):
        return "compare it, such as `>= ...`"
    return None


def _compare_hint(a: Type, b: Type) -> str | None:
    for e in (a, b):
        if isinstance(e, EnumType):
            return f"values of enum `{e.name}` compare only with each other"
    if DATE in (a, b):
        return "dates compare only with dates, such as `2024-03-01`"
    return None


def _arith_hint(op: str, a: Type, b: Type) -> str | None:
    if _both_quantities(a, b):
        return "write both sides in the same unit" if op in "+-/" else \
            "multiply a quantity by a plain number"
    return "arithmetic works on numbers and on quantities of one unit"
