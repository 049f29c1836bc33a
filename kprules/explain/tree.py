"""Explanations: why a term has its value, clause by clause, with the law each clause cites.

Stage: (layout, slots of one traced evaluation) -> a tree of `Node`s -> text or JSON. The tree is
built only when asked for, so that evaluating with explanations costs little more than evaluating.

Shape: one `Node` per term (kind "definition", "decision" or "parameter"), whose children are the
clauses of its body, or its rules (kind "rule"/"exception", with `fired` marking the one that
gave the outcome), each clause a `Node` of kind "clause" with the clause's text, its value, and
its sub-clauses. A clause that names another term has `ref` set to that term's key; the term's
own node is listed once in `Explanation.terms`. Nodes carry the type of their value (to show
`0.5 ct`, `"text"`), and a term whose value is unknown says why (`Unknowns`): the facts it needed
that were not given, a missing evaluation date, parameters without a value on the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kprules import ir
from kprules.core.operators import ATOM, LEVEL, arith_needs, level
from kprules.core.source import Source
from kprules.explain.nodes import Citation, ClauseOp, Moot, Node, NodeKind, RuleKind, Unknowns
from kprules.explain.render import render_json, render_text
from kprules.ir.dates import Interval, in_force
from kprules.ir.runtime import NOT_EVALUATED
from kprules.ir.slots import Clause, Key, Layout, RuleLayout, TermLayout, ref_key
from kprules.ir.values import format_value


def _prec(e: ir.Expr) -> int:
    """How tightly an expression binds (kprules.core.operators, the table `fmt` uses)."""
    return level(e)


def expr_text(e: ir.Expr) -> str:
    """An expression as a drafter writes it (canonical spacing, minimal parentheses)."""
    match e:
        case ir.Const(value=v, type=t):
            return format_value(v, t)
        case ir.FactRef(name=name) | ir.TermRef(name=name):
            return name
        case ir.BaseRef(name=name):
            return f"base.{name}"
        case ir.Not(operand=o):
            return f"not {_sub(o, ATOM)}"  # as `kprules fmt` writes it: `not (x in s)`
        case ir.And(operands=ops) | ir.Or(operands=ops):
            word = " and " if isinstance(e, ir.And) else " or "
            return word.join(_sub(o, _prec(e) + 1) for o in ops)
        case ir.Compare(op=op, left=a, right=b):
            return f"{_sub(a, LEVEL['+'])} {op} {_sub(b, LEVEL['+'])}"
        case ir.Member(element=a, collection=b, negated=neg):
            return f"{_sub(a, LEVEL['+'])} {'not in' if neg else 'in'} {_sub(b, LEVEL['+'])}"
        case ir.InRange(element=a, low=lo, high=hi, negated=neg):
            low = LEVEL["+"]
            return (f"{_sub(a, low)} {'not in' if neg else 'in'} {_sub(lo, low)} .. "
                    f"{_sub(hi, low)}")
        case ir.Arith(op=op, left=a, right=b):
            left, right = arith_needs(op)
            return f"{_sub(a, left)} {op} {_sub(b, right)}"
        case ir.Neg(operand=o):
            return f"-{_sub(o, LEVEL['neg'])}"
        case ir.If(cond=c, then=a, else_=b):
            return f"if {expr_text(c)} then {expr_text(a)} else {expr_text(b)}"
        case ir.SetOf(items=items):
            return "{" + ", ".join(expr_text(i) for i in items) + "}"
    raise AssertionError(f"kprules bug: unhandled {type(e).__name__}")


def _sub(e: ir.Expr, level: int) -> str:
    text = expr_text(e)
    return f"({text})" if _prec(e) < level else text


class Explanation:
    """The explanation of one evaluation: a tree per term the targets needed."""

    def __init__(self, layout: Layout, slots: Sequence[Any], facts: Mapping[str, Any],
                 as_of: dt.date | None, sources: Mapping[str, Source] | None = None) -> None:
        self.layout = layout
        self.slots = slots
        self.facts = facts
        self.as_of = as_of
        self.sources = sources or {}

    def term(self, key: Key) -> Node:
        t = self.layout.terms[key]
        value = self.slots[t.index]
        head = f"{key[0]}.{key[1]}"
        cites = tuple(Citation.of(c) for c in t.term.origin.cites)
        unknown = self.unknowns(key) if value is None else None
        if isinstance(t.term, ir.ParameterTerm):
            return self._parameter(t, head, value, unknown)
        if t.body is not None:
            return Node("definition", head, value,
                        (self.clause(t.body, t, value is not NOT_EVALUATED),),
                        t.term.origin.span, cites, note=_defined_in(t), type=t.term.type,
                        unknown=unknown)
        rules = self._rules(t)
        return Node("decision", head, value, rules, t.term.origin.span, cites,
                    note=_defined_in(t), type=t.term.type, unknown=unknown,
                    moot=self._moot(t, rules, value))

    def unknowns(self, key: Key) -> Unknowns:
        """Why the term `key` is unknown, through the unknown terms it reads."""
        return self._unknowns_under([], False, [key], self.layout.terms[key])

    def _unknowns_under(self, roots: list[Clause], no_date: bool, todo: list[Key],
                        where: TermLayout) -> Unknowns:
        """The facts, missing date and parameters that unknown clauses `roots` (of term `where`)
        and unknown terms `todo` stand on."""
        facts: set[str] = set()
        parameters: set[str] = set()
        seen: set[Key] = set()
        pending: list[tuple[TermLayout, list[Clause]]] = [(where, roots)]
        while todo or pending:
            if pending:
                t, clauses = pending.pop()
                for c in _unknown_clauses(clauses, self.slots, self.facts):
                    if isinstance(c.expr, ir.FactRef):
                        facts.add(c.expr.name)
                    elif isinstance(c.expr, ir.TermRef | ir.BaseRef):
                        todo.append(ref_key(t.context, c.expr))
                continue
            k = todo.pop()
            if k in seen:
                continue
            seen.add(k)
            t = self.layout.terms[k]
            if isinstance(t.term, ir.ParameterTerm):
                no_date = no_date or self.as_of is None
                if self.as_of is not None:
                    parameters.add(f"{k[0]}.{k[1]}")
                continue
            more, undated = self._unknown_roots(t)
            no_date = no_date or undated
            pending.append((t, more))
        return Unknowns(tuple(sorted(facts)), no_date, tuple(sorted(parameters)))

    def _unknown_roots(self, t: TermLayout) -> tuple[list[Clause], bool]:
        """The unknown top clauses of a term (its body, or the conditions of the rules and
        exceptions that made a decision unknown), and whether a rule lacked the date."""
        if self.slots[t.index] is not None:  # decided (its unknown rules did not matter)
            return [], False
        if t.body is not None:
            return [t.body], False
        roots: list[Clause] = []
        undated = False
        rules = list(t.rules)
        while rules:
            rule = rules.pop()
            applies = self.slots[rule.index]
            if applies is True or applies is None:  # an unknown rule's exceptions count too
                rules.extend(rule.exceptions)
            if applies is not None:
                continue
            undated = undated or in_force((t.context.in_force, rule.rule.validity),
                                          self.as_of) is None
            roots.append(rule.condition)
        return roots, undated

    def terms(self) -> Iterator[Node]:
        """The targets first, then every other term that was evaluated, each once."""
        seen: set[Key] = set()
        order = list(self.layout.targets) + list(self.layout.terms)
        for key in order:
            if key in seen or self.slots[self.layout.terms[key].index] is NOT_EVALUATED:
                continue
            seen.add(key)
            yield self.term(key)

    def clause(self, c: Clause, t: TermLayout, reached: bool) -> Node:
        e = c.expr
        value = clause_value(c, self.slots, self.facts, reached)
        ref = ref_key(t.context, e) if isinstance(e, ir.TermRef | ir.BaseRef) else None
        kids = tuple(self.clause(k, t, r) for k, r in _reached(c, value, self.slots, self.facts)
                     if not isinstance(k.expr, ir.Const))
        kind: NodeKind = "fact" if isinstance(e, ir.FactRef) else ("term" if ref else "clause")
        note = "not given" if kind == "fact" and value is None else None
        return Node(kind, expr_text(e), value, kids, e.span, ref=ref, note=note, op=_op(e),
                    type=e.type)

    def _rules(self, t: TermLayout) -> tuple[Node, ...]:
        assert isinstance(t.term, ir.DecisionTerm)
        out = []
        outcome_value = self.slots[t.index]
        fired_any = False
        decided = outcome_value is not None and outcome_value is not NOT_EVALUATED
        for rule in t.rules:
            node = self._rule(rule, t, "rule", decided)
            out.append(node)
            fired_any = fired_any or node.fired or any(x.fired for x in node.children[1:])
        default_used = not fired_any and outcome_value == t.term.default
        # Undecided, with no rule that surely applies: the walk may reach the end, so the
        # default is one of the possible outcomes (unknown, not "not evaluated").
        possible = outcome_value is None and all(node.value is not True for node in out)
        out.append(Node("default", f"default {t.term.default}",
                        True if default_used else None if possible else NOT_EVALUATED, (),
                        t.term.default_origin.span,
                        tuple(Citation.of(c) for c in t.term.default_origin.cites),
                        fired=default_used))
        return tuple(out)

    def _rule(self, rule: RuleLayout, t: TermLayout, kind: RuleKind, decided: bool) -> Node:
        """A rule or exception; `fired` when it gave the outcome of a decided decision (an
        exception only when its rule applies: one of an unknown rule gives nothing for sure)."""
        applies = self.slots[rule.index]
        exceptions = tuple(self._rule(x, t, "exception", decided and applies is True)
                           for x in rule.exceptions)
        excepted = any(x.fired for x in exceptions)
        fired = decided and applies is True and not excepted
        active = in_force((t.context.in_force, rule.rule.validity), self.as_of)
        condition = self.clause(rule.condition, t,
                                applies is not NOT_EVALUATED and active is not False)
        validity = self._validity(t, rule.rule.validity)
        label = f"{rule.rule.outcome} when {expr_text(rule.rule.condition)}"
        return Node(kind, label, applies, (condition, *exceptions), rule.rule.origin.span,
                    tuple(Citation.of(c) for c in rule.rule.origin.cites), fired=fired,
                    note=validity)

    def _moot(self, t: TermLayout, rules: tuple[Node, ...], value: Any) -> tuple[Moot, ...]:
        """The unknown rules and exceptions of a decided decision, and why they did not
        matter."""
        if value is None or value is NOT_EVALUATED:
            return ()
        otherwise = _decider(rules)
        out = []
        for i, rule in enumerate(t.rules, 1):
            applies = self.slots[rule.index]
            if applies is None:
                out.append(self._moot_one(t, rule, f"rule {i}", value, otherwise))
            if applies is not True and applies is not None:
                continue
            for j, exc in enumerate(rule.exceptions, 1):
                if self.slots[exc.index] is None:
                    out.append(self._moot_one(t, exc, f"exception {j} of rule {i}", value,
                                              otherwise))
        return tuple(out)

    def _moot_one(self, t: TermLayout, rule: RuleLayout, name: str, value: str,
                  otherwise: str) -> Moot:
        undated = in_force((t.context.in_force, rule.rule.validity), self.as_of) is None
        why = self._unknowns_under([rule.condition], undated, [], t)
        label = f"{rule.rule.outcome} when {expr_text(rule.rule.condition)}"
        return Moot(name, label, why, value, otherwise)

    def _validity(self, t: TermLayout, validity: Interval | None) -> str | None:
        parts = []
        if validity is not None:
            parts.append(_interval_text(validity))
        if t.context.in_force is not None:
            parts.append(f"policy {t.context.name} in force {_interval_text(t.context.in_force)}")
        if not parts:
            return None
        active = in_force((t.context.in_force, validity), self.as_of)
        when = "no evaluation date" if self.as_of is None else (
            f"{'in force' if active else 'not in force'} on {self.as_of}")
        return "; ".join(parts) + f" ({when})"

    def _parameter(self, t: TermLayout, head: str, value: Any,
                   unknown: Unknowns | None) -> Node:
        assert isinstance(t.term, ir.ParameterTerm)
        pieces = []
        for piece in t.term.pieces:
            holds = self.as_of is not None and piece.validity.contains(self.as_of)
            pieces.append(Node("piece", f"{_interval_text(piece.validity)} = "
                               f"{format_value(piece.value, t.term.type)}",
                               holds, (), piece.origin.span,
                               tuple(Citation.of(c) for c in piece.origin.cites), fired=holds))
        note = f"as of {self.as_of}" if self.as_of else "no evaluation date"
        return Node("parameter", head, value, tuple(pieces), t.term.origin.span,
                    tuple(Citation.of(c) for c in t.term.origin.cites), note=note,
                    type=t.term.type, unknown=unknown)

    # ---------------------------------------------------------------- rendering

    def text(self) -> str:
        return render_text(self)

    def to_json(self) -> dict[str, Any]:
        return render_json(self)


_OP_NAMES: dict[type, ClauseOp] = {
    ir.And: "and", ir.Or: "or", ir.Not: "not", ir.If: "if", ir.Compare: "compare",
    ir.Member: "in", ir.InRange: "range", ir.Arith: "arith", ir.Neg: "neg", ir.SetOf: "set"}


def _op(e: ir.Expr) -> ClauseOp | None:
    return _OP_NAMES.get(type(e))


def clause_value(c: Clause, slots: Sequence[Any], facts: Mapping[str, Any],
                 reached: bool) -> Any:
    """A clause's value: NOT_EVALUATED if not reached; constants and facts are not in slots."""
    if not reached:
        return NOT_EVALUATED
    if isinstance(c.expr, ir.Const):
        return c.expr.value
    if isinstance(c.expr, ir.FactRef):
        return facts.get(c.expr.name)
    return slots[c.index]


