"""Semantics that surprised (issue 14): exact decimals whatever the caller's `decimal` context,
integer and decimal inputs alike, dates read one way everywhere, calendar edges, seeds."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import kprules
from kprules.analysis.boundaries import policy_cut_offs
from kprules.cli import cli
from kprules.eval.interpret import Interpreter
from kprules.syntax.seeds import read_seed

VOCAB = """facts lots "lots"
  dated by day
fact stones: integer "how many stones"
fact share: decimal "a share"
fact weight: carats "the weight"
fact day: date "the day"
"""
POLICY = """policy p "p"
  status current
  reads lots

define product "p" = share * share * share
define total "t" = share + 0.00000000000000000000000000001
define negated "n" = -share
define third "t" = share / 3
define heavy "h" = weight * 1.5 > 10 ct
"""
BIG = Decimal("123456789012345678901234567.891")


def _values(facts: dict[str, object]) -> dict[str, object]:
    lib = kprules.loads(VOCAB, POLICY)
    result = lib["p"].evaluate(facts)
    return {t: result[t] for t in ("product", "total", "negated", "third", "heavy")}


def test_decimal_arithmetic_is_exact_past_28_digits() -> None:
    values = _values({"share": BIG, "weight": 7, "day": dt.date(2024, 1, 1)})
    assert values["product"] == Decimal(f"{int(str(BIG).replace('.', '')) ** 3}e-9")
    assert values["total"] == Decimal("123456789012345678901234567.89100000000000000000000000001")
    assert values["negated"] == BIG.copy_negate()


def test_results_do_not_depend_on_the_callers_decimal_context() -> None:
    facts = {"share": BIG, "weight": Decimal("6.67"), "day": dt.date(2024, 1, 1)}
    expected = _values(facts)
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        assert _values(facts) == expected
    assert expected["third"] == Decimal("41152263004115226300411522.63")
    assert expected["heavy"] is True


@pytest.mark.parametrize(("as_int", "as_decimal"), [(2, Decimal(2)), (10 ** 29, Decimal(10) ** 29),
                                                      (-7, Decimal("-7.000"))])
def test_an_integer_and_a_decimal_of_one_value_give_the_same_results(
        as_int: int, as_decimal: Decimal) -> None:
    day = dt.date(2024, 1, 1)
    a = _values({"share": as_int, "weight": as_int, "day": day})
    b = _values({"share": as_decimal, "weight": as_decimal, "day": day})
    assert a == b
    assert [type(v) for v in a.values()] == [type(v) for v in b.values()]


def test_the_interpreter_computes_as_the_evaluator() -> None:
    lib = kprules.loads(VOCAB, POLICY)
    ev = lib["p"]._evaluator(None)
    facts = {"share": BIG, "weight": Decimal("6.67"), "day": dt.date(2024, 1, 1)}
    with decimal.localcontext() as ctx:
        ctx.prec = 2
        run = Interpreter(ev.layout, lib["p"].validate(facts), dt.date(2024, 1, 1)).run()
    compiled = lib["p"].evaluate(facts)
    for key, value in run.items():
        if key[1] in ("product", "total", "negated", "third"):
            assert value == compiled[key[1]], key


@pytest.mark.parametrize("as_of", [dt.datetime(2024, 3, 1, 12), "2024-03-01", 20240301])
def test_evaluate_refuses_an_as_of_that_is_no_date_clearly(as_of: object) -> None:
    lib = kprules.loads(VOCAB, POLICY)
    with pytest.raises(TypeError, match=r"as_of must be a datetime\.date such as"):
        lib["p"].evaluate({"share": 1}, as_of=as_of)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"as_of must be a datetime\.date such as"):
        lib["p"].function(as_of=as_of)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["20240301", "2024-W10-1", "2024-061", "2024-03-01T00:00"])
def test_as_of_on_the_command_line_reads_dates_as_case_files_do(text: str,
                                                                 tmp_path: Path) -> None:
    (tmp_path / "lots.jsonl").write_text('{"share": 1}\n', encoding="utf-8")
    (tmp_path / "v.kpr").write_text(VOCAB, encoding="utf-8")
    (tmp_path / "p.kpr").write_text(POLICY, encoding="utf-8")
    args = ["eval", str(tmp_path / "p.kpr"), str(tmp_path / "v.kpr"), "--cases",
            str(tmp_path / "lots.jsonl")]
    bad = CliRunner().invoke(cli, [*args, "--as-of", text])
    assert bad.exit_code == 2 and "is not a date such as 2024-03-01" in bad.output
    good = CliRunner().invoke(cli, [*args, "--as-of", "2024-03-01"])
    assert good.exit_code == 0, good.output


def test_a_line_at_an_end_of_the_calendar_is_no_cut_off() -> None:
    policy = """policy edges "e"
  status current
  reads lots

