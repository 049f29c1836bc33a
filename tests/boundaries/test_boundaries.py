"""Boundary coverage (kprules.analysis.boundaries, `kprules test --boundaries`): every cut-off date
and
threshold of a policy, and whether the cases exercise it from both sides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules import loads
from kprules.analysis.boundaries import Boundaries, boundary_lines, policy_cut_offs
from kprules.analysis.testing import Runner
from kprules.api import Library
from kprules.cases.files import read_suite
from kprules.cli import cli
from kprules.cli.common import load_and_check
from kprules.core.files import display_name

ROOT = Path(__file__).resolve().parent.parent.parent
Golden = Callable[[Path, str], None]

VOCABULARY = """facts trade
  dated by shipped_on
fact mined_in: country
fact weight: carats
fact shipped_on: date
fact mined_on: date
"""

POLICY = """policy ban "A ban with a dated threshold"
  status current
  in force from 2003-01-01
  reads trade

parameter threshold: carats
  from 2024-03-01 = 1.0 ct
  from 2024-09-01 = 0.5 ct

decision import: {allowed, banned}
  default allowed
  banned when mined_in = RU and weight >= threshold
    from 2024-03-01
  banned when mined_in = CF and mined_on < 2015-07-17
    from 2013-05-23 until 2024-11-15
"""

HEAD = """[family]
id = "f"
title = "shipments"
sources = ["made up for the test"]
[family.facts]
mined_in = "RU"
mined_on = 2010-01-01
weight = 0.1
"""


def case(ident: str, outcome: str, **facts: object) -> str:
    shown = ", ".join(f"{k} = {v}" for k, v in facts.items())
    return (f'\n[[case]]\nid = "{ident}"\ntitle = "{ident}"\nfacts = {{ {shown} }}\n'
            f'expect = {{ "ban.import" = "{outcome}" }}\n')


def write(folder: Path, cases: str) -> Path:
    (folder / "trade.kpr").write_text(VOCABULARY)
    (folder / "ban.kpr").write_text(POLICY)
    (folder / "cases.toml").write_text(HEAD + cases)
    return folder


def report(folder: Path) -> str:
    ws, result = load_and_check([folder], use_seeds=False)
    lib = Library(ws, result)
    suite = read_suite([folder / "cases.toml"], lib)
    assert not suite.diagnostics
    bounds = Boundaries.of(p.checked for p in lib.values())
    for found, trace in Runner(lib, suite).run(traces=True):
        assert trace is not None and all(c.passed for c in found)
        bounds.add(trace.evaluator.layout, trace.slots, trace.facts, trace.as_of, trace.keys,
                   found[0].case.id)
    return "\n".join(boundary_lines(bounds, {}, width=1000)) + "\n"


def test_the_cut_offs_of_a_policy() -> None:
    policy = loads(VOCABULARY, POLICY)["ban"].checked
    assert [(c.what, [s.label for s in c.sides]) for c in policy_cut_offs(policy)] == [
        ("policy `ban` in force from 2003-01-01",
         ["2002-12-31 (the day before)", "2003-01-01 (the day of)"]),
        ("`threshold` = 0.5 ct from 2024-09-01",
         ["2024-08-31 (the day before)", "2024-09-01 (the day of)"]),
        ("rule `banned when mined_in = RU and weight >= threshold` from 2024-03-01",
         ["2024-02-29 (the day before)", "2024-03-01 (the day of)"]),
        ("`weight >= threshold` while `threshold` is 0.5 ct", ["below 0.5 ct", "exactly 0.5 ct"]),
        ("`weight >= threshold` while `threshold` is 1.0 ct", ["below 1.0 ct", "exactly 1.0 ct"]),
        ("rule `banned when mined_in = CF and mined_on < 2015-07-17` from 2013-05-23",
         ["2013-05-22 (the day before)", "2013-05-23 (the day of)"]),
        ("rule `banned when mined_in = CF and mined_on < 2015-07-17` until 2024-11-15",
         ["2024-11-14 (the day before)", "2024-11-15 (the first day after)"]),
        ("`mined_on < 2015-07-17`", ["2015-07-16 (the day before)", "2015-07-17 (the day of)"]),
    ]


def all_sides() -> str:
    return (case("policy-before", "allowed", shipped_on="2002-12-31")
            + case("policy-from", "allowed", shipped_on="2003-01-01")
            + case("ban-before", "allowed", shipped_on="2024-02-29", weight=2)
            + case("ban-from", "banned", shipped_on="2024-03-01", weight=1.0)
            + case("below-one", "allowed", shipped_on="2024-04-01", weight=0.99)
            + case("half-before", "allowed", shipped_on="2024-08-31", weight=0.5)
            + case("half-from", "banned", shipped_on="2024-09-01", weight=0.5)
            + case("below-half", "allowed", shipped_on="2024-10-01", weight=0.49)
            + case("car-before", "allowed", mined_in='"CF"', shipped_on="2013-05-22")
            + case("car-from", "banned", mined_in='"CF"', shipped_on="2013-05-23")
            + case("car-mined-before", "banned", mined_in='"CF"', shipped_on="2016-01-01",
                   mined_on="2015-07-16")
            + case("car-mined-from", "allowed", mined_in='"CF"', shipped_on="2016-01-01",
                   mined_on="2015-07-17")
            + case("car-last", "banned", mined_in='"CF"', shipped_on="2024-11-14")
            + case("car-after", "allowed", mined_in='"CF"', shipped_on="2024-11-15"))


def test_every_side_exercised(tmp_path: Path) -> None:
    assert report(write(tmp_path, all_sides())) == \
        "boundary coverage: 100.0% (16 of 16 sides of 8 cut-offs)\n"


def test_the_sides_no_case_exercises_are_listed(tmp_path: Path) -> None:
    cases = (case("ban-before", "allowed", shipped_on="2024-02-29", weight=2)
             + case("ban-from", "banned", shipped_on="2024-03-01", weight=1.0)
             + case("below-one", "allowed", shipped_on="2024-04-01", weight=0.99)
             + case("car-from", "banned", mined_in='"CF"', shipped_on="2013-05-23"))
    where = display_name(tmp_path / "ban.kpr")
    rule = "rule `banned when mined_in = CF and mined_on < 2015-07-17`"
    assert report(write(tmp_path, cases)).splitlines() == [
        "boundary coverage: 31.2% (5 of 16 sides of 8 cut-offs)",
        "  ban: 6 cut-offs not exercised from both sides",
        f"    {where}  policy `ban` in force from 2003-01-01: no case 2002-12-31 (the day before)"
        " or 2003-01-01 (the day of)",
        f"    {where}  `threshold` = 0.5 ct from 2024-09-01: no case 2024-08-31 (the day before)"
        " or 2024-09-01 (the day of)",
        f"    {where}  `weight >= threshold` while `threshold` is 0.5 ct: no case below 0.5 ct"
        " or exactly 0.5 ct",
        f"    {where}  {rule} from 2013-05-23: no case 2013-05-22 (the day before)",
        f"    {where}  {rule} until 2024-11-15: no case 2024-11-14 (the day before) or 2024-11-15"
        " (the first day after)",
        f"    {where}  `mined_on < 2015-07-17`: no case 2015-07-16 (the day before) or 2015-07-17"
        " (the day of)",
    ]


def test_a_shadowed_rule_counts_when_its_condition_holds(tmp_path: Path) -> None:
    """A CF shipment of 2013-05-22 never reaches the CAR rule (not yet in force), and one on
    2024-02-29 from Russia is decided before it; but a rule whose condition holds for a case on
    a side's date exercises that side, whichever rule decided."""
    shadowing = POLICY.replace("  banned when mined_in = CF", "  allowed when mined_in = CF and "
                               "weight > 5\n  banned when mined_in = CF")
    folder = write(tmp_path, case("car-big-before", "allowed", mined_in='"CF"', weight=9,
                                  shipped_on="2013-05-22")
                   + case("car-big-from", "allowed", mined_in='"CF"', weight=9,
                          shipped_on="2013-05-23"))
    (folder / "ban.kpr").write_text(shadowing)
    assert "from 2013-05-23:" not in report(folder)


