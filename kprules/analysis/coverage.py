"""Clause coverage: which parts of each policy's text the cases exercised, and how.

Stage: checked policies + traced evaluations of cases (kprules.testing.Trace) -> per policy, the
outcomes each item reached and those it never did, with file:line:col. Pure.

The measure (docs/compare.md, "Clause coverage"). The *items* of a policy are what its own text
writes (its `define`s, `redefine`s, decisions and parameters; an inherited term is an item of the
policy that wrote it):

- a definition: "true" and "false" when it is boolean, else "evaluated" (a known value);
- a decision: each outcome its rules and its default can give;
- a parameter: "evaluated"; each of its pieces: "used" (the piece in force on a case's date);
- a rule or an exception: "true" (in force and its condition holds) and "false";
- a clause: every boolean sub-expression of a body or a condition other than a literal (`rough`,
  `used_by in rebels`, `a and b`, a boolean term named in it): "true" and "false".

A case exercises an outcome when evaluating one of the terms it states an expectation for reaches
that item with that value; an unknown value, or an item the evaluation did not reach (after a
short-circuit, in a rule not tried), exercises nothing. An item evaluated under an amending
policy counts for the policy whose text it is. Coverage of a policy = outcomes exercised /
outcomes of its items; the total = the same sums over every policy reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeAlias

from attrs import define, field, frozen

from kprules import ir
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span, location
from kprules.explain.nodes import RuleKind, TermKind
from kprules.explain.tree import all_values, expr_text
from kprules.ir.runtime import NOT_EVALUATED
from kprules.ir.slots import (
    Clause,
    Key,
    Layout,
    RuleLayout,
    TermLayout,
    reachable,
)
from kprules.ir.types import BOOL
from kprules.ir.values import format_value

# What cases can exercise: a term, a rule or an exception, a piece of a parameter, a clause.
ItemKind: TypeAlias = TermKind | RuleKind | Literal["piece", "clause"]
# Items are keyed by group and place: a term's kind and the other rules redefine in place.
ItemGroup: TypeAlias = Literal["term", "rule", "piece", "clause"]
ItemKey: TypeAlias = tuple[ItemGroup, str, int, int]  # (group, source, start, end)
_GROUPS: dict[ItemKind, ItemGroup] = {
    "definition": "term", "decision": "term", "parameter": "term", "rule": "rule",
    "exception": "rule", "piece": "piece", "clause": "clause"}
TWO = ("true", "false")


@frozen(repr=False)
class Item(SharedRepr):
    """A part of a policy's text that cases can exercise, and the outcomes it can have."""

    policy: str
    kind: ItemKind
    text: str
    span: Span
    outcomes: tuple[str, ...]

    @property
    def key(self) -> ItemKey:
        return item_key(self.kind, self.span)


def item_key(kind: ItemKind, span: Span) -> ItemKey:
    return (_GROUPS[kind], span.source, span.start, span.end)


# ---------------------------------------------------------------------------- the items


def policy_items(policy: ir.CheckedPolicy) -> list[Item]:
    """Every item written in this policy's own text, in the order of the text."""
    out: list[Item] = []
    for name in policy.own:
        out.extend(term_items(policy.name, name, policy.terms[name]))
    return sorted(out, key=lambda i: (i.span.start, i.kind != "definition", -i.span.end))


def term_items(policy: str, name: str, term: ir.Term) -> Iterator[Item]:
    span = term.origin.span
    if isinstance(term, ir.Definition):
        yield Item(policy, "definition", name, span, TWO if term.type == BOOL else ("evaluated",))
        yield from _clauses(policy, term.body)
    elif isinstance(term, ir.DecisionTerm):
        yield Item(policy, "decision", name, span, _outcomes(term))
        for rule in term.rules:
            yield from _rule_items(policy, rule, "rule")
    else:
        yield Item(policy, "parameter", name, span, ("evaluated",))
        for piece in term.pieces:
            text = f"{name} from {piece.validity.start} = {format_value(piece.value, term.type)}"
            yield Item(policy, "piece", text, piece.origin.span, ("used",))


def _outcomes(term: ir.DecisionTerm) -> tuple[str, ...]:
    given: set[str] = {term.default}
    stack = list(term.rules)
    while stack:
        rule = stack.pop()
        given.add(rule.outcome)
        stack.extend(rule.exceptions)
    order = getattr(term.type, "values", ())
    return tuple(v for v in order if v in given) or tuple(sorted(given))


def _rule_items(policy: str, rule: ir.CheckedRule, kind: RuleKind) -> Iterator[Item]:
    label = f"{rule.outcome} when {expr_text(rule.condition)}"
    yield Item(policy, kind, label, rule.origin.span, TWO)
    yield from _clauses(policy, rule.condition)
    for x in rule.exceptions:
        yield from _rule_items(policy, x, "exception")


def _clauses(policy: str, e: ir.Expr) -> Iterator[Item]:
    if _is_clause(e):
        yield Item(policy, "clause", expr_text(e), e.span, TWO)
    for k in ir.children(e):
        yield from _clauses(policy, k)


def _is_clause(e: ir.Expr) -> bool:
    return e.type == BOOL and not isinstance(e, ir.Const)


# ---------------------------------------------------------------------------- the probes


@frozen(repr=False)
class _Probe(SharedRepr):
    key: ItemKey
    kind: ItemKind
    index: int  # the slot
    piece: ir.CheckedPiece | None = None


def _probes(layout: Layout, keys: Sequence[Key]) -> list[_Probe]:
    """The slots of every item reachable from the given terms (through the terms they name)."""
    return [p for t in reachable(layout, keys) for p in _term_probes(t)]


