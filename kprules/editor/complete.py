"""Completion: what may be written at the cursor, from the text before it and the names in scope.

After `amends`: policy names; after `reads`: vocabularies; after `cite`: the source ids of the
seeds folder; after `base.`: the terms of the base policies; after `status`: the statuses; after
`x =`, `x !=`, `x in {` (x a fact or term of an enum type, or a set of one): that enum's values
only; after `default` or `except` in a decision: its outcomes; elsewhere: the terms, facts and
enum values in scope, and the keywords.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from attrs import frozen

from kprules import ir
from kprules.checker.context import KEYWORDS, STATUSES
from kprules.core.shared_repr import SharedRepr
from kprules.editor.index import Resolver
from kprules.ir.types import EnumType, SetType
from kprules.syntax import nodes as n
from kprules.syntax.seeds import Seed


@frozen(repr=False)
class Item(SharedRepr):
    label: str
    kind: str  # keyword, policy, vocabulary, source, term, fact, value, status
    detail: str | None = None
    documentation: str | None = None


_WORD = r"[A-Za-z_][A-Za-z0-9_]*"
_AFTER = re.compile(rf"\b(amends|reads|cite|status)\s+(?:{_WORD})?\Z")
_OUTCOME = re.compile(rf"\b(default|except)\s+(?:{_WORD})?\Z")
_ITEM = re.compile(
    rf"\b(?:(decision)|define|redefine|parameter)\s+(?:(decision)\s+)?({_WORD})")
_INLINE = re.compile(r"\s*:\s*\{([^{}]*)\}")
_NAMED = re.compile(rf"\s*:\s*({_WORD})")
_BASE = re.compile(rf"\bbase\s*\.\s*(?:{_WORD})?\Z")
_ENUM_CONTEXT = re.compile(
    rf"\b({_WORD})\s*(?:=|!=|(?:not\s+)?in\s*\{{[^{{}}]*?)\s*(?:,\s*)?(?:{_WORD})?\Z")


@frozen(repr=False)
class Within(SharedRepr):
    """The decision the cursor is in, and its outcomes as the text gives them: listed
    (`{a, b}`) or the name of their enum."""

    decision: str
    outcomes: tuple[str, ...] | None
    enum: str | None = None


def enclosing_decision(text: str) -> Within | None:
    """The decision whose rules the end of `text` is in, if the last item `text` starts is a
    decision; read from the text itself, which may not parse while it is being typed."""
    last = next(iter(reversed(list(_ITEM.finditer(text)))), None)
    if last is None or not (last.group(1) or last.group(2)):
        return None
    inline = _INLINE.match(text, last.end())
    if inline is not None:
        return Within(last.group(3), tuple(re.findall(_WORD, inline.group(1))))
    named = _NAMED.match(text, last.end())
    return Within(last.group(3), None, named.group(1) if named else None)


def complete(before: str, module: str | None, resolver: Resolver,
             checked: Mapping[str, ir.CheckedPolicy], seeds: Mapping[str, Seed] | None,
             decision: Within | None = None) -> list[Item]:
    """The completions for the text `before` the cursor, in module `module` (in the rules of
    `decision`, when the cursor is in one)."""
    after = _AFTER.search(before)
    if after is not None:
        return list(_after_keyword(after.group(1), resolver, seeds))
    if module is None:
        return _keywords()
    if decision is not None and _OUTCOME.search(before):
        return _outcomes(module, decision, resolver)
    if _BASE.search(before):
        chain = resolver.chain(module)[1:]
        return _terms(chain, checked)
    enum = _ENUM_CONTEXT.search(before)
    if enum is not None:
        values = _expected_values(enum.group(1), module, resolver, checked)
        if values:
            return values
    return [*_terms(resolver.chain(module), checked), *_facts(module, resolver),
            *_values(module, resolver), *_keywords()]


def _after_keyword(keyword: str, resolver: Resolver,
                   seeds: Mapping[str, Seed] | None) -> Iterator[Item]:
    if keyword == "status":
        yield from (Item(s, "status") for s in STATUSES)
    elif keyword == "cite":
        for key in sorted(seeds or {}):
            seed = seeds[key] if seeds is not None else None
            yield Item(key, "source", seed.title if seed is not None else None)
    else:
        wanted = n.PolicyModule if keyword == "amends" else n.FactsModule
        for name, m in sorted(resolver.modules.items()):
            if isinstance(m, wanted):
                title = m.title if isinstance(m, n.PolicyModule) else m.description
                yield Item(name, "policy" if keyword == "amends" else "vocabulary", title)


def _outcomes(module: str, within: Within, resolver: Resolver) -> list[Item]:
    """The outcomes a decision's rules and default may give."""
    decision = within.decision
    if within.outcomes is not None:
        return [Item(v, "value", f"{module}.{decision}") for v in within.outcomes]
    if within.enum is not None:
        return _values(module, resolver, within.enum)
    found = resolver.decision(module, decision)
    if found is None:
        return []
    owner, node = found
    if isinstance(node.outcomes, n.InlineOutcomes):
        return [Item(v.name, "value", f"{owner}.{decision}") for v in node.outcomes.values]
    return _values(module, resolver, node.outcomes.ident.name)


