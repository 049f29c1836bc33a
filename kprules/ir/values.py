"""Run-time values: the unknown value, and reading fact values into their typed form.

Stage: shared by the case and data loaders, the library API and the evaluator. Pure functions.

Representation (what the evaluator computes with): bool; int; Decimal (decimals and quantities;
int and float are accepted as given and compared exactly); datetime.date; str for enum values,
countries and text; frozenset[str] for sets. Inside the evaluator an unknown value is `None`; the
public API shows it as `UNKNOWN`, which refuses to be used as a truth value, so that an unknown
can never turn into a silent false in a caller's code either.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeAlias

from kprules.core.countries import ISO_3166_ALPHA2, country_hint
from kprules.core.escape import printable
from kprules.core.limits import MAX_NUMBER_DIGITS, plain_digits
from kprules.core.suggest import did_you_mean
from kprules.ir.types import (
    BOOL,
    COUNTRY,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    EnumType,
    Prim,
    Quantity,
    SetType,
    Type,
    describe,
)


class _Unknown:
    """The value of a term that cannot be decided from the facts given."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __str__(self) -> str:
        return "unknown"

    def __bool__(self) -> bool:
        raise TypeError("an UNKNOWN value has no truth value; test `value is UNKNOWN` first")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()

# A term's value as the public API gives it (UNKNOWN where the facts do not decide it).
Value: TypeAlias = bool | int | str | Decimal | dt.date | frozenset[str] | _Unknown

def type_hint(typ: Type) -> str:
    """How to write a value of a type (in a case file, a data file, or a Python mapping)."""
    if isinstance(typ, EnumType):
        return "its values are " + ", ".join(f'"{v}"' for v in typ.values)
    if isinstance(typ, SetType):
        return 'write a list, such as ["RU", "BY"]'
    hints = {"bool": "write true or false, without quotes",
             "integer": "write a whole number, such as 2024",
             "decimal": "write a number, such as 1.5",
             "date": "write a date such as 2024-03-01",
             "country": 'write a two-letter ISO code in quotes, such as "CF"',
             "text": 'write it in quotes: "..."',
             "carats": 'write a number of carats, such as 0.5 or "0.5 ct"',
             "grams": 'write a number of grams, such as 2.5 or "2.5 g"',
             "usd": 'write a number of US dollars, such as 1200 or "1200 usd"'}
    return hints.get(str(typ), f"write a value of type {describe(typ)}")


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER_TEXT = re.compile(r"[ \t]*-?[0-9]+[ \t]*")
_QUANTITY = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([a-z]+)?\s*$")


class FactError(ValueError):
    """A fact value that does not fit its type; the message is ready for a diagnostic."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class LongNumber:
    """A number a data reader refused to convert: more than MAX_NUMBER_DIGITS digits (Python
    would not even convert an integer of more than 4,300). Every fact refuses it (KP490)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"a number of {len(self.text):,} characters"


