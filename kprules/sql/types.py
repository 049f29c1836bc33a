"""The SQL types of kprules types, and run-time values to and from SQL.

Stage: shared by the SQL engines. Pure. Decimals and quantities are DECIMAL(38,12), integers
BIGINT, dates DATE, enum values, countries and text strings, sets sorted lists of distinct
strings (docs/sql.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kprules.eval.arith import normal
from kprules.ir.types import BOOL, DATE, DECIMAL, INTEGER, Quantity, SetType, Type
from kprules.sql.dialect import DECIMAL_TYPE, Dialect


def sql_type(t: Type, dialect: Dialect) -> str:
    if t == BOOL:
        return "BOOLEAN"
    if t == INTEGER:
        return "BIGINT"
    if t == DECIMAL or isinstance(t, Quantity):
        return DECIMAL_TYPE
    if t == DATE:
        return "DATE"
    if isinstance(t, SetType):
        return f"{dialect.string_type}[]" if dialect.name == "duckdb" \
            else f"ARRAY<{dialect.string_type}>"
    return dialect.string_type


def to_sql(value: Any) -> Any:
    """A validated fact value as a database driver takes it (sets as sorted lists)."""
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


PLACES = 12  # the places of DECIMAL(38,12)
WHOLE = 38 - PLACES  # and its digits before the point


def holds(value: Any) -> bool:
    """Whether SQL holds a validated fact value exactly: a decimal (or a float, read as its
    shortest decimal, or a whole number) of at most 12 places and 26 digits before the point.
    Python accepts more (up to 30 digits); DECIMAL(38,12) would round such a value, so a record
    with one is evaluated in Python. Exact arithmetic on the digits: no rounding context."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    elif isinstance(value, int) and not isinstance(value, bool):  # a decimal fact's whole number
        value = Decimal(value)
    if not isinstance(value, Decimal):
        return True
    if not value.is_finite():
        return False
    if value.is_zero():  # 0E-20 is 0, which DECIMAL(38,12) holds
        return True
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    while len(digits) > 1 and digits[-1] == 0 and exponent < 0:  # trailing zeros of places
        digits, exponent = digits[:-1], exponent + 1
    return -exponent <= PLACES and len(digits) + exponent <= WHOLE


def from_sql(value: Any, t: Type) -> Any:
    """A value read back from SQL in the evaluator's form (None stays None: unknown).

    Decimals lose the trailing zeros DECIMAL(38,12) gives them (`0.500000000000` is `0.5`,
    `2.000000000000` is `2`)."""
    if value is None:
        return None
    if isinstance(t, SetType):
        return frozenset(value)
    if isinstance(value, Decimal):
        return normal(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


