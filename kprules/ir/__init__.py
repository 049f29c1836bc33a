"""The checked representation: names resolved, every expression typed.

Stage: produced by the checker (`kprules.checker`), consumed by the evaluator (compiler and
reference interpreter), explanations, coverage, comparison and the symbolic difference.
Invariants: every reference is resolved to what it names (a fact, a term of the evaluating policy,
a term of a named base policy); every expression has its type; literals are run-time values
(bool, int, Decimal, date, str for enum values, countries and text, frozenset for sets).
Spans point back into the source and are ignored by equality.

The package (floor 1 of docs/architecture.md) also holds the types (`types`), dates and in-force
intervals (`dates`), run-time values (`values`), the marker and error every evaluator shares
(`runtime`) and slots (`slots`). It imports only `kprules.core`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Final, Literal, TypeAlias, get_args

from attrs import field, frozen

from kprules.core.shared_repr import SharedRepr
from kprules.core.source import NO_SPAN, Span
from kprules.ir.dates import Interval
from kprules.ir.types import ArithOp, CompareOp, Type

Value: TypeAlias = bool | int | Decimal | float | dt.date | str | frozenset[str]
PolicyStatus: TypeAlias = Literal["current", "proposed", "repealed"]
POLICY_STATUSES: Final[tuple[PolicyStatus, ...]] = get_args(PolicyStatus)


def _span() -> Span:
    return field(default=NO_SPAN, eq=False, repr=False)



@frozen(repr=False)
class Cite(SharedRepr):
    """A checked citation: the source document's id, the locator, the quoted text."""

    source: str
    locator: str
    quote: str | None
    span: Span = _span()
    source_span: Span = _span()


@frozen(repr=False)
class Const(SharedRepr):
    value: Value
    type: Type
    span: Span = _span()


@frozen(repr=False)
class FactRef(SharedRepr):
    name: str
    type: Type
    span: Span = _span()


@frozen(repr=False)
class TermRef(SharedRepr):
    """A term of the evaluating policy (an amendment's own version if it redefines it)."""

    name: str
    type: Type
    span: Span = _span()


@frozen(repr=False)
class BaseRef(SharedRepr):
    """`base.name`: the term as the named base policy itself evaluates it."""

    policy: str
    name: str
    type: Type
    span: Span = _span()


@frozen(repr=False)
class Not(SharedRepr):
    operand: Expr
    type: Type
    span: Span = _span()


@frozen(repr=False)
class And(SharedRepr):
    operands: tuple[Expr, ...]
    type: Type
    span: Span = _span()


@frozen(repr=False)
class Or(SharedRepr):
    operands: tuple[Expr, ...]
    type: Type
    span: Span = _span()


@frozen(repr=False)
class Compare(SharedRepr):
    op: CompareOp
    left: Expr
    right: Expr
    type: Type
    span: Span = _span()


@frozen(repr=False)
class Member(SharedRepr):
    element: Expr
    collection: Expr
    negated: bool
    type: Type
    span: Span = _span()


@frozen(repr=False)
class InRange(SharedRepr):
    element: Expr
    low: Expr
    high: Expr
    negated: bool
    type: Type
    span: Span = _span()


@frozen(repr=False)
class Arith(SharedRepr):
    op: ArithOp
    left: Expr
    right: Expr
    type: Type
    span: Span = _span()


@frozen(repr=False)
class Neg(SharedRepr):
    operand: Expr
    type: Type
    span: Span = _span()


@frozen(repr=False)
class If(SharedRepr):
    cond: Expr
    then: Expr
    else_: Expr
    type: Type
    span: Span = _span()


@frozen(repr=False)
class SetOf(SharedRepr):
    """A set literal whose items are not all constants (constant sets are `Const`)."""

    items: tuple[Expr, ...]
    type: Type
    span: Span = _span()


Expr: TypeAlias = (
    Const | FactRef | TermRef | BaseRef | Not | And | Or | Compare | Member | InRange | Arith
    | Neg | If | SetOf
)


def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions, in source order."""
    match e:
        case Not(operand=o) | Neg(operand=o):
            return (o,)
        case And(operands=ops) | Or(operands=ops) | SetOf(items=ops):
            return ops
        case Compare(left=a, right=b) | Arith(left=a, right=b):
            return (a, b)
        case Member(element=a, collection=b):
            return (a, b)
        case InRange(element=a, low=b, high=c):
            return (a, b, c)
        case If(cond=a, then=b, else_=c):
            return (a, b, c)
    return ()


def walk(e: Expr) -> Iterator[Expr]:
    """The expression and every sub-expression, in source order, without recursion."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(reversed(children(x)))


# ----------------------------------------------------------------------------- terms


@frozen(repr=False)
class Provenance(SharedRepr):
    """Where a term, rule or parameter piece was written, and what it cites."""

    policy: str
    span: Span = field(eq=False, repr=False)
    cites: tuple[Cite, ...] = ()
    description: str | None = None


@frozen(repr=False)
class Definition(SharedRepr):
    """A named term: `define name = body`."""

    name: str
    type: Type
    body: Expr
    origin: Provenance


@frozen(repr=False)
class CheckedRule(SharedRepr):
    """A rule (or an exception, which has no exceptions of its own)."""

    outcome: str
    condition: Expr
    validity: Interval | None
    exceptions: tuple[CheckedRule, ...]
    origin: Provenance


@frozen(repr=False)
class DecisionTerm(SharedRepr):
    """A decision: the first rule that applies gives the outcome, else the default."""

    name: str
    type: Type
    default: str
    default_origin: Provenance
    rules: tuple[CheckedRule, ...]
    origin: Provenance


@frozen(repr=False)
class CheckedPiece(SharedRepr):
    validity: Interval
    value: Value
    origin: Provenance


@frozen(repr=False)
class ParameterTerm(SharedRepr):
    """A parameter: its value as of the evaluation date is the piece whose interval holds it."""

    name: str
    type: Type
    pieces: tuple[CheckedPiece, ...]
    origin: Provenance


Term: TypeAlias = Definition | DecisionTerm | ParameterTerm


@frozen(repr=False)
class FactInfo(SharedRepr):
    name: str
    type: Type
    description: str | None
    span: Span = field(eq=False, repr=False)
    measure: bool = False  # added up by bulk summaries


@frozen(repr=False)
class Vocabulary(SharedRepr):
    """A checked facts module."""

    name: str
    description: str | None
    facts: Mapping[str, FactInfo]
    enums: Mapping[str, Type]
    enum_descriptions: Mapping[tuple[str, str], str]
    dated_by: str | None
    source: str


@frozen(repr=False)
class CheckedPolicy(SharedRepr):
    """A policy with everything it inherits: `terms` maps every visible name to its term."""

    name: str
    title: str | None
    status: PolicyStatus
    in_force: Interval | None
    vocabulary: Vocabulary
    base: CheckedPolicy | None
    terms: Mapping[str, Term]
    own: frozenset[str]
    enums: Mapping[str, Type]
    source: str
    span: Span = field(eq=False, repr=False)

    def chain(self) -> tuple[CheckedPolicy, ...]:
        """This policy, then its base, its base's base, and so on."""
        out: list[CheckedPolicy] = []
        p: CheckedPolicy | None = self
        while p is not None:
            out.append(p)
            p = p.base
        return tuple(out)

    def policy_named(self, name: str) -> CheckedPolicy:
        for p in self.chain():
            if p.name == name:
                return p
        raise KeyError(name)
