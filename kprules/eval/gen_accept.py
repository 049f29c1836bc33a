"""Acceptance tests for generated code: whether a typed fact value can go to the compiled
evaluator as it is, written as Python source on a variable (kprules.eval.validator's acceptor
and the checked entry of kprules.eval.codegen use them).

A value is accepted when it is of its type's canonical form, so that `validate` would give it
back unchanged (a float for a decimal or a quantity aside: `validate` gives its shortest decimal,
as the compiled code reads it): a bool; an int within the number limit; a float, int or finite
Decimal of at most MAX_NUMBER_DIGITS digits (written without an exponent) for a decimal; a date (not
a datetime); a string among the enum's values or the country codes; a string already folded for
text; a frozenset of allowed strings for a set. None is never accepted.

A float is the common decimal input (JSON, Parquet, Python): its test is a range test in the
common case, and reading its shortest decimal (`float_decimal`) only outside that range. Inside
`[CHEAP_LOW, CHEAP_HIGH)` (either sign) or at zero, the shortest repr of a float has at most 17
significant digits, the first of them at 10**(17 - MAX_NUMBER_DIGITS) or above (one digit of
margin), so fewer than MAX_NUMBER_DIGITS digits after the point, and its integer part is far
below 10**MAX_NUMBER_DIGITS: it is accepted exactly when `float_decimal` accepts it
(tests/evaluator/test_checked_entry.py checks it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from kprules.core.countries import ISO_3166_ALPHA2
from kprules.core.limits import MAX_NUMBER_DIGITS
from kprules.ir.types import (
    BOOL,
    COUNTRY,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    EnumType,
    Quantity,
    SetType,
    Type,
)
from kprules.ir.values import fold_space

MISS: Final[Any] = object()  # a fact the record does not have; a value that is not accepted
BOUND: Final = 10 ** MAX_NUMBER_DIGITS  # numbers at or beyond it: `coerce` reports them (KP490)
# The range where a float's shortest decimal always fits the limit (see above); empty if the
# limit were below 17 digits, and then every float takes the precise test.
CHEAP_HIGH: Final = 1e15 if MAX_NUMBER_DIGITS >= 17 else 0.0
CHEAP_LOW: Final = 10.0 ** (17 - MAX_NUMBER_DIGITS)


def finite_decimal(v: Decimal) -> bool:
    """Finite, and of at most MAX_NUMBER_DIGITS digits written without an exponent
    (`limits.plain_digits`, as `coerce` counts them): with an exponent of 0 or more, the
    digits before the point (`adjusted() + 1`, also for a zero such as `0E+40`); below 0,
    the coefficient's digits and the places after the point."""
    if not v.is_finite():
        return False
    _, digits, exponent = v.as_tuple()
    assert isinstance(exponent, int)
    return v.adjusted() < MAX_NUMBER_DIGITS and (exponent >= 0 or (
        exponent >= -MAX_NUMBER_DIGITS and len(digits) <= MAX_NUMBER_DIGITS))


def float_decimal(v: float) -> Any:
    """A float for a decimal fact: its shortest decimal, or MISS when it is not finite or has
    more digits than the limit (then `coerce` reports it)."""
    if not math.isfinite(v):
        return MISS
    d = Decimal(float.__repr__(v))  # a subclass's repr may not be a number
    return d if finite_decimal(d) else MISS


# The names the tests use, as a generated namespace binds them.
HELPERS: Final[dict[str, Any]] = {
    "_MISS": MISS, "_ty": type, "_Dec": Decimal, "_date": dt.date, "_fl": float_decimal,
    "_fin": finite_decimal, "_str": str, "_int": int, "_float": float, "_B": BOUND, "_NB": -BOUND,
    "_fold": fold_space, "_fs": frozenset,
}


def allowed_strings(t: Type) -> frozenset[str] | None:
    """The strings a value of an enum or a country (or None: any or none) may be."""
    if isinstance(t, EnumType):
        return frozenset(t.values)
    if t == COUNTRY:
        return ISO_3166_ALPHA2
    return None


def _float_test(v: str) -> str:
    low, high = repr(CHEAP_LOW), repr(CHEAP_HIGH)
    return (f"({low} <= {v} < {high} or -{high} < {v} <= -{low} or {v} == 0.0 "
            f"or _fl({v}) is not _MISS)")


def accept_test(t: Type, v: str, bind: Callable[[Any], str]) -> str:
    """A Python test on the variable `v` (never MISS-safe: MISS fails it) whether its value is
    accepted for a fact of type `t`; `bind` names a constant in the generated namespace."""
    allowed = allowed_strings(t)
    if t == DECIMAL or isinstance(t, Quantity):
        return (f"(_ty({v}) is _float and {_float_test(v)}) or (_ty({v}) is _int and "
                f"_NB < {v} < _B) or (_ty({v}) is _Dec and _fin({v}))")
    if t == BOOL:
        return f"{v} is True or {v} is False"
    if t == INTEGER:
        return f"_ty({v}) is _int and _NB < {v} < _B"
    if allowed is not None:
        return f"_ty({v}) is _str and {v} in {bind(allowed)}"
    if t == TEXT:  # accepted as given only when already folded, as `validate` would give it
        return f"_ty({v}) is _str and _fold({v}) == {v}"
    if t == DATE:
        return f"_ty({v}) is _date"
    assert isinstance(t, SetType), t
    return f"_ty({v}) is _fs and {v} <= {bind(allowed_strings(t.element) or frozenset())}"
