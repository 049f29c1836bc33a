"""The parts of an explanation: a tree of `Node`s with their citations and, on an unknown term,
why it is unknown; and `ExplanationView`, what the renderers need of a whole explanation.

Data only (frozen attrs): built by `kprules.explain.tree`, written out by
`kprules.explain.render`, so the renderer never needs the builder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Protocol, TypeAlias

from attrs import frozen

from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span
from kprules.core.wording import NOT_EVALUATED_TEXT
from kprules.ir import Cite
from kprules.ir.runtime import NOT_EVALUATED
from kprules.ir.slots import Key
from kprules.ir.types import Type
from kprules.ir.values import to_json

TermKind: TypeAlias = Literal["definition", "decision", "parameter"]
RuleKind: TypeAlias = Literal["rule", "exception"]
# A node: a term; a rule, an exception or the default of a decision; a piece of a parameter; a
# clause of an expression, a fact, or a reference to another term.
NodeKind: TypeAlias = TermKind | RuleKind | Literal["default", "piece", "clause", "fact", "term"]
ClauseOp: TypeAlias = Literal["and", "or", "not", "if", "compare", "in", "range", "arith", "neg",
                              "set"]
TERM_KINDS: tuple[TermKind, ...] = ("definition", "decision", "parameter")


@frozen(repr=False)
class Citation(SharedRepr):
    source: str
    locator: str
    quote: str | None

    @staticmethod
    def of(cite: Cite) -> Citation:
        return Citation(cite.source, cite.locator, cite.quote)


@frozen(repr=False)
class Unknowns(SharedRepr):
    """Why a term is unknown: the facts it needed that were not given, whether it needed the
    evaluation date (and there was none), and its parameters that have no value on the date."""

    facts: tuple[str, ...] = ()
    no_date: bool = False
    parameters: tuple[str, ...] = ()


@frozen(repr=False)
class Moot(SharedRepr):
    """An unknown rule or exception of a decision that is decided all the same: every way it
    resolves gives `outcome` (it gives that outcome if it applies, and `otherwise`, the rule,
    exception or default that gave the outcome, does if it does not)."""

    provision: str  # "rule 1", "exception 1 of rule 2"
    label: str  # "<outcome> when <condition>"
    why: Unknowns
    outcome: str
    otherwise: str  # "rule 3", "the default"


@frozen(repr=False)
class Node(SharedRepr):
    """One line of an explanation and what it stands on."""

    kind: NodeKind
    label: str
    value: Any  # a run-time value, None for unknown, NOT_EVALUATED when never reached
    children: tuple[Node, ...] = ()
    span: Span | None = None
    cites: tuple[Citation, ...] = ()
    ref: Key | None = None
    fired: bool = False
    note: str | None = None
    op: ClauseOp | None = None  # for clauses: the kind of expression
    type: Type | None = None  # of the value (terms, clauses, facts), to show it with its unit
    unknown: Unknowns | None = None  # on a term whose value is unknown: why
    moot: tuple[Moot, ...] = ()  # on a decided decision: the unknowns that did not matter

    @property
    def evaluated(self) -> bool:
        return self.value is not NOT_EVALUATED


class ExplanationView(Protocol):
    """What a renderer reads of an explanation: its date, its sources, its term trees."""

    @property
    def as_of(self) -> dt.date | None: ...

    @property
    def sources(self) -> Mapping[str, Source]: ...

    def terms(self) -> Iterable[Node]: ...


def value_json(value: Any) -> Any:
    if value is NOT_EVALUATED:
        return NOT_EVALUATED_TEXT
    return to_json(value)
