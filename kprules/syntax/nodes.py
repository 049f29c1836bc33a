"""The surface syntax tree: what a drafter wrote, as frozen attrs nodes.

Stage: produced by `kprules.syntax.parse`, read by the checker, the formatter and the explanation
renderers. Invariants: nodes are immutable; children are tuples; every node has a `span` that
equality, hashing and repr ignore (so two trees parsed from differently formatted texts are equal);
no Lark object ever appears here. Literal values are already Python values (Decimal, date, str).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypeAlias

from attrs import field, frozen

from kprules.core.shared_repr import SharedRepr
from kprules.core.source import NO_SPAN, Span
from kprules.ir.dates import Interval
from kprules.ir.types import ArithOp, CompareOp

__all__ = ["NO_SPAN", "Interval"]  # re-exported: the parser builds both


def _span() -> Span:
    return field(default=NO_SPAN, eq=False, repr=False)


@frozen(repr=False)
class Ident(SharedRepr):
    """A name as written, with its place (declarations and references alike)."""

    name: str
    span: Span = _span()


# ----------------------------------------------------------------------------- expressions


@frozen(repr=False)
class BoolLit(SharedRepr):
    value: bool
    span: Span = _span()


@frozen(repr=False)
class NumberLit(SharedRepr):
    """An integer (int) or a decimal number (Decimal) without a unit."""

    value: int | Decimal
    span: Span = _span()


@frozen(repr=False)
class QuantityLit(SharedRepr):
    """A number with a unit, such as `0.5 ct`."""

    value: Decimal
    unit: str
    span: Span = _span()


@frozen(repr=False)
class DateLit(SharedRepr):
    value: dt.date
    span: Span = _span()


@frozen(repr=False)
class StringLit(SharedRepr):
    """A string; its white space is already folded (runs read as one space)."""

    value: str
    span: Span = _span()


@frozen(repr=False)
class Name(SharedRepr):
    """A reference to a fact, term, parameter, enum value or (two capitals) a country code."""

    ident: Ident
    span: Span = _span()


@frozen(repr=False)
class BaseName(SharedRepr):
    """`base.x`: the base policy's own version of term `x`."""

    ident: Ident
    span: Span = _span()


@frozen(repr=False)
class SetLit(SharedRepr):
    items: tuple[Expr, ...]
    span: Span = _span()


@frozen(repr=False)
class Not(SharedRepr):
    operand: Expr
    span: Span = _span()


@frozen(repr=False)
class And(SharedRepr):
    """`a and b and c`: one node for a written chain (parentheses make a new node)."""

    operands: tuple[Expr, ...]
    span: Span = _span()


@frozen(repr=False)
class Or(SharedRepr):
    operands: tuple[Expr, ...]
    span: Span = _span()


@frozen(repr=False)
class Compare(SharedRepr):
    """`left op right`, op one of `= != < <= > >=`."""

    op: CompareOp
    left: Expr
    right: Expr
    span: Span = _span()


@frozen(repr=False)
class Member(SharedRepr):
    """`element in collection` (or `not in` when negated)."""

    element: Expr
    collection: Expr
    negated: bool = False
    span: Span = _span()


@frozen(repr=False)
class InRange(SharedRepr):
    """`element in low .. high`, both ends included (or `not in` when negated)."""

    element: Expr
    low: Expr
    high: Expr
    negated: bool = False
    span: Span = _span()


@frozen(repr=False)
class Arith(SharedRepr):
    """`left op right`, op one of `+ - * /`."""

    op: ArithOp
    left: Expr
    right: Expr
    span: Span = _span()


@frozen(repr=False)
class Neg(SharedRepr):
    operand: Expr
    span: Span = _span()


@frozen(repr=False)
class IfThenElse(SharedRepr):
    cond: Expr
    then: Expr
    else_: Expr
    span: Span = _span()


Expr: TypeAlias = (
    BoolLit | NumberLit | QuantityLit | DateLit | StringLit | Name | BaseName | SetLit | Not | And
    | Or | Compare | Member | InRange | Arith | Neg | IfThenElse
)

# ----------------------------------------------------------------------------- shared parts


@frozen(repr=False)
class Cite(SharedRepr):
    """`cite source "locator" "quoted text"`: where a provision comes from."""

    source: Ident
    locator: str
    quote: str | None
    span: Span = _span()


@frozen(repr=False)
class NamedType(SharedRepr):
    """A type by name: bool, integer, decimal, carats, grams, usd, date, country, text, an enum."""

    ident: Ident
    span: Span = _span()


