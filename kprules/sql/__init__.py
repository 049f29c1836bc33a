"""The SQL back end: policies compiled to one SQL query, run on DuckDB or Spark.

Stage: between the evaluator and the case readers (may import kprules.ir, kprules.eval,
kprules.core). `compile_sql` turns a layout into a query (kprules.sql.compile); dialects are in
kprules.sql.dialect. docs/sql.md says how each construct maps to SQL.
"""

from kprules.sql.compile import SqlQuery, compile_sql
from kprules.sql.dialect import DIALECTS, DUCKDB, SPARK, Dialect

__all__ = ["DIALECTS", "DUCKDB", "SPARK", "Dialect", "SqlQuery", "compile_sql"]