def _keywords() -> list[Item]:
    return [Item(k, "keyword") for k in sorted(KEYWORDS)]


def _terms(chain: list[n.PolicyModule], checked: Mapping[str, ir.CheckedPolicy]) -> list[Item]:
    seen: dict[str, Item] = {}
    for p in chain:
        for item in p.items:
            if isinstance(item, n.EnumDecl) or item.ident.name in seen:
                continue
            term = checked[p.name].terms.get(item.ident.name) if p.name in checked else None
            seen[item.ident.name] = Item(item.ident.name, "term",
                                         f"{p.name}: {term.type}" if term else p.name,
                                         item.description)
    return list(seen.values())


def _facts(module: str, resolver: Resolver) -> list[Item]:
    vocab = resolver.vocabulary(module)
    if vocab is None:
        return []
    return [Item(i.ident.name, "fact", f"{vocab.name}: {_type_text(i.type)}", i.description)
            for i in vocab.items if isinstance(i, n.FactDecl)]


def _values(module: str, resolver: Resolver, only: str | None = None) -> list[Item]:
    out: dict[str, Item] = {}
    for m in resolver.scopes(module):
        for item in m.items:
            if isinstance(item, n.EnumDecl) and (only is None or item.ident.name == only):
                for v in item.values:
                    out.setdefault(v.ident.name, Item(v.ident.name, "value", item.ident.name,
                                                      v.description))
    return list(out.values())


def _expected_values(name: str, module: str, resolver: Resolver,
                     checked: Mapping[str, ir.CheckedPolicy]) -> list[Item]:
    """The values of the enum that `name` (a fact or a term) has, or is a set of."""
    enum = _enum_of(name, module, resolver, checked)
    return _values(module, resolver, enum) if enum is not None else []


def _enum_of(name: str, module: str, resolver: Resolver,
             checked: Mapping[str, ir.CheckedPolicy]) -> str | None:
    symbol = resolver.name(module, name)
    if symbol is None:
        return None
    if symbol.kind == "fact":
        vocab = resolver.vocabulary(module)
        for i in vocab.items if vocab is not None else ():
            if isinstance(i, n.FactDecl) and i.ident.name == name:
                ref = i.type
                return ref.ident.name if isinstance(ref, n.NamedType) else ref.element.name
    if symbol.kind == "term" and symbol.owner in checked:
        term = checked[symbol.owner].terms.get(name)
        t = term.type if term is not None else None
        t = t.element if isinstance(t, SetType) else t
        return t.name if isinstance(t, EnumType) else None
    return None


def _type_text(t: n.TypeRef) -> str:
    return t.ident.name if isinstance(t, n.NamedType) else f"set of {t.element.name}"
