"""Render an `Explanation` as indented text for a drafter, or as JSON.

Text: a block per term, `<policy>.<term> = <value>` (values as a drafter writes them: `0.5 ct`,
`"text"`), where it is written, why it is unknown when it is (the facts that were not given, a
missing date, a parameter with no value on the date), its citations with their quoted text
(wrapped), then what the value stands on, one line each, indented by depth:

- rules and exceptions: `rule: <outcome> when <condition> -> applies | does not apply | unknown`,
  with `<- gives the outcome` on the one that decided and `<- leaves the outcome unknown` on the
  one that made a decision unknown; on a decision decided in spite of unknown rules, a line per
  such rule under the head (why it did not matter) and `<- does not change the outcome` on it;
  a rule never reached is one line; a parameter's pieces, with
  `<- gives the value` on the one in force;
- clauses: `<clause> -> <value>`; the facts and terms they read: `<name> = <value>  [fact]`,
  `[fact, not given]`, `[term, explained below]`; anything short-circuited is `not evaluated`.

Plain text, no colour. JSON: the same tree (`node_json`), values as JSON values.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal
from typing import Any

from kprules.core.source import location
from kprules.core.wording import NOT_EVALUATED_TEXT, default_state, quoted, rule_outcome
from kprules.explain.nodes import TERM_KINDS, ExplanationView, Moot, Node, Unknowns, value_json
from kprules.ir.runtime import NOT_EVALUATED
from kprules.ir.types import Quantity
from kprules.ir.values import format_value

WIDTH = 100
LABEL = 90


def _value(node: Node) -> str:
    if node.value is NOT_EVALUATED:
        return NOT_EVALUATED_TEXT
    if node.kind in ("rule", "exception"):
        return rule_outcome(node.value)
    return format_value(node.value, node.type)


def _short(label: str) -> str:
    return label if len(label) <= LABEL else label[: LABEL - 3] + "..."


def _location(node: Node, ex: ExplanationView) -> str | None:
    return location(node.span, ex.sources)


def _wrap(text: str, pad: str) -> list[str]:
    return textwrap.wrap(text, max(WIDTH - len(pad), 40), initial_indent=pad,
                         subsequent_indent=pad + " ", break_on_hyphens=False)


def _cites(node: Node, pad: str) -> list[str]:
    out = []
    for c in node.cites:
        out.append(f"{pad}cite {c.source} {quoted(c.locator)}")
        if c.quote:
            out.extend(_wrap(quoted(c.quote), pad + "  "))
    return out


def unknown_lines(why: Unknowns, as_of: Any) -> list[str]:
    """`unknown because ...`: one line per kind of cause."""
    out = []
    if why.facts:
        out.append("unknown because these facts were not given: " + ", ".join(why.facts))
    if why.no_date:
        out.append("unknown because there is no evaluation date")
    if len(why.parameters) == 1:
        out.append(f"unknown because parameter {why.parameters[0]} has no value on {as_of}")
    elif why.parameters:
        out.append(f"unknown because these parameters have no value on {as_of}: "
                   + ", ".join(why.parameters))
    return out


def moot_line(m: Moot, as_of: Any) -> str:
    """An unknown that did not matter: `rule 1 (...) is unknown (...), but every way it resolves
    gives X: if it applies, it gives X; if not, rule 3 does`."""
    why = "; ".join(line.removeprefix("unknown because ") for line in unknown_lines(m.why, as_of))
    because = f" ({why})" if why else ""
    return (f"{m.provision} ({_short(m.label)}) is unknown{because}, but every way it resolves "
            f"gives {m.outcome}: if it applies, it gives {m.outcome}; if not, {m.otherwise} does")


def _term_lines(node: Node, ex: ExplanationView, depth: int) -> list[str]:
    pad = "  " * depth
    out = [f"{pad}{node.label} = {_value(node)}"]
    extra = ", ".join(x for x in (_location(node, ex), node.note) if x)
    if extra:
        out.append(f"{pad}  ({extra})")
    if node.unknown is not None:
        out.extend(pad + "  " + line for line in unknown_lines(node.unknown, ex.as_of))
    out.extend(pad + "  " + moot_line(m, ex.as_of) for m in node.moot)
    out.extend(_cites(node, pad + "  "))
    marks = _marks(node) if node.kind == "decision" else {}
    for child in node.children:
        out.extend(_lines(child, ex, depth + 1, marks))
    return out


def _marks(decision: Node) -> dict[int, str]:
    """Markers of a decision's unknown provisions (by node id): the one that left an unknown
    decision unknown, or each unknown one of a decided decision."""
    if decision.value is None:
        first = _first_unknown(decision)
        return {} if first is None else {id(first): "  <- leaves the outcome unknown"}
    if not decision.moot:
        return {}
    unknown = [r for r in decision.children if r.value is None]
    unknown += [x for r in decision.children if r.value is True or r.value is None
                for x in r.children[1:] if x.value is None]
    return {id(n): "  <- does not change the outcome" for n in unknown}


def _first_unknown(decision: Node) -> Node | None:
    """The rule, or exception of the rule that applied, that made a decision unknown."""
    for rule in decision.children:
        if rule.kind == "rule" and rule.value is None:
            return rule
        if rule.kind == "rule" and rule.value is True:
            return next((x for x in rule.children if x.kind == "exception" and x.value is None),
                        None)
    return None


def _provision_lines(node: Node, ex: ExplanationView, depth: int,
                     marks: dict[int, str]) -> list[str]:
    """A rule, an exception, a decision's default or a parameter's piece."""
    pad = "  " * depth
    if node.kind == "piece":
        marker = "  <- gives the value" if node.fired else ""
        return [f"{pad}{node.label}{marker}", *(_cites(node, pad + "  ") if node.fired else [])]
    if node.kind == "default":
        if not node.fired:
            return [f"{pad}{node.label} -> {default_state(node.value, False)}"]
        return [f"{pad}{node.label}  <- gives the outcome", *_cites(node, pad + "  ")]
    marker = "  <- gives the outcome" if node.fired else marks.get(id(node), "")
    out = [f"{pad}{node.kind}: {_short(node.label)} -> {_value(node)}{marker}"]
    if node.value is NOT_EVALUATED:
        return out
    if node.note:
        out.append(f"{pad}  {node.note}")
    out.extend(_cites(node, pad + "  "))
    condition, *exceptions = node.children
    if condition.value is not NOT_EVALUATED:
        out.extend(_lines(condition, ex, depth + 1, None))
    for exc in exceptions:
        out.extend(_provision_lines(exc, ex, depth + 1, marks))
    return out


def _clause_lines(node: Node, ex: ExplanationView, depth: int) -> list[str]:
    pad = "  " * depth
    label = _short(node.label)
    if node.kind in ("fact", "term"):
        tag = "fact" if node.kind == "fact" else "term"
        if node.value is NOT_EVALUATED:
            return [f"{pad}{label}  [{tag}, {NOT_EVALUATED_TEXT}]"]
        detail = ", not given" if node.note else (", explained below" if tag == "term" else "")
        return [f"{pad}{label} = {_value(node)}  [{tag}{detail}]"]
    out = [f"{pad}{label} -> {_value(node)}"]
    if node.value is not NOT_EVALUATED:
        for child in node.children:
            out.extend(_clause_lines(child, ex, depth + 1))
    return out


def _lines(node: Node, ex: ExplanationView, depth: int,
           marks: dict[int, str] | None = None) -> list[str]:
    if node.kind in TERM_KINDS:
        return _term_lines(node, ex, depth)
    if node.kind in ("rule", "exception", "default", "piece"):
        return _provision_lines(node, ex, depth, marks or {})
    return _clause_lines(node, ex, depth)


def render_text(ex: ExplanationView) -> str:
    blocks = []
    head = f"as of {ex.as_of}" if ex.as_of else "no evaluation date"
    for node in ex.terms():
        blocks.append("\n".join(fit(line) for line in _lines(node, ex, 0)))
    return f"({head})\n\n" + "\n\n".join(blocks) + "\n"


def fit(line: str, width: int = WIDTH) -> str:
    """A line cut at spaces to fit `width` columns, continued four columns deeper."""
    if len(line) <= width:
        return line
    pad = " " * (len(line) - len(line.lstrip(" ")) + 4)
    return "\n".join(textwrap.wrap(line, width, subsequent_indent=pad, break_long_words=False,
                                    break_on_hyphens=False, drop_whitespace=True))


def node_json(node: Node, ex: ExplanationView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": node.kind,
        "text": node.label,
        "value": value_json(node.value),
    }
    unit = value_unit(node)
    if unit:
        out["unit"] = unit
    where = _location(node, ex)
    if where:
        out["location"] = where
    if node.unknown is not None:
        out["unknown_because"] = unknown_json(node.unknown)
    if node.moot:
        out["unknowns_that_did_not_matter"] = [moot_json(m) for m in node.moot]
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


def value_unit(node: Node) -> str | None:
    """The unit of a node's value, when it is a quantity (`ct`, `usd`) and not unknown."""
    if isinstance(node.type, Quantity) and isinstance(node.value, Decimal | int | float) \
            and not isinstance(node.value, bool):
        return node.type.unit
    return None


def unknown_json(why: Unknowns) -> dict[str, Any]:
    """Why a term is unknown: `facts_not_given`, `no_evaluation_date`, `parameters_without_value`
    (only the keys that apply)."""
    out: dict[str, Any] = {}
    if why.facts:
        out["facts_not_given"] = list(why.facts)
    if why.no_date:
        out["no_evaluation_date"] = True
    if why.parameters:
        out["parameters_without_value"] = list(why.parameters)
    return out


def moot_json(m: Moot) -> dict[str, Any]:
    """An unknown that did not matter: the provision, why it is unknown, the outcome it gives
    if it applies, and what gives that outcome if it does not."""
    return {"provision": m.provision, "text": m.label, "unknown_because": unknown_json(m.why),
            "gives": m.outcome, "otherwise": m.otherwise}


def render_json(ex: ExplanationView) -> dict[str, Any]:
    return {
        "as_of": ex.as_of.isoformat() if ex.as_of else None,
        "terms": [node_json(n, ex) for n in ex.terms()],
    }
