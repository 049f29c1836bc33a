"""Assertions: `assert name: a.term implies b.term` parses, prints back, is checked (located
errors), and `kprules check --prove` proves each or prints a counterexample as a case file that
`kprules test` accepts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import kprules
from kprules.analysis.symbolic.prove import prove_all
from kprules.cli import cli
from kprules.core.diagnostics import PolicyError
from kprules.core.source import Source
from kprules.syntax.canonical import canonical_text
from tests.symbolic import gen

ROOT = Path(__file__).resolve().parents[2]

BASE = "policy p1\n  reads gen\n\ndefine t = b0 and e = k1\ndefine w_big = w >= 1.0 ct\n"
WIDER = "policy p2\n  amends p1\n\nredefine t = base.t or b1\n"


def run(args: list[str], cwd: Path) -> tuple[str, int]:
    import os

    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output, result.exit_code


def write(folder: Path, wider: str) -> Path:
    (folder / "gen.kpr").write_text(gen.VOCAB)
    (folder / "p1.kpr").write_text(BASE)
    (folder / "p2.kpr").write_text(wider)
    return folder


def test_the_bundled_assertions_are_proved() -> None:
    out, code = run(["check", "--prove", "policies/"], ROOT)
    assert code == 0, out
    assert "6 assertions: 6 proved, 0 failed" in out
    assert ("proved state_actors: assert broadens: kpcs_2003.conflict_diamond implies "
            "state_actors.conflict_diamond") in out


def test_a_true_assertion_is_proved(tmp_path: Path) -> None:
    write(tmp_path, WIDER + "\nassert widens: p1.t implies p2.t\n")
    out, code = run(["check", "--prove", "--no-seeds", "."], tmp_path)
    assert code == 0, out
    assert "proved p2: assert widens: p1.t implies p2.t" in out


def test_a_false_assertion_gives_a_counterexample_case(tmp_path: Path) -> None:
    write(tmp_path, WIDER + "\nassert narrows: p2.t implies p1.t\n")
    out, code = run(["check", "--prove", "--no-seeds", "."], tmp_path)
    assert code == 1
    assert "FAILED p2: assert narrows: p2.t implies p1.t" in out
    assert "1 assertion: 0 proved, 1 failed" in out
    case = "\n".join(line[4:] for line in out.splitlines() if line.startswith("    "))
    assert '[case]\nid = "counterexample-p2-narrows"' in case
    assert "# p2.t gives true\n# p1.t gives false" in case
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "counterexample.toml").write_text(case + "\n")
    tested, code = run(["test", "cases", "."], tmp_path)
    assert code == 0, tested


def test_the_library_proves_and_confirms() -> None:
    ws_texts = (gen.VOCAB, BASE, WIDER + "\nassert a: p1.t implies p2.t\n"
                "assert b: p2.t implies p1.t\nassert c: p1.t implies p1.t\n")
    lib = kprules.loads(*ws_texts)
    proofs = prove_all(lib.result.assertions, lib.result.policies)
    assert [(p.assertion.name, p.holds) for p in proofs] == [("a", True), ("b", False),
                                                            ("c", True)]
    w = proofs[1].counterexample
    assert w is not None and w.verified
    assert (w.base_value, w.other_value) == (True, False)


@pytest.mark.parametrize(("claim", "code", "message"), [
    ("assert x: p3.t implies p2.t", "KP200", "`p3` is not `p2` nor a policy it amends"),
    ("assert x: p1.tt implies p2.t", "KP200", "policy `p1` has no term `tt`"),
    ("assert x: p1.t implies p2.t\nassert x: p2.t implies p1.t", "KP201",
     "the assertion `x` is written twice in `p2`"),
    ("assert define: p1.t implies p2.t", None, None),
])
def test_bad_assertions_are_located(claim: str, code: str | None, message: str | None) -> None:
    if code is None:  # a keyword where a name should be: a syntax error
        with pytest.raises(PolicyError):
            kprules.loads(gen.VOCAB, BASE, WIDER + claim + "\n")
        return
    with pytest.raises(PolicyError) as err:
        kprules.loads(gen.VOCAB, BASE, WIDER + claim + "\n")
    found = [(d.code, d.message) for d in err.value.diagnostics if d.is_error]
    assert (code, message) in found
    assert all(d.span is not None for d in err.value.diagnostics)


def test_a_missing_term_of_an_assertion_is_hinted_with_the_terms_there_are() -> None:
    with pytest.raises(PolicyError) as err:
        kprules.loads(gen.VOCAB, BASE, WIDER + "assert x: p1.zzzzzz implies p2.t\n")
    (d,) = [d for d in err.value.diagnostics if d.is_error]
    assert (d.code, d.message, d.hint) == ("KP200", "policy `p1` has no term `zzzzzz`",
                                           "its true/false terms are `t`, `w_big`")


def test_an_assertion_must_relate_true_false_terms() -> None:
    base = BASE + "define weight_class = if w >= 1.0 ct then e else k0\n"
    with pytest.raises(PolicyError) as err:
        kprules.loads(gen.VOCAB, base, WIDER + "assert x: p1.weight_class implies p2.t\n")
    (d,) = [d for d in err.value.diagnostics if d.is_error]
    assert d.code == "KP300"
    assert d.message == ("`p1.weight_class` is enum `kind`, and an assertion relates "
                         "true/false terms")


def test_fmt_prints_assertions_and_keeps_them_last() -> None:
    text = WIDER + "assert   widens :p1.t implies   p2.t  # the claim\n"
    out = canonical_text(Source("<p2>", text))
    assert out.endswith("\nassert widens: p1.t implies p2.t  # the claim\n")
    assert canonical_text(Source("<p2>", out)) == out


NUMS = 'facts v "v"\n  dated by d\nfact a: bool\nfact x: decimal\nfact d: date\n'


@pytest.mark.parametrize(("body", "witness"), [
    # cut points of 30 digits: the point between them is exact (28 digits rounded it out)
    ("define inside = x > 12345678901234567890123456789.1 and "
     "x < 12345678901234567890123456789.3",
     ("x", Decimal("12345678901234567890123456789.2"))),
    # the calendar's ends: nothing lies past them, and nothing fails there
    ("define inside = d >= 9999-12-31", ("d", dt.date.max)),
    ("define inside = d <= 0001-01-01", ("d", dt.date.min)),
])
def test_a_counterexample_at_the_ends_of_numbers_and_dates(body: str,
                                                          witness: tuple[str, Any]) -> None:
    lib = kprules.loads(NUMS, f'policy p\n  reads v\n\n{body}\ndefine never = a and not a\n\n'
                              "assert empty: p.inside implies p.never\n")
    (proof,) = prove_all(lib.result.assertions, lib.result.policies)
    assert not proof.holds and proof.counterexample is not None
    assert proof.counterexample.verified
    name, value = witness
    assert proof.counterexample.facts[name] == value


def test_a_search_that_is_not_exhaustive_proves_nothing(tmp_path: Path) -> None:
    """Arithmetic on a fact is computed at representative values only: no counterexample found
    is not a proof (x = 0.31 refutes this one), so the assertion is NOT PROVED, exit 1."""
    (tmp_path / "v.kpr").write_text(NUMS, encoding="utf-8")
    (tmp_path / "p.kpr").write_text('policy p\n  reads v\n\ndefine big = x * 3 > 1\n'
                                    "define over = x > 0.3\n\n"
                                    "assert arith: p.over implies p.big\n", encoding="utf-8")
    out, code = run(["check", "--prove", "--no-seeds", "."], tmp_path)
    assert code == 1
    assert ("NOT PROVED p: assert arith: p.over implies p.big\n  no counterexample found, but "
            "the search is not exhaustive: arithmetic on `x` is evaluated at representative "
            "values only\n1 assertion: 0 proved, 0 failed, 1 not decided\n"
            ) in out
