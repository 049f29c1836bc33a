"""The types of the kprules language and the rules that combine them.

Pure data and pure functions, shared by the checker, the case loaders and the evaluator.
Quantities carry their unit in the type only; at run time a quantity is a plain number.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias, get_args

from attrs import frozen

from kprules.core.shared_repr import SharedRepr

CompareOp: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">="]
ArithOp: TypeAlias = Literal["+", "-", "*", "/"]
COMPARE_OPS: Final[tuple[CompareOp, ...]] = get_args(CompareOp)
ARITH_OPS: Final[tuple[ArithOp, ...]] = get_args(ArithOp)


def compare_op(text: str) -> CompareOp:
    """The comparison operator written `text` (the grammar's tokens)."""
    for op in COMPARE_OPS:
        if op == text:
            return op
    raise ValueError(f"not a comparison operator: {text!r}")


def arith_op(text: str) -> ArithOp:
    """The arithmetic operator written `text` (the grammar's tokens)."""
    for op in ARITH_OPS:
        if op == text:
            return op
    raise ValueError(f"not an arithmetic operator: {text!r}")


@frozen(repr=False)
class Prim(SharedRepr):
    """bool, integer, decimal, date, country or text."""

    name: str

    def __str__(self) -> str:
        return self.name


@frozen(repr=False)
class Quantity(SharedRepr):
    """A number with a unit: carats (`ct`), grams (`g`) or US dollars (`usd`)."""

    unit: str

    def __str__(self) -> str:
        return UNIT_TYPE_NAMES[self.unit]


@frozen(repr=False)
class EnumType(SharedRepr):
    """A closed set of named values; two enums are the same type only if they have one name."""

    name: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@frozen(repr=False)
class SetType(SharedRepr):
    """A set of enum values or of countries."""

    element: Type

    def __str__(self) -> str:
        return f"set of {self.element}"


@frozen(repr=False)
class ErrorType(SharedRepr):
    """The type of an expression that already has an error: it matches anything, silently."""

    def __str__(self) -> str:
        return "<error>"


Type: TypeAlias = Prim | Quantity | EnumType | SetType | ErrorType

BOOL = Prim("bool")
INTEGER = Prim("integer")
DECIMAL = Prim("decimal")
DATE = Prim("date")
COUNTRY = Prim("country")
TEXT = Prim("text")
ERROR = ErrorType()

UNIT_TYPE_NAMES = {"ct": "carats", "g": "grams", "usd": "usd"}
UNIT_WORDS = {"ct": "carats", "g": "grams", "usd": "US dollars"}

BUILTIN_TYPES: dict[str, Type] = {
    "bool": BOOL,
    "integer": INTEGER,
    "decimal": DECIMAL,
    "date": DATE,
    "country": COUNTRY,
    "text": TEXT,
    **{name: Quantity(unit) for unit, name in UNIT_TYPE_NAMES.items()},
}


def is_numeric(t: Type) -> bool:
    return t in (INTEGER, DECIMAL)


def is_ordered(t: Type) -> bool:
    return is_numeric(t) or isinstance(t, Quantity) or t == DATE


def is_error(*types: Type) -> bool:
    return any(isinstance(t, ErrorType) for t in types)


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two values compared or chosen between, or None if they have none."""
    if is_error(a, b):
        return ERROR
    if a == b:
        return a
    if is_numeric(a) and is_numeric(b):
        return DECIMAL
    if isinstance(a, SetType) and isinstance(b, SetType) and is_error(a.element, b.element):
        return b if is_error(a.element) else a  # `{}`: a set of any element type
    return None


def arith_result(op: ArithOp, a: Type, b: Type) -> Type | None:
    """The type of `a op b` for op in + - * /, or None when the operation is not allowed."""
    if is_error(a, b):
        return ERROR
    if is_numeric(a) and is_numeric(b):
        return INTEGER if (a == b == INTEGER and op != "/") else DECIMAL
    qa, qb = isinstance(a, Quantity), isinstance(b, Quantity)
    if op in ("+", "-"):
        return a if qa and a == b else None
    if op == "*":
        if qa and is_numeric(b):
            return a
        return b if qb and is_numeric(a) else None
    # division
    if qa and is_numeric(b):
        return a
    return DECIMAL if qa and a == b else None


def describe(t: Type) -> str:
    """`carats`, `enum actor`, `set of country`: how messages name a type (never the internal
    `<error>` of an expression whose type is unknown: a set of those, such as `{}`, is `a set`)."""
    if isinstance(t, EnumType):
        return f"enum `{t.name}`"
    if isinstance(t, ErrorType):
        return "a value of unknown type"
    if isinstance(t, SetType) and isinstance(t.element, ErrorType):
        return "a set"
    return f"`{t}`"
