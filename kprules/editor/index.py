"""Names in the syntax trees: every identifier a module writes, what role it plays, and which
declaration it means.

Works on parsed modules only (kprules.nodes), so that hover, go to definition and references work
in a file that parses but does not check. Resolution follows the language's scoping
(docs/language.md): a name in a policy is a term of the policy or of its bases (nearest first),
else a fact of the vocabulary it reads, else an enum value, else (two capitals) a country code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import attrs
from attrs import frozen

from kprules.core.shared_repr import SharedRepr
from kprules.syntax import nodes as n


@frozen(repr=False)
class Symbol(SharedRepr):
    """What a name means: its kind, the module (or `module.enum`) that owns it, and its name."""

    kind: str  # module, term, fact, enum, value, outcome, type, source, country
    owner: str
    name: str


@frozen(repr=False)
class Occurrence(SharedRepr):
    """An identifier written in a module, and its role there."""

    ident: n.Ident
    role: str  # module-decl, module-ref, term-decl, fact-decl, fact-ref, enum-decl, value-decl,
    # type, name, base, outcome, outcome-decl, cite, status
    module: str
    within: str | None = None  # the enum of a value-decl, the decision of an outcome
    redefine: bool = False


def occurrences(module: n.Module) -> Iterator[Occurrence]:
    """Every identifier of a module, in source order within each construct."""
    name = module.name
    yield Occurrence(module.ident, "module-decl", name)
    if isinstance(module, n.FactsModule):
        if module.dated_by is not None:
            yield Occurrence(module.dated_by, "fact-ref", name)
        for item in module.items:
            yield from _vocab_item(item, name)
        return
    for ref, role in ((module.status, "status"), (module.reads, "module-ref"),
                      (module.amends, "module-ref")):
        if ref is not None:
            yield Occurrence(ref, role, name)
    for p_item in module.items:
        yield from _policy_item(p_item, name)


def _vocab_item(item: n.EnumDecl | n.FactDecl, module: str) -> Iterator[Occurrence]:
    if isinstance(item, n.EnumDecl):
        yield Occurrence(item.ident, "enum-decl", module)
        for value in item.values:
            yield Occurrence(value.ident, "value-decl", module, item.ident.name)
        return
    yield Occurrence(item.ident, "fact-decl", module)
    yield from _type(item.type, module)


def _type(t: n.TypeRef, module: str) -> Iterator[Occurrence]:
    yield Occurrence(t.ident if isinstance(t, n.NamedType) else t.element, "type", module)


def _policy_item(item: n.PolicyItem, module: str) -> Iterator[Occurrence]:
    if isinstance(item, n.EnumDecl):
        yield from _vocab_item(item, module)
        return
    yield Occurrence(item.ident, "term-decl", module, redefine=item.redefine)
    if isinstance(item, n.Define):
        if item.type is not None:
            yield from _type(item.type, module)
        yield from _cites(item.cites, module)
        yield from _expr(item.body, module)
    elif isinstance(item, n.Parameter):
        yield from _type(item.type, module)
        yield from _cites(item.cites, module)
        for piece in item.pieces:
            yield from _expr(piece.value, module)
            yield from _cites(piece.cites, module)
    else:
        yield from _decision(item, module)


def _decision(d: n.Decision, module: str) -> Iterator[Occurrence]:
    name = d.ident.name
    if isinstance(d.outcomes, n.NamedType):
        yield from _type(d.outcomes, module)
    else:
        for value in d.outcomes.values:
            yield Occurrence(value, "outcome-decl", module, name)
    yield from _cites(d.cites, module)
    yield Occurrence(d.default.outcome, "outcome", module, name)
    yield from _cites(d.default.cites, module)
    for rule in d.rules:
        parts: tuple[n.Rule | n.Exception_, ...] = (rule, *rule.exceptions)
        for r in parts:
            yield Occurrence(r.outcome, "outcome", module, name)
            yield from _expr(r.condition, module)
            yield from _cites(r.cites, module)


def _cites(cites: tuple[n.Cite, ...], module: str) -> Iterator[Occurrence]:
    for c in cites:
        yield Occurrence(c.source, "cite", module)


def _expr(e: object, module: str) -> Iterator[Occurrence]:
    """The names of an expression, found through the node's attrs fields."""
    if isinstance(e, n.Name):
        yield Occurrence(e.ident, "name", module)
    elif isinstance(e, n.BaseName):
        yield Occurrence(e.ident, "base", module)
    elif isinstance(e, tuple):
        for item in e:
            yield from _expr(item, module)
    elif attrs.has(type(e)):
        for f in attrs.fields(type(e)):  # type: ignore[arg-type]
            if f.name != "span":
                yield from _expr(getattr(e, f.name), module)


def at(module: n.Module, offset: int) -> Occurrence | None:
    """The identifier of `module` under a character offset (its end counts, as in editors)."""
    for occ in occurrences(module):
        if occ.ident.span.start <= offset <= occ.ident.span.end:
            return occ
    return None


