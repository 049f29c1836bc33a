"""A symbolic difference written out: text (a terminal), Markdown, JSON and HTML.

Pure: a `DiffReport` in, a string out. The JSON document is the typed objects as they are
(docs/symbolic.md describes it); the others read as prose: per other policy and term, the verdict
in words, then each region as numbered disjuncts with their witness and cause.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kprules.analysis.symbolic.model import (
    DiffReport,
    Disjunct,
    PairDiff,
    Region,
    TermDiff,
    Witness,
)
from kprules.ir.types import Type
from kprules.ir.values import format_value, to_json

WIDTH = 100

VERDICT_WORDS = {
    "equivalent": "equivalent: they agree on every fact set",
    "narrower": "narrower: {o} holds only where {b} does, and not everywhere",
    "broader": "broader: {o} holds wherever {b} does, and more",
    "overlapping": "overlapping: each holds somewhere the other does not",
    "undecided": "agree wherever both decide; one is unknown where the other decides",
    "different": "different: they give different values (below)",
    "too_large": "not compared: too large (see the note)",
}


# A verdict as a summary row shows it, where the word alone would not do.
VERDICT_SHORT = {"too_large": "not compared (too large)"}


def verdict_text(d: TermDiff) -> str:
    text = VERDICT_WORDS[d.verdict].format(o=d.other, b=d.base)
    if not d.exhaustive and d.verdict in ("equivalent", "narrower", "broader"):
        text += " (on the fact sets tried: the search is not exhaustive)"  # not a proof
    return text


def dating(report: DiffReport) -> str:
    if report.over_time:
        return "over time: one period between each two dates where either text changes"
    if report.as_of is not None:
        return f"as of {report.as_of}"
    if report.dated_by is not None:
        return f"each fact set dated by its `{report.dated_by}`"
    return "undated: anything dated is unknown"


CONDITION, PROSE = " and ", " "  # where `wrap` breaks a line first


def wrap(text: str, indent: str, cont: str, width: int = WIDTH,
         at: str = CONDITION) -> list[str]:
    """Break the text after each `at` to fit the width: a condition at its ` and `s, prose at
    every space; a part longer than a line, at its spaces."""
    return fill(parts(text, at), indent, cont, width)


def parts(text: str, at: str) -> list[str]:
    return text.replace(at, at + "\x00").split("\x00")


def fill(pieces: Sequence[str], indent: str, cont: str, width: int = WIDTH) -> list[str]:
    """The pieces on lines of the width, as many on each as fit."""
    words = [w for part in pieces for w in _spaces(part, width - len(cont))]
    lines: list[str] = []
    line = indent
    for w in words:
        if line.strip() and len(line) + len(w) > width:
            lines.append(line.rstrip())
            line = cont
        line += w
    lines.append(line.rstrip())
    return lines


def _spaces(part: str, room: int) -> list[str]:
    if len(part) <= room:
        return [part]
    out = [w + " " for w in part.split(" ")]
    out[-1] = out[-1][:-1]
    return out


def facts_text(facts: Mapping[str, Any], types: Mapping[str, Type]) -> str:
    """`exporter = "A", weight = 0.5 ct, origins = {RU}`: each value as the language writes
    it, by its fact's type."""
    return "".join(fact_parts(facts, types))


def fact_parts(facts: Mapping[str, Any], types: Mapping[str, Type]) -> list[str]:
    """The facts, each `name = value, ` (the last without the comma): where a line may break."""
    shown = [f"{k} = {format_value(v, types.get(k))}" for k, v in facts.items()]
    return [f"{x}, " for x in shown[:-1]] + shown[-1:]


def witness_lines(head: str, facts: Mapping[str, Any], types: Mapping[str, Type], indent: str,
                  cont: str) -> list[str]:
    """`head` then the facts, broken between words of the head and between facts."""
    return fill(parts(head, PROSE) + fact_parts(facts, types), indent, cont)


# ----------------------------------------------------------------------------- text


def text(report: DiffReport) -> str:
    out = wrap(f"kprules diff: {report.base} against "
               + ", ".join(p.other for p in report.pairs), "", "  ", at=PROSE)
    out += [f"({dating(report)})", ""]
    out += [line for row in summary_rows(report) for line in wrap(row, "  ", "      ", at=PROSE)]
    out.append("")
    for pair in report.pairs:
        out.extend(_pair_text(pair))
    return "\n".join(out).rstrip() + "\n"


def summary_rows(report: DiffReport) -> list[str]:
    """One line per other policy and term: the verdict and the size of each region."""
    rows = []
    for pair in report.pairs:
        groups = [("", pair.diffs)] + [(f" {_period(p.start, p.end)}", p.diffs)
                                       for p in pair.periods]
        for when, diffs in groups:
            for d in diffs:
                sizes = "; ".join(f"{r.label}: {len(r.disjuncts)}{'' if r.complete else '+'}"
                                  for r in d.regions
                                  if r.kind != "undecided" and not r.empty)
                mark = "" if d.exhaustive else " (not exhaustive)"
                rows.append(f"{pair.other}.{d.term}{when}: "
                            f"{VERDICT_SHORT.get(d.verdict, d.verdict)}{mark}"
                            + (f" ({sizes})" if sizes else ""))
    return rows


