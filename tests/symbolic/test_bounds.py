"""The symbolic difference on texts whose answer is exponentially large: it stops within its
bounds (docs/symbolic.md, "Limits") and says so, instead of running for minutes.

Two shapes of small text: `(a01 and b01) or ... or (aN and bN)` against the same without its
last pair, whose region takes 2^(N-1) conditions to write (the cover is bounded: the first
MAX_LISTED are listed, each exact, and the region is marked incomplete); and the same with every
`a` first mentioned before every `b` (in `pre`), whose decision diagrams grow exponentially (the
manager is bounded: the term is `too_large`). Before the bounds, N = 16 of the first ran for
more than 5 minutes, and N = 14 of the second took 2.7 GB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kprules import loads as load_texts
from kprules.analysis.symbolic.cover import MAX_LISTED, cover, cube_node
from kprules.analysis.symbolic.engine import Space, symbolic_diff
from kprules.analysis.symbolic.mdd import MAX_NODES, Manager, TooLarge
from kprules.cli import cli


def texts(n: int, ordered: bool = False) -> tuple[str, str, str]:
    """The vocabulary and the two policies of size `n` (`ordered`: every `a` first)."""
    facts = "facts v\n\n" + "".join(f"fact a{i:02}: bool\nfact b{i:02}: bool\n"
                                    for i in range(n))
    pre = "define pre = " + " or ".join(f"a{i:02}" for i in range(n)) + "\n" if ordered else ""

    def policy(name: str, pairs: int) -> str:
        x = " or ".join(f"(a{i:02} and b{i:02})" for i in range(pairs))
        return (f'policy {name} "{name}"\n  status current\n  reads v\n\n{pre}'
                f"define x = {'pre and ' if ordered else ''}({x})\n")

    return facts, policy("p", n), policy("q", n - 1)


def test_a_region_too_long_to_write_lists_its_first_conditions() -> None:
    lib = load_texts(*texts(12))
    (d,) = symbolic_diff(lib["p"].checked, lib["q"].checked, ["x"])
    region = next(r for r in d.regions if r.kind == "only_base")
    assert d.verdict == "narrower" and d.exhaustive
    assert len(region.disjuncts) == MAX_LISTED and not region.complete
    assert all(x.witness.verified for x in region.disjuncts)  # each listed one is exact
    assert all(x.witness.base_value is True and x.witness.other_value is False
               for x in region.disjuncts)
    small = load_texts(*texts(4))
    (d,) = symbolic_diff(small["p"].checked, small["q"].checked, ["x"])
    assert all(r.complete for r in d.regions)


def test_diagrams_too_large_stop_the_term_with_a_note() -> None:
    lib = load_texts(*texts(11, ordered=True))
    pre, x = symbolic_diff(lib["p"].checked, lib["q"].checked, ["pre", "x"])
    assert pre.verdict == "equivalent" and pre.exhaustive
    assert (x.verdict, x.regions, x.exhaustive) == ("too_large", (), False)
    assert x.notes == ("stopped: the texts need more than 200,000 decision nodes or 1,000,000 "
                       "steps to compare (`--max-nodes` of `kprules diff` and `kprules check` "
                       "allows more); cases and `kprules test` still check them "
                       "(docs/symbolic.md, Limits)",)


def test_diff_and_compare_report_the_bounds(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in zip(("v.kpr", "p.kpr", "q.kpr"), texts(11, ordered=True), strict=True):
        Path(name).write_text(text, encoding="utf-8")
    Path("kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", "p", "q", "--term", "x"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[3:] == [
        "  q.x: not compared (too large) (not exhaustive)",
        "",
        "q.x against p.x: not compared: too large (see the note)",
        "  not exhaustive: stopped: the texts need more than 200,000 decision nodes or "
        "1,000,000 steps to",
        "    compare (`--max-nodes` of `kprules diff` and `kprules check` allows more); cases "
        "and `kprules",
        "    test` still check them (docs/symbolic.md, Limits)",
    ]
    Path("cases").mkdir()
    Path("cases/c.toml").write_text('[case]\nid = "c"\ntitle = "c"\nsources = ["hypothetical"]'
                                    '\n\n[facts]\na00 = true\nb00 = true\n', encoding="utf-8")
    report = CliRunner().invoke(cli, ["compare", "p", "q", "--cases", "cases", "--term", "x",
                                      "--format", "json"])
    assert report.exit_code == 0, report.output
    (entry,) = json.loads(report.stdout)["symbolic"]
    assert (entry["verdict"], entry["exhaustive"], entry["regions"]) == ("too_large", False, [])


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 40), st.integers(1, 60))
def test_a_bounded_cover_is_inside_its_region(n: int, most: int) -> None:
    """Whatever `most`, the cubes given lie inside the region, there are at most `most`, and
    when they are said to be complete their union is the region."""
    m = Manager([2] * 2 * n)
    # (v0 and v1) or (v2 and v3) or ...: n cubes; its negation takes 2^n
    pairs = m.disj_all([m.conj(m.var_in(2 * i, {1}), m.var_in(2 * i + 1, {1}))
                        for i in range(n)])
    universe = [frozenset({0, 1})] * (2 * n)
    for region in (pairs, m.neg(pairs)):
        cubes, complete = cover(m, region, universe, most=most)
        union = m.disj_all([cube_node(m, c, universe) for c in cubes])
        assert len(cubes) <= most and m.implies(union, region)
        assert union == region or not complete


def test_a_manager_stops_past_its_nodes_or_steps() -> None:
    m = Manager([2] * 40, max_nodes=1_000)
    with pytest.raises(TooLarge, match="more than 1,000 decision nodes"):
        order = [m.conj(m.var_in(i, {1}), m.var_in(i + 20, {1})) for i in range(20)]
        m.disj_all(order)
    space = Space([(load_texts(*texts(3))["p"].checked, "x")], None)
    assert space.m.max_nodes == 200_000 and space.m.max_steps == 1_000_000
    space = Space([(load_texts(*texts(3))["p"].checked, "x")], None, max_nodes=3_000)
    assert space.m.max_nodes == 3_000 and space.m.max_steps == 15_000


def test_max_nodes_lets_diff_go_further_or_stop_sooner(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven ordered pairs fit in the default bound but not in 2,000 nodes; ten pairs are
    `too_large` by default and compared with --max-nodes 2000000 (5 s, 260 MB)."""
    monkeypatch.chdir(tmp_path)

    def verdict(pairs: int, *options: str) -> str:
        for name, text in zip(("v.kpr", "p.kpr", "q.kpr"), texts(pairs, ordered=True),
                              strict=True):
            Path(name).write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["diff", "p", "q", "--term", "x", "--format", "json",
                                          *options])
        assert result.exit_code == 0, result.output
        (pair,) = json.loads(result.stdout)["pairs"]
        (term,) = pair["terms"]
        return str(term["verdict"])

    Path("kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    assert verdict(7) == "narrower"
    assert verdict(7, "--max-nodes", "2000") == "too_large"
    assert verdict(10) == "too_large"
    assert verdict(10, "--max-nodes", "2000000") == "narrower"
    bad = CliRunner().invoke(cli, ["diff", "p", "q", "--max-nodes", "10"])
    assert bad.exit_code == 2 and "10 is not in the range x>=1000" in bad.output



def test_check_prove_and_decisions_say_what_they_could_not_decide(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a budget too small for the bundled policies (50 nodes): an assertion is NOT
    PROVED, with the note, counted apart from the failed ones (exit 1); a decision says it was
    not analysed."""
    import kprules.analysis.symbolic.engine as engine

    monkeypatch.setattr(engine, "Manager", lambda sizes, _nodes: Manager(sizes, max_nodes=50,
                                                                      max_steps=1_000_000))
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check", "--prove", "policies/"])
    note = ("stopped: the texts need more than 50 decision nodes or 1,000,000 steps to "
            "compare (`--max-nodes` of `kprules diff` and `kprules check` allows more); cases "
            "and `kprules test` still check them (docs/symbolic.md, Limits)")
    assert result.exit_code == 1, result.output
    assert ("NOT PROVED state_actors: assert broadens: kpcs_2003.conflict_diamond implies "
            f"state_actors.conflict_diamond\n  {note}\n") in result.output
    assert "6 assertions: 0 proved, 0 failed, 6 not decided\n" in result.output
    result = CliRunner().invoke(cli, ["check", "--decisions", "policies/kpcs_2003.kpr"])
    assert "kpcs_2003.rough_trade (not exhaustive):\n  not analysed: stopped: the texts need " \
        "more than 50" in result.output, result.output


def test_check_max_nodes_bounds_proofs_and_decisions(monkeypatch: pytest.MonkeyPatch) -> None:
    """`check --decisions --max-nodes 1000`: the KPCS decision `rough_trade` needs more (it is
    analysed with the default); the proofs take the same bound (the library's `prove_all`)."""
    from kprules import load
    from kprules.analysis.symbolic.prove import prove_all
    from kprules.cli.inputs import DEFAULT_NODES

    assert DEFAULT_NODES == MAX_NODES  # the option's default is the analysis' own
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    args = ["check", "--decisions", "policies/kpcs_2003.kpr"]
    small = CliRunner().invoke(cli, [*args, "--max-nodes", "1000"])
    assert "kpcs_2003.rough_trade (not exhaustive):\n  not analysed: stopped: the texts need " \
        "more than 1,000 decision nodes or 5,000 steps" in small.output, small.output
    assert "not analysed" not in CliRunner().invoke(cli, args).output
    result = load("policies").result
    assert [p.holds for p in prove_all(result.assertions, result.policies)] == [True] * 6
    bounded = prove_all(result.assertions, result.policies, max_nodes=50)
    assert [(p.holds, p.counterexample) for p in bounded] == [(False, None)] * 6
