"""A division by zero (KP500 when evaluated) is no internal error of `diff`, `check --prove` or
`compare`: a witness avoids the points where a division may divide by zero when its disjunct
has others; where it has none, the witness is reported unconfirmed, with the evaluator's error,
and a counterexample that stops the evaluation proves nothing and refutes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli

VOCAB = "facts lots\nfact share: decimal\n"
BASE = "policy a\n  status current\n  reads lots\n\ndefine y = {}\n"
OTHER = "policy b\n  status proposed\n  amends a\n\nredefine y = {}\n{}"
NOTE = ("  not exhaustive: arithmetic on `share` is evaluated at representative values only; a "
        "division may\n    divide by zero\n")


def run(folder: Path, base: str, other: str, args: list[str], claim: str = "") -> tuple[str, int]:
    (folder / "v.kpr").write_text(VOCAB)
    (folder / "a.kpr").write_text(BASE.format(base))
    (folder / "b.kpr").write_text(OTHER.format(other, claim))
    (folder / "cases").mkdir(exist_ok=True)
    (folder / "cases" / "c.toml").write_text(
        '[case]\nid = "half"\ntitle = "half"\nsources = ["x"]\n\n[facts]\nshare = 0.5\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        result = CliRunner().invoke(cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output, result.exit_code


def test_a_witness_avoids_the_division_by_zero(tmp_path: Path) -> None:
    out, code = run(tmp_path, "1 / share > 1 or share = 0", "false",
                    ["diff", "a.kpr", "b.kpr", "--policies", "."])
    assert code == 0
    assert out.endswith(  # the verdict is prose, wrapped at spaces, not at its ` and `
        "b.y against a.y: narrower: b holds only where a does, and not everywhere (on the fact "
        "sets tried:\n  the search is not exhaustive)\n"
        + NOTE + "  only under a:\n    1. share >= 0 and share < 1\n"
        "       witness (true -> false): share = 0.5\n"
        "       caused by: b.y (line 5); a.y (line 5)\n  only under b: nowhere\n"
        "  one decides, the other is unknown: where one of these facts is unknown: share "
        "(--unknowns lists\n    the region)\n")


def test_a_counterexample_avoids_the_division_by_zero(tmp_path: Path) -> None:
    out, code = run(tmp_path, "1 / share > 1 or share = 0", "false",
                    ["check", "--prove", "--no-seeds", "."],
                    "\nassert never: a.y implies b.y\n")
    assert code == 1
    assert "FAILED b: assert never" in out and "share = 0.5\n" in out
    assert "1 assertion: 0 proved, 1 failed\n" in out


def test_compare_with_cases_reports_the_region(tmp_path: Path) -> None:
    out, code = run(tmp_path, "1 / share > 1 or share = 0", "false",
                    ["compare", "a", "b", "--policies", ".", "--cases", "cases"])
    assert code == 0, out
    assert "b.y: narrower (not exhaustive) -- only under a: share >= 0 and share < 1" in out


def test_a_witness_only_at_a_division_by_zero_is_unconfirmed(tmp_path: Path) -> None:
    out, code = run(tmp_path, "share / share > 0.5", "share != 0",
                    ["diff", "a.kpr", "b.kpr", "--policies", ".", "--unknowns"])
    assert code == 0
    assert out.endswith(
        "  one decides, the other is unknown:\n    1. share = 0\n"
        "       witness (unknown -> false, unconfirmed: evaluating it stops, KP500: division "
        "by zero):\n         share = 0\n"
        "       caused by: b.y (line 5); a.y (line 5)\n")
    out, code = run(tmp_path, "share / share > 0.5", "share != 0",
                    ["diff", "a.kpr", "b.kpr", "--policies", "."])
    assert out.endswith(
        "  one decides, the other is unknown: where every fact is known but a computation has "
        "no value (a\n    division by zero) (--unknowns lists the region)\n")


def test_a_counterexample_only_at_a_division_by_zero_decides_nothing(tmp_path: Path) -> None:
    out, code = run(tmp_path, "1 / share > 1000 or share = 0", "false",
                    ["check", "--prove", "--no-seeds", "."],
                    "\nassert never: a.y implies b.y\n")
    assert code == 1
    assert out.endswith(
        "NOT PROVED b: assert never: a.y implies b.y\n  the only counterexamples found stop "
        "the evaluation (KP500: division by zero), such as: share = 0\n"
        "1 assertion: 0 proved, 0 failed, 1 not decided\n")
    out, code = run(tmp_path, "1 / share > 1000 or share = 0", "false",
                    ["diff", "a.kpr", "b.kpr", "--policies", ".", "--write-witnesses", "w"])
    assert code == 0
    assert "# unconfirmed: evaluating these facts stops, KP500: division by zero\n" in \
        (tmp_path / "w" / "diff-b-y-only-base-1.toml").read_text()
