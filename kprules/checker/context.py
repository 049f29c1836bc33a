"""Shared state of one checker pass: where diagnostics go, and the names in scope.

A `Scope` is what an expression in one policy (or vocabulary) can see: the facts of its vocabulary,
the terms of the policy (its own and inherited), the enums, and which enums own each value name.
Scopes are built by `kprules.checker.declare` and only read afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeAlias

from attrs import define, field, frozen

from kprules import ir
from kprules.core.diagnostics import Diagnostic, Related, Severity
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Span
from kprules.ir.types import EnumType, Type
from kprules.syntax import nodes as n

KEYWORDS = frozenset("""
    facts dated by enum fact measure set of policy status in force reads
    amends from until define redefine decision default when except parameter cite if
    then else or and not true false base assert implies
""".split())
STATUSES = ir.POLICY_STATUSES
DeclKind: TypeAlias = Literal["define", "decision", "parameter"]


@define(repr=False)
class Sink(SharedRepr):
    """Collects diagnostics; a pass fails when any of them is an error."""

    items: list[Diagnostic] = field(factory=list)

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None,
              related: tuple[Related, ...] = ()) -> None:
        self.items.append(Diagnostic(code, message, span, Severity.ERROR, hint, related))

    def warning(self, code: str, message: str, span: Span | None, hint: str | None = None,
                related: tuple[Related, ...] = ()) -> None:
        self.items.append(Diagnostic(code, message, span, Severity.WARNING, hint, related))

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.items)


@frozen(repr=False)
class TermDecl(SharedRepr):
    """A term as declared (before or after its body is checked)."""

    name: str
    kind: DeclKind
    node: n.Define | n.Decision | n.Parameter
    policy: str
    declared_type: Type | None


@frozen(repr=False)
class Scope(SharedRepr):
    """Everything an expression of policy `policy` can name."""

    policy: str | None
    vocabulary: ir.Vocabulary
    terms: Mapping[str, TermDecl]
    enums: Mapping[str, Type]
    value_owners: Mapping[str, tuple[EnumType, ...]]
    base: str | None
    base_terms: Mapping[str, TermDecl]

    def names(self) -> list[str]:
        """Every name a reference could mean (for did-you-mean)."""
        return [*self.vocabulary.facts, *self.terms]
