"""Running the expectations of case files: `kprules test`.

Stage: a `Library` and a `Suite` of cases (kprules.cases.files) -> one `Check` per expectation
(passed,
or failed with the value found and the decisive explanation), and the traced evaluations that
clause coverage (kprules.analysis.coverage) counts. Pure apart from evaluation.

Each case is evaluated once, under one evaluator per vocabulary whose targets are every
`policy.term` the suite expects (compiled once for the suite). With coverage on, or when an
expectation fails, the traced (three-valued, clause by clause) evaluation runs; otherwise the
fast one. An expected value passes when it equals the value found (UNKNOWN only equals UNKNOWN).
A failure carries the decisive explanation of the value found (kprules.why.decisive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
from attrs import frozen

from kprules.cases.model import Case, Expectation, Suite
from kprules.core.shared_repr import SharedRepr
from kprules.eval.evaluate import Evaluator
from kprules.eval.loaded import Loaded
from kprules.explain.nodes import Node
from kprules.explain.tree import Explanation
from kprules.explain.why import decisive
from kprules.ir.runtime import EvalError
from kprules.ir.slots import Key
from kprules.ir.types import Type
from kprules.ir.values import UNKNOWN, format_value, public


@frozen(repr=False)
class Check(SharedRepr):
    """One expectation of one case, and what evaluating it found."""

    case: Case
    expectation: Expectation
    got: Any  # UNKNOWN when undecided; None when the evaluation failed (see `error`)
    as_of: dt.date | None
    why: Node | None = None  # the decisive explanation, for a failure
    explanation: Explanation | None = None
    error: str | None = None  # an evaluation error (KP5xx), one line
    type: Type | None = None  # the term's, to show its values with their unit

    def shown(self, value: Any) -> str:
        """A value of the term as a drafter writes it, with its unit: `100000 ct`."""
        return format_value(value, self.type)

    @property
    def passed(self) -> bool:
        return self.error is None and same(self.expectation.value, self.got)

    @property
    def key(self) -> Key:
        return (self.expectation.policy, self.expectation.term)


@frozen(repr=False)
class Trace(SharedRepr):
    """A traced evaluation of one case, for coverage: the evaluator's layout, the slots, the
    facts and the date, and the expectations' keys (what the case tests)."""

    evaluator: Evaluator
    slots: tuple[Any, ...]
    facts: Mapping[str, Any]
    as_of: dt.date | None
    keys: tuple[Key, ...]


def same(expected: Any, got: Any) -> bool:
    """An expected value and a value found are the same (UNKNOWN and booleans by identity, so
    that `1` never passes for `true`)."""
    if expected is UNKNOWN or got is UNKNOWN or isinstance(expected, bool) \
            or isinstance(got, bool):
        return expected is got
    return bool(expected == got)


class Runner:
    """Evaluators for a suite (one per vocabulary, built on first use), and the run itself."""

    def __init__(self, library: Loaded, suite: Suite) -> None:
        self.library = library
        self.suite = suite
        wanted: dict[str, dict[Key, None]] = {}
        for case in suite.cases:
            for e in case.expect:
                wanted.setdefault(case.vocabulary, {})[(e.policy, e.term)] = None
        self.targets = {vocab: tuple(sorted(keys)) for vocab, keys in wanted.items()}

    def evaluator(self, case: Case) -> Evaluator:
        return self.library.evaluator(list(self.targets[case.vocabulary]))

    def run(self, traces: bool = False) -> Iterator[tuple[list[Check], Trace | None]]:
        """Per case with expectations: its checks, and its trace when `traces` is asked for."""
        for case in self.suite.cases:
            if case.expect:
                yield self.case(case, traces)

    def case(self, case: Case, trace: bool) -> tuple[list[Check], Trace | None]:
        ev = self.evaluator(case)
        as_of = case.as_of(ev.vocabulary.dated_by)
        try:
            values, slots = ev.run(case.facts, as_of, explain=trace)
        except EvalError as err:
            return self._alone(case, as_of, trace, err)
        by_key = dict(zip(ev.keys, values, strict=True))
        checks = [Check(case, e, public(by_key[(e.policy, e.term)]), as_of,
                        type=_type(ev, e)) for e in case.expect]
        if any(not c.passed for c in checks):
            if slots is None:
                values, slots = ev.run(case.facts, as_of, explain=True)
            checks = [c if c.passed else self._explained(c, ev, slots) for c in checks]
        keys = tuple((e.policy, e.term) for e in case.expect)
        return checks, Trace(ev, slots, case.facts, as_of, keys) if trace and slots else None

    def _explained(self, c: Check, ev: Evaluator, slots: tuple[Any, ...] | None) -> Check:
        assert slots is not None
        ex = Explanation(ev.layout, slots, c.case.facts, c.as_of, self.library.sources)
        return attrs.evolve(c, why=decisive(ex.term(c.key)), explanation=ex)

    def _alone(self, case: Case, as_of: dt.date | None, trace: bool,
               err: EvalError) -> tuple[list[Check], Trace | None]:
        """An evaluation error under the suite's evaluator: each expectation on its own, so
        that the error is reported where it happens and nowhere else."""
        checks: list[Check] = []
        for e in case.expect:
            ev = self.library.evaluator([(e.policy, e.term)])
            try:
                values, slots = ev.run(case.facts, as_of, explain=True)
            except EvalError as own:
                checks.append(Check(case, e, None, as_of, error=own.diagnostic.message,
                                    type=_type(ev, e)))
                continue
            check = Check(case, e, public(values[0]), as_of, type=_type(ev, e))
            checks.append(check if check.passed else self._explained(check, ev, slots))
        return checks, None


def _type(ev: Evaluator, e: Expectation) -> Type:
    return ev.layout.terms[(e.policy, e.term)].term.type


def run_suite(library: Loaded, suite: Suite) -> list[Check]:
    """Every expectation of the suite, checked (a convenience for small suites)."""
    return [c for checks, _ in Runner(library, suite).run() for c in checks]


def failures(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if not c.passed]
