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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from attrs import define, field, frozen

from kprules import ir
from kprules.checker.structure import dependencies
from kprules.core.shared_repr import SharedRepr
from kprules.core.suggest import did_you_mean, term_hint
from kprules.eval.arith import add
from kprules.eval.evaluate import Evaluator, resolve_as_of
from kprules.eval.loaded import Loaded
from kprules.explain.tree import Explanation
from kprules.explain.why import Alignment, PartingReason, align, parting
from kprules.ir.dates import Interval
from kprules.ir.slots import Key
from kprules.ir.types import Quantity, Type
from kprules.ir.values import format_value, public

if TYPE_CHECKING:
    from kprules.cases.bulk import Record
    from kprules.cases.model import Case


class CompareError(ValueError):
    """A comparison that cannot be made: a one-line message and its code (KP6xx)."""

    def __init__(self, message: str, code: str = "KP600") -> None:
        super().__init__(message)
        self.code = code


@frozen(repr=False)
class CaseInput(SharedRepr):
    """What a comparison needs of a case: an id, facts already validated, a date."""

    id: str
    facts: Mapping[str, Any]
    title: str | None = None
    as_of: dt.date | None = None
    sources: tuple[str, ...] = ()
    contested: str | None = None
    location: str | None = None  # where the case is written (file:line), or its record


ProvisionKind: TypeAlias = Literal["term", "in force"]


@frozen(repr=False)
class Provision(SharedRepr):
    """What a difference comes from: a term as one policy defines it (`kind` "term"), or the
    dates in force of the two policies (`kind` "in force": the same rule applies on the case's
    date under one of them only; `policy` is the other policy, `note` says both intervals)."""

    policy: str
    term: str
    origin: ir.Provenance
    kind: ProvisionKind = "term"
    note: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "in force":
            return f"{self.policy} (dates in force)"
        return f"{self.policy}.{self.term}"


@frozen(repr=False)
class Difference(SharedRepr):
    """A term whose value under `other` differs from its value under `base`, on one case.

    `cause` is found cheaply on every difference; `alignment` (the two explanations aligned where
    they part, with citations) is built from `explanation` when first asked for, so that a
    comparison over bulk data pays for explanation trees only for the differences it shows.
    """

    term: str
    other: str
    base_value: Any
    other_value: Any
    cause: Provision
    base: str
    explanation: Explanation = field(eq=False, repr=False)
    type: Type = field(eq=False, repr=False)  # the term's (a redefinition keeps it)

    @cached_property
    def alignment(self) -> Alignment:
        return align(self.explanation, (self.base, self.term), (self.other, self.term))

    @property
    def transition(self) -> str:
        """`<base value> -> <other value>`, as the summary counts it (`0 ct -> 0.5 ct`)."""
        typ = self.type
        return f"{format_value(self.base_value, typ)} -> {format_value(self.other_value, typ)}"


@frozen(repr=False)
class Row(SharedRepr):
    case: CaseInput
    as_of: dt.date | None
    values: Mapping[Key, Any]
    differences: tuple[Difference, ...]


_ZERO = Decimal(0)


@define(repr=False)
class Transition(SharedRepr):
    count: int = 0
    cases: list[str] = field(factory=list)  # the first few, for reports
    weights: dict[str, Decimal] = field(factory=dict)


