"""Checker pass 3 (names): what a name written in an expression means.

Input: a `nodes.Name` or `nodes.BaseName`, the `Scope` of its policy, and the type the context
expects (or None). Output: an `ir` reference (fact, term, `base.` term) or a constant (enum value,
country). Errors: KP200, KP208, KP209 (a keyword where a name should be: the contextual lexer
reads a keyword as a name where no keyword fits), KP304, KP305, KP315.

Order of resolution: two capital letters are a country code; then facts; then terms; then, when
no fact or term has the name, an enum value: of the enum the context expects if there is one
(type-directed, so `who = red` reads `red` in `who`'s enum), else of the one enum that has it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kprules import ir
from kprules.checker.context import KEYWORDS, Scope, Sink
from kprules.core.countries import country_hint, is_country, looks_like_country
from kprules.core.suggest import did_you_mean
from kprules.ir.types import COUNTRY, ERROR, EnumType, SetType, Type
from kprules.syntax import nodes as n

TermTyper = Callable[[str, n.Ident], Type]

def listing(values: Iterable[str], most: int = 6) -> str:
    """`a`, `b`, `c` (and up to `most`; then `...`)."""
    items = list(values)
    shown = ", ".join(f"`{v}`" for v in items[:most])
    return shown + (", ..." if len(items) > most else "")


class NameResolver:
    """Resolves the names of one policy; `term_type` gives (or infers) a term's type."""

    def __init__(self, scope: Scope, sink: Sink, term_type: TermTyper,
                 base_type: TermTyper | None) -> None:
        self.scope = scope
        self.sink = sink
        self.term_type = term_type
        self.base_type = base_type

    def is_bare_value(self, e: n.Expr) -> bool:
        """A name that is no fact, term or country: an enum value, read in the context's type."""
        if not isinstance(e, n.Name):
            return False
        name = e.ident.name
        return name not in self.scope.vocabulary.facts and name not in self.scope.terms \
            and not looks_like_country(name)

    def name(self, e: n.Name, expected: Type | None) -> ir.Expr:
        name = e.ident.name
        if looks_like_country(name):
            return self._country(e)
        if name in KEYWORDS:  # no fact or term has a keyword's name (KP209 at declarations)
            self.sink.error("KP209", f"`{name}` is a keyword, not a name", e.span,
                            hint="a name or a value is missing here, or the keyword is doubled")
            return ir.Const(name, ERROR, e.span)
        if name in self.scope.vocabulary.facts:
            return ir.FactRef(name, self.scope.vocabulary.facts[name].type, e.span)
        if name in self.scope.terms:
            return ir.TermRef(name, self.term_type(name, e.ident), e.span)
        element = expected.element if isinstance(expected, SetType) else expected
        if isinstance(element, EnumType):
            return self._value_of(e, element)
        owners = self.scope.value_owners.get(name, ())
        if len(owners) == 1:
            return ir.Const(name, owners[0], e.span)
        if owners:
            self.sink.error("KP315", f"`{name}` is a value of several enums "
                            f"({listing(o.name for o in owners)})", e.span,
                            hint="say which: compare it with a fact of that enum, or declare "
                            f"the type, as in `define x: {owners[0].name} = {name}`")
            return ir.Const(name, ERROR, e.span)
        return self._undefined(e, element)

    def _value_of(self, e: n.Name, enum: EnumType) -> ir.Expr:
        """`e` read as a value of `enum`, the type the context expects."""
        name = e.ident.name
        if name in enum.values:
            return ir.Const(name, enum, e.span)
        owners = self.scope.value_owners.get(name, ())
        close = did_you_mean(name, enum.values)
        if owners or close:
            where = ("enum " if len(owners) == 1 else "enums ") + listing(o.name for o in owners)
            hint = close or (f"`{name}` is a value of {where}; the values of "
                             f"`{enum.name}` are {listing(enum.values)}")
            self.sink.error("KP304", f"enum `{enum.name}` has no value `{name}`", e.span,
                            hint=hint)
            return ir.Const(name, ERROR, e.span)
        return self._undefined(e, enum)

    def _undefined(self, e: n.Name, element: Type | None) -> ir.Expr:
        name = e.ident.name
        hint = did_you_mean(name, [*self.scope.names(), *self.scope.value_owners])
        if hint is None and len(name) == 2 and is_country(name.upper()):
            hint = f"country codes are written in capitals: `{name.upper()}`"
        if hint is None and isinstance(element, EnumType):
            hint = f"the values of enum `{element.name}` are {listing(element.values)}"
        if hint is None:
            hint = f"declare it as a fact in `{self.scope.vocabulary.name}`, or define it"
        self.sink.error("KP200", f"undefined name `{name}`", e.span, hint=hint)
        return ir.Const(name, ERROR, e.span)

    def _country(self, e: n.Name) -> ir.Expr:
        code = e.ident.name
        if is_country(code):
            return ir.Const(code, COUNTRY, e.span)
        hint = country_hint(code)
        self.sink.error("KP305", f"`{code}` is not an ISO 3166-1 alpha-2 country code",
                        e.span, hint=hint)
        return ir.Const(code, ERROR, e.span)

    def base(self, e: n.BaseName) -> ir.Expr:
        name = e.ident.name
        if self.scope.base is None or self.base_type is None:
            self.sink.error("KP208", "`base.` is only for policies that amend another",
                            e.span, hint="add `amends <policy>` to the header, or write "
                            f"`{name}` without `base.`")
            return ir.Const(name, ERROR, e.span)
        if name not in self.scope.base_terms:
            hint = did_you_mean(name, self.scope.base_terms) or (
                f"`base.` reads a term of `{self.scope.base}`; its terms are "
                f"{listing(sorted(self.scope.base_terms))}" if self.scope.base_terms else
                f"`{self.scope.base}` defines no terms")
            self.sink.error("KP208", f"the base policy `{self.scope.base}` has no term `{name}`",
                            e.ident.span, hint=hint)
            return ir.Const(name, ERROR, e.span)
        return ir.BaseRef(self.scope.base, name, self.base_type(name, e.ident), e.span)
