"""Checker pass 6 (assertions): `assert name: a.term implies b.term`, resolved and typed.

Input: the parsed policy modules and the checked policies. Output: `CheckedAssertion`s, proved
later by `kprules check --prove` (kprules.analysis.symbolic.prove). A qualified name must name
the policy the assertion is written in or one it amends, directly or not (so that what an
assertion means does not depend on which other files are loaded), and a true/false term of it.
Errors: KP200 (an unknown policy or term), KP201 (an assertion name used twice), KP209, KP300.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import field, frozen

from kprules import ir
from kprules.checker.context import Sink
from kprules.checker.declare import check_name
from kprules.core.diagnostics import Related
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Span
from kprules.core.suggest import did_you_mean
from kprules.ir.types import BOOL, describe
from kprules.syntax import nodes as n


@frozen(repr=False)
class CheckedAssertion(SharedRepr):
    """`left` implies `right`: each a (policy, term) key, the term as that policy evaluates it."""

    name: str
    policy: str
    left: tuple[str, str]
    right: tuple[str, str]
    span: Span = field(eq=False, repr=False)

    @property
    def text(self) -> str:
        return f"{self.left[0]}.{self.left[1]} implies {self.right[0]}.{self.right[1]}"


def check_assertions(modules: Mapping[str, n.PolicyModule | n.FactsModule],
                     policies: Mapping[str, ir.CheckedPolicy],
                     sink: Sink) -> tuple[CheckedAssertion, ...]:
    out: list[CheckedAssertion] = []
    for m in modules.values():
        if not isinstance(m, n.PolicyModule) or m.name not in policies:
            continue
        seen: dict[str, n.Assertion] = {}
        for claim in m.assertions:
            checked = _check(claim, policies[m.name], seen, sink)
            seen.setdefault(claim.ident.name, claim)
            if checked is not None:
                out.append(checked)
    return tuple(out)


def _check(claim: n.Assertion, policy: ir.CheckedPolicy, seen: Mapping[str, n.Assertion],
           sink: Sink) -> CheckedAssertion | None:
    check_name(claim.ident, "an assertion", sink)
    first = seen.get(claim.ident.name)
    if first is not None:
        sink.error("KP201", f"the assertion `{claim.ident.name}` is written twice in "
                   f"`{policy.name}`", claim.ident.span, hint="rename one of them",
                   related=(Related(first.ident.span, "first written here"),))
        return None
    left, right = _term(claim.left, policy, sink), _term(claim.right, policy, sink)
    if left is None or right is None:
        return None
    return CheckedAssertion(claim.ident.name, policy.name, left, right, claim.span)


def _true_false_terms(policy: ir.CheckedPolicy, shown: int = 6) -> str:
    """The hint naming what an assertion can relate: the policy's true/false terms."""
    names = sorted(name for name, term in policy.terms.items() if term.type == BOOL)
    if not names:
        return f"`{policy.name}` has no true/false term for an assertion to relate"
    listed = ", ".join(f"`{name}`" for name in names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"its true/false terms are {listed}{more}"


def _term(q: n.QualifiedName, policy: ir.CheckedPolicy, sink: Sink) -> tuple[str, str] | None:
    chain = {p.name: p for p in policy.chain()}
    target = chain.get(q.policy.name)
    if target is None:
        hint = did_you_mean(q.policy.name, chain) or (
            "an assertion names this policy or one it amends: "
            + ", ".join(f"`{name}`" for name in chain))
        sink.error("KP200", f"`{q.policy.name}` is not `{policy.name}` nor a policy it amends",
                   q.policy.span, hint=hint)
        return None
    term = target.terms.get(q.term.name)
    if term is None:
        sink.error("KP200", f"policy `{target.name}` has no term `{q.term.name}`", q.term.span,
                   hint=did_you_mean(q.term.name, target.terms) or _true_false_terms(target))
        return None
    if term.type != BOOL:
        sink.error("KP300", f"`{q.text}` is {describe(term.type)}, and an assertion relates "
                   "true/false terms", q.span, hint="name a definition that is true or false")
        return None
    return (target.name, q.term.name)
