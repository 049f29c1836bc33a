"""Why a value, and where two versions part: pruned explanations and their alignment.

Stage: explanation nodes -> smaller explanation nodes. Pure functions.

`decisive(node)` keeps only what decides a value: for a false `and`, its first false part; for a
true `or`, its first true part; for a decision, the rule that gave the outcome (or, for the
default, why each rule did not apply); facts and terms as leaves.

`align(explanation, base_key, other_key)` walks the explanations of one term under two policies
from the top. While both sides are the same provision (an inherited term, the same rule) it
follows the first part whose values differ, through references to other terms; where the two
sides are different provisions (a redefinition), they part: the result is the path walked and
the decisive explanation of each side, each with its citations.

Two sides can also part at a rule that is the same on both, when it is in force on the case's date
under one policy only (their `in force` intervals differ): the alignment then stops at that rule,
with `reason` "in force".

`parting(...)` finds the same parting point as `align` directly on an evaluation's slots, without
building explanation nodes (labels, citations): the comparison uses it to attribute every
difference to the provision that caused it, and builds the full alignment only for the
differences a report shows. A property test checks that the two always agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

from attrs import evolve, frozen

from kprules import ir
from kprules.core.shared_repr import SharedRepr
from kprules.explain.nodes import Node, NodeKind, RuleKind, TermKind
from kprules.explain.tree import Explanation, _reached, clause_value
from kprules.ir.dates import in_force
from kprules.ir.runtime import NOT_EVALUATED
from kprules.ir.slots import Clause, Key, Layout, RuleLayout, TermLayout, ref_key


def decisive(node: Node) -> Node:
    """The node with only the children that decide its value."""
    kids = node.children
    if node.kind in ("definition", "parameter"):
        return evolve(node, children=tuple(decisive(k) for k in kids[:1])) \
            if node.kind == "definition" else node
    if node.kind == "decision":
        fired = [k for k in kids if k.fired]
        if fired and fired[0].kind != "default":
            return evolve(node, children=(decisive(fired[0]),))
        tried = [decisive(k) for k in kids if k.kind == "rule" and k.value is not NOT_EVALUATED]
        default = [k for k in kids if k.kind == "default"]
        return evolve(node, children=(*tried, *default))
    if node.kind in ("rule", "exception"):
        condition, *exceptions = kids
        keep = [decisive(condition)] if condition.value is not NOT_EVALUATED else []
        keep += [decisive(x) for x in exceptions if x.value is not NOT_EVALUATED]
        return evolve(node, children=tuple(keep))
    if node.kind in ("fact", "term"):
        return evolve(node, children=())
    return evolve(node, children=_deciding(node))


def expand(node: Node, ex: Explanation, depth: int = 4, seen: set[Key] | None = None) -> Node:
    """A decisive explanation in which each term it names is explained too (decisively, with
    its citations), once, down to `depth` levels of terms."""
    seen = set() if seen is None else seen
    if node.kind == "term" and node.ref is not None and node.evaluated:
        if depth <= 0 or node.ref in seen:
            return node
        seen.add(node.ref)
        inner = expand(decisive(ex.term(node.ref)), ex, depth - 1, seen)
        return evolve(node, children=(inner,))
    if not node.children:
        return node
    return evolve(node, children=tuple(expand(k, ex, depth, seen) for k in node.children))


def _deciding(node: Node) -> tuple[Node, ...]:
    evaluated = [k for k in node.children if k.value is not NOT_EVALUATED]
    if node.label and node.kind == "clause" and _is_chain(node):
        stop = node.value
        if stop is True or stop is False:
            first = next((k for k in evaluated if k.value is stop), None)
            if first is not None and _chain_word(node) == ("or" if stop else "and"):
                return (decisive(first),)
    return tuple(decisive(k) for k in evaluated)


def _is_chain(node: Node) -> bool:
    return _chain_word(node) is not None


def _chain_word(node: Node) -> str | None:
    return node.op if node.op in ("and", "or") else None


PartingReason: TypeAlias = Literal["provision", "in force"]


@frozen(repr=False)
class Step(SharedRepr):
    """One level of the walk down to where two versions part."""

    label: str
    kind: NodeKind
    base_value: object
    other_value: object


@frozen(repr=False)
class Alignment(SharedRepr):
    """Where the explanations of a term under two policies part, and each side there.

    `reason`: "provision" when the two sides are different provisions (`parted_at` is the term,
    in the other policy, whose provisions differ) or the walk found no smaller difference;
    "in force" when they are the same rule but it is in force on the case's date under one
    policy only (the policies' `in force` intervals differ): `base` and `other` are that rule."""

    term: str
    path: tuple[Step, ...]
    base: Node
    other: Node
    parted_at: Key  # the term (in the other policy) whose provisions differ
    reason: PartingReason = "provision"


def align(ex: Explanation, base_key: Key, other_key: Key) -> Alignment:
    path: list[Step] = []
    keys = (base_key, other_key)
    b, o = ex.term(base_key), ex.term(other_key)

    def done(reason: PartingReason = "provision") -> Alignment:
        return Alignment(other_key[1], tuple(path), expand(decisive(b), ex),
                         expand(decisive(o), ex), keys[1], reason)

    while True:
        if not _same_provision(ex, keys):
            return done()
        pair = _first_difference(b, o)
        if pair is None:
            return done()
        path.append(Step(b.label, b.kind, b.value, o.value))
        b, o = pair
        while b.kind != "term":
            if _dates_part(b, o):
                return done("in force")
            nxt = _first_difference(b, o)
            if nxt is None:
                break
            path.append(Step(b.label, b.kind, b.value, o.value))
            b, o = nxt
        if b.kind != "term" or b.ref is None or o.ref is None:
            return done()
        path.append(Step(b.label, b.kind, b.value, o.value))
        keys = (b.ref, o.ref)
        b, o = ex.term(b.ref), ex.term(o.ref)


def _dates_part(b: Node, o: Node) -> bool:
    """The same rule, tried on both sides, in force on one side only: a rule that was tried
    (it has a value) and whose condition was not evaluated is not in force on the date."""
    if b.kind not in ("rule", "exception"):
        return False
    return _not_in_force(b) != _not_in_force(o)


def _not_in_force(rule: Node) -> bool:
    return rule.value is not NOT_EVALUATED and rule.children[0].value is NOT_EVALUATED


def _same_provision(ex: Explanation, keys: tuple[Key, Key]) -> bool:
    terms = ex.layout.terms
    return terms[keys[0]].term is terms[keys[1]].term


def _first_difference(b: Node, o: Node) -> tuple[Node, Node] | None:
    for cb, co in zip(b.children, o.children, strict=False):
        if cb.value != co.value or cb.fired != co.fired:
            return cb, co
    return None


# ------------------------------------------------------------------ parting point on slots


@frozen(eq=False, repr=False)
class _Lite(SharedRepr):
    """A node of an explanation reduced to what `align` compares: kind, value, fired, ref."""

    kind: NodeKind
    value: Any
    fired: bool = False
    ref: Key | None = None
    term: TermLayout | None = None
    rule: RuleLayout | None = None
    clause: Clause | None = None
    reached: bool = False
    decided: bool = False  # of a rule: it applies and its decision is decided


class _Slots:
    """Children of explanation nodes, computed from the slots as `Explanation` computes them."""

    def __init__(self, layout: Layout, slots: tuple[Any, ...], facts: Mapping[str, Any],
                 as_of: dt.date | None) -> None:
        self.layout, self.slots, self.facts, self.as_of = layout, slots, facts, as_of

    def term(self, key: Key) -> _Lite:
        t = self.layout.terms[key]
        kind: TermKind = "parameter" if isinstance(t.term, ir.ParameterTerm) else (
            "definition" if t.body is not None else "decision")
        return _Lite(kind, self.slots[t.index], term=t)

    def children(self, n: _Lite) -> list[_Lite]:
        if n.kind == "definition":
            assert n.term is not None and n.term.body is not None
            return [self.clause(n.term.body, n.term, n.value is not NOT_EVALUATED)]
        if n.kind == "decision":
            assert n.term is not None
            return self._rules(n.term, n.value)
        if n.kind in ("rule", "exception"):
            assert n.rule is not None and n.term is not None
            return self._rule_children(n.rule, n.term, n.value, n.decided)
        if n.kind == "parameter":
            assert n.term is not None and isinstance(n.term.term, ir.ParameterTerm)
            return [_Lite("piece", holds, holds) for holds in
                    (self.as_of is not None and p.validity.contains(self.as_of)
                     for p in n.term.term.pieces)]
        if n.clause is not None:
            assert n.term is not None
            return [self.clause(k, n.term, r) for k, r in
                    _reached(n.clause, n.value, self.slots, self.facts)
                    if not isinstance(k.expr, ir.Const)]
        return []

    def clause(self, c: Clause, t: TermLayout, reached: bool) -> _Lite:
        e = c.expr
        value = clause_value(c, self.slots, self.facts, reached)
        ref = ref_key(t.context, e) if isinstance(e, ir.TermRef | ir.BaseRef) else None
        kind: NodeKind = "fact" if isinstance(e, ir.FactRef) else ("term" if ref else "clause")
        return _Lite(kind, value, ref=ref, term=t, clause=c, reached=reached)

    def _rules(self, t: TermLayout, outcome: Any) -> list[_Lite]:
        assert isinstance(t.term, ir.DecisionTerm)
        decided = outcome is not None and outcome is not NOT_EVALUATED
        out = [self._rule(r, t, "rule", decided) for r in t.rules]
        used = not any(self._gave(r) for r in out) and outcome == t.term.default
        out.append(_Lite("default", True if used else NOT_EVALUATED, used))
        return out

    def _gave(self, rule: _Lite) -> bool:
        """The rule, or one of its exceptions, gave the outcome (as `Explanation._rules`)."""
        return rule.fired or any(x.fired for x in self.children(rule)[1:])

    def _rule(self, rule: RuleLayout, t: TermLayout, kind: RuleKind, decided: bool) -> _Lite:
        applies = self.slots[rule.index]
        mine = decided and applies is True
        excepted = any(self._rule(x, t, "exception", mine).fired for x in rule.exceptions)
        return _Lite(kind, applies, mine and not excepted, term=t, rule=rule, decided=mine)

    def _rule_children(self, rule: RuleLayout, t: TermLayout, applies: Any,
                       decided: bool) -> list[_Lite]:
        active = in_force((t.context.in_force, rule.rule.validity), self.as_of)
        condition = self.clause(rule.condition, t,
                                applies is not NOT_EVALUATED and active is not False)
        return [condition, *(self._rule(x, t, "exception", decided) for x in rule.exceptions)]


def parting(layout: Layout, slots: tuple[Any, ...], facts: Mapping[str, Any],
            as_of: dt.date | None, base_key: Key, other_key: Key) -> tuple[Key, PartingReason]:
    """`(align(...).parted_at, align(...).reason)`, computed on a traced evaluation's slots
    without building explanation nodes."""
    walk = _Slots(layout, slots, facts, as_of)
    keys = (base_key, other_key)
    b, o = walk.term(base_key), walk.term(other_key)
    while True:
        if layout.terms[keys[0]].term is not layout.terms[keys[1]].term:
            return keys[1], "provision"
        pair = _first_lite_difference(walk, b, o)
        if pair is None:
            return keys[1], "provision"
        b, o = pair
        while b.kind != "term":
            if b.kind in ("rule", "exception") and (
                    _lite_not_in_force(walk, b) != _lite_not_in_force(walk, o)):
                return keys[1], "in force"
            nxt = _first_lite_difference(walk, b, o)
            if nxt is None:
                break
            b, o = nxt
        if b.kind != "term" or b.ref is None or o.ref is None:
            return keys[1], "provision"
        keys = (b.ref, o.ref)
        b, o = walk.term(b.ref), walk.term(o.ref)


def _lite_not_in_force(walk: _Slots, rule: _Lite) -> bool:
    return rule.value is not NOT_EVALUATED and not walk.children(rule)[0].reached


def _first_lite_difference(walk: _Slots, b: _Lite, o: _Lite) -> tuple[_Lite, _Lite] | None:
    for cb, co in zip(walk.children(b), walk.children(o), strict=False):
        if cb.value != co.value or cb.fired != co.fired:
            return cb, co
    return None