@define(repr=False)
class Summary(SharedRepr):
    """Counts accumulated over rows; its size does not grow with the number of cases.

    `differences`: cases where a term differs, per (other policy, term). `transitions`: per
    (other, term, base value, other value, cause label). `outcomes`: cases per (policy, term,
    value); `outcome_counts()` with the values as text. Measures (facts declared with
    `measure`; `Comparison.weight_facts`): `weight_totals` sums each over the cases that give it
    (`weight_cases` counts them); `reclassified` sums them over the cases where the term
    differs, per (other, term), and each transition over its own cases.
    """

    cases: int = 0
    differing_cases: int = 0
    differences: dict[tuple[str, str], int] = field(factory=dict)  # (other, term) -> cases
    transitions: dict[tuple[str, str, str, str, str], Transition] = field(factory=dict)
    causes: dict[str, Provision] = field(factory=dict)  # cause label -> provision
    outcomes: dict[tuple[str, str, Any], int] = field(factory=dict)  # value as evaluated
    weight_totals: dict[str, Decimal] = field(factory=dict)
    weight_cases: dict[str, int] = field(factory=dict)
    reclassified: dict[tuple[str, str], dict[str, Decimal]] = field(factory=dict)
    keep_cases: int = 20
    types: Mapping[str, Type] = field(factory=dict)  # term -> type: values with their unit

    def add(self, row: Row, weights: Mapping[str, Any]) -> None:
        self.cases += 1
        if weights:
            totals, given = self.weight_totals, self.weight_cases
            for name, value in weights.items():
                totals[name] = add(totals.get(name, _ZERO), value)
                given[name] = given.get(name, 0) + 1
        outcomes = self.outcomes
        for (policy, term), value in row.values.items():
            okey = (policy, term, value)
            outcomes[okey] = outcomes.get(okey, 0) + 1
        if row.differences:
            self.differing_cases += 1
        for d in row.differences:
            self._add_difference(row.case.id, d, weights)

    def outcome_counts(self) -> dict[tuple[str, str, str], int]:
        """Cases per (policy, term, value as a drafter writes it)."""
        out: dict[tuple[str, str, str], int] = {}
        for (policy, term, value), n in self.outcomes.items():
            key = (policy, term, format_value(value, self.types.get(term)))
            out[key] = out.get(key, 0) + n
        return out

    @staticmethod
    def transition_key(d: Difference) -> tuple[str, str, str, str, str]:
        """(other, term, base value, other value, cause label): what a transition counts."""
        typ = d.type
        return (d.other, d.term, format_value(d.base_value, typ), format_value(d.other_value, typ),
                d.cause.label)

    def _add_difference(self, case: str, d: Difference, weights: Mapping[str, Any]) -> None:
        key2 = (d.other, d.term)
        self.differences[key2] = self.differences.get(key2, 0) + 1
        shifted = self.reclassified.setdefault(key2, {})
        tkey = self.transition_key(d)
        self.causes.setdefault(d.cause.label, d.cause)
        t = self.transitions.setdefault(tkey, Transition())
        t.count += 1
        if len(t.cases) < self.keep_cases:
            t.cases.append(case)
        for name, value in weights.items():
            t.weights[name] = add(t.weights.get(name, _ZERO), value)
            shifted[name] = add(shifted.get(name, _ZERO), value)


