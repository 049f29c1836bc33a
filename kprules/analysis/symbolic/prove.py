"""Proofs of assertions: `assert name: a.term implies b.term` holds, or a counterexample.

Stage: checked assertions (kprules.checker.assertions) and policies -> `Proof`s. An assertion
holds when no fact set makes the first term true without making the second true (false or
unknown), over the partitioned domain of docs/symbolic.md, so a proof is exhaustive unless a
construct outside the exact method is involved (`exhaustive` False, `notes` say which). A
counterexample is a complete fact set, the second term false where one exists, confirmed by the
compiled evaluator.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen

from kprules import ir
from kprules.analysis.symbolic.engine import Space, error_text, too_large_note
from kprules.analysis.symbolic.mdd import FALSE, MAX_NODES, TooLarge
from kprules.analysis.symbolic.model import Witness
from kprules.analysis.symbolic.translate import F, T
from kprules.checker.assertions import CheckedAssertion
from kprules.core.shared_repr import SharedRepr
from kprules.eval.evaluate import Evaluator, resolve_as_of
from kprules.ir.runtime import EvalError
from kprules.ir.types import BOOL


@frozen(repr=False)
class Proof(SharedRepr):
    assertion: CheckedAssertion
    holds: bool
    counterexample: Witness | None
    exhaustive: bool = True
    notes: tuple[str, ...] = ()


def prove(claim: CheckedAssertion, policies: Mapping[str, ir.CheckedPolicy],
          max_nodes: int = MAX_NODES) -> Proof:
    """The proof of `claim`, or its counterexample; neither (holds False, no counterexample,
    a note) when the diagrams outgrow `max_nodes` (or five times as many steps)."""
    try:
        return _prove(claim, policies, max_nodes)
    except TooLarge as err:
        return Proof(claim, False, None, False, (too_large_note(err),))


def _prove(claim: CheckedAssertion, policies: Mapping[str, ir.CheckedPolicy],
           max_nodes: int) -> Proof:
    targets = [(policies[claim.policy].policy_named(p), t) for p, t in (claim.left, claim.right)]
    s = Space(targets, None, max_nodes)
    left, right = s.term(claim.left), s.term(claim.right)
    m = s.m
    bad = m.diff(left.get(T, FALSE), right.get(T, FALSE))
    notes = tuple(s.tr.inexact)
    if bad == FALSE:
        return Proof(claim, True, None, not notes, notes)
    clear = m.conj_all([bad, right.get(F, FALSE), s.known])
    point = s.witness_point(clear if clear != FALSE else bad)
    assert point is not None
    return Proof(claim, False, _counterexample(s, targets, point), not notes, notes)


def _counterexample(s: Space, targets: list[tuple[ir.CheckedPolicy, str]],
                    point: list[int]) -> Witness:
    """The point's facts, confirmed by the compiled evaluator; where it stops (a division by
    zero, KP500), the values the symbolic method found, unconfirmed, and the error."""
    facts = s.facts_of(point)
    ev = Evaluator(targets)
    as_of = resolve_as_of(facts, ev.vocabulary, None)
    try:
        values, _ = ev.run(facts, as_of)
    except EvalError as err:
        left, right = (s.value_at(s.term((p.name, t)), point, facts) for p, t in targets)
        return Witness(facts, as_of, left, right, False, error_text(err), s.fact_types, BOOL)
    verified = values[0] is True and values[-1] is not True
    return Witness(facts, as_of, values[0], values[-1], verified, None, s.fact_types, BOOL)


def prove_all(claims: tuple[CheckedAssertion, ...],
              policies: Mapping[str, ir.CheckedPolicy],
              max_nodes: int = MAX_NODES) -> tuple[Proof, ...]:
    return tuple(prove(c, policies, max_nodes) for c in claims)