def _reached(c: Clause, value: Any, slots: Sequence[Any],
             facts: Mapping[str, Any]) -> Iterator[tuple[Clause, bool]]:
    """Each sub-clause and whether evaluation reached it (short-circuits and `if` branches)."""
    if value is NOT_EVALUATED:
        yield from ((k, False) for k in c.children)
        return
    if isinstance(c.expr, ir.And | ir.Or):
        stop = isinstance(c.expr, ir.Or)
        going = True
        for k in c.children:
            yield k, going
            if going and clause_value(k, slots, facts, True) is stop:
                going = False
        return
    if isinstance(c.expr, ir.If):
        cond, then, other = c.children
        cv = clause_value(cond, slots, facts, True)
        yield cond, True
        yield then, cv is True
        yield other, cv is False
        return
    yield from ((k, True) for k in c.children)


def _unknown_clauses(roots: list[Clause], slots: Sequence[Any],
                     facts: Mapping[str, Any]) -> Iterator[Clause]:
    """The facts and term references under `roots` that are unknown and that an unknown value
    above them stands on (known sub-clauses, and clauses never reached, are not followed)."""
    stack = [c for c in roots if clause_value(c, slots, facts, True) is None]
    while stack:
        c = stack.pop()
        if isinstance(c.expr, ir.FactRef | ir.TermRef | ir.BaseRef):
            yield c
            continue
        stack.extend(k for k, reached in _reached(c, None, slots, facts)
                     if clause_value(k, slots, facts, reached) is None)