def _pair_text(pair: PairDiff) -> Iterator[str]:
    if not pair.periods:
        for d in pair.diffs:
            yield from _term_text(d, "")
        return
    for period in pair.periods:
        yield f"{pair.other}: {_period(period.start, period.end)}"
        for d in period.diffs:
            yield from _term_text(d, "  ")


def _period(start: dt.date | None, end: dt.date | None) -> str:
    if start is None:
        return f"before {end}" if end else "at any date"
    return f"from {start}" + (f" until {end}" if end else "")


def _term_text(d: TermDiff, pad: str) -> Iterator[str]:
    yield from wrap(f"{d.other}.{d.term} against {d.base}.{d.term}: {verdict_text(d)}", pad,
                    pad + "  ", at=PROSE)
    if not d.exhaustive:
        yield from wrap("not exhaustive: " + "; ".join(d.notes), pad + "  ", pad + "    ",
                        at=PROSE)
    for r in d.regions:
        yield from _region_text(r, pad + "  ")
    yield ""


def _region_text(r: Region, pad: str) -> Iterator[str]:
    if r.empty:
        yield f"{pad}{r.label}: nowhere"
        return
    if not r.listed:
        yield from wrap(f"{r.label}: {undecided_where(r.unknown_facts)} (--unknowns lists "
                        "the region)", pad, pad + "  ", at=PROSE)
        return
    yield f"{pad}{r.label}:"
    for i, x in enumerate(r.disjuncts, 1):
        yield from _disjunct_text(x, i, pad + "  ")
    if not r.complete:
        yield from wrap(_more(r), pad + "  ", pad + "  ", at=PROSE)


def _more(r: Region) -> str:
    """The line after a region too long to write out (`Region.complete` False)."""
    return (f"... and more: this region takes more than {len(r.disjuncts)} conditions to write; "
            "the first are shown, each exact (the verdict covers the whole region)")


def undecided_where(facts: Sequence[str]) -> str:
    """Where an undecided region not written out lies: the facts whose being unknown causes
    it, or (none) the fact sets where a computation has no value, such as a division by zero."""
    if not facts:
        return "where every fact is known but a computation has no value (a division by zero)"
    return "where one of these facts is unknown: " + ", ".join(facts)


def witness_values(w: Witness, code: Callable[[str], str] = str, arrow: str = "->",
                   note: Callable[[str], str] = str) -> str:
    """`base -> other`; for a witness the evaluator stopped on, that it is unconfirmed. Each
    value through `code`, the note through `note` (Markdown code, HTML escapes)."""
    return (f"{code(value_text(w.base_value, w))} {arrow} {code(value_text(w.other_value, w))}"
            f"{note(unconfirmed(w))}")


def value_text(value: Any, w: Witness) -> str:
    return format_value(value, w.value_type)


def unconfirmed(w: Witness) -> str:
    return "" if w.error is None else f", unconfirmed: evaluating it stops, {w.error}"


def _disjunct_text(x: Disjunct, i: int, pad: str) -> Iterator[str]:
    head = f"{pad}{i}. "
    cont = " " * len(head)
    yield from wrap(x.condition, head, cont)
    w = x.witness
    yield from witness_lines(f"witness ({witness_values(w)}): ", w.facts, w.types, cont,
                             cont + "  ")
    yield from wrap("caused by: " + "; ".join(c.label for c in x.causes), cont, cont + "  ",
                    at=PROSE)


# ----------------------------------------------------------------------------- markdown


def markdown(report: DiffReport) -> str:
    out = [f"# {report.base} against " + ", ".join(f"`{p.other}`" for p in report.pairs), "",
           f"_{dating(report)}_", ""]
    out += [f"- {row}" for row in summary_rows(report)] + [""]
    for pair in report.pairs:
        for title, diffs in _sections(pair):
            out.append(f"## `{pair.other}`{title}")
            out.append("")
            for d in diffs:
                out.extend(_term_md(d))
    return "\n".join(out).rstrip() + "\n"


def _sections(pair: PairDiff) -> list[tuple[str, tuple[TermDiff, ...]]]:
    if not pair.periods:
        return [("", pair.diffs)]
    return [(f", {_period(p.start, p.end)}", p.diffs) for p in pair.periods]


def _term_md(d: TermDiff) -> Iterator[str]:
    yield f"### `{d.term}`: {verdict_text(d)}"
    yield ""
    if not d.exhaustive:
        yield "**Not exhaustive:** " + "; ".join(md_text(n) for n in d.notes)
        yield ""
    for r in d.regions:
        label = md_text(r.label)
        if r.empty:
            yield f"- **{label}**: nowhere"
        elif not r.listed:
            yield f"- **{label}**: " + undecided_where([f"`{f}`" for f in r.unknown_facts])
        else:
            yield f"- **{label}**:"
            for i, x in enumerate(r.disjuncts, 1):
                w = x.witness
                yield f"  {i}. {md_code(x.condition)}"
                yield f"     - witness ({_values_md(w)}): {md_code(facts_text(w.facts, w.types))}"
                yield "     - caused by: " + "; ".join(c.label for c in x.causes)
            if not r.complete:
                yield f"  - {_more(r)}"
    yield ""


