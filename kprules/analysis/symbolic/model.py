"""The typed results of a symbolic difference (all frozen attrs objects).

A `TermDiff` is one shared term of one pair of policies: its verdict and its regions of
disagreement; a `Region` is a near-minimal disjunction of `Disjunct`s, each a conjunction
written in the expression syntax with one witness fact set and the provisions that cause it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from kprules.core.shared_repr import SharedRepr
from kprules.ir.types import Type

VERDICTS = ("equivalent", "narrower", "broader", "overlapping", "undecided", "different",
            "too_large")


@frozen(repr=False)
class Cause(SharedRepr):
    """A provision a disagreement comes from: the term as `policy` writes it (`kind`
    "provision"), or the dates in force of its rules (`kind` "in force")."""

    policy: str
    term: str
    kind: str = "provision"
    line: int | None = None

    @property
    def label(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        if self.kind == "in force":
            return f"{self.policy}.{self.term} (dates in force){where}"
        return f"{self.policy}.{self.term}{where}"


@frozen(repr=False)
class Witness(SharedRepr):
    """A complete fact set in the region (facts omitted are unknown, or read by neither text),
    the date it is evaluated on, and the two values; `verified` when the compiled evaluator
    gives those two values. `error`: the evaluator stopped on it instead (a division by zero,
    KP500), so the values are the symbolic method's, unconfirmed. `types` (each fact's) and
    `value_type` (the two values') write them as the language does: `"A"`, `0.5 ct`."""

    facts: Mapping[str, Any]
    as_of: dt.date | None
    base_value: Any
    other_value: Any
    verified: bool
    error: str | None = None
    types: Mapping[str, Type] = field(factory=dict)
    value_type: Type | None = None


@frozen(repr=False)
class Disjunct(SharedRepr):
    condition: str
    witness: Witness
    causes: tuple[Cause, ...]


@frozen(repr=False)
class Region(SharedRepr):
    """`kind`: only_base (BASE true, OTHER false), only_other, undecided (one decides, the
    other is unknown), or values (BASE gives `base_value`, OTHER `other_value`: non-boolean
    terms such as decisions). The region where one text decides and the other is unknown is
    always computed exactly (`empty`, `unknown_facts`); its disjuncts are written out only when
    asked for (`listed`), as it is often long."""

    kind: str
    label: str
    disjuncts: tuple[Disjunct, ...]
    base_value: Any = None
    other_value: Any = None
    empty: bool = True
    unknown_facts: tuple[str, ...] = ()  # undecided: the facts whose unknown can cause it
    listed: bool = True  # False: an undecided region computed but not written out
    # False: the region takes more disjuncts to write than the MAX_LISTED given (its first ones,
    # each exact); the region itself, its verdict and emptiness stay exact
    complete: bool = True


@frozen(repr=False)
class TermDiff(SharedRepr):
    """One term of a pair: the verdict (OTHER against BASE: `broader` when OTHER holds
    wherever BASE does and somewhere more), its regions, and whether the method was exact."""

    term: str
    base: str
    other: str
    verdict: str
    regions: tuple[Region, ...]
    as_of: dt.date | None
    exhaustive: bool = True
    notes: tuple[str, ...] = ()

    @property
    def equivalent(self) -> bool:
        return self.verdict == "equivalent"


@frozen(repr=False)
class Period(SharedRepr):
    """`--over-time`: the differences on the days from `start` until `end` (None: open)."""

    start: dt.date | None
    end: dt.date | None
    diffs: tuple[TermDiff, ...]


@frozen(repr=False)
class PairDiff(SharedRepr):
    """One other policy against the base: its terms' differences (`diffs`), or, over time, the
    differences in each period between the dates where either text changes (`periods`)."""

    other: str
    diffs: tuple[TermDiff, ...]
    periods: tuple[Period, ...] = ()


@frozen(repr=False)
class DiffReport(SharedRepr):
    """A base policy against others. `as_of`: the fixed evaluation date, if any; `dated_by`:
    the fact that dates each point otherwise."""

    base: str
    pairs: tuple[PairDiff, ...]
    as_of: dt.date | None
    dated_by: str | None
    over_time: bool = False
