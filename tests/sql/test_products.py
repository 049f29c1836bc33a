"""A product of decimals in SQL is Python's exact product, or the statement stops (INEXACT) and
the file is evaluated in Python: never a value rounded to DECIMAL(38,12)'s 12 places.

DuckDB multiplies two DECIMAL(38,12) values into a DECIMAL(38,24), exactly; the query casts the
product back to 12 places, and `_kp500` stops the statement where that cast would round."""

from __future__ import annotations

import decimal
import json
from decimal import Decimal
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

from click.testing import CliRunner  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kprules  # noqa: E402
from kprules.cli import cli  # noqa: E402
from kprules.sql.compile import INEXACT  # noqa: E402
from kprules.sql.duck import evaluate_records  # noqa: E402

VOCABULARY = """\
facts nums

fact x: decimal
fact y: decimal
fact n: integer
"""

POLICY = """\
policy p "products"
  status current
  reads nums

define xy = x * y
define positive = x * y > 0
define scaled = x * n
define cube = x * y * x
"""

# a division too: the records that divide by zero are looked for, which runs the query
DIVIDES = POLICY + "define half = n / 2\n"

LIB = kprules.loads(VOCABULARY, POLICY)
EV = LIB.evaluator([("p", t) for t in ("xy", "positive", "scaled", "cube")])


def places(d: Decimal) -> int:
    return max(0, -int(d.normalize().as_tuple().exponent))


def exact(*factors: Decimal) -> Decimal:
    with decimal.localcontext() as ctx:
        ctx.prec = 200
        out = Decimal(1)
        for f in factors:
            out *= f
        return out


def decimals() -> st.SearchStrategy[Decimal]:
    """Up to 12 places (what SQL reads), up to 9 digits before the point."""
    return st.builds(lambda units, digits: Decimal(units).scaleb(-digits),
                     st.integers(-10**9, 10**9), st.integers(0, 12))


@given(decimals(), decimals(), st.integers(-1000, 1000))
def test_a_product_is_python_s_or_the_statement_stops(x: Decimal, y: Decimal, n: int) -> None:
    facts = {"x": x, "y": y, "n": n}
    want = EV.function(validate_input=False)(facts)
    try:
        ((got, error),) = evaluate_records(EV.layout, EV.vocabulary, [facts])
    except duckdb.Error as err:  # a product SQL would round, or one too big for DECIMAL(38,24)
        products = (exact(x, y), exact(x, y, x))
        if INEXACT in str(err):
            assert max(places(p) for p in products) > 12, (x, y)
        else:
            assert "Overflow" in str(err) and max(abs(p) for p in products) >= 10**14, err
        return
    assert error is None
    assert max(places(exact(x, y)), places(exact(x, y, x))) <= 12, (x, y, got)
    assert [Decimal(v) if not isinstance(v, bool) else v for v in got] == list(want)


@pytest.mark.parametrize("policy", [POLICY, DIVIDES], ids=["multiplies", "divides-too"])
@pytest.mark.parametrize("output", [False, True], ids=["stdout", "output"])
def test_eval_gives_the_exact_product_on_every_engine(tmp_path: Path, output: bool,
                                                      policy: str) -> None:
    """A file with a product of 14 places: DuckDB stops and the file is read in Python, with the
    note; a file whose products fit is evaluated in SQL, without one."""
    (tmp_path / "nums.kpr").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "p.kpr").write_text(policy, encoding="utf-8")
    data = tmp_path / "x.jsonl"
    rows = [{"x": 0.0000001, "y": 0.0000001, "n": 3}, {"x": 0.1234567, "y": 0.1234567}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    fits = tmp_path / "fits.jsonl"
    fits.write_text('{"x": 0.5, "y": 0.25, "n": 2}\n', encoding="utf-8")

    def run(path: Path, engine: str) -> tuple[str, str]:
        out = tmp_path / f"{engine}.csv"
        argv = ["eval", str(tmp_path / "p.kpr"), "--policies", str(tmp_path), "--no-seeds",
                "--cases", str(path), "--format", "csv", "--engine", engine,
                *(["--output", str(out)] if output else [])]
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, result.output
        return (out.read_text(encoding="utf-8") if output else result.stdout), result.stderr

    python, _ = run(data, "python")
    duck, note = run(data, "duckdb")
    halves = policy is DIVIDES
    assert duck == python == (
        f"case,as_of,p.cube,{'p.half,' if halves else ''}p.positive,p.scaled,p.xy\n"
        f"1,,0.000000000000000000001,{'1.5,' if halves else ''}true,0.0000003,0.00000000000001\n"
        f"2,,0.001881672302290562263,{',' if halves else ''}true,,0.01524155677489\n")
    assert "cannot read the file as a whole" in note
    duck, note = run(fits, "duckdb")
    assert duck == (f"case,as_of,p.cube,{'p.half,' if halves else ''}p.positive,p.scaled,p.xy\n"
                    f"1,,0.0625,{'1,' if halves else ''}true,1,0.125\n")
    assert "cannot read" not in note


def test_a_product_of_a_quotient_is_not_checked() -> None:
    """A quotient is rounded to 12 places in SQL (docs/sql.md); a product of one is as
    approximate, and does not stop the query (else every such policy would leave SQL)."""
    lib = kprules.loads(VOCABULARY, 'policy p "q"\n  status current\n  reads nums\n\n'
                                    "define third = x / 3\ndefine part = third * y\n")
    ev = lib.evaluator([("p", "part")])
    facts = {"x": Decimal("1"), "y": Decimal("0.5")}
    ((got, error),) = evaluate_records(ev.layout, ev.vocabulary, [facts])
    (want,) = ev.function(validate_input=False)(facts)
    assert error is None and abs(Decimal(got[0]) - want) < Decimal("1e-11")