class OutOfRange:
    """A date or a time a data file holds that Python cannot (a year before 1 or after 9999, or
    DuckDB's `infinity`), as the readers of every engine give it: every fact refuses it, with
    the same words whatever the engine's own text of it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "a date or time outside the years 1 to 9999"


OUT_OF_RANGE: Final = OutOfRange()


def too_long(value: Any) -> bool:
    """A number (or a reader's LongNumber) with more digits than a fact value may have."""
    if isinstance(value, LongNumber):
        return True
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    if isinstance(value, Decimal) and not value.is_finite():
        return False
    return plain_digits(value) > MAX_NUMBER_DIGITS


def _long(value: Any) -> FactError:
    shown = f"{len(value.text):,} characters" if isinstance(value, LongNumber) else \
        f"{plain_digits(value):,} digits" if plain_digits(value) <= MAX_NUMBER_DIGITS else \
        f"more than {MAX_NUMBER_DIGITS} digits"
    return FactError(f"a number of {shown}; at most {MAX_NUMBER_DIGITS} digits are allowed",
                     "check the figure (docs/limits.md)")


def public(value: Any) -> Any:
    """The evaluator's None (unknown) as UNKNOWN; everything else unchanged."""
    return UNKNOWN if value is None else value


def coerce(value: Any, typ: Type, *, from_text: bool = False) -> Any:
    """Read a fact value (Python, JSON or TOML typed; or text from CSV when `from_text`)."""
    if isinstance(typ, EnumType):
        return _enum(value, typ)
    if isinstance(typ, SetType):
        return _set(value, typ, from_text)
    if isinstance(typ, Quantity):
        return _quantity(value, typ, from_text)
    if isinstance(typ, Prim):
        return _PRIMS[typ.name](value, from_text)
    raise FactError(f"no value can have the type `{typ}`")


def _bool(value: Any, from_text: bool) -> bool:
    if isinstance(value, bool):
        return value
    if from_text and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise FactError(f"expected true or false, found {_show(value)}")


def _integer(value: Any, from_text: bool) -> int:
    if too_long(value):
        raise _long(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if from_text and isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        if len(value.strip(" \t").lstrip("-").lstrip("0")) > MAX_NUMBER_DIGITS:
            raise _long(LongNumber(value.strip(" \t")))
        return int(value)
    raise FactError(f"expected a whole number, found {_show(value)}")


def number(value: Any, from_text: bool) -> int | Decimal:
    """A number for a decimal or quantity fact: int or Decimal (floats by their shortest repr),
    of at most MAX_NUMBER_DIGITS digits."""
    out = _number(value, from_text)
    if too_long(out):
        raise _long(out)
    return out


def _number(value: Any, from_text: bool) -> int | Decimal:
    if isinstance(value, LongNumber):
        raise _long(value)
    if isinstance(value, bool):
        raise FactError(f"expected a number, found {_show(value)}")
    if isinstance(value, int | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise FactError(f"expected a finite number, found {value}")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FactError(f"expected a finite number, found {value}")
        return Decimal(float.__repr__(value))  # a float subclass's own repr may not be a
        # number (numpy's float64 writes `np.float64(0.7)`)
    if from_text and isinstance(value, str):
        if len(value) > 4 * MAX_NUMBER_DIGITS:
            raise _long(LongNumber(value.strip(" \t")))
        try:
            out = Decimal(value.strip(" \t"))
        except InvalidOperation:
            raise FactError(f"expected a number, found {_show(value)}") from None
        if out.is_finite():
            return out
    raise FactError(f"expected a number, found {_show(value)}")


def _decimal(value: Any, from_text: bool) -> int | Decimal:
    return number(value, from_text)


def _quantity(value: Any, typ: Quantity, from_text: bool) -> int | Decimal:
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match is None:
            raise FactError(f"expected a number of {typ} such as `0.5 {typ.unit}`, found "
                            f"{_show(value)}")
        unit = match.group(2)
        if unit is not None and unit != typ.unit:
            raise FactError(f"expected {typ} (`{typ.unit}`), found the unit `{unit}`",
                            hint=f"write the value in {typ}, such as `0.5 {typ.unit}`")
        return number(Decimal(match.group(1)), False)
    return number(value, from_text)


def _date(value: Any, from_text: bool) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    # Only YYYY-MM-DD: Python also reads `20240301` and week dates such as `2024-W10-1`.
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FactError(f"expected a date such as 2024-03-01, found {_show(value)}")


def _country(value: Any, from_text: bool) -> str:
    if isinstance(value, str) and value in ISO_3166_ALPHA2:
        return value
    if isinstance(value, str):
        upper = value.strip().upper()
        hint = f"write `{upper}`" if upper in ISO_3166_ALPHA2 else country_hint(upper)
        raise FactError(f"{_show(value)} is not an ISO 3166-1 alpha-2 country code", hint=hint)
    raise FactError(f"expected a country code such as \"CF\", found {_show(value)}")


def fold_space(text: str) -> str:
    """Runs of white space (any Unicode space, tab or line break) as one space, none at the
    ends: as the parser reads every string of a policy, so that a text fact and a policy string
    compare alike."""
    return " ".join(text.split())


def _text(value: Any, from_text: bool) -> str:
    if isinstance(value, str):
        return fold_space(value)
    raise FactError(f"expected text, found {_show(value)}")


def _enum(value: Any, typ: EnumType) -> str:
    if isinstance(value, str) and value in typ.values:
        return value
    if isinstance(value, str):
        raise FactError(f"enum `{typ.name}` has no value {_show(value)}",
                        hint=did_you_mean(value, typ.values)
                        or "its values are " + ", ".join(f"`{v}`" for v in typ.values))
    raise FactError(f"expected a value of enum `{typ.name}` (a string), found {_show(value)}")


def _set(value: Any, typ: SetType, from_text: bool) -> frozenset[str]:
    items: Iterable[Any]
    if from_text and isinstance(value, str):
        items = [x.strip() for x in value.split(";") if x.strip()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        raise FactError(f"expected a list of values, found {_show(value)}")
    return frozenset(coerce(x, typ.element, from_text=from_text) for x in items)


_PRIMS = {
    BOOL.name: _bool,
    INTEGER.name: _integer,
    DECIMAL.name: _decimal,
    DATE.name: _date,
    COUNTRY.name: _country,
    TEXT.name: _text,
}


def _show(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{printable(shown)}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return str(value)


def decimal_text(value: Any) -> str:
    """A value as text, a decimal in plain notation: `0.0000001`, `1000`, not `1E-7` or
    `1E+3` (Decimal's own text for very small numbers, and for a number read as `1e3`); a zero
    without a sign (`-0` read from a file is 0, as the SQL engines write it)."""
    if isinstance(value, float) and math.isfinite(value):  # its shortest decimal: 0.00001
        value = Decimal(float.__repr__(value))
    if isinstance(value, Decimal) and value.is_finite():
        return format(value.copy_abs() if value.is_zero() else value, "f")
    return str(value)


def format_value(value: Any, typ: Type | None = None) -> str:
    """A value as a drafter would write it: true, 0.5 ct, 2024-03-01, {RU, BY}, unknown."""
    if value is None or value is UNKNOWN:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(value)) + "}"
    if isinstance(typ, Quantity):
        return f"{decimal_text(value)} {typ.unit}"
    if isinstance(value, str) and typ == TEXT:  # as written in a policy: escapes included
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return decimal_text(value)


def to_json(value: Any) -> Any:
    """A JSON-ready form: unknown as null, dates as ISO text, decimals as text, sets sorted."""
    if value is None or value is UNKNOWN:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | float):
        return decimal_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    return str(value)
