"""Decision analysis: the region where only the default applies, conflicts between rules with
different outcomes, dead rules; each witness checked against the rules written in Python."""

from __future__ import annotations

import datetime as dt

import kprules
from kprules.analysis.symbolic.decisions import analyse_decision
from tests.symbolic import gen

POLICY = """policy p1
  reads gen

decision d: {x, y, z}
  default x
  y when b0 from 2020-01-01
  z when b0 and b1
  z when e = k1
  y when b0 and e = k1
"""


def findings() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    lib = kprules.loads(gen.VOCAB, POLICY)
    report = analyse_decision(lib["p1"].checked, "d")
    assert report.exhaustive
    return [(f.kind, f.rules, f.conditions) for f in report.findings]


def test_dead_default_and_conflicts() -> None:
    assert findings() == [
        ("dead", ("rule 4 (y when ...)",), ("b0 and e = k1",)),
        ("default", (), ("not b0 and e != k1", "not b1 and e != k1 and day < 2020-01-01")),
        ("conflict", ("rule 1 (y when ...)", "rule 2 (z when ...)"),
         ("b0 and b1 and day >= 2020-01-01",)),
        ("conflict", ("rule 1 (y when ...)", "rule 3 (z when ...)"),
         ("b0 and e = k1 and day >= 2020-01-01",)),
        ("conflict", ("rule 2 (z when ...)", "rule 4 (y when ...)"), ("b0 and b1 and e = k1",)),
        ("conflict", ("rule 3 (z when ...)", "rule 4 (y when ...)"), ("b0 and e = k1",)),
    ]


RULES = {  # the rules of POLICY, written in Python: does rule n apply to these facts?
    1: lambda f: f["b0"] and f["day"] >= dt.date(2020, 1, 1),
    2: lambda f: f["b0"] and f["b1"],
    3: lambda f: f["e"] == "k1",
    4: lambda f: f["b0"] and f["e"] == "k1",
}


def test_witnesses_are_where_the_findings_say() -> None:
    lib = kprules.loads(gen.VOCAB, POLICY)
    for f in analyse_decision(lib["p1"].checked, "d").findings:
        w = f.witness
        assert w is not None
        applying = [n for n, rule in RULES.items() if rule(w)]
        numbers = [int(r.split()[1]) for r in f.rules]
        if f.kind == "default":
            assert applying == []
        elif f.kind == "conflict":
            assert set(numbers) <= set(applying)
        else:  # dead: it applies here, and an earlier rule does too
            assert numbers[0] in applying and applying[0] < numbers[0]


def test_a_rule_after_a_wider_one_is_dead() -> None:
    lib = kprules.loads(gen.VOCAB, POLICY.replace("  y when b0 and e = k1\n",
                                                  "  y when b1 and e = k1\n"))
    report = analyse_decision(lib["p1"].checked, "d")
    dead = [f for f in report.findings if f.kind == "dead"]
    assert [f.rules for f in dead] == [("rule 4 (y when ...)",)]
    assert dead[0].witness is not None and dead[0].witness["e"] == "k1"
