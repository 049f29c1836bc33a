"""What hovering a name shows: its kind and type, its description, where it is declared, and
the citations with their quoted text; for `base.x` the base's definition; for a fact its
vocabulary entry and unit. Markdown, built from the syntax trees and, when the file checked,
the checker's types."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from kprules import ir
from kprules.core.countries import ISO_3166_ALPHA2
from kprules.core.source import Source, Span
from kprules.editor.index import Resolver, Symbol, declared_item
from kprules.ir.types import UNIT_TYPE_NAMES, UNIT_WORDS
from kprules.syntax import nodes as n
from kprules.syntax.seeds import Seed

SourceOf = Callable[[Span], Source | None]
_UNITS = {name: unit for unit, name in UNIT_TYPE_NAMES.items()}
BUILTIN = {
    "bool": "true or false", "integer": "a whole number", "decimal": "a decimal number",
    "date": "a day, written 2024-03-01", "country": "an ISO 3166-1 alpha-2 country code (`RU`)",
    "text": "a string", "carats": "a weight in carats, written `0.5 ct`",
    "grams": "a weight in grams, written `0.1 g`", "usd": "an amount of US dollars, written "
    "`1000 usd`",
}


def hover_text(symbol: Symbol, resolver: Resolver, checked: Mapping[str, ir.CheckedPolicy],
               seeds: Mapping[str, Seed] | None, source_of: SourceOf) -> str | None:
    """The hover of a resolved symbol, or None when there is nothing to say."""
    if symbol.kind in ("type", "country", "source"):
        return _builtin(symbol, seeds)
    if symbol.kind == "module":
        module = resolver.modules.get(symbol.name)
        return _module(module, source_of) if module is not None else None
    owner = resolver.modules.get(symbol.owner.partition(".")[0])
    if owner is None:
        return None
    item = declared_item(owner, symbol)
    if symbol.kind == "outcome":
        return _outcome(symbol, resolver, source_of)
    if isinstance(item, n.FactDecl):
        return _fact(item, owner.name, source_of)
    if isinstance(item, n.EnumDecl):
        return _enum(item, owner.name, source_of)
    if isinstance(item, n.EnumValue):
        return _value(item, symbol, source_of)
    if isinstance(item, n.Define | n.Decision | n.Parameter):
        text = _term(item, owner.name, checked, source_of)
        base = resolver.term(owner.name, item.ident.name, 1) if item.redefine else None
        ident = resolver.declaration(base) if base is not None else None
        if base is not None and ident is not None:
            text += (f"\n\nRedefines `{base.owner}.{base.name}`, "
                     f"`{place(ident.span, source_of)}`.")
        return text
    return None


def place(span: Span, source_of: SourceOf) -> str:
    source = source_of(span)
    if source is None:
        return span.source
    line, col = source.line_col(span.start)
    return f"{span.source}:{line}:{col}"


def _code(text: str) -> str:
    return f"```kpr\n{text}\n```"


def _type(t: n.TypeRef | None) -> str | None:
    if t is None:
        return None
    return t.ident.name if isinstance(t, n.NamedType) else f"set of {t.element.name}"


def _term_type(item: n.Define | n.Decision | n.Parameter, policy: str,
               checked: Mapping[str, ir.CheckedPolicy]) -> str:
    term = checked[policy].terms.get(item.ident.name) if policy in checked else None
    if term is not None and not isinstance(item, n.Decision):
        return str(term.type)
    if isinstance(item, n.Decision):
        if isinstance(item.outcomes, n.NamedType):
            return item.outcomes.ident.name
        return "{" + ", ".join(v.name for v in item.outcomes.values) + "}"
    return _type(item.type) or "?"


def _term(item: n.Define | n.Decision | n.Parameter, policy: str,
          checked: Mapping[str, ir.CheckedPolicy], source_of: SourceOf) -> str:
    kind = "define" if isinstance(item, n.Define) else \
        "decision" if isinstance(item, n.Decision) else "parameter"
    head = f"{'redefine ' if item.redefine else ''}{kind} {policy}.{item.ident.name}"
    parts = [_code(f"{head}: {_term_type(item, policy, checked)}")]
    if item.description:
        parts.append(item.description)
    parts.append(f"Defined at `{place(item.ident.span, source_of)}`.")
    parts.extend(_cites(item.cites))
    return "\n\n".join(parts)


def _cites(cites: Iterable[n.Cite]) -> list[str]:
    out = []
    for c in cites:
        text = f"cite `{c.source.name}` \"{c.locator}\""
        if c.quote:
            text += "\n\n> " + c.quote
        out.append(text)
    return out


def _fact(item: n.FactDecl, vocab: str, source_of: SourceOf) -> str:
    type_name = _type(item.type) or "?"
    kind = "measure" if item.measure else "fact"
    parts = [_code(f"{kind} {item.ident.name}: {type_name}")]
    unit = _UNITS.get(type_name)
    if unit is not None:
        parts.append(f"Unit: `{unit}` ({UNIT_WORDS[unit]}).")
    if item.description:
        parts.append(item.description)
    parts.append(f"Vocabulary `{vocab}`, `{place(item.ident.span, source_of)}`.")
    if item.measure:
        parts.append("A measure: bulk summaries add it up.")
    return "\n\n".join(parts)


def _enum(item: n.EnumDecl, module: str, source_of: SourceOf) -> str:
    values = ", ".join(v.ident.name for v in item.values)
    parts = [_code(f"enum {item.ident.name} {{{values}}}")]
    if item.description:
        parts.append(item.description)
    parts.append(f"Declared in `{module}`, `{place(item.ident.span, source_of)}`.")
    return "\n\n".join(parts)


def _value(item: n.EnumValue, symbol: Symbol, source_of: SourceOf) -> str:
    module, _, enum = symbol.owner.partition(".")
    parts = [_code(f"{item.ident.name}: {enum}")]
    if item.description:
        parts.append(item.description)
    parts.append(f"A value of enum `{enum}` (`{module}`), "
                 f"`{place(item.ident.span, source_of)}`.")
    return "\n\n".join(parts)


def _outcome(symbol: Symbol, resolver: Resolver, source_of: SourceOf) -> str:
    module, _, decision = symbol.owner.partition(".")
    where = resolver.declaration(symbol)
    at = f", `{place(where.span, source_of)}`" if where is not None else ""
    return "\n\n".join([_code(f"{symbol.name}: outcome"),
                        f"An outcome of decision `{module}.{decision}`{at}."])


def _module(module: n.Module, source_of: SourceOf) -> str:
    if isinstance(module, n.FactsModule):
        parts = [_code(f"facts {module.name}")]
        if module.description:
            parts.append(module.description)
        if module.dated_by is not None:
            parts.append(f"Dated by `{module.dated_by.name}`.")
    else:
        parts = [_code(f"policy {module.name}")]
        if module.title:
            parts.append(module.title)
        facts = [f"status `{module.status.name}`" if module.status else None,
                 f"in force from {module.in_force.start}" if module.in_force else None,
                 f"reads `{module.reads.name}`" if module.reads else None,
                 f"amends `{module.amends.name}`" if module.amends else None]
        parts.append("; ".join(f for f in facts if f) or "no header")
    parts.append(f"`{place(module.ident.span, source_of)}`")
    return "\n\n".join(parts)


def _builtin(symbol: Symbol, seeds: Mapping[str, Seed] | None) -> str | None:
    if symbol.kind == "type":
        meaning = BUILTIN.get(symbol.name)
        return _code(f"type {symbol.name}") + f"\n\n{meaning}" if meaning else None
    if symbol.kind == "country":
        known = symbol.name in ISO_3166_ALPHA2
        return _code(f"{symbol.name}: country") + (
            "\n\nAn ISO 3166-1 alpha-2 country code." if known
            else "\n\nNot an ISO 3166-1 alpha-2 country code.")
    seed = seeds.get(symbol.name) if seeds is not None else None
    if seed is None:
        return _code(f"source {symbol.name}") + "\n\nNot in the seeds folder."
    return _code(f"source {symbol.name}") + f"\n\n{seed.title}\n\n`seeds/{symbol.name}.md`"
