"""Checker pass 2: declarations. Builds vocabularies and the scope of every policy.

Input: parsed modules (policies in dependency order). Output: `ir.Vocabulary` per facts module and
a `Scope` per policy. Errors: KP200 (`dated by` fact), KP201, KP206, KP207, KP209, KP219, KP300
(`dated by` type), KP306.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import frozen

from kprules import ir
from kprules.checker.context import KEYWORDS, DeclKind, Scope, Sink, TermDecl
from kprules.core.countries import looks_like_country
from kprules.core.diagnostics import Related
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Span
from kprules.core.suggest import did_you_mean
from kprules.ir.types import (
    BUILTIN_TYPES,
    COUNTRY,
    DATE,
    DECIMAL,
    INTEGER,
    EnumType,
    Quantity,
    SetType,
    Type,
    describe,
)
from kprules.syntax import nodes as n


def check_name(ident: n.Ident, what: str, sink: Sink) -> None:
    """Reject keywords and country-shaped names as declared names (KP209)."""
    if ident.name in KEYWORDS:
        sink.error("KP209", f"`{ident.name}` is a keyword and cannot name {what}", ident.span,
                   hint=f"choose another name, such as `{ident.name}_`")
    elif looks_like_country(ident.name):
        sink.error("KP209", f"`{ident.name}` is shaped like a country code and cannot name "
                   f"{what}", ident.span,
                   hint=f"two capital letters always mean a country; write `{ident.name.lower()}`")


def resolve_type(ref: n.TypeRef, enums: Mapping[str, Type], sink: Sink) -> Type | None:
    """The type a type reference names, or None after reporting KP306."""
    if isinstance(ref, n.SetType):
        element = _named(ref.element, enums, sink)
        if element is None:
            return None
        if not isinstance(element, EnumType) and element != COUNTRY:
            sink.error("KP306", f"a set holds enum values or countries, not `{element}`",
                       ref.element.span, hint="declare an enum for the values")
            return None
        return SetType(element)
    return _named(ref.ident, enums, sink)


def _named(ident: n.Ident, enums: Mapping[str, Type], sink: Sink) -> Type | None:
    if ident.name in BUILTIN_TYPES:
        return BUILTIN_TYPES[ident.name]
    if ident.name in enums:
        return enums[ident.name]
    sink.error("KP306", f"unknown type `{ident.name}`", ident.span,
               hint=did_you_mean(ident.name, [*BUILTIN_TYPES, *enums])
               or "the types are " + ", ".join(f"`{t}`" for t in BUILTIN_TYPES)
               + ", an enum, or `set of` an enum")
    return None


def check_interval(interval: n.Interval | None, sink: Sink) -> None:
    if interval is not None and interval.end is not None and interval.end <= interval.start:
        sink.error("KP219", f"the interval from {interval.start} until {interval.end} is empty",
                   interval.span, hint="`until` is the first day no longer included; it must "
                   "come after `from`")


def declare_enums(decls: Iterable[n.EnumDecl], known: Mapping[str, Type],
                  places: Mapping[str, Span], sink: Sink) -> dict[str, tuple[EnumType, Span]]:
    """Enum types from declarations, with where each is declared. Reports duplicates among them
    and with `known` types (declared at `places`; built-in types have no place)."""
    out: dict[str, tuple[EnumType, Span]] = {}
    for decl in decls:
        check_name(decl.ident, "an enum", sink)
        name = decl.ident.name
        prior = out[name][1] if name in out else places.get(name)
        if prior is not None:
            sink.error("KP201", f"the type `{name}` is declared twice", decl.ident.span,
                       related=(Related(prior, "first declared here"),),
                       hint="rename one of them")
            continue
        if name in known:
            sink.error("KP209", f"`{name}` is a built-in type and cannot name an enum",
                       decl.ident.span, hint=f"choose another name, such as `{name}_kind`")
            continue
        out[name] = (EnumType(name, _enum_values(decl, sink)), decl.ident.span)
    return out


def _enum_values(decl: n.EnumDecl, sink: Sink) -> tuple[str, ...]:
    values: dict[str, n.EnumValue] = {}
    for value in decl.values:
        check_name(value.ident, "an enum value", sink)
        if value.ident.name in values:
            sink.error("KP201", f"enum `{decl.ident.name}` lists `{value.ident.name}` twice",
                       value.ident.span, hint="remove one of them",
                       related=(Related(values[value.ident.name].ident.span, "first listed here"),))
            continue
        values[value.ident.name] = value
    return tuple(values)


@frozen(repr=False)
class VocabDecls(SharedRepr):
    """A checked vocabulary, and where each of its enums is declared."""

    vocab: ir.Vocabulary
    places: Mapping[str, Span]


def declare_vocabulary(m: n.FactsModule, sink: Sink) -> VocabDecls:
    check_name(m.ident, "a vocabulary", sink)
    declared = declare_enums((i for i in m.items if isinstance(i, n.EnumDecl)), BUILTIN_TYPES,
                             {}, sink)
    enums = {name: typ for name, (typ, _) in declared.items()}
    owners = value_owners(enums.values())
    facts: dict[str, ir.FactInfo] = {}
    for item in m.items:
        if not isinstance(item, n.FactDecl):
            continue
        check_name(item.ident, "a fact", sink)
        name = item.ident.name
        if name in facts:
            sink.error("KP201", f"the fact `{name}` is declared twice", item.ident.span,
                       hint="remove one of them, or rename it",
                       related=(Related(facts[name].span, "first declared here"),))
            continue
        if name in owners:
            sink.error("KP201", f"`{name}` is both a fact and a value of enum "
                       f"`{owners[name][0].name}`", item.ident.span,
                       hint="rename the fact or the value, so that a name means one thing")
        typ = resolve_type(item.type, enums, sink)
        if typ is not None and item.measure and not _additive(typ):
            sink.error("KP300", f"a measure is a number or a quantity, not {describe(typ)}",
                       item.type.span, hint="declare it with `fact`, or give it a type such as "
                       "`carats` or `usd`")
        if typ is not None:
            facts[name] = ir.FactInfo(name, typ, item.description, item.ident.span,
                                      item.measure)
    descriptions = {(e.ident.name, v.ident.name): v.description
                    for e in m.items if isinstance(e, n.EnumDecl)
                    for v in e.values if v.description}
    dated = _dated_by(m, facts, sink)
    vocab = ir.Vocabulary(m.name, m.description, facts, enums, descriptions, dated,
                          m.span.source)
    return VocabDecls(vocab, {name: span for name, (_, span) in declared.items()})


def _additive(t: Type) -> bool:
    return t in (INTEGER, DECIMAL) or isinstance(t, Quantity)


def _dated_by(m: n.FactsModule, facts: Mapping[str, ir.FactInfo], sink: Sink) -> str | None:
    if m.dated_by is None:
        return None
    name = m.dated_by.name
    if name not in facts:
        sink.error("KP200", f"`dated by` names `{name}`, which is not a fact", m.dated_by.span,
                   hint=did_you_mean(name, facts) or f"declare it: `fact {name}: date`")
        return None
    if facts[name].type != DATE:
        sink.error("KP300", f"`dated by` needs a fact of type `date`; `{name}` is "
                   f"`{facts[name].type}`", m.dated_by.span,
                   hint="name the fact that gives the date of a case")
        return None
    return name


def value_owners(enums: Iterable[Type]) -> dict[str, tuple[EnumType, ...]]:
    """For each enum value name, the enums that have it."""
    out: dict[str, list[EnumType]] = {}
    for e in enums:
        if isinstance(e, EnumType):
            for v in e.values:
                out.setdefault(v, []).append(e)
    return {k: tuple(v) for k, v in out.items()}


@frozen(repr=False)
class PolicyDecls(SharedRepr):
    """A policy's declarations: its scope, the local enums its amendments inherit, and where
    every enum in scope is declared."""

    node: n.PolicyModule
    scope: Scope
    local_enums: Mapping[str, Type]
    places: Mapping[str, Span]


def declare_policy(p: n.PolicyModule, vocab: VocabDecls, base: PolicyDecls | None,
                   sink: Sink) -> PolicyDecls:
    check_name(p.ident, "a policy", sink)
    check_interval(p.in_force, sink)
    inherited = dict(base.local_enums) if base else {}
    places = dict(base.places) if base else dict(vocab.places)
    known = {**BUILTIN_TYPES, **vocab.vocab.enums, **inherited}
    declared = declare_enums((i for i in p.items if isinstance(i, n.EnumDecl)), known, places,
                             sink)
    local = {**inherited, **{name: typ for name, (typ, _) in declared.items()}}
    places.update({name: span for name, (_, span) in declared.items()})
    enum_places = dict(places)
    for item in p.items:
        if isinstance(item, n.Decision) and isinstance(item.outcomes, n.InlineOutcomes):
            _check_outcome_type_name(item, enum_places, base, sink)
            local[item.ident.name] = _inline_enum(item, sink)
            places[item.ident.name] = item.ident.span
    enums = {**vocab.vocab.enums, **local}
    base_terms = base.scope.terms if base else {}
    own = _declare_terms(p, vocab.vocab, enums, base_terms, base is not None, sink)
    terms = {**base_terms, **own}
    owners = value_owners(enums.values())
    _check_collisions(own, vocab.vocab, owners, places, sink)
    _check_values_not_facts(vocab.vocab, owners, {**places, **_value_places(p)}, sink)
    scope = Scope(p.name, vocab.vocab, terms, enums, owners,
                  base.node.name if base else None, base_terms)
    return PolicyDecls(p, scope, local, places)


def _check_outcome_type_name(d: n.Decision, places: Mapping[str, Span],
                             base: PolicyDecls | None, sink: Sink) -> None:
    """A decision with inline outcomes names their enum after itself: no other enum may have
    that name (the base's decision of that name is `redefine`d or reported as KP207)."""
    name = d.ident.name
    base_decl = base.scope.terms.get(name) if base else None
    if name in places and not (base_decl is not None and base_decl.kind == "decision"):
        sink.error("KP201", f"the outcomes of decision `{name}` are a type named `{name}`, "
                   "but an enum has that name", d.ident.span,
                   related=(Related(places[name], "the enum is declared here"),),
                   hint="rename the decision or the enum")


def _inline_enum(d: n.Decision, sink: Sink) -> EnumType:
    assert isinstance(d.outcomes, n.InlineOutcomes)
    seen: dict[str, n.Ident] = {}
    for v in d.outcomes.values:
        check_name(v, "an outcome", sink)
        if v.name in seen:
            sink.error("KP201", f"the outcome `{v.name}` is listed twice", v.span,
                       hint="remove one of them",
                       related=(Related(seen[v.name].span, "first listed here"),))
        seen.setdefault(v.name, v)
    return EnumType(d.ident.name, tuple(seen))


def _declare_terms(p: n.PolicyModule, vocab: ir.Vocabulary, enums: Mapping[str, Type],
                   base_terms: Mapping[str, TermDecl], amends: bool,
                   sink: Sink) -> dict[str, TermDecl]:
    own: dict[str, TermDecl] = {}
    for item in p.items:
        if isinstance(item, n.EnumDecl):
            continue
        check_name(item.ident, "a term", sink)
        name = item.ident.name
        if name in own:
            sink.error("KP201", f"`{name}` is defined twice in `{p.name}`", item.ident.span,
                       hint="remove one of them, or rename it",
                       related=(Related(own[name].node.ident.span, "first defined here"),))
            continue
        if name in vocab.facts:
            sink.error("KP201", f"`{name}` is a fact of `{vocab.name}` and cannot be defined",
                       item.ident.span, hint="choose another name for the term",
                       related=(Related(vocab.facts[name].span, "the fact is declared here"),))
            continue
        _check_redefine(item, name, base_terms, amends, sink)
        own[name] = TermDecl(name, _kind(item), item, p.name, _declared_type(item, enums, sink))
        _check_intervals(item, sink)
    return own


def _kind(item: n.Define | n.Decision | n.Parameter) -> DeclKind:
    if isinstance(item, n.Define):
        return "define"
    return "decision" if isinstance(item, n.Decision) else "parameter"


def _check_redefine(item: n.Define | n.Decision | n.Parameter, name: str,
                    base_terms: Mapping[str, TermDecl], amends: bool, sink: Sink) -> None:
    if item.redefine and not amends:
        sink.error("KP206", f"`redefine {name}` in a policy that amends nothing",
                   item.ident.span, hint=f"add `amends <policy>` to the header, or write "
                   f"{_new(item)}")
    elif item.redefine and name not in base_terms:
        sink.error("KP206", f"the base policy has no term `{name}` to redefine", item.ident.span,
                   hint=did_you_mean(name, base_terms) or f"write {_new(item)} for a new one")
    elif not item.redefine and name in base_terms:
        base = base_terms[name]
        sink.error("KP207", f"`{name}` is already defined by `{base.policy}`", item.ident.span,
                   hint="write `redefine` to replace it in this amendment",
                   related=(Related(base.node.ident.span, "defined here"),))


def _new(item: n.Define | n.Decision | n.Parameter) -> str:
    """How a new term of the item's kind starts: `define x`, or `decision d` and `parameter p`
    (which have no `define`) without `redefine`."""
    start = f"`{_kind(item)} {item.ident.name}`"
    return start if isinstance(item, n.Define) else f"{start} (without `redefine`)"


def _declared_type(item: n.Define | n.Decision | n.Parameter, enums: Mapping[str, Type],
                   sink: Sink) -> Type | None:
    if isinstance(item, n.Decision):
        if isinstance(item.outcomes, n.InlineOutcomes):
            return enums.get(item.ident.name)
        typ = resolve_type(item.outcomes, enums, sink)
        if typ is not None and not isinstance(typ, EnumType):
            sink.error("KP300", f"a decision's outcomes are an enum, not `{typ}`",
                       item.outcomes.span, hint="write the outcomes as `{a, b, c}` or name an "
                       "enum")
            return None
        return typ
    if item.type is None:
        return None
    return resolve_type(item.type, enums, sink)


def _check_intervals(item: n.Define | n.Decision | n.Parameter, sink: Sink) -> None:
    if isinstance(item, n.Decision):
        for rule in item.rules:
            check_interval(rule.validity, sink)
            for exc in rule.exceptions:
                check_interval(exc.validity, sink)
    elif isinstance(item, n.Parameter):
        for piece in item.pieces:
            check_interval(piece.validity, sink)


def _check_collisions(own: Mapping[str, TermDecl], vocab: ir.Vocabulary,
                      owners: Mapping[str, tuple[EnumType, ...]], places: Mapping[str, Span],
                      sink: Sink) -> None:
    """A name means one thing: no term may share its name with an enum value."""
    for name, decl in own.items():
        if name in owners:
            enum = owners[name][0].name
            sink.error("KP201", f"`{name}` is both a term and a value of enum `{enum}`",
                       decl.node.ident.span, hint="rename one of them",
                       related=_enum_place(enum, places))


def _check_values_not_facts(vocab: ir.Vocabulary, owners: Mapping[str, tuple[EnumType, ...]],
                            places: Mapping[str, Span], sink: Sink) -> None:
    """No value of the policy's enums is a fact's name: reported at the value (`places` has
    `enum.value` keys for the values declared in the policy), else at its enum."""
    for name, info in vocab.facts.items():
        local = [e for e in owners.get(name, ()) if e.name not in vocab.enums]
        if not local:
            continue
        place = places.get(f"{local[0].name}.{name}", places.get(local[0].name))
        if place is not None:
            sink.error("KP201", f"enum `{local[0].name}` has a value `{name}`, which is a fact "
                       f"of `{vocab.name}`", place, hint="rename the value",
                       related=(Related(info.span, "the fact is declared here"),))


def _value_places(p: n.PolicyModule) -> dict[str, Span]:
    """Where each value of the policy's own enums and inline outcomes is, as `enum.value`."""
    out: dict[str, Span] = {}
    for item in p.items:
        if isinstance(item, n.EnumDecl):
            out.update({f"{item.ident.name}.{v.ident.name}": v.ident.span for v in item.values})
        elif isinstance(item, n.Decision) and isinstance(item.outcomes, n.InlineOutcomes):
            out.update({f"{item.ident.name}.{v.name}": v.span for v in item.outcomes.values})
    return out


def _enum_place(enum: str, places: Mapping[str, Span]) -> tuple[Related, ...]:
    return (Related(places[enum], "the enum is declared here"),) if enum in places else ()
