"""The checker: from parsed modules to checked vocabularies and policies, in ordered passes.

Passes, each reporting all of its errors, and the driver stops after the first pass that found
any (later passes would only report consequences):

1. modules: `reads`, `amends`, statuses, cycles of amendments (`modules.py`);
2. declarations: names, duplicates, types named, define/redefine (`declare.py`);
3. terms: every expression resolved and typed (`terms.py`, `typecheck.py`);
4. structure: cycles between terms (`structure.py`);
5. lint: unreachable rules (errors); unused facts and definitions, citations (warnings).

Input: a `loader.Workspace` (its syntax diagnostics are carried over). Output: `CheckResult`.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen

from kprules import ir
from kprules import nodes as n
from kprules.checker.context import Sink
from kprules.checker.declare import PolicyDecls, declare_policy, declare_vocabulary
from kprules.checker.lint import check_citations, check_unreachable, check_unused
from kprules.checker.modules import check_modules, vocabulary_of
from kprules.checker.structure import check_cycles
from kprules.checker.terms import PolicyTyper
from kprules.diagnostics import Diagnostic, sort_diagnostics
from kprules.loader import Workspace
from kprules.seeds import Seed


@frozen
class CheckResult:
    vocabularies: Mapping[str, ir.Vocabulary]
    policies: Mapping[str, ir.CheckedPolicy]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)


def check(ws: Workspace, seeds: Mapping[str, Seed] | None = None) -> CheckResult:
    """Check every module of a workspace."""
    sink = Sink(list(ws.diagnostics))
    empty = CheckResult({}, {}, ())
    if sink.failed:
        return _done(empty, sink)
    ordered = check_modules(ws.modules, sink)
    if sink.failed:
        return _done(empty, sink)
    vocabularies = {m.name: declare_vocabulary(m, sink) for m in ws.modules.values()
                    if isinstance(m, n.FactsModule)}
    decls: dict[str, PolicyDecls] = {}
    for p in ordered:
        vocab = vocabularies[vocabulary_of(p, ws.modules) or ""]
        base = decls.get(p.amends.name) if p.amends else None
        decls[p.name] = declare_policy(p, vocab, base, sink)
    if sink.failed:
        return _done(CheckResult(vocabularies, {}, ()), sink)
    policies: dict[str, ir.CheckedPolicy] = {}
    for p in ordered:
        base_checked = policies.get(p.amends.name) if p.amends else None
        policies[p.name] = PolicyTyper(decls[p.name], base_checked, sink).run()
    result = CheckResult(vocabularies, policies, ())
    if sink.failed:
        return _done(result, sink)
    for policy in policies.values():
        check_cycles(policy, sink)
    if sink.failed:
        return _done(result, sink)
    for policy in policies.values():
        check_unreachable(policy, sink)
        check_citations(policy, seeds, sink)
    check_unused(vocabularies, policies, sink)
    return _done(result, sink)


def _done(result: CheckResult, sink: Sink) -> CheckResult:
    return CheckResult(result.vocabularies, result.policies, sort_diagnostics(sink.items))
