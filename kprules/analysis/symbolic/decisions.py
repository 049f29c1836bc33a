"""Decision analysis: for every decision, where only the default applies, which rules with
different outcomes can both apply (order decides: listed for review), and which rules can never
be the one that applies; each with a witness.

Stage: a checked policy -> `DecisionReport`s, over the partitioned domain of docs/symbolic.md
(each fact set dated by the vocabulary's `dated by` fact, so rules' dates count). The language
requires a default, so no fact set is left without an outcome: the "gap" reported is the region
where no rule applies and the default decides, which reviewers read for cases the rules forgot.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from attrs import frozen

from kprules import ir
from kprules.analysis.symbolic.condition import conjunction
from kprules.analysis.symbolic.cover import cover
from kprules.analysis.symbolic.engine import Space, too_large_note
from kprules.analysis.symbolic.mdd import FALSE, MAX_NODES, TooLarge
from kprules.core.shared_repr import SharedRepr
from kprules.ir.slots import RuleLayout, TermLayout


@frozen(repr=False)
class Finding(SharedRepr):
    """`kind`: default (no rule applies), conflict (rules `first` and `second`, different
    outcomes, can both apply: the first wins), dead (rule `first` never applies first),
    too_large (not analysed: `note` says why). `conditions`: where (a near-minimal
    disjunction); `witness`: facts inside, or None."""

    kind: str
    rules: tuple[str, ...]
    conditions: tuple[str, ...]
    witness: Mapping[str, Any] | None
    note: str = ""  # too_large: why the decision was not analysed


@frozen(repr=False)
class DecisionReport(SharedRepr):
    policy: str
    decision: str
    findings: tuple[Finding, ...]
    exhaustive: bool = True


def _label(i: int, rule: RuleLayout) -> str:
    return f"rule {i + 1} ({rule.rule.outcome} when ...)"


def analyse_decision(policy: ir.CheckedPolicy, name: str,
                     max_nodes: int = MAX_NODES) -> DecisionReport:
    """The decision's findings; one finding `too_large` (and not exhaustive) when its diagrams
    outgrow `max_nodes` (or five times as many steps)."""
    try:
        s = Space([(policy, name)], None, max_nodes)
        t = s.layout.terms[(policy.name, name)]
        return DecisionReport(policy.name, name, tuple(_findings(s, t)), not s.tr.inexact)
    except TooLarge as err:
        return DecisionReport(policy.name, name, (Finding("too_large", (), (), None,
                                                          too_large_note(err)),), False)


def _findings(s: Space, t: TermLayout) -> Iterator[Finding]:
    m, tr = s.m, s.tr
    applies = [tr.applies(r, t) for r in t.rules]
    remaining = s.known
    for i, (at, af) in enumerate(applies):
        fire = m.conj(remaining, at)
        if fire == FALSE:
            reason = m.conj(s.known, at)
            yield Finding("dead", (_label(i, t.rules[i]),), _where(s, reason),
                          _witness(s, reason))
        remaining = m.conj(remaining, af)
    if remaining != FALSE:
        yield Finding("default", (), _where(s, remaining), _witness(s, remaining))
    pairs = [(a, b) for a in range(len(t.rules)) for b in range(a + 1, len(t.rules))]
    for i, j in pairs:
        if t.rules[i].rule.outcome == t.rules[j].rule.outcome:
            continue
        both = m.conj_all([s.known, applies[i][0], applies[j][0]])
        if both != FALSE:
            yield Finding("conflict", (_label(i, t.rules[i]), _label(j, t.rules[j])),
                          _where(s, both), _witness(s, both))


def _where(s: Space, region: int) -> tuple[str, ...]:
    if region == FALSE:
        return ()
    if region == s.known:
        return ("true",)
    cubes, complete = cover(s.m, region, s.known_universe)
    listed = tuple(conjunction(c, s.domain) for c in cubes)
    return listed if complete else (*listed, f"... and more: it takes more than {len(listed)} "
                                    "conditions to write")


def _witness(s: Space, region: int) -> Mapping[str, Any] | None:
    point = s.m.pick(region) if region not in (FALSE,) else None
    return s.facts_of(point) if point is not None else None


def analyse_policy(policy: ir.CheckedPolicy,
                   max_nodes: int = MAX_NODES) -> tuple[DecisionReport, ...]:
    """Every decision the policy itself writes (inherited ones are analysed in their policy)."""
    return tuple(analyse_decision(policy, name, max_nodes) for name in sorted(policy.own)
                 if isinstance(policy.terms[name], ir.DecisionTerm))


