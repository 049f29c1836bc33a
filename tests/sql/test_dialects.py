"""The generated SQL in each dialect: Spark SQL as written by the compiler, a warehouse dialect
(Snowflake) by transpilation, and the escaping of strings and identifiers."""

from __future__ import annotations

from pathlib import Path

import pytest

sqlglot = pytest.importorskip("sqlglot")

import kprules  # noqa: E402
from kprules.sql import DUCKDB, SPARK, compile_sql  # noqa: E402
from kprules.sql.dialect import transpile  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def bundled_layout() -> tuple[kprules.Library, object]:
    lib = kprules.load(ROOT / "policies")
    vocab = lib["kpcs_2003"].vocabulary.name
    targets = [(p.name, t) for p in lib.values() if p.vocabulary.name == vocab for t in p.terms]
    return lib, lib.evaluator(targets)


def test_every_dialect_parses_the_bundled_policies() -> None:
    _, ev = bundled_layout()
    layout = ev.layout  # type: ignore[attr-defined]
    spark = compile_sql(layout, dialect=SPARK, as_of_fact="shipment_date").sql
    duck = compile_sql(layout, dialect=DUCKDB, as_of_fact="shipment_date").sql
    assert "array_contains(" in spark and "list_contains(" in duck
    sqlglot.parse_one(spark, read="spark")
    snowflake = transpile(duck, "snowflake")
    tree = sqlglot.parse_one(snowflake, read="snowflake")
    assert tree.find(sqlglot.exp.Select) is not None
    assert "ARRAY_CONTAINS" in snowflake.upper()


def test_strings_are_escaped_for_each_dialect() -> None:
    assert DUCKDB.string("it's \\ here") == "'it''s \\ here'"
    assert SPARK.string("it's \\ here") == "'it''s \\\\ here'"
    with pytest.raises(AssertionError):
        DUCKDB.ident('x" OR 1=1 --')


def test_a_text_constant_with_quotes_and_backslashes_reads_back(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    lib = kprules.loads(
        'facts v\nfact t: text\n',
        'policy p\n  status current\n  reads v\ndefine same = t = "it\'s \\"q\\" \\\\ x"\n'
        'define text = "it\'s \\\\ x"\n')
    ev = lib.evaluator([("p", "same"), ("p", "text")])
    query = compile_sql(ev.layout, source="(SELECT ? AS t)")
    con = duckdb.connect()
    row = con.execute(query.sql, ['it\'s "q" \\ x']).fetchone()
    assert row[1:4] == (True, "it's \\ x", None)
    assert query.columns == ("p.same", "p.text")