def run_cli(folder: Path, *args: str) -> tuple[str, int]:
    result = CliRunner().invoke(cli, ["test", str(folder), *args])
    return result.output, result.exit_code


@pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 1)])
def test_cli_reports_and_fails_only_when_strict(tmp_path: Path, strict: bool, code: int,
                                                golden: Golden) -> None:
    folder = write(tmp_path, case("one", "allowed", shipped_on="2024-04-01", weight=0.99))
    out, status = run_cli(folder, "--boundaries-strict" if strict else "--boundaries")
    assert status == code, out
    assert "boundary coverage: 6.2% (1 of 16 sides of 8 cut-offs)" in out
    if strict:
        last = out.splitlines()[-1]
        assert last == "error[KP608]: 15 sides of the policies' cut-offs not exercised by any case"
        golden(ROOT / "tests" / "golden" / "errors" / "KP608.err", f"{last}\nexit: {status}\n")


def test_cli_passes_when_every_side_is_exercised(tmp_path: Path) -> None:
    out, status = run_cli(write(tmp_path, all_sides()), "--boundaries-strict")
    assert status == 0, out
    assert "boundary coverage: 100.0% (16 of 16 sides of 8 cut-offs)" in out


def test_cli_output(tmp_path: Path, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole `kprules test --boundaries` output (docs/compare.md quotes it)."""
    cases = (case("ban-before", "allowed", shipped_on="2024-02-29", weight=2)
             + case("ban-from", "banned", shipped_on="2024-03-01", weight=1.0)
             + case("below-one", "allowed", shipped_on="2024-04-01", weight=0.99)
             + case("car-from", "banned", mined_in='"CF"', shipped_on="2013-05-23"))
    write(tmp_path, cases)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["test", ".", "--boundaries"])
    golden(ROOT / "tests" / "golden" / "reports" / "boundaries" / "test-boundaries.txt",
           result.output + f"exit: {result.exit_code}\n")


OTHER = """policy other "Another policy over the same facts"
  status proposed
  reads trade

define heavy = weight >= 1.0 ct
"""


def test_cases_on_the_date_that_expect_another_policy_are_named(tmp_path: Path) -> None:
    """A cut-off side with cases dated that day, none of which reaches it (they expect only
    another policy), says so instead of claiming there is no case on that date."""
    folder = write(tmp_path, all_sides().replace(
        'id = "policy-before"', 'id = "policy-before-other"').replace(
        'expect = { "ban.import" = "allowed" }\n',
        'expect = { "other.heavy" = false }\n', 1))
    (folder / "other.kpr").write_text(OTHER)
    where = display_name(tmp_path / "ban.kpr")
    assert report(folder).splitlines()[1:3] == [
        "  ban: 1 cut-off not exercised from both sides",
        f"    {where}  policy `ban` in force from 2003-01-01: no case 2002-12-31 (the day before)"
        " reaches it (dated that day but expecting other policies or stopping before it: "
        "policy-before-other)"]