class Resolver:
    """Resolves occurrences against a set of modules by name."""

    def __init__(self, modules: Mapping[str, n.Module]) -> None:
        self.modules = modules

    def chain(self, name: str) -> list[n.PolicyModule]:
        """The policy `name`, its base, its base's base...; stops at a cycle or a missing one."""
        out: list[n.PolicyModule] = []
        current = self.modules.get(name)
        while isinstance(current, n.PolicyModule) and current not in out:
            out.append(current)
            current = self.modules.get(current.amends.name) if current.amends else None
        return out

    def vocabulary(self, name: str) -> n.FactsModule | None:
        module = self.modules.get(name)
        if isinstance(module, n.FactsModule):
            return module
        for p in self.chain(name):
            if p.reads is not None:
                found = self.modules.get(p.reads.name)
                return found if isinstance(found, n.FactsModule) else None
        return None

    def scopes(self, name: str) -> list[n.Module]:
        """The modules whose declarations a name in module `name` can see, nearest first."""
        vocab = self.vocabulary(name)
        return [*self.chain(name), *([vocab] if vocab is not None else [])]

    def term(self, policy: str, name: str, skip: int = 0) -> Symbol | None:
        for p in self.chain(policy)[skip:]:
            if any(_term_named(item, name) for item in p.items):
                return Symbol("term", p.name, name)
        return None

    def resolve(self, occ: Occurrence) -> Symbol | None:
        role, name = occ.role, occ.ident.name
        match role:
            case "module-decl" | "module-ref":
                return Symbol("module", name, name)
            case "term-decl":
                return self.term(occ.module, name, 1 if occ.redefine else 0)
            case "fact-decl":
                return Symbol("fact", occ.module, name)
            case "enum-decl":
                return Symbol("enum", occ.module, name)
            case "value-decl":
                return Symbol("value", f"{occ.module}.{occ.within}", name)
            case "outcome-decl":
                return Symbol("outcome", f"{occ.module}.{occ.within}", name)
            case "cite":
                return Symbol("source", "", name)
            case "base":
                return self.term(occ.module, name, 1)
            case "type":
                return self.enum(occ.module, name) or Symbol("type", "", name)
            case "fact-ref":
                return self.fact(occ.module, name)
            case "outcome":
                return self.outcome(occ.module, occ.within or "", name)
            case "name":
                return self.name(occ.module, name)
        return None

    def name(self, module: str, name: str) -> Symbol | None:
        found = self.term(module, name) or self.fact(module, name) or \
            self.value(module, name) or self.inline_outcome(module, name)
        if found is None and len(name) == 2 and name.isupper():
            return Symbol("country", "", name)
        return found

    def fact(self, module: str, name: str) -> Symbol | None:
        vocab = self.vocabulary(module)
        if vocab is not None and any(isinstance(i, n.FactDecl) and i.ident.name == name
                                     for i in vocab.items):
            return Symbol("fact", vocab.name, name)
        return None

    def enum(self, module: str, name: str) -> Symbol | None:
        for m in self.scopes(module):
            if any(isinstance(i, n.EnumDecl) and i.ident.name == name for i in m.items):
                return Symbol("enum", m.name, name)
        return None

    def value(self, module: str, name: str) -> Symbol | None:
        for m in self.scopes(module):
            for item in m.items:
                if isinstance(item, n.EnumDecl) and any(v.ident.name == name
                                                        for v in item.values):
                    return Symbol("value", f"{m.name}.{item.ident.name}", name)
        return None

    def inline_outcome(self, module: str, name: str) -> Symbol | None:
        """An outcome written in a decision's `{...}` (a value of the decision's own enum)."""
        for p in self.chain(module):
            for item in p.items:
                if isinstance(item, n.Decision) and isinstance(item.outcomes, n.InlineOutcomes) \
                        and any(v.name == name for v in item.outcomes.values):
                    return Symbol("outcome", f"{p.name}.{item.ident.name}", name)
        return None

    def outcome(self, module: str, decision: str, name: str) -> Symbol | None:
        d = self.decision(module, decision)
        if d is None:
            return None
        owner, node = d
        if isinstance(node.outcomes, n.InlineOutcomes):
            return Symbol("outcome", f"{owner}.{decision}", name)
        enum = self.enum(owner, node.outcomes.ident.name)
        return Symbol("value", f"{enum.owner}.{enum.name}", name) if enum else None

    def decision(self, module: str, name: str) -> tuple[str, n.Decision] | None:
        for p in self.chain(module):
            for item in p.items:
                if isinstance(item, n.Decision) and item.ident.name == name:
                    return p.name, item
        return None

    def declaration(self, symbol: Symbol) -> n.Ident | None:
        """The identifier that declares a symbol, when it is declared in a module."""
        owner, _, within = symbol.owner.partition(".")
        module = self.modules.get(owner)
        if module is None:
            return None
        if symbol.kind == "module":
            return module.ident
        for occ in occurrences(module):
            if occ.ident.name == symbol.name and occ.role == _DECLARING.get(symbol.kind) and (
                    not within or occ.within == within):
                return occ.ident
        return None


_DECLARING = {"term": "term-decl", "fact": "fact-decl", "enum": "enum-decl",
              "value": "value-decl", "outcome": "outcome-decl"}


def _term_named(item: n.PolicyItem, name: str) -> bool:
    return not isinstance(item, n.EnumDecl) and item.ident.name == name


def declared_item(module: n.Module, symbol: Symbol) -> object | None:
    """The node (term, fact, enum, enum value) that declares `symbol` in `module`."""
    for item in module.items:
        if isinstance(item, n.EnumDecl):
            if symbol.kind == "enum" and item.ident.name == symbol.name:
                return item
            for v in item.values:
                if symbol.kind == "value" and v.ident.name == symbol.name and \
                        symbol.owner.endswith("." + item.ident.name):
                    return v
        elif item.ident.name == symbol.name and symbol.kind in ("fact", "term"):
            return item
    return None
