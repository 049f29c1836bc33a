"""Checker pass 5: unreachable rules (an error), then warnings: unused facts and definitions,
missing or unverifiable citations.

Input: checked policies and vocabularies, and the seeds (source documents) when known.
Diagnostics: KP211, KP212, KP213, KP215, KP216, KP217, KP222, KP223.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from kprules import ir
from kprules.checker.context import Sink, TermDecl
from kprules.checker.structure import term_exprs
from kprules.core.diagnostics import Related
from kprules.core.files import display_name
from kprules.core.source import Span
from kprules.core.suggest import did_you_mean
from kprules.syntax import nodes as n
from kprules.syntax.seeds import Seed, quote_parts


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


def rule_head(rule: ir.CheckedRule) -> Span:
    """`outcome when condition [from .. until ..]`: a rule without its citations and exceptions."""
    span = rule.origin.span
    ends = [rule.condition.span.end, *([rule.validity.span.end] if rule.validity else [])]
    return Span(span.source, span.start, max(ends))


def term_head(decl: TermDecl) -> Span:
    """`define x`, `decision x`, `parameter x`: where a term is introduced."""
    return Span(decl.node.span.source, decl.node.span.start, decl.node.ident.span.end)


def check_unreachable(policy: ir.CheckedPolicy, sink: Sink) -> None:
    """KP217: rules and exceptions that can never apply (hidden by an earlier unconditional one,
    always false, or valid only outside the interval of what contains them)."""
    for name in sorted(policy.own):
        term = policy.terms[name]
        if isinstance(term, ir.DecisionTerm):
            _unreachable(term.rules, "rule", policy.in_force, "the policy's `in force` interval",
                         sink)
            for rule in term.rules:
                _unreachable(rule.exceptions, "exception", rule.validity,
                             "the interval of its rule", sink)


def _unreachable(rules: Iterable[ir.CheckedRule], what: str, outer: n.Interval | None,
                 outer_name: str, sink: Sink) -> None:
    blocker: ir.CheckedRule | None = None
    for rule in rules:
        truth = constant_truth(rule.condition)
        if blocker is not None:
            sink.error("KP217", f"this {what} can never apply", rule_head(rule),
                       hint=f"the {what} before it applies in every case; move this one up or "
                       "give the earlier one a condition",
                       related=(Related(rule_head(blocker), f"this {what} always applies"),))
        elif truth is False:
            sink.error("KP217", f"this {what} can never apply: its condition is always false",
                       rule_head(rule), hint=f"correct the condition, or remove the {what}")
        elif rule.validity is not None and outer is not None \
                and _disjoint(rule.validity, outer):
            sink.error("KP217", f"this {what} can never apply: it is valid only outside "
                       f"{outer_name}", rule.validity.span,
                       hint="correct the dates", related=(Related(outer.span, "that interval"),))
        elif truth is True and rule.validity is None:
            blocker = rule


def _disjoint(a: n.Interval, b: n.Interval) -> bool:
    """Whether two half-open intervals [start, end) share no day."""
    return (a.end is not None and a.end <= b.start) or (b.end is not None and b.end <= a.start)


def check_unused(vocabularies: Mapping[str, ir.Vocabulary],
                 policies: Mapping[str, ir.CheckedPolicy],
                 decls: Mapping[str, Mapping[str, TermDecl]], sink: Sink) -> None:
    """KP215 for facts no checked policy reads; KP216 for terms no decision reaches."""
    read: dict[str, set[str]] = {}
    for p in policies.values():
        facts = read.setdefault(p.vocabulary.name, set())
        facts.update(x.name for term in p.terms.values() for e in term_exprs(term)
                     for x in ir.walk(e) if isinstance(x, ir.FactRef))
    for vname, facts in read.items():
        vocab = vocabularies[vname]
        for fact in vocab.facts.values():
            if fact.name not in facts and fact.name != vocab.dated_by and not fact.measure:
                sink.warning("KP215", f"no policy reads the fact `{fact.name}`", fact.span,
                             hint="remove it, or use it in a policy")
    used = {key for p in policies.values() for key in _reachable(p)}
    for p in policies.values():
        if not any(isinstance(t, ir.DecisionTerm) for t in p.terms.values()):
            continue  # a policy of definitions only is a library for its amendments
        for name in sorted(p.own):
            term = p.terms[name]
            if not isinstance(term, ir.DecisionTerm) and (p.name, name) not in used:
                what = "definition" if isinstance(term, ir.Definition) else "parameter"
                sink.warning("KP216", f"no decision uses the {what} `{name}`",
                             term_head(decls[p.name][name]),
                             hint="remove it, or use it in a rule")


def decisions_use(policy: ir.CheckedPolicy, name: str) -> bool:
    """Whether an amendment of `policy` that redefines the term `name` gives no KP216: the
    policy has no decision, or its decisions use `name` as evaluated in the policy itself (so
    that an amendment's version is what they use; not only through `base.x`)."""
    if not any(isinstance(t, ir.DecisionTerm) for t in policy.terms.values()):
        return True
    return (policy.name, name) in _walk(policy)[0]


def _reachable(policy: ir.CheckedPolicy) -> set[tuple[str, str]]:
    """(owning policy, term) for every term the decisions of `policy` use, directly or not.

    A name in a body means the evaluating policy's version; `base.x` means the base's, evaluated
    in the base."""
    return _walk(policy)[1]


def _walk(policy: ir.CheckedPolicy) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """From the decisions of `policy`: (evaluating policy, term) for each term used, and
    (owning policy, term)."""
    seen: set[tuple[str, str]] = set()
    out: set[tuple[str, str]] = set()
    stack = [(policy, name) for name, t in policy.terms.items() if isinstance(t, ir.DecisionTerm)]
    while stack:
        ctx, name = stack.pop()
        if (ctx.name, name) in seen or name not in ctx.terms:
            continue
        seen.add((ctx.name, name))
        owner = next(q for q in ctx.chain() if name in q.own)
        out.add((owner.name, name))
        for e in term_exprs(ctx.terms[name]):
            for x in ir.walk(e):
                if isinstance(x, ir.TermRef):
                    stack.append((ctx, x.name))
                elif isinstance(x, ir.BaseRef):
                    stack.append((ctx.policy_named(x.policy), x.name))
    return seen, out


def provisions(term: ir.Term,
               decl: TermDecl) -> Iterable[tuple[str, Span, ir.Provenance]]:
    """Every provision of a term that needs a citation: what it is called, where, and its
    origin (a parameter cited as a whole needs no citation per value)."""
    if isinstance(term, ir.DecisionTerm):
        for rule in term.rules:
            yield "rule", rule_head(rule), rule.origin
            yield from (("exception", rule_head(x), x.origin) for x in rule.exceptions)
    elif isinstance(term, ir.ParameterTerm) and not term.origin.cites and term.pieces:
        yield from (("parameter value", p.origin.span, p.origin) for p in term.pieces)
    else:
        what = "definition" if isinstance(term, ir.Definition) else "parameter"
        yield what, term_head(decl), term.origin


def check_citations(policy: ir.CheckedPolicy, decls: Mapping[str, TermDecl],
                    seeds: Mapping[str, Seed] | None, sink: Sink) -> None:
    for name in sorted(policy.own):
        term = policy.terms[name]
        for what, span, origin in provisions(term, decls[name]):
            if not origin.cites:
                sink.warning("KP211", f"this {what} of `{name}` cites no source", span,
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


def _check_cites(cites: tuple[ir.Cite, ...], seeds: Mapping[str, Seed] | None,
                 sink: Sink) -> None:
    seen: dict[tuple[str, str, str | None], ir.Cite] = {}
    for cite in cites:
        key = (cite.source, cite.locator, cite.quote)
        if key in seen:
            sink.warning("KP223", "this citation is given twice", cite.span,
                         hint="remove the repeated citation",
                         related=(Related(seen[key].span, "first given here"),))
        seen.setdefault(key, cite)
        quoted = cite.quote is not None and bool(quote_parts(cite.quote))
        if not quoted:
            sink.warning("KP222", f"the citation of `{cite.source}` quotes nothing",
                         cite.span, hint="add the quoted text after the locator"
                         if cite.quote is None else "write the quoted text between the quotes "
                         "(`...` only marks a gap in it)")
        if seeds is None:
            continue
        seed = seeds.get(cite.source)
        if seed is None:
            sink.error("KP212", f"no source document `{cite.source}` in the seeds folder",
                       cite.source_span, hint=did_you_mean(cite.source, seeds)
                       or _add_seed(cite.source, seeds))
        elif quoted and cite.quote is not None and not seed.contains(cite.quote):
            shown = display_name(seed.path) if seed.path else f"the seed `{cite.source}`"
            sink.warning("KP213", f"this quotation is not in `{cite.source}`", cite.span,
                         hint=f"quote the text of {shown} exactly (`...` marks a gap)")


def _add_seed(source: str, seeds: Mapping[str, Seed]) -> str:
    """Where to add a missing seed: the seeds folder of the project (or `--seeds`) if known."""
    home = getattr(seeds, "home", None)
    if isinstance(home, Path):
        return f"add {display_name(home / f'{source}.md')}"
    return f"add {source}.md to a seeds folder of your own (`seeds` in kprules.toml, or --seeds)"

