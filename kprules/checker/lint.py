"""Checker pass 5: unreachable rules (an error), then warnings: unused facts and definitions,
missing or unverifiable citations.

Input: checked policies and vocabularies, and the seeds (source documents) when known.
Diagnostics: KP211, KP212, KP213, KP215, KP216, KP217, KP222, KP223.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kprules import ir
from kprules import nodes as n
from kprules.checker.context import Sink
from kprules.checker.structure import term_exprs
from kprules.diagnostics import Related
from kprules.seeds import Seed
from kprules.suggest import did_you_mean


def constant_truth(e: ir.Expr) -> bool | None:
    """True or False when an expression's value does not depend on any fact, else None."""
    match e:
        case ir.Const(value=bool() as v):
            return v
        case ir.Not(operand=o):
            inner = constant_truth(o)
            return None if inner is None else not inner
        case ir.And(operands=ops):
            vals = [constant_truth(o) for o in ops]
            return False if False in vals else (True if all(vals) else None)
        case ir.Or(operands=ops):
            vals = [constant_truth(o) for o in ops]
            return True if True in vals else (False if all(v is False for v in vals) else None)
    return None


def check_unreachable(policy: ir.CheckedPolicy, sink: Sink) -> None:
    for name in sorted(policy.own):
        term = policy.terms[name]
        if isinstance(term, ir.DecisionTerm):
            _unreachable(term.rules, "rule", sink)
            for rule in term.rules:
                _unreachable(rule.exceptions, "exception", sink)


def _unreachable(rules: Iterable[ir.CheckedRule], what: str, sink: Sink) -> None:
    blocker: ir.CheckedRule | None = None
    for rule in rules:
        if blocker is not None:
            sink.error("KP217", f"this {what} can never apply", rule.origin.span,
                       hint=f"the {what} before it applies in every case; move this one up or "
                       "give the earlier one a condition",
                       related=(Related(blocker.origin.span, f"this {what} always applies"),))
        elif constant_truth(rule.condition) is True and rule.validity is None:
            blocker = rule


def check_unused(vocabularies: Mapping[str, ir.Vocabulary],
                 policies: Mapping[str, ir.CheckedPolicy], sink: Sink) -> None:
    facts_used: dict[str, set[str]] = {}
    terms_used: set[tuple[str, str]] = set()
    for p in policies.values():
        used = facts_used.setdefault(p.vocabulary.name, set())
        for term in p.terms.values():
            for e in term_exprs(term):
                for x in _walk(e):
                    if isinstance(x, ir.FactRef):
                        used.add(x.name)
                    elif isinstance(x, ir.TermRef):
                        terms_used.update((q.name, x.name) for q in p.chain())
                    elif isinstance(x, ir.BaseRef):
                        terms_used.add((x.policy, x.name))
    for vname, used in facts_used.items():
        vocab = vocabularies[vname]
        for fact in vocab.facts.values():
            if fact.name not in used and fact.name != vocab.dated_by:
                sink.warning("KP215", f"no policy reads the fact `{fact.name}`", fact.span,
                             hint="remove it, or use it in a policy")
    for p in policies.values():
        if not any(isinstance(p.terms[t], ir.DecisionTerm) for t in p.own):
            continue
        for name in sorted(p.own):
            term = p.terms[name]
            if isinstance(term, ir.Definition) and (p.name, name) not in terms_used:
                sink.warning("KP216", f"no decision uses the definition `{name}`",
                             term.origin.span, hint="remove it, or use it in a rule")


def _walk(e: ir.Expr) -> Iterable[ir.Expr]:
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(ir.children(x))


def provisions(term: ir.Term) -> Iterable[tuple[str, ir.Provenance]]:
    """Every citable provision of a term, with what it is called in messages."""
    if isinstance(term, ir.DecisionTerm):
        for rule in term.rules:
            yield "rule", rule.origin
            yield from (("exception", x.origin) for x in rule.exceptions)
    elif isinstance(term, ir.ParameterTerm):
        if term.origin.cites:
            yield "parameter", term.origin
        else:
            yield from (("parameter value", p.origin) for p in term.pieces)
            if not term.pieces:
                yield "parameter", term.origin
    else:
        yield "definition", term.origin


def check_citations(policy: ir.CheckedPolicy, seeds: Mapping[str, Seed] | None,
                    sink: Sink) -> None:
    for name in sorted(policy.own):
        term = policy.terms[name]
        for what, origin in provisions(term):
            if not origin.cites:
                sink.warning("KP211", f"this {what} of `{name}` cites no source", origin.span,
                             hint='add `cite <source> "<locator>" "<quoted text>"`')
        for origin in _all_origins(term):
            _check_cites(origin.cites, seeds, sink)


def _all_origins(term: ir.Term) -> Iterable[ir.Provenance]:
    yield term.origin
    if isinstance(term, ir.DecisionTerm):
        yield term.default_origin
        for rule in term.rules:
            yield rule.origin
            yield from (x.origin for x in rule.exceptions)
    elif isinstance(term, ir.ParameterTerm):
        yield from (p.origin for p in term.pieces)


def _check_cites(cites: tuple[n.Cite, ...], seeds: Mapping[str, Seed] | None,
                 sink: Sink) -> None:
    seen: dict[tuple[str, str, str | None], n.Cite] = {}
    for cite in cites:
        key = (cite.source.name, cite.locator, cite.quote)
        if key in seen:
            sink.warning("KP223", "this citation is given twice", cite.span,
                         related=(Related(seen[key].span, "first given here"),))
        seen.setdefault(key, cite)
        if cite.quote is None:
            sink.warning("KP222", f"the citation of `{cite.source.name}` quotes nothing",
                         cite.span, hint="add the quoted text after the locator")
        if seeds is None:
            continue
        seed = seeds.get(cite.source.name)
        if seed is None:
            sink.error("KP212", f"no source document `{cite.source.name}` in the seeds folder",
                       cite.source.span, hint=did_you_mean(cite.source.name, seeds)
                       or f"add seeds/{cite.source.name}.md")
        elif cite.quote is not None and not seed.contains(cite.quote):
            sink.warning("KP213", f"this quotation is not in `{cite.source.name}`", cite.span,
                         hint=f"quote the text of seeds/{cite.source.name}.md exactly "
                         "(`...` marks a gap)")

