"""Comparison: one base policy and other policies, over the same cases; what changes and why.

Stage: (library, policy names, terms, cases) -> rows (one per case) and a summary. Pure, apart
from evaluation. Rows are produced lazily (`Comparison.rows()`), so reports over bulk data can
be written as a stream; the summary is accumulated as the rows are consumed (`Summary.add`).

For each case and term, every policy's value. A difference is a term whose value under another
policy differs from its value under the base; each difference carries the alignment of the two
explanations (kprules.why.align): the walk to where they part, the decisive clauses on each side
with their citations, and the provision (the term as defined in the other policy) that caused it.
Transitions are counted per (other policy, term, base value -> other value), grouped by that
provision. Over bulk data, quantity facts (carats, usd) are summed over all cases and over the
reclassified ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import define, field, frozen

from kprules import ir
from kprules.api import Library
from kprules.checker.structure import dependencies
from kprules.evaluate import Evaluator, resolve_as_of
from kprules.explain import Explanation
from kprules.layout import Key
from kprules.typesys import Quantity
from kprules.values import public
from kprules.why import Alignment, align


class CompareError(ValueError):
    """A comparison that cannot be made (one-line message for the CLI)."""


@frozen
class CaseInput:
    """What a comparison needs of a case: an id, facts already validated, a date."""

    id: str
    facts: Mapping[str, Any]
    title: str | None = None
    as_of: dt.date | None = None
    sources: tuple[str, ...] = ()
    contested: str | None = None


@frozen
class Provision:
    """The provision a difference comes from: a term as one policy defines it."""

    policy: str
    term: str
    origin: ir.Provenance

    @property
    def label(self) -> str:
        return f"{self.policy}.{self.term}"


@frozen
class Difference:
    term: str
    other: str
    base_value: Any
    other_value: Any
    alignment: Alignment
    cause: Provision


@frozen
class Row:
    case: CaseInput
    as_of: dt.date | None
    values: Mapping[Key, Any]
    differences: tuple[Difference, ...]


@define
class Transition:
    count: int = 0
    cases: list[str] = field(factory=list)  # the first few, for reports
    weights: dict[str, Decimal] = field(factory=dict)


@define
class Summary:
    """Counts accumulated over rows."""

    cases: int = 0
    differing_cases: int = 0
    differences: dict[tuple[str, str], int] = field(factory=dict)  # (other, term) -> cases
    transitions: dict[tuple[str, str, str, str, str], Transition] = field(factory=dict)
    weight_totals: dict[str, Decimal] = field(factory=dict)
    keep_cases: int = 20

    def add(self, row: Row, weights: Mapping[str, Any]) -> None:
        self.cases += 1
        for name, value in weights.items():
            self.weight_totals[name] = self.weight_totals.get(name, Decimal(0)) + value
        if row.differences:
            self.differing_cases += 1
        for d in row.differences:
            key2 = (d.other, d.term)
            self.differences[key2] = self.differences.get(key2, 0) + 1
            tkey = (d.other, d.term, _shown(d.base_value), _shown(d.other_value), d.cause.label)
            t = self.transitions.setdefault(tkey, Transition())
            t.count += 1
            if len(t.cases) < self.keep_cases:
                t.cases.append(row.case.id)
            for name, value in weights.items():
                t.weights[name] = t.weights.get(name, Decimal(0)) + value


def _shown(value: Any) -> str:
    from kprules.values import format_value

    return format_value(value)


class Comparison:
    """A base policy, other policies and the terms compared; rows come from `rows(cases)`."""

    def __init__(self, library: Library, base: str, others: Sequence[str],
                 terms: Sequence[str] | None = None, as_of: dt.date | None = None) -> None:
        self.library = library
        self.base = base
        self.others = tuple(others)
        self.as_of = as_of
        policies = [library[name] for name in (base, *others)]
        vocabularies = {p.vocabulary.name for p in policies}
        if len(vocabularies) > 1:
            raise CompareError("the policies read different vocabularies ("
                               + ", ".join(f"{p.name}: {p.vocabulary.name}" for p in policies)
                               + "); only policies over one vocabulary can be compared")
        self.terms = tuple(terms) if terms else default_terms(
            [p.checked for p in policies])
        for p in policies:
            for t in self.terms:
                if t not in p.checked.terms:
                    raise CompareError(f"policy `{p.name}` has no term `{t}`")
        if not self.terms:
            raise CompareError("the policies have no term in common to compare")
        self.targets: tuple[Key, ...] = tuple(
            (p, t) for p in (base, *others) for t in self.terms)
        self.evaluator: Evaluator = library.evaluator(list(self.targets))
        self.vocabulary = policies[0].vocabulary
        self.weight_facts = tuple(sorted(
            name for name, info in self.vocabulary.facts.items()
            if isinstance(info.type, Quantity)))

    def rows(self, cases: Iterable[CaseInput]) -> Iterator[Row]:
        for case in cases:
            yield self.row(case)

    def row(self, case: CaseInput) -> Row:
        as_of = resolve_as_of(case.facts, self.vocabulary, case.as_of or self.as_of)
        raw, _ = self.evaluator.run(case.facts, as_of)
        values = dict(zip(self.targets, raw, strict=True))
        diffs = [(o, t) for o in self.others for t in self.terms
                 if values[(o, t)] != values[(self.base, t)]
                 or (values[(o, t)] is None) != (values[(self.base, t)] is None)]
        differences: tuple[Difference, ...] = ()
        if diffs:
            differences = self._differences(case, as_of, diffs)
        return Row(case, as_of, {k: public(v) for k, v in values.items()}, differences)

    def _differences(self, case: CaseInput, as_of: dt.date | None,
                     diffs: list[tuple[str, str]]) -> tuple[Difference, ...]:
        values, slots = self.evaluator.run(case.facts, as_of, explain=True)
        assert slots is not None
        ex = Explanation(self.evaluator.layout, slots, case.facts, as_of, self.library.sources)
        by_key = dict(zip(self.targets, values, strict=True))
        out = []
        for other, term in diffs:
            alignment = align(ex, (self.base, term), (other, term))
            policy, name = alignment.parted_at
            t = self.library[policy].checked.terms[name]
            cause = Provision(t.origin.policy, name, t.origin)
            out.append(Difference(term, other, public(by_key[(self.base, term)]),
                                  public(by_key[(other, term)]), alignment, cause))
        return tuple(out)

    def weights(self, case: CaseInput) -> dict[str, Any]:
        return {name: case.facts[name] for name in self.weight_facts if name in case.facts}


def default_terms(policies: Sequence[ir.CheckedPolicy]) -> tuple[str, ...]:
    """The terms whose value can differ: those an amendment changes, and those using them;
    for policies that do not amend the base, every term they share (parameters excluded)."""
    base, others = policies[0], policies[1:]
    common = set(base.terms)
    for p in others:
        common &= set(p.terms)
    changed: set[str] = set()
    for p in others:
        if base.name in [q.name for q in p.chain()]:
            changed |= amended_terms(p, base.name)
        else:
            changed |= common
    keep = [t for t in sorted(common & changed)
            if not isinstance(base.terms[t], ir.ParameterTerm)]
    return tuple(keep)


def amended_terms(policy: ir.CheckedPolicy, base: str) -> set[str]:
    """Terms of `policy` that an amendment between it and `base` redefines, and every term of
    `policy` that depends on one of those (references resolve in `policy`)."""
    base_terms = policy.policy_named(base).terms
    changed: set[str] = set()
    for p in policy.chain():
        if p.name == base:
            break
        changed |= {t for t in p.own if t in base_terms}
    deps = {name: {r.name for r in dependencies(t)} for name, t in policy.terms.items()}
    grew = True
    while grew:
        grew = False
        for name, uses in deps.items():
            if name not in changed and uses & changed:
                changed.add(name)
                grew = True
    return changed


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)