define late "l" = day > 9999-12-31 or day < 0001-01-01 or day >= 2024-01-01
"""
    lib = kprules.loads(VOCAB, policy)
    cuts = policy_cut_offs(lib["edges"].checked)
    assert [c.what for c in cuts] == ["`day >= 2024-01-01`"]


def test_boundaries_strict_on_the_last_day_of_the_calendar(tmp_path: Path) -> None:
    (tmp_path / "v.kpr").write_text(VOCAB, encoding="utf-8")
    (tmp_path / "p.kpr").write_text('policy edges "e"\n  status current\n  reads lots\n\n'
                                    'define late "l" = day > 9999-12-31\n', encoding="utf-8")
    (tmp_path / "c.toml").write_text('[case]\nid = "c-1"\ntitle = "t"\nsources = ["x"]\n'
                                     '[facts]\nday = 2024-01-01\n[expect]\n'
                                     '"edges.late" = false\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(tmp_path), "--boundaries-strict"])
    assert result.exit_code == 0, result.output
    assert "0 of 0 sides" in result.output


def test_a_seed_whose_front_matter_python_cannot_read(tmp_path: Path) -> None:
    seed = tmp_path / "core.md"
    seed.write_text("+++\ntitle = \"Core\"\npages = " + "9" * 5000 + "\n+++\n\nThe text.\n",
                    encoding="utf-8")
    read = read_seed(seed)
    assert read.meta == {} and read.title == "core" and read.contains("The text.")


@pytest.mark.parametrize("quote", ["", "   ", "...", " \u2026 , ... ;"])
def test_a_quotation_of_nothing_is_in_no_seed(tmp_path: Path, quote: str) -> None:
    seed = tmp_path / "core.md"
    seed.write_text("The text... of it.\n", encoding="utf-8")
    assert not read_seed(seed).contains(quote)
    assert read_seed(seed).contains("The text ... of it")


@pytest.mark.parametrize("given", ["Ste X", "Ste  X", " Ste\u00a0X\n", "Ste\u2003\tX"])
def test_text_facts_fold_white_space_as_policy_strings_do(given: str) -> None:
    vocab = 'facts lots "lots"\nfact exporter: text "who"\n'
    policy = ('policy p "p"\n  status current\n  reads lots\n\n'
              'define named "n" = exporter = "Ste   X"\n')
    lib = kprules.loads(vocab, policy)
    assert lib["p"].evaluate({"exporter": given})["named"] is True


def test_text_facts_fold_white_space_in_data_files_too(tmp_path: Path) -> None:
    from kprules.cases.bulk import Record, jsonl_records

    lib = kprules.loads('facts lots "lots"\nfact exporter: text "who"\n')
    records = list(jsonl_records(['{"exporter": " Ste\\u00a0\\u00a0X "}\n'], "lots.jsonl",
                                 lib.result.vocabularies["lots"]))
    assert isinstance(records[0], Record) and records[0].facts["exporter"] == "Ste X"


@settings(max_examples=300, deadline=None)
@given(digits=st.integers(min_value=0, max_value=10 ** 38), places=st.integers(0, 12),
       zeros=st.integers(0, 6), negative=st.booleans())
def test_a_decimal_is_normalised_with_every_digit_whatever_the_context(
        digits: int, places: int, zeros: int, negative: bool) -> None:
    """`arith.normal` (the reports' and the SQL readers' text of a decimal) keeps every digit:
    `Decimal.normalize` rounded a total of 30 digits to the thread's 28."""
    from kprules.eval.arith import normal

    value = Decimal((int(negative), tuple(map(int, str(digits * 10 ** zeros))), -places))
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        got = normal(value)
    text = format(got, "f")
    assert got == value and Decimal(text) == value  # every digit
    assert got.as_tuple().exponent <= 0  # 10, not 1E+1
    assert "." not in text or not text.endswith("0")  # no trailing zero
