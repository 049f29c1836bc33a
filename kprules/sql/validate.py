"""SQL-side validation: raw columns of a data file as typed fact columns, and whether each
record fits.

Stage: data file (read by DuckDB) -> a relation with `_row` (record number), `_line` (its line,
when the format has lines), `_id`, one typed column per fact and `_ok`. Pure: functions from
names and types to SQL text (DuckDB dialect).

The SQL checks are the common cases of `kprules.values.coerce`, written strictly: a value SQL
accepts is one Python accepts, with the same value. SQL refuses some values Python accepts
(`1e5` for a decimal, `0.5 ct` written as text in JSON, a date with spaces around it, numbers
with more than 12 decimal places); such a record is not `_ok`, and the engine hands it to the
Python validator, which reports it (KP4xx, located) or, if it fits after all, gives its typed
facts to evaluate. So SQL never lets a record through that Python would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

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
from kprules.sql.dialect import DECIMAL_TYPE, DUCKDB, Dialect

_INT = "'-?[0-9]{1,18}'"
_DEC = "'-?[0-9]{1,24}(\\.[0-9]{1,12})?'"
# A date as Python reads one: years 0001 to 9999 (DuckDB reads 0000 as 1 BC)
_DATE = "'(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}'"
_PLAIN = re.compile("[A-Za-z0-9_]+")
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
              "UBIGINT", "HUGEINT")


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(DUCKDB.string(v) for v in sorted(values)) + "]"


def allowed(t: Type) -> list[str] | None:
    """The values an enum, country or set element may take (None: any text)."""
    if isinstance(t, SetType):
        return allowed(t.element)
    if isinstance(t, EnumType):
        return list(t.values)
    if t == COUNTRY:
        return sorted(ISO_3166_ALPHA2)
    return None


# The characters `str.split()` splits at (those whose `isspace()` is true), which
# `kprules.ir.values.fold_space` folds (tests/sql/test_sql_shapes.py checks the list). Here, not
# there: a kept run imports this module, and none of the evaluator's.
SPACES: Final = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
                 + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000")


# `SPACES` as a regular expression's class, in both engines' syntax (`\x{9}`)
_SPACE_CLASS: Final = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SPACES) + "]"


def fold_space_sql(text: str, dialect: Dialect = DUCKDB) -> str:
    """`kprules.ir.values.fold_space` in SQL: runs of white space (Python's, `SPACES`) as one
    space, none at the ends; both engines' `trim` takes spaces off."""
    pattern = dialect.string(_SPACE_CLASS + "+")
    flags = ", 'g'" if dialect is DUCKDB else ""
    return f"trim(regexp_replace({text}, {pattern}, ' '{flags}))"


def blank_sql(text: str) -> str:
    """Whether a line is blank as the Python readers see it (`not line.strip()`: nothing but
    Python's white space, `SPACES`; `trim` takes off spaces only)."""
    pattern = DUCKDB.string(_SPACE_CLASS + "*")
    return f"({text} IS NULL OR regexp_full_match({text}, {pattern}))"


def _as_read(text: str, t: Type) -> str:
    """A text value as Python reads it for a fact of type `t`: folded for `text`; an enum value
    or a country code is taken as written (or refused) on both engines."""
    return fold_space_sql(text) if t == TEXT else text


def _member(text: str, t: Type) -> str:
    values = allowed(t)
    if values is None:
        return "TRUE"
    return _among(text, values)


def _among(x: str, values: list[str]) -> str:
    """Whether the string `x` is one of `values`: a lookup in an `ENUM` of them (a hash
    lookup; `IN` over 249 country codes is a join, and `list_has_all` with them builds the list
    for every row), or `IN` for values an ENUM would not hold as written."""
    enum = _enum(values)
    if enum is None:
        return f"({x} IN ({', '.join(DUCKDB.string(v) for v in values)}))"
    return f"(TRY_CAST({x} AS {enum}) IS NOT NULL)"


def _enum(values: list[str]) -> str | None:
    """The `ENUM` type of plain values (letters, digits, `_`), else None."""
    if not values or not all(map(_PLAIN.fullmatch, values)):
        return None
    return f"ENUM({', '.join(DUCKDB.string(v) for v in values)})"


def _set(items: str, t: Type) -> tuple[str, str]:
    """A set from a list of strings: (typed, ok): every item present and allowed."""
    values = allowed(t)  # None: a set of free text, which Python judges (it folds spaces)
    test = "TRUE" if values is None else f"NOT {_among('x', values)}"
    ok = f"(len(list_filter({items}, lambda x: x IS NULL OR {test})) = 0)"
    return _canonical(items), ok


def _canonical(items: str) -> str:
    """A list as a set's canonical form (sorted, distinct). Sorting every row's list costs
    seconds over a million rows; most lists are short and already in order, so those are
    kept as they are (the CASE is exact: no NULL, strictly increasing)."""
    short = f"len({items}) < 2 OR (len({items}) = 2 AND {items}[1] < {items}[2])"
    return f"(CASE WHEN {short} THEN {items} ELSE list_sort(list_distinct({items})) END)"


def _checked(ok: str, typed: str) -> tuple[str, str]:
    return f"(CASE WHEN {ok} THEN {typed} END)", ok


# ----------------------------------------------------------------------------- JSON Lines


def json_fact(value: str, t: Type) -> tuple[str, str, str]:
    """(typed value, ok, present) of a fact given as a JSON value (NULL when missing).

    A JSON value is its minified text (`true`, `0.5`, `"CF"`, `["a"]`): most checks are string
    tests on that text, without parsing it again."""
    s = f"CAST({value} AS VARCHAR)"
    present = f"({value} IS NOT NULL AND {s} <> 'null')"
    if t == BOOL:
        return (*_checked(f"{s} IN ('true', 'false')", f"({s} = 'true')"), present)
    plain = f"NOT (contains({s}, '.') OR contains({s}, 'e') OR contains({s}, 'E'))"
    if t == INTEGER:
        cast = f"TRY_CAST({s} AS BIGINT)"
        return (*_checked(f"({plain} AND {cast} IS NOT NULL)", cast), present)
    if t == DECIMAL or isinstance(t, Quantity):
        cast = f"TRY_CAST({s} AS {DECIMAL_TYPE})"
        return (*_checked(f"({_json_decimal(s)} AND {cast} IS NOT NULL)", cast), present)
    text = (f"(CASE WHEN contains({s}, '\\') THEN ({value} ->> '$') "
            f"ELSE substr({s}, 2, length({s}) - 2) END)")
    is_text = f"(starts_with({s}, '\"') AND ends_with({s}, '\"'))"
    if t == DATE:
        cast = f"TRY_CAST({text} AS DATE)"
        return (*_checked(f"({is_text} AND length({s}) = 12 AND regexp_full_match({text}, "
                          f"{_DATE}) AND {cast} IS NOT NULL)", cast), present)
    if isinstance(t, SetType):
        items = f"from_json({value}, '[\"VARCHAR\"]')"
        typed, ok = _set(items, t)
        return (*_checked(f"(starts_with({s}, '[') AND {ok})", typed), present)
    return (*_checked(f"({is_text} AND {_member(text, t)})", _as_read(text, t)), present)


def _json_decimal(s: str) -> str:
    """Whether a number's text `s` may be a decimal: no exponent, at most 12 places (string
    tests, cheaper than a pattern; what is not a number then fails the cast)."""
    places = f"(NOT contains({s}, '.') OR length({s}) - strpos({s}, '.') <= 12)"
    return f"(NOT (contains({s}, 'e') OR contains({s}, 'E')) AND {places})"


def json_typed(value: str, t: Type) -> str:
    """The typed value of a fact given as a JSON value, NULL when the value does not fit (or is
    missing): the `typed` of `json_fact`, written for one pass (each test computed once) where
    that is cheaper. For a present value it is not NULL exactly when `json_fact` accepts it,
    and then it is the same value (tests/sql/test_fast.py checks this against `json_fact`)."""
    s = f"CAST({value} AS VARCHAR)"
    if t == BOOL:
        return f"(CASE {s} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END)"
    plain = f"NOT (contains({s}, '.') OR contains({s}, 'e') OR contains({s}, 'E'))"
    if t == INTEGER:
        return f"(CASE WHEN {plain} THEN TRY_CAST({s} AS BIGINT) END)"
    if t == DECIMAL or isinstance(t, Quantity):
        return f"(CASE WHEN {_json_decimal(s)} THEN TRY_CAST({s} AS {DECIMAL_TYPE}) END)"
    values = allowed(t)
    if not isinstance(t, SetType) and values is not None and all(map(_PLAIN.fullmatch, values)):
        # a value without characters JSON escapes is its own text between quotes: looked up
        # as a member of an ENUM of those texts (NULL when it is none), whose code is its place
        quoted = ", ".join(DUCKDB.string(f'"{v}"') for v in values)
        listed = ", ".join(DUCKDB.string(v) for v in values)
        return f"([{listed}][enum_code(TRY_CAST({s} AS ENUM({quoted}))) + 1])"
    return json_fact(value, t)[0]


def json_record(line: str, names: list[str]) -> tuple[str, str, str]:
    """(the line's fields as a struct of JSON values, its keys, whether a line with those is a
    JSON object whose keys are all among `names`, each once: DuckDB keeps the first of a key
    given twice, which Python refuses, KP421). TRY: a line that is not JSON gives NULLs (one
    parse for the fields, one for the keys)."""
    fields = "{" + ", ".join(f'"{n}": "JSON"' for n in names) + "}"
    struct = f"TRY(json_transform({line}, {DUCKDB.string(fields)}))"
    keys = f"TRY(json_keys({line}))"

    def ok(struct_col: str, keys_col: str) -> str:  # an object, its keys known and distinct
        return (f"({struct_col} IS NOT NULL AND starts_with(ltrim({line}), '{{') AND "
                f"{keys_col} <@ {_strings(names)} AND "
                f"len({keys_col}) = len(list_distinct({keys_col})))")

    return struct, keys, ok("_s", "_k")


def json_id(value: str) -> tuple[str, str]:
    """(the id as text, ok) of a record's `id` field (text or a whole number)."""
    kind = f"json_type({value})"
    ok = f"({kind} IS NULL OR {kind} IN ('NULL', 'VARCHAR', 'BIGINT', 'UBIGINT'))"
    return f"({value} ->> '$')", ok


# ----------------------------------------------------------------------------- CSV


def text_fact(cell: str, t: Type) -> tuple[str, str, str]:
    """(typed value, ok, present) of a CSV cell (text; NULL when empty)."""
    present = f"({cell} IS NOT NULL)"
    if t == BOOL:
        return (*_checked(f"{cell} IN ('true', 'false', 'TRUE', 'FALSE', 'True', 'False')",
                          f"(lower({cell}) = 'true')"), present)
    if t == INTEGER:
        return (*_checked(f"regexp_full_match({cell}, {_INT})", f"CAST({cell} AS BIGINT)"),
                present)
    if t == DECIMAL:
        return (*_checked(f"regexp_full_match({cell}, {_DEC})",
                          f"CAST({cell} AS {DECIMAL_TYPE})"), present)
    if isinstance(t, Quantity):
        number = f"regexp_extract({cell}, '^(-?[0-9]+(\\.[0-9]+)?)', 1)"
        pattern = DUCKDB.string(f"-?[0-9]{{1,24}}(\\.[0-9]{{1,12}})?( ?{t.unit})?")
        return (*_checked(f"regexp_full_match({cell}, {pattern})",
                          f"CAST({number} AS {DECIMAL_TYPE})"), present)
    if t == DATE:
        return (*_checked(f"(regexp_full_match({cell}, {_DATE}) AND "
                          f"TRY_CAST({cell} AS DATE) IS NOT NULL)", f"CAST({cell} AS DATE)"),
                present)
    if isinstance(t, SetType):
        items = (f"list_filter(list_transform(string_split({cell}, ';'), lambda x: trim(x)), "
                 "lambda x: x <> '')")
        return (*_checked(_set(items, t)[1], _set(items, t)[0]), present)
    return (*_checked(_member(cell, t), _as_read(cell, t)), present)


def csv_row_ok(header: Sequence[str]) -> str:
    """Whether a CSV row may stand as a record in SQL. In a file of one column DuckDB reads a
    blank line as a row with no value, where the Python reader skips it (a blank line is no
    record): such a row is left to Python, which tells the two apart (`""` is a record)."""
    return f"({DUCKDB.ident(header[0])} IS NOT NULL)" if len(header) == 1 else "TRUE"


# ----------------------------------------------------------------------------- Parquet


def typed_fact(column: str, column_type: str, t: Type) -> tuple[str, str, str]:
    """(typed value, ok, present) of a typed (Parquet) column of the given DuckDB type."""
    present = f"({column} IS NOT NULL)"
    base = column_type.split("(")[0]
    cast: str | None = None
    if t == BOOL and base == "BOOLEAN":
        cast = column
    elif t == INTEGER and base in _INT_TYPES:
        cast = f"TRY_CAST({column} AS BIGINT)"
    elif (t == DECIMAL or isinstance(t, Quantity)) and (
            base in _INT_TYPES or base in ("DECIMAL", "DOUBLE", "FLOAT")):
        cast = _column_decimal(column, column_type)
    elif t == DATE and base == "DATE":
        cast = python_date(column)
    elif isinstance(t, SetType) and column_type == "VARCHAR[]":
        typed, ok = _set(column, t)
        return (*_checked(ok, typed), present)
    elif base == "VARCHAR" and not isinstance(t, SetType) and (
            allowed(t) is not None or str(t) == "text"):
        return (*_checked(_member(column, t), _as_read(column, t)), present)
    if cast is None:  # a column of another type: every value is Python's to judge
        return "NULL", "FALSE", present
    return (*_checked(f"({cast} IS NOT NULL)", cast), present)


def in_python_years(value: str) -> str:
    """Whether a date's or a time's year is one Python holds (1 to 9999; a Parquet file may
    hold any, and the Python reader reports them): NULL for an infinite one. DuckDB and Spark
    alike."""
    return f"year({value}) BETWEEN 1 AND 9999"


def python_date(column: str) -> str:
    """A DATE column's value, NULL outside Python's years (`in_python_years`)."""
    return f"(CASE WHEN {in_python_years(column)} THEN {column} END)"


def _column_decimal(column: str, column_type: str) -> str:
    """A number column as DECIMAL(38,12), NULL where that would not be Python's value: Python
    reads a binary float as its shortest decimal (`repr`), which DuckDB writes as text, where
    its cast from DOUBLE works on the binary value (1e15 gives 1000000000000000.013287555072);
    a decimal of more than 12 places would be rounded."""
    kind = column_type.split("(")[0]
    if kind in ("DOUBLE", "FLOAT"):
        text = f"CAST(CAST({column} AS DOUBLE) AS VARCHAR)"  # a FLOAT as Python widens it
        return f"(CASE WHEN {_json_decimal(text)} THEN TRY_CAST({text} AS {DECIMAL_TYPE}) END)"
    return declared_decimal(column, column_type, f"TRY_CAST({column} AS {DECIMAL_TYPE})")


def declared_decimal(column: str, column_type: str, cast: str) -> str:
    """`cast` (the column as DECIMAL(38,12)) for a number column, NULL where the column is
    a DECIMAL(p, s) (either engine's spelling) whose value Python refuses or SQL would round:
    Python reads it with its s places and counts them among its digits (`limits.plain_digits`:
    1.5 as DECIMAL(38,30) has 31), and DECIMAL(38,12) must hold it exactly (zeros only beyond
    12 places)."""
    declared = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", column_type, re.IGNORECASE)
    if declared is None:
        return cast
    places = int(declared[2])
    if places > MAX_NUMBER_DIGITS:
        return f"CAST(NULL AS {DECIMAL_TYPE})"
    fits = f"abs({column}) < {10 ** (MAX_NUMBER_DIGITS - places)}"
    if places > 12:  # no digit past the 12th: compared in the column's own type (Spark
        # compares two decimals at the smaller scale, where the rounded one equals)
        fits += f" AND try_cast({cast} AS DECIMAL({declared[1]},{places})) = {column}"
    return f"(CASE WHEN {fits} THEN {cast} END)"


def _lookup(column: str, t: Type) -> str | None:
    """An enum value or country code given as text, looked up in an `ENUM` of the allowed
    values (a hash lookup, where `IN` over 249 country codes is a join): NULL when it is none;
    None when the type is not one of those, or has values the ENUM would not hold as written."""
    enum = None if isinstance(t, SetType) else _enum(allowed(t) or [])
    return None if enum is None else f"CAST(TRY_CAST({column} AS {enum}) AS VARCHAR)"


def column_typed(column: str, column_type: str, t: Type) -> str:
    """The typed value of a typed (Parquet) column, NULL when it does not fit: the `typed` of
    `typed_fact`, with enum values and country codes looked up (`_lookup`)."""
    found = _lookup(column, t) if column_type == "VARCHAR" else None
    return found or typed_fact(column, column_type, t)[0]


def text_typed(cell: str, t: Type) -> str:
    """The typed value of a CSV cell, NULL when it does not fit: the `typed` of `text_fact`,
    with enum values and country codes looked up (`_lookup`)."""
    return _lookup(cell, t) or text_fact(cell, t)[0]
