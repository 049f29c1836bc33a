"""The checker: from parsed modules to checked vocabularies and policies, in ordered passes.

Passes, each reporting all of its errors, and the driver stops after the first pass that found
any (later passes would only report consequences):

1. modules: `reads`, `amends`, statuses, cycles of amendments (`modules.py`);
2. declarations: names, duplicates, types named, define/redefine (`declare.py`);
3. terms: every expression resolved and typed (`terms.py`, `typecheck.py`);
4. structure: cycles between terms, depth (`structure.py`); size limits (`limits.py`);
5. lint: unreachable rules (errors); unused facts and definitions, citations (warnings);
6. assertions: `assert name: a.term implies b.term`, resolved and typed (`assertions.py`).

Input: a `loader.Workspace` (its syntax diagnostics are carried over). Output: `CheckResult`.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen

from kprules import ir
from kprules.checker.assertions import CheckedAssertion, check_assertions
from kprules.checker.context import Sink, TermDecl
from kprules.checker.declare import PolicyDecls, declare_policy, declare_vocabulary
from kprules.checker.limits import check_magnitudes, check_sizes, check_total
from kprules.checker.lint import check_citations, check_unreachable, check_unused
from kprules.checker.modules import check_modules, vocabulary_of
from kprules.checker.structure import check_cycles, check_depth
from kprules.checker.terms import PolicyTyper
from kprules.core.diagnostics import Diagnostic, sort_diagnostics
from kprules.core.shared_repr import SharedRepr
from kprules.syntax import nodes as n
from kprules.syntax.loader import Workspace
from kprules.syntax.seeds import Seed


@frozen(repr=False)
class CheckResult(SharedRepr):
    vocabularies: Mapping[str, ir.Vocabulary]
    policies: Mapping[str, ir.CheckedPolicy]
    diagnostics: tuple[Diagnostic, ...]
    assertions: tuple[CheckedAssertion, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)


def check(ws: Workspace, seeds: Mapping[str, Seed] | None = None) -> CheckResult:
    """Check every module of a workspace; with `seeds`, also check what citations quote.

    Errors are reported wherever they are; warnings only in the modules the user gave (not in
    those the loader found nearby)."""
    sink = Sink(list(ws.diagnostics))
    result = _run(ws, seeds, sink)
    given = {ws.modules[name].span.source for name in ws.given if name in ws.modules}
    kept = [d for d in sink.items if d.is_error or d.span is None or d.span.source in given]
    return CheckResult(result.vocabularies, result.policies, sort_diagnostics(kept),
                       result.assertions)


def _run(ws: Workspace, seeds: Mapping[str, Seed] | None, sink: Sink) -> CheckResult:
    """The passes, in order; each returns what the next needs, and the run stops after the
    first pass that reported an error."""
    empty = CheckResult({}, {}, ())
    if sink.failed:
        return empty
    ordered = check_modules(ws.modules, sink)
    if sink.failed:
        return empty
    vocabs = {m.name: declare_vocabulary(m, sink) for m in ws.modules.values()
              if isinstance(m, n.FactsModule)}
    decls: dict[str, PolicyDecls] = {}
    for p in ordered:
        base = decls.get(p.amends.name) if p.amends else None
        decls[p.name] = declare_policy(p, vocabs[vocabulary_of(p, ws.modules) or ""], base, sink)
    vocabularies = {name: v.vocab for name, v in vocabs.items()}
    if sink.failed:
        return CheckResult(vocabularies, {}, ())
    policies: dict[str, ir.CheckedPolicy] = {}
    for p in ordered:
        base_checked = policies.get(p.amends.name) if p.amends else None
        policies[p.name] = PolicyTyper(decls[p.name], base_checked, sink).run()
    result = CheckResult(vocabularies, policies, ())
    if not sink.failed:
        for policy in policies.values():
            check_cycles(policy, sink)
    if not sink.failed:
        depths: dict[tuple[str, str], int] = {}
        for policy in policies.values():
            check_depth(policy, depths, sink)
    if not sink.failed:
        _limits(policies, sink)
    if not sink.failed:
        _lint(result, {name: d.scope.terms for name, d in decls.items()}, seeds, sink)
    if not sink.failed:
        claims = check_assertions(ws.modules, policies, sink)
        result = CheckResult(vocabularies, policies, (), claims)
    return result


def _limits(policies: Mapping[str, ir.CheckedPolicy], sink: Sink) -> None:
    digits: dict[tuple[str, str], int] = {}
    for policy in policies.values():
        check_sizes(policy, sink)
        check_magnitudes(policy, digits, sink)
    check_total(list(policies.values()), sink)


def _lint(result: CheckResult, terms: Mapping[str, Mapping[str, TermDecl]],
          seeds: Mapping[str, Seed] | None, sink: Sink) -> None:
    for policy in result.policies.values():
        check_unreachable(policy, sink)
        check_citations(policy, terms[policy.name], seeds, sink)
    check_unused(result.vocabularies, result.policies, terms, sink)
