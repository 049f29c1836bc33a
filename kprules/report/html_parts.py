"""Pieces of the HTML page that depend on their arguments alone: escaping, small words (counts,
shares, numbers, a change of value), and each difference with its explanation trees (the walk to
where the two versions part, each side's decisive clauses and their citations).

Stage: JSON-ready dictionaries of the report model -> HTML fragments. Pure. Every string from
policies and cases goes through `esc`."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from kprules.core.escape import printable, terminal
from kprules.core.wording import NOT_EVALUATED_TEXT, default_state, shown
from kprules.report.model import Json, unit_text, value_text

NOT_EVALUATED = NOT_EVALUATED_TEXT


def esc(text: object) -> str:
    """Text for an element or a double-quoted attribute: & < > " ' escaped, and control, bidi
    and noncharacters written as escapes (`\\x1b`, `\\u202e`) as in the text report: raw, they
    are HTML parse errors, or reorder what the reader sees. Line feeds and tabs are kept, for
    a longer text (a quotation, why a case is contested); an id or a title takes `one_line`."""
    return escape(terminal(str(text)), quote=True)


def one_line(text: object) -> str:
    """A case's or record's id or title, escaped as `esc` does, and on one line: a line feed
    or a tab in it is written `\\x0a`, `\\x09` (as every report writes them), where HTML would
    show either as a space, so that `x\\ny` and `x y` differ."""
    return escape(printable(str(text)), quote=True)


# ---------------------------------------------------------------------------- differences


def parting_sides(d: Json) -> tuple[Json, Json]:
    """The base's and the other policy's explanation where an explained difference parts."""
    return d["base_explanation"], d["other_explanation"]


def difference_line(d: Json) -> str:
    change = value_change(unit_text(d["base_value"], d.get("unit")),
                          unit_text(d["other_value"], d.get("unit")))
    return (f"<span class=\"term\">{esc(d['term'])}</span> under "
            f"<code>{esc(d['other'])}</code>: <span class=\"change\">{change}</span>"
            f"<span class=\"cause\">caused by <code>{esc(d['cause'])}</code></span>")


def unexplained(d: Json) -> str:
    return (f"<p class=\"difference unexplained\">{difference_line(d)} "
            "<span class=\"note\">(not explained: beyond the explanation limit)</span></p>\n")


def walk(steps: Sequence[Json], d: Json) -> str:
    cause = esc(d["cause"])
    if not steps:
        return f"<p>At the top: they part at <code>{cause}</code>.</p>\n"
    items = [f"<li><code>{esc(s['text'])}</code> <span class=\"kind\">{esc(s['kind'])}</span>: "
             + value_change(shown_value(s["base_value"], s["kind"]),
                            shown_value(s["other_value"], s["kind"]))
             + "</li>" for s in steps]
    items.append(f"<li>they part at <code>{cause}</code></li>")
    return "<ol class=\"path\">\n" + "\n".join(items) + "\n</ol>\n"


# ---------------------------------------------------------------------------- explanation trees


def side_tree(role: str, title: str, node: Json) -> str:
    return (f"<section class=\"side {role}\" aria-label=\"{esc(title)}\">\n"
            f"<h4>{esc(title)}</h4>\n<ul class=\"tree\">\n{tree_node(node)}</ul>\n</section>\n")


_PROVISIONS = frozenset({"definition", "decision", "parameter", "rule", "exception", "default",
                         "piece"})
_KIND_WORDS = {"rule": "rule", "exception": "exception", "piece": "value", "fact": "fact",
               "term": "term"}


def tree_node(node: Json) -> str:
    kind = str(node["kind"])
    word = f"<span class=\"kind\">{_KIND_WORDS[kind]}</span> " if kind in _KIND_WORDS else ""
    fired = (" <span class=\"fired\">\u2190 gives the outcome</span>"
             if node.get("fired") and kind != "piece" else "")
    where = node.get("location") if kind in _PROVISIONS else None
    notes = [str(x) for x in (where, node.get("note")) if x]
    extra = f"<span class=\"where\">{esc(' · '.join(notes))}</span>" if notes else ""
    cites = "".join(citation(c) for c in node.get("cites", ()))
    kids = "".join(tree_node(k) for k in node.get("children", ()))
    kids = f"<ul class=\"tree\">\n{kids}</ul>\n" if kids else ""
    return (f"<li class=\"node {esc(kind)}\">{word}<code class=\"label\">{esc(node['text'])}"
            f"</code> {node_state(node)}{fired}{extra}\n{cites}{kids}</li>\n")


def node_state(node: Json) -> str:
    kind, value = node["kind"], node["value"]
    if kind == "default":
        state = default_state(node["value"], bool(node.get("fired")))
        return f"<span class=\"state\">{state}</span>"
    if value == NOT_EVALUATED or kind in ("rule", "exception", "piece"):
        return f"<span class=\"state\">{esc(shown_value(value, kind))}</span>"
    unknown = " unknown" if value is None else ""
    unit = f"\u00a0{esc(node['unit'])}" if node.get("unit") else ""
    return (f"<span class=\"eq\">=</span> <span class=\"val{unknown}\">"
            f"{esc(value_text(value))}{unit}</span>")


def shown_value(value: Any, kind: str) -> str:
    return shown(value, kind, value_text)


def citation(c: Json) -> str:
    quote = f"<blockquote>{esc(c['quote'])}</blockquote>" if c.get("quote") else ""
    return (f"<figure class=\"cite\">{quote}<figcaption><cite>{esc(c['source'])}</cite>, "
            f"{esc(c['locator'])}</figcaption></figure>\n")


# ---------------------------------------------------------------------------- small words


def value_change(before: str, after: str) -> str:
    return (f"<span class=\"value-pill\">{esc(before)}</span><span class=\"arrow\" "
            "aria-hidden=\"true\">\u2192</span><span class=\"vh\"> becomes </span>"
            f"<span class=\"value-pill new\">{esc(after)}</span>")


def breakable(text: str) -> str:
    """Escaped text that may wrap after an underscore (long enum values in narrow columns)."""
    return esc(text).replace("_", "_<wbr>")


def noun(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"


def percent(part: int, whole: int) -> str:
    return share_text(part / whole) if whole else "\u2013"


def fraction(part: str, whole: str) -> str:
    from decimal import Decimal

    total = Decimal(whole)
    return share_text(float(Decimal(part) / total)) if total else "\u2013"


def share_text(share: float) -> str:
    """A share (0..1) as a percentage with one decimal; a small non-zero share as < 0.1 %."""
    if 0 < share < 0.0005:
        return "&lt;\u00a00.1\u00a0%"
    return f"{share * 100:.1f}\u00a0%"


def number(text: object) -> str:
    """A decimal number from the model (text) with thousands separators."""
    from decimal import Decimal, InvalidOperation

    try:
        return f"{Decimal(str(text)):,}"
    except InvalidOperation:
        return esc(text)


def and_list(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
