"""docs/limits.md and kprules/core/limits.py agree; the limits' helpers count as documented."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import kprules
from kprules.core import limits
from kprules.core.diagnostics import PolicyError
from kprules.core.limits import MAX_NUMBER_DIGITS, plain_digits
from kprules.eval.gen_accept import finite_decimal
from kprules.ir.types import DECIMAL, INTEGER
from kprules.ir.values import FactError, LongNumber, coerce, too_long

DOC = Path(__file__).resolve().parent.parent / "docs" / "limits.md"


def _rows() -> dict[str, tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    return {m.group(1): (m.group(2), m.group(3))
            for m in re.finditer(r"^\| ([^|]+?) \| ([^|]+?) \| (KP\d{3}) \|$", text, re.M)}


@pytest.mark.parametrize(("what", "value", "code"), [
    ("a policy or vocabulary file", limits.MAX_POLICY_BYTES, "KP102"),
    ("policy files read in one run, those found nearby included", limits.MAX_FILES, "KP191"),
    ("a number literal in a policy", limits.MAX_NUMBER_DIGITS, "KP114"),
    ("the elements of one set literal `{...}`", limits.MAX_SET_ELEMENTS, "KP190"),
    ("the dated pieces of one parameter", limits.MAX_PIECES, "KP290"),
    ("the rules and exceptions of one decision", limits.MAX_RULES, "KP291"),
    ("a chain of amendments, the first base included", limits.MAX_AMENDMENT_DEPTH, "KP292"),
    ("the clauses of all policies of one run, each with its bases", limits.MAX_CLAUSES,
     "KP293"),
    ("the digits an arithmetic result may need (bounded by the checker)",
     limits.MAX_RESULT_DIGITS, "KP390"),
    ("a case file (TOML)", limits.MAX_POLICY_BYTES, "KP102"),
    ("a number in a case or data file, in plain notation", limits.MAX_NUMBER_DIGITS, "KP490"),
    ("one line of a data file (JSON Lines, CSV)", limits.MAX_RECORD_BYTES, "KP491"),
])
def test_the_page_states_each_limit(what: str, value: int, code: str) -> None:
    shown, documented_code = _rows()[what]
    assert shown.split(" ")[0] == f"{value:,}"
    assert documented_code == code


@pytest.mark.parametrize(("number", "digits"), [
    (0, 1), (7, 1), (-123, 3), (10 ** 29, 30), (10 ** 30, 31), (10 ** 5000, 31),
    (Decimal("0.5"), 1), (Decimal("1.50"), 3), (Decimal("1E+2"), 3), (Decimal("0.001"), 3),
    (Decimal("1e999999999"), 1_000_000_000), (Decimal("-2.5e-40"), 41), (Decimal("0"), 1),
], ids=lambda v: "huge" if isinstance(v, int) and abs(v) > 10 ** 40 else str(v))
def test_plain_digits(number: int | Decimal, digits: int) -> None:
    assert plain_digits(number) == digits


@pytest.mark.parametrize("value", [10 ** 30, -(10 ** 30), 10 ** 5000, Decimal("1e999999999"),
                                   Decimal("1e-31"), LongNumber("9" * 5000)],
                         ids=["1e30", "-1e30", "1e5000", "1e999999999", "1e-31", "long"])
def test_numbers_past_the_limit_are_no_fact_value(value: object) -> None:
    assert too_long(value)
    for typ in (INTEGER, DECIMAL):
        with pytest.raises(FactError, match="at most 30 digits"):
            coerce(value, typ)


@pytest.mark.parametrize("text", ["9" * 31, "9" * 5000, "1e999999999", "0." + "0" * 40 + "1"])
def test_number_text_past_the_limit_is_refused_before_conversion(text: str) -> None:
    with pytest.raises(FactError, match="at most 30 digits"):
        coerce(text, DECIMAL if "." in text or "e" in text else INTEGER, from_text=True)


def test_numbers_at_the_limit_are_read() -> None:
    assert coerce("9" * 30, INTEGER, from_text=True) == 10 ** 30 - 1
    assert coerce(Decimal("0." + "0" * 29 + "1"), DECIMAL) == Decimal("1e-30")
    assert not too_long(True)


# ----------------------------------------------------------------------------- the checker

VOCAB = """facts lots "lots"
fact stones: integer "how many stones"
fact weight: carats "the weight"
fact day: date "the day"
"""
HEAD = 'policy {name} "{name}"\n  status current\n  reads lots\n\n'


def _codes(*texts: str) -> list[str]:
    with pytest.raises(PolicyError) as err:
        kprules.loads(VOCAB, *texts)
    return [d.code for d in err.value.diagnostics]


def test_forty_squarings_stop_at_the_first_result_past_the_limit() -> None:
    body = "define a0 \"a\" = stones\n" + "".join(
        f'define a{i} "a" = a{i - 1} * a{i - 1}\n' for i in range(1, 41))
    with pytest.raises(PolicyError) as err:
        kprules.loads(VOCAB, HEAD.format(name="squares") + body)
    [diag] = err.value.diagnostics
    assert diag.code == "KP390" and "1,920 digits" in diag.message
    assert diag.span is not None and err.value.diagnostics[0].span == diag.span


def test_five_squarings_stay_within_the_limit_and_are_exact() -> None:
    body = "define a0 \"a\" = stones\n" + "".join(
        f'define a{i} "a" = a{i - 1} * a{i - 1}\n' for i in range(1, 6))
    lib = kprules.loads(VOCAB, HEAD.format(name="squares") + body)
    n = 10 ** 30 - 1
    assert lib["squares"].evaluate({"stones": n})["a5"] == n ** 32


@pytest.mark.parametrize("pieces", [limits.MAX_PIECES + 1, 2_000])
def test_a_parameter_of_too_many_pieces(pieces: int) -> None:
    rows = "".join(f"  from {1000 + i:04}-01-01 until {1001 + i:04}-01-01 = {i} ct\n"
                   for i in range(pieces))
    text = HEAD.format(name="p") + 'parameter t: carats "t"\n' + rows
    assert _codes(text + 'define heavy "h" = weight > t\n') == ["KP290"]


def test_a_decision_of_too_many_rules() -> None:
    rules = "".join(f"  prohibited when stones = {i}\n" for i in range(limits.MAX_RULES + 1))
    text = HEAD.format(name="p") + "decision d: {permitted, prohibited}\n  default permitted\n"
    assert _codes(text + rules) == ["KP291"]


def test_a_set_literal_of_too_many_elements() -> None:
    items = ", ".join(str(i) for i in range(limits.MAX_SET_ELEMENTS + 1))
    assert _codes(HEAD.format(name="p") + f'define s "s" = stones in {{{items}}}\n') == ["KP190"]


@pytest.mark.parametrize("length", [limits.MAX_AMENDMENT_DEPTH + 1, 2_000])
def test_a_long_chain_of_amendments_is_one_error(length: int) -> None:
    chain = [HEAD.format(name="p0") + 'define x "x" = stones > 1\n'] + [
        f'policy p{i} "p{i}"\n  status proposed\n  amends p{i - 1}\n' for i in range(1, length)]
    with pytest.raises(PolicyError) as err:
        kprules.loads(VOCAB, *chain)
    [diag] = err.value.diagnostics
    assert diag.code == "KP292" and f"`p{limits.MAX_AMENDMENT_DEPTH}`" in diag.message


def test_a_chain_at_the_limit_checks() -> None:
    chain = [HEAD.format(name="p0") + 'define x "x" = stones > 1\n'] + [
        f'policy p{i} "p{i}"\n  status proposed\n  amends p{i - 1}\n'
        for i in range(1, limits.MAX_AMENDMENT_DEPTH)]
    lib = kprules.loads(VOCAB, *chain)
    assert lib[f"p{limits.MAX_AMENDMENT_DEPTH - 1}"].evaluate({"stones": 3})["x"] is True


def test_a_cycle_behind_a_long_chain_is_reported_once() -> None:
    chain = [f'policy p{i} "p{i}"\n  status proposed\n  amends p{(i - 1) % 300}\n'
             for i in range(300)]
    assert _codes(*chain) == ["KP204"]


def test_the_largest_integer_result_the_checker_admits_is_printed(tmp_path: Path) -> None:
    """An integer result past 4,300 digits failed at output (Python refuses to write it);
    KP390 keeps results under 1,000 digits, and those print in every format."""
    from click.testing import CliRunner

    from kprules.cli import cli

    body = "define a0 \"a\" = stones\n" + "".join(
        f'define a{i} "a" = a{i - 1} * a{i - 1}\n' for i in range(1, 6))
    (tmp_path / "v.kpr").write_text(VOCAB, encoding="utf-8")
    (tmp_path / "p.kpr").write_text(HEAD.format(name="squares") + body, encoding="utf-8")
    (tmp_path / "lots.jsonl").write_text('{"stones": ' + "9" * 30 + "}\n", encoding="utf-8")
    for fmt in ("text", "csv", "json"):
        result = CliRunner().invoke(cli, ["eval", str(tmp_path / "p.kpr"), str(tmp_path / "v.kpr"),
                                          "--cases", str(tmp_path / "lots.jsonl"), "--format",
                                          fmt, "--term", "a5"])
        assert result.exit_code == 0, result.output
        assert str((10 ** 30 - 1) ** 32)[:50] in result.output.replace("\n", "").replace(" ", "")


def _decimal(sign: int, coefficient: int, exponent: int) -> Decimal:
    return Decimal((sign, tuple(int(d) for d in str(coefficient)), exponent))


@given(st.builds(_decimal, st.integers(0, 1), st.integers(0, 10**34) | st.integers(0, 99),
                 st.integers(-36, 36))
       | st.decimals(allow_nan=True, allow_infinity=True))
@example(Decimal("1.000000000000000000000000000001"))  # 31 digits, 30 of them after the point
@example(Decimal("123456789012345678901234567890.5"))
@example(Decimal("0E+40"))
@example(Decimal("0E-30"))
@example(Decimal("9" * 30))
def test_the_acceptors_digit_test_counts_as_plain_digits(value: Decimal) -> None:
    """The generated validator's test of a decimal agrees with the limit `coerce` applies."""
    fits = value.is_finite() and plain_digits(value) <= MAX_NUMBER_DIGITS
    assert finite_decimal(value) == fits, value
