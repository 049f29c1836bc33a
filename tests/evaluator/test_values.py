"""Run-time values: reading fact values (`coerce`), showing them (`format_value`, `to_json`) and
the unknown value (`UNKNOWN`)."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from decimal import Decimal
from typing import Any

import pytest

from kprules.ir.types import (
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
)
from kprules.ir.values import (
    UNKNOWN,
    FactError,
    coerce,
    decimal_text,
    format_value,
    public,
    to_json,
)

ACTOR = EnumType("actor", ("rebel_movement", "rebel_ally", "state"))
CARATS = Quantity("ct")
USD = Quantity("usd")


@pytest.mark.parametrize(("raw", "typ", "from_text", "want"), [
    (True, BOOL, False, True),
    (False, BOOL, False, False),
    (" FALSE ", BOOL, True, False),
    ("true", BOOL, True, True),
    (3, INTEGER, False, 3),
    (-4, INTEGER, False, -4),
    (" -4 ", INTEGER, True, -4),
    (1, DECIMAL, False, 1),
    (Decimal("1.50"), DECIMAL, False, Decimal("1.50")),
    (0.1, DECIMAL, False, Decimal("0.1")),
    (2.0, DECIMAL, False, Decimal("2.0")),
    (" 2.50 ", DECIMAL, True, Decimal("2.50")),
    ("1e3", DECIMAL, True, Decimal("1E+3")),
    ("0.5 ct", CARATS, False, Decimal("0.5")),
    ("0.5ct", CARATS, False, Decimal("0.5")),
    ("0.5", CARATS, False, Decimal("0.5")),
    ("12 usd", USD, True, Decimal("12")),
    (0.25, CARATS, False, Decimal("0.25")),
    (3, CARATS, False, 3),
    (dt.date(2024, 3, 1), DATE, False, dt.date(2024, 3, 1)),
    ("2024-03-01", DATE, False, dt.date(2024, 3, 1)),
    (" 2024-03-01 ", DATE, True, dt.date(2024, 3, 1)),
    ("CF", COUNTRY, False, "CF"),
    ("say \"hi\"", TEXT, False, "say \"hi\""),
    ("", TEXT, False, ""),
    ("rebel_ally", ACTOR, False, "rebel_ally"),
    (["CF", "RU", "CF"], SetType(COUNTRY), False, frozenset({"CF", "RU"})),
    (frozenset({"state"}), SetType(ACTOR), False, frozenset({"state"})),
    ((), SetType(ACTOR), False, frozenset()),
    ("CF; RU ;", SetType(COUNTRY), True, frozenset({"CF", "RU"})),
    ("", SetType(COUNTRY), True, frozenset()),
])
def test_coerce_reads_values_of_every_type(raw: Any, typ: Type, from_text: bool,
                                           want: Any) -> None:
    got = coerce(raw, typ, from_text=from_text)
    assert got == want
    assert type(got) is type(want)
    if isinstance(want, Decimal):
        assert str(got) == str(want)


@pytest.mark.parametrize(("raw", "typ", "from_text", "message", "hint"), [
    ("true", BOOL, False, 'expected true or false, found "true"', None),
    (1, BOOL, False, "expected true or false, found 1", None),
    ("yes", BOOL, True, 'expected true or false, found "yes"', None),
    (True, INTEGER, False, "expected a whole number, found true", None),
    (1.5, INTEGER, False, "expected a whole number, found 1.5", None),
    ("12", INTEGER, False, 'expected a whole number, found "12"', None),
    ("1.5", INTEGER, True, 'expected a whole number, found "1.5"', None),
    (True, DECIMAL, False, "expected a number, found true", None),
    ("1.5", DECIMAL, False, 'expected a number, found "1.5"', None),
    ("abc", DECIMAL, True, 'expected a number, found "abc"', None),
    ("NaN", DECIMAL, True, 'expected a number, found "NaN"', None),
    (float("nan"), DECIMAL, False, "expected a finite number, found nan", None),
    (float("inf"), CARATS, False, "expected a finite number, found inf", None),
    (Decimal("Infinity"), DECIMAL, False, "expected a finite number, found Infinity", None),
    (None, DECIMAL, False, "expected a number, found null", None),
    ([1], DECIMAL, False, "expected a number, found a list", None),
    ("0.5 g", CARATS, False, "expected carats (`ct`), found the unit `g`",
     "write the value in carats, such as `0.5 ct`"),
    ("half a carat", CARATS, False,
     'expected a number of carats such as `0.5 ct`, found "half a carat"', None),
    ("1e3 ct", CARATS, False, 'expected a number of carats such as `0.5 ct`, found "1e3 ct"',
     None),
    ("2024-02-30", DATE, False, 'expected a date such as 2024-03-01, found "2024-02-30"', None),
    ("20240301", DATE, False, 'expected a date such as 2024-03-01, found "20240301"', None),
    ("2024-W10-1", DATE, False, 'expected a date such as 2024-03-01, found "2024-W10-1"', None),
    (dt.datetime(2024, 3, 1, 12), DATE, False,
     "expected a date such as 2024-03-01, found 2024-03-01 12:00:00", None),
    ({"year": 2024}, DATE, False, "expected a date such as 2024-03-01, found a table", None),
    ("cf", COUNTRY, False, '"cf" is not an ISO 3166-1 alpha-2 country code', "write `CF`"),
    (" CF", COUNTRY, False, '" CF" is not an ISO 3166-1 alpha-2 country code', "write `CF`"),
    ("XX", COUNTRY, False, '"XX" is not an ISO 3166-1 alpha-2 country code',
     "did you mean `AX`, `CX` or `MX`?"),
    ("xx", COUNTRY, False, '"xx" is not an ISO 3166-1 alpha-2 country code',
     "did you mean `AX`, `CX` or `MX`?"),
    (12, COUNTRY, False, 'expected a country code such as "CF", found 12', None),
    (3, TEXT, False, "expected text, found 3", None),
    ("rebel", ACTOR, False, 'enum `actor` has no value "rebel"',
     "did you mean `rebel_ally` or `rebel_movement`?"),
    ("zzz", ACTOR, False, 'enum `actor` has no value "zzz"',
     "its values are `rebel_movement`, `rebel_ally`, `state`"),
    (3, ACTOR, False, "expected a value of enum `actor` (a string), found 3", None),
    ("CF", SetType(COUNTRY), False, 'expected a list of values, found "CF"', None),
    (["CF", "rebel"], SetType(ACTOR), False, 'enum `actor` has no value "CF"',
     "its values are `rebel_movement`, `rebel_ally`, `state`"),
    ("x" * 50, BOOL, False, f'expected true or false, found "{"x" * 37}..."', None),
    (1, ERROR, False, "no value can have the type `<error>`", None),
])
def test_coerce_refuses_what_does_not_fit_with_a_message_and_a_hint(
        raw: Any, typ: Type, from_text: bool, message: str, hint: str | None) -> None:
    with pytest.raises(FactError) as err:
        coerce(raw, typ, from_text=from_text)
    assert (err.value.message, err.value.hint) == (message, hint)
    assert str(err.value) == message


@pytest.mark.parametrize(("value", "typ", "text"), [
    (None, BOOL, "unknown"),
    (UNKNOWN, None, "unknown"),
    (True, BOOL, "true"),
    (False, None, "false"),
    (7, INTEGER, "7"),
    (Decimal("0.50"), DECIMAL, "0.50"),
    (Decimal("0.5"), CARATS, "0.5 ct"),
    (2, USD, "2 usd"),
    (0.1, DECIMAL, "0.1"),
    (dt.date(2024, 3, 1), DATE, "2024-03-01"),
    ("CF", COUNTRY, "CF"),
    ("rebel_ally", ACTOR, "rebel_ally"),
    ('say "hi" \\ bye', TEXT, '"say \\"hi\\" \\\\ bye"'),
    ("plain", None, "plain"),
    (frozenset({"RU", "BY", "AE"}), SetType(COUNTRY), "{AE, BY, RU}"),
    (frozenset(), SetType(ACTOR), "{}"),
])
def test_format_value_writes_values_as_a_drafter_does(value: Any, typ: Type | None,
                                                      text: str) -> None:
    assert format_value(value, typ) == text


@pytest.mark.parametrize(("value", "want"), [
    (None, None), (UNKNOWN, None), (True, True), (3, 3), ("CF", "CF"),
    (Decimal("0.50"), "0.50"), (0.25, "0.25"), (dt.date(2024, 3, 1), "2024-03-01"),
    (frozenset({"RU", "BY"}), ["BY", "RU"]),
])
def test_to_json(value: Any, want: Any) -> None:
    assert to_json(value) == want


def test_unknown_refuses_to_be_a_truth_value() -> None:
    with pytest.raises(TypeError) as err:
        bool(UNKNOWN)
    assert str(err.value) == ("an UNKNOWN value has no truth value; test `value is UNKNOWN` "
                              "first")
    with pytest.raises(TypeError):
        if UNKNOWN:  # the silent false this prevents
            pass
    with pytest.raises(TypeError):
        _ = UNKNOWN or True


def test_unknown_is_one_value_everywhere() -> None:
    assert (repr(UNKNOWN), str(UNKNOWN)) == ("UNKNOWN", "unknown")
    assert type(UNKNOWN)() is UNKNOWN
    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN
    assert copy.copy(UNKNOWN) is UNKNOWN and copy.deepcopy(UNKNOWN) is UNKNOWN
    assert public(None) is UNKNOWN
    assert public(False) is False


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("-0"), "0"), (Decimal("-0.00"), "0.00"), (Decimal("0E+3"), "0"), (-0.0, "0.0"),
    (Decimal("-0.5"), "-0.5"), (Decimal("1E-7"), "0.0000001"), (Decimal("1E+3"), "1000")])
def test_decimal_text_is_plain_and_zero_has_no_sign(value: Any, text: str) -> None:
    """A negative zero read from a file (`"-0"`, `-0.0`) is written as the SQL engines write
    it, without its sign."""
    assert decimal_text(value) == text
    assert to_json(value) == text
