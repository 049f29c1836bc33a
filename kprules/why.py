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
"""

from __future__ import annotations

from attrs import evolve, frozen

from kprules.explain import Explanation, Node
from kprules.interpret import NOT_EVALUATED
from kprules.layout import Key


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


@frozen
class Step:
    """One level of the walk down to where two versions part."""

    label: str
    kind: str
    base_value: object
    other_value: object


@frozen
class Alignment:
    """Where the explanations of a term under two policies part, and each side there."""

    term: str
    path: tuple[Step, ...]
    base: Node
    other: Node
    parted_at: Key  # the term (in the other policy) whose provisions differ


def align(ex: Explanation, base_key: Key, other_key: Key) -> Alignment:
    path: list[Step] = []
    keys = (base_key, other_key)
    b, o = ex.term(base_key), ex.term(other_key)
    while True:
        if not _same_provision(ex, keys):
            return Alignment(other_key[1], tuple(path), decisive(b), decisive(o), keys[1])
        pair = _first_difference(b, o)
        if pair is None:
            return Alignment(other_key[1], tuple(path), decisive(b), decisive(o), keys[1])
        path.append(Step(b.label, b.kind, b.value, o.value))
        b, o = pair
        while b.kind not in ("term",) and (nxt := _first_difference(b, o)) is not None:
            path.append(Step(b.label, b.kind, b.value, o.value))
            b, o = nxt
        if b.kind != "term" or b.ref is None or o.ref is None:
            return Alignment(other_key[1], tuple(path), decisive(b), decisive(o), keys[1])
        path.append(Step(b.label, b.kind, b.value, o.value))
        keys = (b.ref, o.ref)
        b, o = ex.term(b.ref), ex.term(o.ref)


def _same_provision(ex: Explanation, keys: tuple[Key, Key]) -> bool:
    terms = ex.layout.terms
    return terms[keys[0]].term is terms[keys[1]].term


def _first_difference(b: Node, o: Node) -> tuple[Node, Node] | None:
    for cb, co in zip(b.children, o.children, strict=False):
        if cb.value != co.value or cb.fired != co.fired:
            return cb, co
    return None