def md_text(text: str) -> str:
    """Text that Markdown shows as it is: its emphasis, link, HTML and table characters
    escaped (a region's label holds values from the policies: `a gives "*A*"`)."""
    return _MD_SPECIAL.sub(r"\\\g<0>", text)


# what Markdown may read as markup; `_` only at a word's edge (`state_actors` stays as it is)
# (backquotes stay: a label writes names in them, as code)
_MD_SPECIAL = re.compile(r"[\\*\[\]<>#!|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md_code(text: str) -> str:
    """Inline code that holds what it is given: fenced by more backticks than any run in it
    (a text value may hold one), padded when it starts or ends with one."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{'`' * (longest + 1)}{pad}{text}{pad}{'`' * (longest + 1)}"


def _values_md(w: Witness) -> str:
    return witness_values(w, md_code)


# ----------------------------------------------------------------------------- json


def as_json(report: DiffReport) -> dict[str, Any]:
    return {
        "base": report.base,
        "as_of": to_json(report.as_of),
        "dated_by": report.dated_by,
        "over_time": report.over_time,
        "pairs": [_pair_json(p) for p in report.pairs],
    }


def _pair_json(p: PairDiff) -> dict[str, Any]:
    out: dict[str, Any] = {"other": p.other, "terms": [_term_json(d) for d in p.diffs]}
    if p.periods:
        out["periods"] = [{"from": to_json(x.start), "until": to_json(x.end),
                           "terms": [_term_json(d) for d in x.diffs]} for x in p.periods]
    return out


def _term_json(d: TermDiff) -> dict[str, Any]:
    return {"term": d.term, "verdict": d.verdict, "exhaustive": d.exhaustive,
            "notes": list(d.notes), "as_of": to_json(d.as_of),
            "regions": [_region_json(r) for r in d.regions]}


def _region_json(r: Region) -> dict[str, Any]:
    return {"kind": r.kind, "label": r.label, "empty": r.empty, "listed": r.listed,
            "complete": r.complete,
            "base_value": to_json(r.base_value), "other_value": to_json(r.other_value),
            "unknown_facts": list(r.unknown_facts),
            "disjuncts": [_disjunct_json(x) for x in r.disjuncts]}


def _disjunct_json(x: Disjunct) -> dict[str, Any]:
    w = x.witness
    return {"condition": x.condition,
            "witness": {"facts": {k: to_json(v) for k, v in w.facts.items()},
                        "as_of": to_json(w.as_of), "base_value": to_json(w.base_value),
                        "other_value": to_json(w.other_value), "verified": w.verified,
                        "error": w.error},
            "causes": [{"policy": c.policy, "term": c.term, "kind": c.kind, "line": c.line}
                       for c in x.causes]}


def json_text(report: DiffReport) -> str:
    return json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------- html

_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
code{background:#f4f4f4;padding:0 .2em}li{margin:.3em 0}.w,.c{color:#555;font-size:90%}
.warn{color:#a00}"""


def html_page(report: DiffReport) -> str:
    e = html.escape
    title = f"{report.base} against " + ", ".join(p.other for p in report.pairs)
    body = [f"<h1>{e(title)}</h1>", f"<p><em>{e(dating(report))}</em></p>"]
    for pair in report.pairs:
        for head, diffs in _sections(pair):
            body.append(f"<h2>{e(pair.other + head)}</h2>")
            for d in diffs:
                body.extend(_term_html(d))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _term_html(d: TermDiff) -> Iterator[str]:
    e = html.escape
    yield f"<h3><code>{e(d.term)}</code>: {e(verdict_text(d))}</h3>"
    if not d.exhaustive:
        yield f"<p class=\"warn\">Not exhaustive: {e('; '.join(d.notes))}</p>"
    yield "<ul>"
    for r in d.regions:
        if r.empty:
            yield f"<li><strong>{e(r.label)}</strong>: nowhere</li>"
        elif not r.listed:
            yield (f"<li><strong>{e(r.label)}</strong>: "
                   f"{e(undecided_where(r.unknown_facts))}</li>")
        else:
            yield f"<li><strong>{e(r.label)}</strong>:<ol>"
            for x in r.disjuncts:
                w = x.witness
                yield (f"<li><code>{e(x.condition)}</code><div class=\"w\">witness "
                       f"({witness_values(w, e, '&rarr;', e)}): "
                       f"{e(facts_text(w.facts, w.types))}</div>"
                       f"<div class=\"c\">caused by: "
                       f"{e('; '.join(c.label for c in x.causes))}</div></li>")
            yield "</ol>" + (f"<p>{e(_more(r))}</p>" if not r.complete else "") + "</li>"
    yield "</ul>"


WRITERS: dict[str, Callable[[DiffReport], str]] = {
    "text": text, "md": markdown, "json": json_text, "html": html_page,
}
