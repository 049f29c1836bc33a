"""Render an `Explanation` as indented text for a drafter, or as JSON.

Text: one line per term, rule and clause, indented by depth: `<clause> = <value>`, rules as
`rule: <outcome> when <condition> -> applies`, `<- gives the outcome` on the rule that decided,
and citations with their quoted text under the provision that cites them. Plain ASCII.
"""

from __future__ import annotations

import textwrap
from typing import Any

from kprules.explain import Explanation, Node, value_json
from kprules.interpret import NOT_EVALUATED
from kprules.values import format_value

WIDTH = 100
LABEL = 90


def _value(node: Node) -> str:
    if node.value is NOT_EVALUATED:
        return "not evaluated"
    if node.kind in ("rule", "exception"):
        return {True: "applies", False: "does not apply"}.get(node.value, "unknown")
    if node.kind == "piece":
        return "holds" if node.value else "-"
    return format_value(node.value)


def _short(label: str) -> str:
    return label if len(label) <= LABEL else label[: LABEL - 3] + "..."


def _location(node: Node, ex: Explanation) -> str | None:
    if node.span is None:
        return None
    src = ex.sources.get(node.span.source)
    if src is None:
        return node.span.source
    line, col = src.line_col(node.span.start)
    return f"{node.span.source}:{line}:{col}"


def _cites(node: Node, pad: str) -> list[str]:
    out = []
    for c in node.cites:
        out.append(f'{pad}cite {c.source} "{c.locator}"')
        if c.quote:
            out.extend(textwrap.wrap(f'"{c.quote}"', WIDTH - len(pad) - 2,
                                     initial_indent=pad + "  ", subsequent_indent=pad + "   "))
    return out


def _lines(node: Node, ex: Explanation, depth: int) -> list[str]:
    pad = "  " * depth
    if node.kind in ("definition", "decision", "parameter"):
        head = f"{pad}{node.label} = {_value(node)}"
        out = [head]
        where = _location(node, ex)
        extra = ", ".join(x for x in (where, node.note) if x)
        if extra:
            out.append(f"{pad}  ({extra})")
        out.extend(_cites(node, pad + "  "))
        for child in node.children:
            out.extend(_lines(child, ex, depth + 1))
        return out
    marker = "  <- gives the outcome" if node.fired else ""
    if node.kind in ("rule", "exception", "default", "piece"):
        word = "" if node.kind in ("default", "piece") else f"{node.kind}: "
        value = "" if node.kind == "default" else f" -> {_value(node)}"
        if node.kind == "default":
            value = "" if node.fired else " -> not used"
        out = [f"{pad}{word}{_short(node.label)}{value}{marker}"]
        if node.note:
            out.append(f"{pad}  {node.note}")
        out.extend(_cites(node, pad + "  "))
        if (node.value is not NOT_EVALUATED and node.value is not False) or node.kind == "rule":
            for child in node.children:
                if child.kind == "clause" and node.value is NOT_EVALUATED:
                    continue
                out.extend(_lines(child, ex, depth + 1))
        return out
    tag = {"fact": "  [fact" + (", not given]" if node.note else "]"),
           "term": "  [term, explained below]"}.get(node.kind, "")
    out = [f"{pad}{_short(node.label)} = {_value(node)}{tag}"]
    if node.value is not NOT_EVALUATED:
        for child in node.children:
            out.extend(_lines(child, ex, depth + 1))
    return out


def render_text(ex: Explanation) -> str:
    blocks = []
    head = f"as of {ex.as_of}" if ex.as_of else "no evaluation date"
    for node in ex.terms():
        blocks.append("\n".join(_lines(node, ex, 0)))
    return f"({head})\n\n" + "\n\n".join(blocks) + "\n"


def node_json(node: Node, ex: Explanation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": node.kind,
        "text": node.label,
        "value": value_json(node.value),
    }
    where = _location(node, ex)
    if where:
        out["location"] = where
    if node.cites:
        out["cites"] = [{"source": c.source, "locator": c.locator, "quote": c.quote}
                        for c in node.cites]
    if node.ref:
        out["term"] = f"{node.ref[0]}.{node.ref[1]}"
    if node.fired:
        out["fired"] = True
    if node.note:
        out["note"] = node.note
    if node.children:
        out["children"] = [node_json(c, ex) for c in node.children]
    return out


def render_json(ex: Explanation) -> dict[str, Any]:
    return {
        "as_of": ex.as_of.isoformat() if ex.as_of else None,
        "terms": [node_json(n, ex) for n in ex.terms()],
    }