class Comparison:
    """A base policy, other policies and the terms compared; rows come from `rows(cases)`."""

    def __init__(self, library: Loaded, base: str, others: Sequence[str],
                 terms: Sequence[str] | None = None, as_of: dt.date | None = None) -> None:
        self.library = library
        self.base = base
        self.others = tuple(others)
        self.as_of = as_of
        policies = [_policy(library, name) for name in (base, *others)]
        vocabularies = {p.vocabulary.name for p in policies}
        if len(vocabularies) > 1:
            raise CompareError("the policies read different vocabularies ("
                               + ", ".join(f"`{p.name}`: `{p.vocabulary.name}`" for p in policies)
                               + "); only policies over one vocabulary can be compared")
        self.terms = tuple(dict.fromkeys(terms)) if terms else default_terms(
            policies)
        for p in policies:
            for t in self.terms:
                if t not in p.terms:
                    hint = term_hint(t, p.terms)
                    raise CompareError(f"policy `{p.name}` has no term `{t}`"
                                       + (f"; {hint}" if hint else ""), "KP601")
        if not self.terms:
            names = [f"`{p.name}`" for p in policies]
            raise CompareError(f"{', '.join(names[:-1])} and {names[-1]} have no term in common "
                               "to compare", "KP605")
        self.targets: tuple[Key, ...] = tuple(
            (p, t) for p in (base, *others) for t in self.terms)
        self.evaluator: Evaluator = library.evaluator(list(self.targets))
        where = {key: i for i, key in enumerate(self.targets)}
        # (other, term) with the places of the base's and the other's values in an evaluation
        self._pairs = [((o, t), where[(base, t)], where[(o, t)])
                       for o in self.others for t in self.terms]
        self.vocabulary = policies[0].vocabulary
        self.term_types: dict[str, Type] = {
            t: self.evaluator.layout.terms[(base, t)].term.type for t in self.terms}
        # the unit of each term whose values are quantities (`counted_carats`: `ct`)
        self.term_units = {t: typ.unit for t, typ in self.term_types.items()
                           if isinstance(typ, Quantity)}
        self.weight_facts = tuple(sorted(
            name for name, info in self.vocabulary.facts.items() if info.measure))

    def rows(self, cases: Iterable[CaseInput]) -> Iterator[Row]:
        for case in cases:
            yield self.row(case)

    def row(self, case: CaseInput) -> Row:
        """One case: every policy's value of every term, and the differences from the base.

        The evaluation date: the case's own (`CaseInput.as_of`), else the vocabulary's `dated
        by` fact, else the comparison's `as_of`."""
        as_of = case.as_of or resolve_as_of(case.facts, self.vocabulary, None) or self.as_of
        raw, _ = self.evaluator.run(case.facts, as_of)
        diffs = [key for key, b, o in self._pairs
                 if raw[o] != raw[b] or (raw[o] is None) != (raw[b] is None)]
        differences: tuple[Difference, ...] = ()
        if diffs:
            differences = self._differences(case, as_of, diffs)
        return Row(case, as_of, dict(zip(self.targets, map(public, raw), strict=True)),
                   differences)

    def _differences(self, case: CaseInput, as_of: dt.date | None,
                     diffs: list[tuple[str, str]]) -> tuple[Difference, ...]:
        values, slots = self.evaluator.run(case.facts, as_of, explain=True)
        assert slots is not None
        layout = self.evaluator.layout
        ex = Explanation(layout, slots, case.facts, as_of, self.library.sources)
        by_key = dict(zip(self.targets, values, strict=True))
        out = []
        for other, term in diffs:
            (policy, name), reason = parting(layout, slots, case.facts, as_of,
                                             (self.base, term), (other, term))
            cause = self._cause(policy, name, reason)
            out.append(Difference(term, other, public(by_key[(self.base, term)]),
                                  public(by_key[(other, term)]), cause, self.base, ex,
                                  self.term_types[term]))
        return tuple(out)

    def _cause(self, policy: str, name: str, reason: PartingReason) -> Provision:
        if reason == "in force":
            p = self.library.result.policies[policy]
            note = "; ".join(f"`{q.name}` {_in_force_text(q.in_force)}"
                             for q in (self.library.result.policies[self.base], p))
            return Provision(policy, name, ir.Provenance(policy, p.span), "in force", note)
        t = self.library.result.policies[policy].terms[name]
        return Provision(t.origin.policy, name, t.origin)

    def weights(self, case: CaseInput) -> dict[str, Any]:
        return {name: case.facts[name] for name in self.weight_facts if name in case.facts}


def _in_force_text(interval: Interval | None) -> str:
    if interval is None:
        return "in force at any date"
    return f"in force from {interval.start}" + (f" until {interval.end}" if interval.end else "")


def from_case(case: Case) -> CaseInput:
    """A case of a case file (`kprules.cases.files`) as a comparison input."""
    return CaseInput(case.id, case.facts, case.title, case.date, case.sources, case.contested,
                     f"{case.file}:{case.line}")


def from_record(record: Record, file: str,
                place: Callable[[int], str] | None = None) -> CaseInput:
    """A record of a data file (`kprules.cases.bulk`) as a comparison input, named by its `id` field
    or its number, and located by its line, else by `place` (a Parquet record: its row group
    and row, kprules.cases.parquet.record_place), else as `FILE#NUMBER`."""
    if record.line is not None:
        where = f"{file}:{record.line}"
    else:
        where = place(record.number) if place is not None else f"{file}#{record.number}"
    return CaseInput(record.label, record.facts, location=where)


def _policy(library: Loaded, name: str) -> ir.CheckedPolicy:
    policies = library.result.policies
    if name not in policies:
        hint = did_you_mean(name, policies)
        raise CompareError(f"no policy `{name}`" + (f"; {hint}" if hint else ""), "KP602")
    return policies[name]


def default_terms(policies: Sequence[ir.CheckedPolicy]) -> tuple[str, ...]:
    """The terms whose value can differ: those an amendment changes, and those using them;
    for policies that do not amend the base, every term they share (parameters excluded). When
    that leaves nothing (an amendment that redefines nothing, a policy against itself), every
    term they share."""
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
    if not keep:  # the amendments change nothing (a policy against itself): every common term
        keep = [t for t in sorted(common) if not isinstance(base.terms[t], ir.ParameterTerm)]
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