@frozen(repr=False)
class SetType(SharedRepr):
    """`set of E`: a set of values of enum E (or of countries)."""

    element: Ident
    span: Span = _span()


TypeRef: TypeAlias = NamedType | SetType

# ----------------------------------------------------------------------------- vocabularies


@frozen(repr=False)
class EnumValue(SharedRepr):
    ident: Ident
    description: str | None = None
    span: Span = _span()


@frozen(repr=False)
class EnumDecl(SharedRepr):
    ident: Ident
    description: str | None
    values: tuple[EnumValue, ...]
    span: Span = _span()


@frozen(repr=False)
class FactDecl(SharedRepr):
    """`fact name: type`, or `measure name: type` for a quantity bulk summaries add up."""

    ident: Ident
    type: TypeRef
    description: str | None = None
    measure: bool = False
    span: Span = _span()


@frozen(repr=False)
class FactsModule(SharedRepr):
    """A vocabulary: the enums and facts that policies read."""

    ident: Ident
    description: str | None
    dated_by: Ident | None
    items: tuple[EnumDecl | FactDecl, ...]
    span: Span = _span()

    @property
    def name(self) -> str:
        return self.ident.name


# ----------------------------------------------------------------------------- policies


@frozen(repr=False)
class Define(SharedRepr):
    """`define x = ...`, or `redefine x = ...` in an amending policy."""

    ident: Ident
    type: TypeRef | None
    description: str | None
    cites: tuple[Cite, ...]
    body: Expr
    redefine: bool = False
    span: Span = _span()


@frozen(repr=False)
class Exception_(SharedRepr):
    """`except outcome when condition`: wins over the rule it is written under."""

    outcome: Ident
    condition: Expr
    validity: Interval | None
    cites: tuple[Cite, ...]
    span: Span = _span()


@frozen(repr=False)
class Rule(SharedRepr):
    """`outcome when condition [from D [until E]]`, with its exceptions."""

    outcome: Ident
    condition: Expr
    validity: Interval | None
    cites: tuple[Cite, ...]
    exceptions: tuple[Exception_, ...] = ()
    span: Span = _span()


@frozen(repr=False)
class Default(SharedRepr):
    outcome: Ident
    cites: tuple[Cite, ...] = ()
    span: Span = _span()


@frozen(repr=False)
class InlineOutcomes(SharedRepr):
    """`{a, b, c}` as a decision's outcome type."""

    values: tuple[Ident, ...]
    span: Span = _span()


@frozen(repr=False)
class Decision(SharedRepr):
    ident: Ident
    outcomes: NamedType | InlineOutcomes
    description: str | None
    cites: tuple[Cite, ...]
    default: Default
    rules: tuple[Rule, ...]
    redefine: bool = False
    span: Span = _span()


@frozen(repr=False)
class Piece(SharedRepr):
    """One dated value of a parameter."""

    validity: Interval
    value: Expr
    cites: tuple[Cite, ...] = ()
    span: Span = _span()


@frozen(repr=False)
class Parameter(SharedRepr):
    ident: Ident
    type: TypeRef
    description: str | None
    cites: tuple[Cite, ...]
    pieces: tuple[Piece, ...]
    redefine: bool = False
    span: Span = _span()


PolicyItem: TypeAlias = Define | Decision | Parameter | EnumDecl


@frozen(repr=False)
class QualifiedName(SharedRepr):
    """`policy.term`: a term as one named policy evaluates it."""

    policy: Ident
    term: Ident
    span: Span = _span()

    @property
    def text(self) -> str:
        return f"{self.policy.name}.{self.term.name}"


@frozen(repr=False)
class Assertion(SharedRepr):
    """`assert name: a.term implies b.term`: wherever the first holds, the second does."""

    ident: Ident
    left: QualifiedName
    right: QualifiedName
    span: Span = _span()


@frozen(repr=False)
class PolicyModule(SharedRepr):
    """A policy: a header, then definitions, decisions, parameters and local enums."""

    ident: Ident
    title: str | None
    status: Ident | None
    in_force: Interval | None
    reads: Ident | None
    amends: Ident | None
    items: tuple[PolicyItem, ...]
    span: Span = _span()
    assertions: tuple[Assertion, ...] = ()

    @property
    def name(self) -> str:
        return self.ident.name


Module: TypeAlias = FactsModule | PolicyModule
