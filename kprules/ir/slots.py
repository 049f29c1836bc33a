"""Slots: one number per clause, per term, per rule, for explanations and coverage.

Stage: between the checker and the evaluators. Input: checked policies and the terms asked for
(targets). Output: a `Layout` of every term the targets need, each a tree of `Clause`s whose
`index` is the place of that clause's value in an evaluation's slot list.

A term is evaluated in a context policy: `TermRef(x)` inside it means the context's `x` (an
amendment's redefinition, when it has one); `base.x` means `x` evaluated in the base policy. So
a term key is (context policy name, term name), and an inherited term evaluated under two policies
has two layouts. The compiled evaluator and the reference interpreter both walk these trees, so
their slot values can be compared clause by clause.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypeAlias

from attrs import frozen

from kprules import ir
from kprules.core.shared_repr import SharedRepr

Key: TypeAlias = tuple[str, str]


@frozen(eq=False, repr=False)
class Clause(SharedRepr):
    """An expression node and the slot its value goes to."""

    index: int
    expr: ir.Expr
    children: tuple[Clause, ...]


@frozen(eq=False, repr=False)
class RuleLayout(SharedRepr):
    """A rule: `applies` is the slot of 'in force and condition holds' (three-valued)."""

    index: int
    rule: ir.CheckedRule
    condition: Clause
    exceptions: tuple[RuleLayout, ...]


@frozen(eq=False, repr=False)
class TermLayout(SharedRepr):
    key: Key
    term: ir.Term
    context: ir.CheckedPolicy
    index: int
    body: Clause | None
    rules: tuple[RuleLayout, ...]

    @property
    def policy(self) -> str:
        return self.key[0]

    @property
    def name(self) -> str:
        return self.key[1]


@frozen(eq=False, repr=False)
class Layout(SharedRepr):
    terms: Mapping[Key, TermLayout]
    targets: tuple[Key, ...]
    size: int

    def ref_key(self, context: ir.CheckedPolicy, e: ir.TermRef | ir.BaseRef) -> Key:
        return ref_key(context, e)


def ref_key(context: ir.CheckedPolicy, e: ir.TermRef | ir.BaseRef) -> Key:
    if isinstance(e, ir.BaseRef):
        return (e.policy, e.name)
    return (context.name, e.name)


class _Builder:
    def __init__(self) -> None:
        self.next = 0
        self.terms: dict[Key, TermLayout] = {}

    def slot(self) -> int:
        self.next += 1
        return self.next - 1

    def clause(self, e: ir.Expr) -> Clause:
        index = self.slot()
        return Clause(index, e, tuple(self.clause(c) for c in ir.children(e)))

    def rule(self, r: ir.CheckedRule) -> RuleLayout:
        return RuleLayout(self.slot(), r, self.clause(r.condition),
                          tuple(self.rule(x) for x in r.exceptions))

    def add(self, context: ir.CheckedPolicy, name: str) -> None:
        key = (context.name, name)
        if key in self.terms:
            return
        term = context.terms[name]
        index = self.slot()
        body = self.clause(term.body) if isinstance(term, ir.Definition) else None
        rules = tuple(self.rule(r) for r in term.rules) \
            if isinstance(term, ir.DecisionTerm) else ()
        self.terms[key] = TermLayout(key, term, context, index, body, rules)
        for ref in _refs(body, rules):
            target = context if isinstance(ref, ir.TermRef) else context.policy_named(ref.policy)
            self.add(target, ref.name)


def _refs(body: Clause | None, rules: Iterable[RuleLayout]) -> Iterable[ir.TermRef | ir.BaseRef]:
    roots = [body] if body is not None else []
    stack: list[RuleLayout] = list(rules)
    while stack:
        r = stack.pop()
        roots.append(r.condition)
        stack.extend(r.exceptions)
    while roots:
        c = roots.pop()
        if isinstance(c.expr, ir.TermRef | ir.BaseRef):
            yield c.expr
        roots.extend(c.children)


def build_layout(targets: Iterable[tuple[ir.CheckedPolicy, str]]) -> Layout:
    """The layout of the given (policy, term) targets and every term they depend on."""
    builder = _Builder()
    keys: list[Key] = []
    for policy, name in targets:
        builder.add(policy, name)
        keys.append((policy.name, name))
    return Layout(dict(builder.terms), tuple(keys), builder.next)


# ----------------------------------------------------------------------------- walking layouts


def term_rules(t: TermLayout) -> Iterator[RuleLayout]:
    """Every rule of a decision, each followed by its exceptions (empty for other terms)."""
    for rule in t.rules:
        yield rule
        yield from rule.exceptions


def term_clauses(t: TermLayout) -> Iterator[Clause]:
    """Every clause of a term (its body, or its rules' conditions), without recursion."""
    stack: list[Clause] = [t.body] if t.body is not None else []
    stack.extend(r.condition for r in term_rules(t))
    while stack:
        c = stack.pop()
        yield c
        stack.extend(c.children)


def term_refs(t: TermLayout) -> Iterator[Key]:
    """The keys of the terms a term names (in its context; `base.` names in the base)."""
    for c in term_clauses(t):
        if isinstance(c.expr, ir.TermRef | ir.BaseRef):
            yield ref_key(t.context, c.expr)


def reachable(layout: Layout, keys: Iterable[Key]) -> Iterator[TermLayout]:
    """The terms of `keys` and every term they name, directly or not, each once."""
    seen: set[Key] = set()
    todo = list(keys)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        t = layout.terms[key]
        yield t
        todo.extend(term_refs(t))