def _term_probes(t: TermLayout) -> Iterator[_Probe]:
    term = t.term
    kind: TermKind = "parameter" if isinstance(term, ir.ParameterTerm) else (
        "definition" if t.body is not None else "decision")
    yield _Probe(item_key(kind, term.origin.span), kind, t.index)
    if isinstance(term, ir.ParameterTerm):
        for piece in term.pieces:
            yield _Probe(item_key("piece", piece.origin.span), "piece", t.index, piece)
    if t.body is not None:
        yield from _clause_probes(t.body)
    stack: list[RuleLayout] = list(t.rules)
    while stack:
        rule = stack.pop()
        yield _Probe(item_key("rule", rule.rule.origin.span), "rule", rule.index)
        yield from _clause_probes(rule.condition)
        stack.extend(rule.exceptions)


def _clause_probes(c: Clause) -> Iterator[_Probe]:
    if _is_clause(c.expr):
        yield _Probe(item_key("clause", c.expr.span), "clause", c.index)
    for k in c.children:
        yield from _clause_probes(k)


def _outcome(probe: _Probe, value: Any, as_of: dt.date | None) -> str | None:
    if value is None or value is NOT_EVALUATED:
        return None
    if probe.piece is not None:
        return "used" if as_of is not None and probe.piece.validity.contains(as_of) else None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if probe.kind == "decision":
        return str(value)
    return "evaluated"


# ---------------------------------------------------------------------------- the record


@define(repr=False)
class Coverage(SharedRepr):
    """Items of the policies reported, and the outcomes the traces exercised."""

    items: dict[ItemKey, Item]
    policies: tuple[str, ...]
    seen: dict[ItemKey, set[str]] = field(factory=dict)
    _probes: dict[tuple[int, tuple[Key, ...]], list[_Probe]] = field(factory=dict)

    @classmethod
    def of(cls, policies: Iterable[ir.CheckedPolicy]) -> Coverage:
        chosen = list(policies)
        items = {i.key: i for p in chosen for i in policy_items(p)}
        return cls(items, tuple(p.name for p in chosen))

    def add(self, layout: Layout, slots: tuple[Any, ...], facts: Mapping[str, Any],
            as_of: dt.date | None, keys: Sequence[Key]) -> None:
        """Count one traced evaluation, for the items reachable from `keys`."""
        cache = (id(layout), tuple(keys))
        probes = self._probes.get(cache)
        if probes is None:
            probes = self._probes[cache] = [p for p in _probes(layout, keys)
                                            if p.key in self.items]
        values = all_values(layout, slots, facts, as_of)
        for probe in probes:
            outcome = _outcome(probe, values[probe.index], as_of)
            if outcome is not None:
                self.seen.setdefault(probe.key, set()).add(outcome)

    def report(self) -> list[PolicyCoverage]:
        by_policy: dict[str, list[Item]] = {name: [] for name in self.policies}
        for item in self.items.values():
            by_policy[item.policy].append(item)
        return [self._policy(name, items) for name, items in by_policy.items()]

    def _policy(self, name: str, items: list[Item]) -> PolicyCoverage:
        total = covered = 0
        missing: list[tuple[Item, tuple[str, ...]]] = []
        for item in sorted(items, key=lambda i: (i.span.source, i.span.start, -i.span.end)):
            seen = self.seen.get(item.key, set())
            total += len(item.outcomes)
            covered += sum(1 for o in item.outcomes if o in seen)
            never = tuple(o for o in item.outcomes if o not in seen)
            if never:
                missing.append((item, never))
        return PolicyCoverage(name, covered, total, tuple(missing))


@frozen(repr=False)
class PolicyCoverage(SharedRepr):
    policy: str
    covered: int
    total: int
    missing: tuple[tuple[Item, tuple[str, ...]], ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0


def total_percent(report: Sequence[PolicyCoverage]) -> float:
    covered = sum(p.covered for p in report)
    total = sum(p.total for p in report)
    return 100.0 * covered / total if total else 100.0


# ---------------------------------------------------------------------------- text


def _never(item: Item, outcomes: tuple[str, ...]) -> str:
    if item.outcomes == TWO and outcomes == TWO:
        return "never true or false"
    if item.outcomes == TWO:
        return f"never {outcomes[0]}"
    if outcomes == ("evaluated",):
        return "never evaluated"
    if outcomes == ("used",):
        return "never in force on a case's date"
    return "never " + ", ".join(outcomes)


def coverage_lines(report: Sequence[PolicyCoverage], sources: Mapping[str, Source],
                   width: int = 100) -> list[str]:
    """The coverage as text: the total, then each policy (with its file) and, under it, each
    item its cases never exercised fully: `line:col  kind `text`: never ...` (wrapped)."""
    import textwrap

    covered = sum(p.covered for p in report)
    total = sum(p.total for p in report)
    lines = [f"clause coverage: {total_percent(report):.1f}% ({covered} of {total} outcomes)"]
    for p in report:
        files = sorted({item.span.source for item, _ in p.missing})
        where = f" ({', '.join(files)})" if len(files) == 1 else ""
        lines.append(f"  {p.policy}{where}: {p.percent:.1f}% ({p.covered} of {p.total})")
        for item, never in p.missing:
            place = _where(item.span, sources, with_file=len(files) != 1)
            text = f"{place}  {item.kind} `{item.text}`: {_never(item, never)}"
            lines.extend(textwrap.wrap(text, width, initial_indent="    ",
                                       subsequent_indent="      ", break_on_hyphens=False))
    return lines


def _where(span: Span, sources: Mapping[str, Source], with_file: bool) -> str:
    return location(span, sources, with_file=with_file) or span.source
