"""How fact and expected values are judged and explained, for case files and data files.

Pure functions shared by kprules.cases.files and kprules.cases.bulk: the code of a value that does
not fit
its fact's type (`fact_code`), how to write a value of a type (`type_hint`), expected values read
against a term's type (`expected_value`), and values shown as a case file writes them (`found`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kprules import ir
from kprules.core.suggest import did_you_mean
from kprules.ir.types import (
    COUNTRY,
    DECIMAL,
    INTEGER,
    TEXT,
    EnumType,
    Quantity,
    SetType,
    Type,
)
from kprules.ir.values import UNKNOWN, FactError, coerce, too_long
from kprules.ir.values import type_hint as type_hint  # re-exported: the readers use it


def fact_code(typ: Type, value: Any, from_text: bool = False) -> str:
    """KP409 for a text that is no value of its enum, KP410 for one that is no country code,
    KP408 for any other value that does not fit its fact's type. A set (a list, or `RU;BY` in
    text) is judged by its first element that does not fit."""
    numeric = typ in (INTEGER, DECIMAL) or isinstance(typ, Quantity)
    if numeric and (too_long(value) or (from_text and isinstance(value, str)
                                        and _long_text(value))):
        return "KP490"
    element = typ
    if isinstance(typ, SetType):
        element = typ.element
        items = value.split(";") if from_text and isinstance(value, str) else value
        if not isinstance(items, list):
            return "KP408"
        value = next((v.strip() if isinstance(v, str) and from_text else v for v in items
                      if not fits(v.strip() if isinstance(v, str) and from_text else v,
                                   element)), None)
    if isinstance(value, str) and isinstance(element, EnumType):
        return "KP409"
    if isinstance(value, str) and element == COUNTRY:
        return "KP410"
    return "KP408"


def _long_text(value: str) -> bool:
    """A CSV cell that is a number of too many digits (`FactError` said why)."""
    try:
        coerce(value, DECIMAL, from_text=True)
    except FactError as err:
        return err.message.startswith("a number of ")
    return False


def fits(value: Any, typ: Type) -> bool:
    try:
        coerce(value, typ)
    except FactError:
        return False
    return True


def expected_value(value: Any, term: ir.Term) -> Any:
    """An expected value read against a term's type; the text "unknown" expects UNKNOWN
    (except for text terms and enums that have a value named `unknown`)."""
    typ = term.type
    has_unknown = typ == TEXT or (isinstance(typ, EnumType) and "unknown" in typ.values)
    if value == "unknown" and not has_unknown:
        return UNKNOWN
    if isinstance(term, ir.DecisionTerm) and isinstance(typ, EnumType):
        if isinstance(value, str) and value not in typ.values:
            raise FactError(f"the decision has no outcome \"{value}\"",
                            did_you_mean(value, typ.values))
        if not isinstance(value, str):
            raise FactError(f"expected an outcome name in quotes, found {found(value)}")
    return coerce(value, typ)


def expect_hint(term: ir.Term) -> str:
    typ = term.type
    if isinstance(term, ir.DecisionTerm) and isinstance(typ, EnumType):
        return "its outcomes are " + ", ".join(f'"{v}"' for v in typ.values)
    return type_hint(typ) + ', or "unknown"'


def found(value: Any) -> str:
    """A value as a case file writes it, for messages."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else f'"{value[:37]}..."'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return str(value)