def all_values(layout: Layout, slots: Sequence[Any], facts: Mapping[str, Any],
               as_of: dt.date | None) -> list[Any]:
    """Every slot's value as the reference interpreter records it (facts and constants too),
    reconstructed from a traced evaluation's slots: the two must agree exactly."""
    out = list(slots)

    def walk(c: Clause, reached: bool) -> None:
        value = clause_value(c, slots, facts, reached)
        out[c.index] = value
        for k, r in _reached(c, value, slots, facts):
            walk(k, r)

    for t in layout.terms.values():
        evaluated = slots[t.index] is not NOT_EVALUATED
        if t.body is not None:
            walk(t.body, evaluated)
        stack = list(t.rules)
        while stack:
            rule = stack.pop()
            active = in_force((t.context.in_force, rule.rule.validity), as_of)
            walk(rule.condition, slots[rule.index] is not NOT_EVALUATED and active is not False)
            stack.extend(rule.exceptions)
    return out


def _decider(rules: tuple[Node, ...]) -> str:
    """What gave a decided decision's outcome: "rule 2", "exception 1 of rule 2", "the
    default"."""
    for i, rule in enumerate(rules, 1):
        if rule.kind != "rule":
            break
        if rule.fired:
            return f"rule {i}"
        for j, exc in enumerate(rule.children[1:], 1):
            if exc.fired:
                return f"exception {j} of rule {i}"
    return "the default"


def _interval_text(iv: Interval) -> str:
    return f"from {iv.start}" + (f" until {iv.end}" if iv.end else "")


def _defined_in(t: TermLayout) -> str | None:
    origin = t.term.origin.policy
    return f"inherited from {origin}" if origin != t.context.name else None


