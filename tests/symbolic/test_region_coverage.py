"""`kprules test --region-coverage BASE OTHER`: which disjuncts of the disagreement regions the
case library reaches, and witness case files for the others."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kprules
from kprules.analysis.symbolic.coverage import CaseFacts, region_coverage
from kprules.cli import cli
from tests.symbolic import gen

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str]) -> tuple[str, int]:
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output, result.exit_code


def test_a_case_counts_only_in_the_disjunct_it_meets() -> None:
    lib = kprules.loads(gen.VOCAB, "policy p1\n  reads gen\n\ndefine t = b0\n",
                        "policy p2\n  reads gen\n\ndefine t = b0 and (e = k1 or w >= 1.0 ct)\n")
    cases = [CaseFacts("in-first", {"b0": True, "e": "k0", "w": 0}),
             CaseFacts("unknown-weight", {"b0": True, "e": "k0"}),
             CaseFacts("agree", {"b0": True, "e": "k1", "w": 0})]
    rows = region_coverage(lib["p1"].checked, lib["p2"].checked, ["t"], cases)
    assert [(r.region, r.disjunct.condition, r.cases) for r in rows] == [
        ("only under p1", "b0 and e != k1 and w < 1.0 ct", ("in-first",))]


PROPOSALS = sorted(p.stem for p in (ROOT / "policies" / "proposals").glob("*.kpr"))


@pytest.mark.parametrize("proposal", PROPOSALS)
def test_the_bundled_library_covers_every_region_of_every_proposal(proposal: str) -> None:
    out, code = run(["test", "policies/", "--region-coverage", "kpcs_2003", proposal])
    assert code == 0, out
    assert "-- NO CASE" not in out
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("region coverage: ") and last.endswith("(100.0%)"), last


def test_the_bundled_library_against_a_proposal(tmp_path: Path) -> None:
    """Without the generated region cases the sourced library leaves disjuncts uncovered."""
    library = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", library, ignore=shutil.ignore_patterns("region-cases"))
    witnesses = tmp_path / "witnesses"
    out, code = run(["test", str(library), "--region-coverage", "kpcs_2003", "state_actors",
                     "--region-witnesses", str(witnesses)])
    assert code == 0
    assert "covered by ru-alrosa-2022" in out
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("region coverage: ") and "disjuncts reached by a case" in last
    missing = out.count("-- NO CASE")
    assert len(list(witnesses.glob("*.toml"))) == missing > 0
    tested, code = run(["test", str(witnesses), str(library)])
    assert code == 0, tested


FIXTURES = ROOT / "tests" / "compare" / "fixtures"
WITNESS = '''\
# Written by kprules; a new run rewrites it. Delete this line to keep your edits.
[case]
id = "region-broad-trade-1"
title = "broad.trade: base_2003 gives permitted, broad gives prohibited: rough and funds_war \
and shipped_on >= 1998-01-01 and shipped_on < 2003-01-01"
sources = ["hypothetical: a witness of a region of kprules test --region-coverage"]

[facts]
rough = true
seller = "rebels"
funds_war = true
origin = "CF"
shipped_on = 1998-01-01
abuses = false

[expect]
# base_2003.trade gives "permitted"
# broad.trade gives "prohibited"
'''


def test_region_witnesses_are_labelled_and_rewritten(tmp_path: Path) -> None:
    """A witness names the base's term as `policy.term` (it said `base trade`) and says what
    found it (it said `kprules check --prove`); a second run into the same folder rewrites the
    files the first wrote (it stopped with KP604 on them), and keeps one a drafter edited."""
    shutil.copytree(FIXTURES, tmp_path / "fx")
    fx, witnesses = tmp_path / "fx", tmp_path / "fx" / "wit"
    args = ["test", str(fx / "policies"), str(fx / "cases"), "--region-coverage", "base_2003",
            "broad", "--region-witnesses", str(witnesses)]
    for _ in range(2):
        out, code = run(args)
        assert code == 0, out
    assert sorted(p.name for p in witnesses.iterdir()) == [
        "region-broad-trade-1.toml", "region-broad-trade-2.toml"]
    assert (witnesses / "region-broad-trade-1.toml").read_text() == WITNESS
    edited = witnesses / "region-broad-trade-2.toml"
    edited.write_text(edited.read_text().split("\n", 1)[1])
    out, code = run(args)
    assert code == 1
    assert (f"error[KP604]: cannot write witnesses to `{witnesses}`: `{edited}` was not "
            "written by kprules, or was edited") in out and "move it away" in out
    assert not edited.read_text().startswith("# Written by kprules")
