"""What case files hold, once read and validated: `Case`s (with the place of every key) and
their `Expectation`s, the `Suite` of some files, and `CaseError`.

Stage: none (the objects kprules.cases.files makes and the commands read). Pure data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen

from kprules.core.diagnostics import Diagnostic, PolicyError, errors_in
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import NO_SPAN, Source, Span
from kprules.core.suggest import did_you_mean


@frozen(repr=False)
class Expectation(SharedRepr):
    """`policy.term = value`: the value a case expects (UNKNOWN: the facts do not decide it)."""

    policy: str
    term: str
    value: Any
    span: Span = field(default=NO_SPAN, eq=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.policy}.{self.term}"


@frozen(repr=False)
class Case(SharedRepr):
    """One validated case. `facts` are typed (as `validate` returns them); `raw_facts` as written.

    `spans` maps each key to its place in the file: "" (the case's `[case]` or `[[case]]`), "id",
    "title", "sources", "date", "contested", "notes", "facts.<name>", "expect.<policy>.<term>";
    a key a family gives points into the family's part of the file. `lines` are their lines."""

    id: str
    title: str
    sources: tuple[str, ...]
    date: dt.date | None
    contested: str | None
    notes: str | None
    facts: Mapping[str, Any]
    raw_facts: Mapping[str, Any]
    expect: tuple[Expectation, ...]
    vocabulary: str
    file: str
    family: str | None = None
    spans: Mapping[str, Span] = field(factory=dict, eq=False, repr=False)
    lines: Mapping[str, int] = field(factory=dict, eq=False, repr=False)

    @property
    def span(self) -> Span:
        return self.spans[""]

    @property
    def line(self) -> int:
        return self.lines[""]

    def as_of(self, dated_by: str | None, default: dt.date | None = None) -> dt.date | None:
        """The evaluation date: the case's `date`, else its `dated by` fact, else `default`."""
        if self.date is not None:
            return self.date
        value = self.facts.get(dated_by) if dated_by else None
        return value if isinstance(value, dt.date) else default


@frozen(repr=False)
class Suite(SharedRepr):
    """The cases of some files, the sources read, and every diagnostic (sorted)."""

    cases: tuple[Case, ...]
    sources: Mapping[str, Source]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not errors_in(self.diagnostics)

    def by_id(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        hint = did_you_mean(case_id, [c.id for c in self.cases])
        raise KeyError(f"no case `{case_id}`" + (f"; {hint}" if hint else ""))


class CaseError(PolicyError):
    """Case files with errors: the diagnostics, and the sources to render them with."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, Source]) -> None:
        super().__init__(diagnostics)
        self.sources = sources
