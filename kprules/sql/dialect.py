"""SQL dialects: how the few constructs that differ between engines are written.

Stage: used by the SQL compiler (`kprules.sql.compile`) and the engines. Pure data and pure
functions. The compiler writes everything else in the SQL both DuckDB and Spark SQL accept
(CASE, IN, comparisons, CAST, DATE literals); what differs (identifier quoting, string escapes,
list functions, the empty list) comes from here. Other dialects (warehouses) are reached by
transpiling the DuckDB text with sqlglot (`transpile`), an optional dependency.

Safety: identifiers are checked (the compiler only names facts, whose names the grammar limits to
letters, digits and `_`, and columns it makes up); every string goes through `string`, which
escapes what the dialect treats specially. Nothing from a policy or from data is pasted in.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from attrs import frozen

from kprules.core.shared_repr import SharedRepr

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")

# Decimals and quantities are DECIMAL(38, SCALE) in SQL: exact for sums and differences; a
# product with more than SCALE places stops the statement (INEXACT: Python evaluates the file);
# divisions are rounded to SCALE places.
SCALE = 12
DECIMAL_TYPE = f"DECIMAL(38,{SCALE})"


@frozen(repr=False)
class Dialect(SharedRepr):
    """The spelling of one engine's SQL."""

    name: str
    quote: str                 # identifier quote
    backslash_escapes: bool    # `\` escapes in string literals (Spark)
    list_open: str             # how a list literal starts and ends
    list_close: str
    contains: str              # (list, element) -> bool
    sort: str                  # sort a list
    distinct: str              # distinct elements of a list
    empty_list: str            # an empty list of strings
    string_type: str
    fail_function: str         # raises an error with a message: the statement stops

    def ident(self, name: str) -> str:
        if not _IDENT.match(name):
            raise AssertionError(f"kprules bug: {name!r} is not an identifier")
        return f"{self.quote}{name}{self.quote}"

    def string(self, value: str) -> str:
        text = value.replace("\\", "\\\\") if self.backslash_escapes else value
        return "'" + text.replace("'", "''") + "'"

    def list_of(self, items: list[str]) -> str:
        if not items:
            return self.empty_list
        return self.list_open + ", ".join(items) + self.list_close

    def date(self, value: dt.date) -> str:
        return f"DATE '{value.isoformat()}'"

    def decimal(self, value: Decimal | int) -> str:
        return f"CAST('{Decimal(value)}' AS {DECIMAL_TYPE})"

    def fail(self, message: str) -> str:
        """An expression that stops the statement with `message`."""
        return f"{self.fail_function}({self.string(message)})"

    def set_value(self, items: list[str]) -> str:
        """A set from a list: its distinct elements, sorted (so that `=` compares sets)."""
        return f"{self.sort}({self.distinct}({self.list_of(items)}))"


DUCKDB = Dialect("duckdb", '"', False, "[", "]", "list_contains", "list_sort", "list_distinct",
                 "CAST([] AS VARCHAR[])", "VARCHAR", "error")
SPARK = Dialect("spark", "`", True, "array(", ")", "array_contains", "array_sort",
                "array_distinct", "CAST(array() AS ARRAY<STRING>)", "STRING", "raise_error")
DIALECTS = {d.name: d for d in (DUCKDB, SPARK)}


def transpile(sql: str, to: str) -> str:
    """DuckDB SQL as another dialect's (`snowflake`, `bigquery`, ...), through sqlglot."""
    import sqlglot

    return str(sqlglot.transpile(sql, read="duckdb", write=to)[0])
