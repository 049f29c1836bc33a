"""The symbolic difference in `kprules compare` (issue 9): each proposal's verdict and regions
next to the case-based summary, in every format, and `--no-symbolic` to leave it out."""

from __future__ import annotations

import json

import pytest

from kprules.analysis.symbolic import symbolic_diff
from kprules.api import load
from kprules.report.symbolic import compact, region_text
from tests.compare.test_golden import FIX, POLICIES, run

ARGS = ["compare", "base_2003", "narrow", "broad", "--cases", f"{FIX}/cases", *POLICIES]


def test_json_header_holds_the_symbolic_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run([*ARGS, "--format", "json"], monkeypatch)
    assert code == 0
    entries = json.loads(out)["symbolic"]
    lib = load(f"{FIX}/policies")
    expected = []
    for other in ("narrow", "broad"):
        for d in symbolic_diff(lib["base_2003"].checked, lib[other].checked,
                               ["conflict", "trade"]):
            expected.append((other, d.term, d.verdict,
                             [[x.condition for x in r.disjuncts] if r.listed else []
                              for r in d.regions]))
    got = [(e["other"], e["term"], e["verdict"], [r["conditions"] for r in e["regions"]])
           for e in entries]
    assert got == expected


@pytest.mark.parametrize("fmt", ["text", "md", "json", "junit", "html"])
def test_no_symbolic_leaves_it_out(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with_it, _ = run([*ARGS, "--format", fmt], monkeypatch)
    without, code = run([*ARGS, "--format", fmt, "--no-symbolic"], monkeypatch)
    assert code == 0
    assert "only under narrow" in with_it
    assert "only under narrow" not in without
    if fmt == "json":
        assert json.loads(without)["symbolic"] is None


def test_long_regions_are_counted_not_listed() -> None:
    region = {"kind": "only_other", "label": "only under x", "empty": False,
              "conditions": ["a" * 50, "b" * 10, "c" * 60], "unknown_facts": []}
    assert region_text(region, room=30) == f"only under x: ({'b' * 10}) or 2 more"
    assert region_text(region, room=5) == "only under x: 3 conditions"
    entry = {"other": "x", "term": "t", "verdict": "broader", "exhaustive": False,
             "regions": [dict(region, kind="only_base", label="only under b", empty=True,
                              conditions=[]), region]}
    assert compact(entry).startswith("x.t: broader (not exhaustive) -- only under x: ")
