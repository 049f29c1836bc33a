"""The Markdown report, for a code-hosting site (GitHub-flavoured Markdown).

Order as in the text report: what was compared; `## Summary` (a table of the cases that differ
per policy and term, transitions grouped by the provision that caused them, weight reclassified);
`## Outcomes` (one table per term, a row per case, bold where a value differs from the base);
`## Differences` (a section per case; per difference the walk to where the two texts part, then
each side's decisive explanation in a `<details>` block, as nested lists with the citations as
quotations). Text from policies and cases is escaped; the rows are spooled.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from typing import TextIO

from kprules.core.escape import printable, terminal
from kprules.core.wording import default_state, plural
from kprules.report.blocks import (
    differ_line,
    node_value,
    same_parting,
    shown_children,
    step_text,
    unknown_texts,
)
from kprules.report.model import (
    Json,
    ReportOptions,
    RowStream,
    Spool,
    spooled,
    unit_text,
)
from kprules.report.symbolic import compact, hint

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")


def esc(text: str) -> str:
    """Markdown text with its special characters escaped (safe in tables too)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def code(text: str, cell: bool = False) -> str:
    """Inline code; in a table `cell` a `|` is escaped (GitHub splits cells on it even in
    code), elsewhere not (a backslash in code is shown as it is)."""
    text = " ".join(text.split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|') if cell else text}{pad}{fence}"


def one_line(text: str) -> str:
    """A case's id or title, escaped: one line, a line feed or a tab in it written `\\x0a`,
    `\\x09` (as every report writes them), so that `x\\ny` and `x y` differ."""
    return esc(printable(text))


def anchor(case_id: str) -> str:
    """The id of a case's heading: `case-<id>` for a kebab-case id; for any other, its letters
    and digits and a digest of the whole id, so that ids that differ give anchors that differ
    (`A b`, `a-b` and `ab` once all gave `case-a-b` or `case-ab`)."""
    if re.fullmatch(r"[a-z0-9-]+", case_id):
        return "case-" + case_id
    digest = hashlib.sha256(case_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"case-{re.sub(r'[^a-z0-9]+', '-', case_id.lower())[:60].strip('-')}-{digest}"


def write(out: TextIO, stream: RowStream, options: ReportOptions) -> None:
    with spooled(stream) as spool:
        for block in report_blocks(spool, options):
            out.write(terminal(block) + "\n")


def report_blocks(spool: Spool, options: ReportOptions) -> Iterator[str]:
    yield from _intro(spool)
    yield from _summary(spool)
    if options.matrix != "none":
        yield from _matrix(spool, options.matrix == "differences")
    yield from _differences(spool)


# ---------------------------------------------------------------------------- intro


def _intro(spool: Spool) -> Iterator[str]:
    h, s = spool.header, spool.summary
    others = h["others"]
    what = code(others[0]["name"]) if len(others) == 1 else plural(len(others), "policy",
                                                                   "policies")
    yield f"# Comparison of {code(h['base']['name'])} against {what}"
    yield ""
    date = "each case's own" + (f", else {code(h['as_of'])}" if h["as_of"] else "")
    yield (f"{plural(s['cases'], 'case')} from {code(h['cases']['path'])} "
           f"({h['cases']['kind']}) · terms: {', '.join(code(t) for t in h['terms'])} · "
           f"evaluation date: {date} · kprules {esc(h['tool']['version'])}")
    yield ""
    yield "| | Policy | Status | Title | Written in |"
    yield "|---|---|---|---|---|"
    for role, p in [("base", h["base"]), *(("", p) for p in others)]:
        where = code(p["location"], cell=True) if p["location"] else ""
        yield (f"| {role} | {code(p['name'], True)} | {p['status']} | {esc(p['title'] or '')} | "
               f"{where} |")


# ---------------------------------------------------------------------------- summary


def _summary(spool: Spool) -> Iterator[str]:
    h, s = spool.header, spool.summary
    yield ""
    yield "## Summary"
    yield ""
    yield (f"**{differ_line(s['differing_cases'], s['cases'])}** from "
           f"{code(h['base']['name'])} under at least one policy.")
    yield ""
    counts = {(d["other"], d["term"]): d["cases"] for d in s["differences"]}
    yield "| Cases that differ | " + " | ".join(code(t, cell=True) for t in h["terms"]) + " |"
    yield "|---|" + "---:|" * len(h["terms"])
    for p in h["others"]:
        cells = [str(counts.get((p["name"], t), 0)) for t in h["terms"]]
        yield f"| {code(p['name'], cell=True)} | " + " | ".join(cells) + " |"
    yield from _symbolic(h)
    if s["causes"]:
        yield ""
        yield "### Transitions, by the provision that caused them"
        for group in s["causes"]:
            yield from _cause(group)
    yield from _weights(spool)


def _symbolic(h: Json) -> Iterator[str]:
    """Per policy and term, the verdict and regions over every fact set (kprules diff)."""
    if h.get("symbolic") is None:
        return
    yield ""
    yield "### Over every fact set, not only these cases"
    yield ""
    yield (f"The symbolic difference: {code(hint(h['base']['name']))} lists each region.")
    yield ""
    for entry in h["symbolic"]:
        yield f"- {esc(compact(entry))}"


def _cause(group: Json) -> Iterator[str]:
    p = group["provision"]
    yield ""
    yield (f"#### {code(p['label'])} under {code(group['other'])}: "
           f"{plural(group['cases'], 'difference')}")
    yield ""
    if p["kind"] == "in force":
        yield f"The same rules, in force on different dates: {esc(p['note'])}."
        yield ""
    elif p["location"]:
        yield f"Written at {code(p['location'])}."
        yield ""
    yield "| Term | From | To | Cases | Examples |"
    yield "|---|---|---|---:|---|"
    for t in group["transitions"]:
        examples = ", ".join(f"[{one_line(e)}](#{anchor(e)})" for e in t["examples"][:5])
        more = t["cases"] - min(len(t["examples"]), 5)
        examples += f", +{more:,} more" if more > 0 else ""
        yield (f"| {code(t['term'], True)} | {esc(t['from'])} | {esc(t['to'])} | {t['cases']:,} | "
               f"{examples} |")


def _weights(spool: Spool) -> Iterator[str]:
    s = spool.summary
    given = {w["fact"]: w for w in s["weights"] if w["cases"]}
    rows = [r for r in s["reclassified"] if r["fact"] in given and r["value"] != "0"]
    if not given:
        return
    yield ""
    yield "### Weight reclassified"
    yield ""
    for w in given.values():
        yield (f"- {code(w['fact'])}: {w['total']} {esc(w['unit'])} in "
               f"{plural(w['cases'], 'case')} that give it")
    if rows:
        yield ""
        yield "| Policy | Term | Fact | Reclassified | Share |"
        yield "|---|---|---|---:|---:|"
        for r in rows:
            pct = f"{r['share'] * 100:.2f}%" if r["share"] is not None else "-"
            unit = given[r["fact"]]["unit"]
            yield (f"| {code(r['other'], True)} | {code(r['term'], True)} | "
                   f"{code(r['fact'], True)} | "
                   f"{r['value']} {esc(unit)} | {pct} |")


# ---------------------------------------------------------------------------- matrix


def _matrix(spool: Spool, only: bool) -> Iterator[str]:
    h, s = spool.header, spool.summary
    base = h["base"]["name"]
    policies = [base, *(p["name"] for p in h["others"])]
    yield ""
    yield "## Outcomes"
    yield ""
    what = "Cases that differ" if only else "Every case"
    yield f"{what}; a value in **bold** differs from {code(base)}."
    if only and not s["differing_cases"]:
        yield ""
        yield "No case differs."
        return
    for term in h["terms"]:
        yield ""
        yield f"### {code(term)}"
        yield ""
        yield "| Case | " + " | ".join(code(p, cell=True) for p in policies) + " |"
        yield "|---|" + "---|" * len(policies)
        for row in spool.rows():
            if only and not row["differences"]:
                continue
            values = row["values"][term]
            cells = [_cell(values[p], i > 0 and values[p] != values[base],
                           h.get("term_units", {}).get(term)) for i, p in enumerate(policies)]
            case = (f"[{one_line(row['id'])}](#{anchor(row['id'])})"
                    if any(d["explained"] for d in row["differences"]) else one_line(row["id"]))
            yield f"| {case} | " + " | ".join(cells) + " |"


def _cell(value: object, differs: bool, unit: str | None = None) -> str:
    text = esc(unit_text(value, unit))
    return f"**{text}**" if differs else text


# ---------------------------------------------------------------------------- differences


def _differences(spool: Spool) -> Iterator[str]:
    if not spool.summary["differing_cases"]:
        return
    yield ""
    yield "## Differences"
    limit = spool.header.get("explain_limit")
    if limit is not None:
        yield ""
        yield (f"Explained: the first {plural(limit, 'case')} of each transition; the others "
               "are counted in the summary.")
    used: set[str] = set()  # records of a data file may share an id: `case-x`, `case-x-2`
    for row in spool.rows():
        explained = [d for d in row["differences"] if d["explained"]]
        if explained:
            yield from _case(row, explained, spool.header["base"]["name"], used)


def _heading_anchor(case_id: str, used: set[str]) -> str:
    """The case's anchor, the first time it is given (the links go there); then with `-2`,
    `-3`... (two records with one id)."""
    wanted = found = anchor(case_id)
    n = 1
    while found in used:
        n += 1
        found = f"{wanted}-{n}"
    used.add(found)
    return found


def _case(row: Json, diffs: list[Json], base: str, used: set[str]) -> Iterator[str]:
    yield ""
    title = f": {one_line(row['title'])}" if row["title"] else ""
    yield f'### <a id="{_heading_anchor(row["id"], used)}"></a>{one_line(row["id"])}{title}'
    yield ""
    facts = [f"As of {row['as_of']}" if row["as_of"] else "No evaluation date"]
    if row["location"]:
        facts.append(code(row["location"]))
    if row["sources"]:
        facts.append("sources: " + "; ".join(esc(x) for x in row["sources"]))
    yield " · ".join(facts)
    if row["contested"]:
        yield ""
        yield f"> **Contested:** {esc(row['contested'])}"
    shown: dict[tuple[str, str], Json] = {}
    for d in diffs:
        yield from _difference(d, base, shown.get((d["other"], d["cause"])))
        shown.setdefault((d["other"], d["cause"]), d)


def _difference(d: Json, base: str, before: Json | None) -> Iterator[str]:
    yield ""
    yield (f"#### {code(d['term'])} under {code(d['other'])}: "
           f"{esc(unit_text(d['base_value'], d.get('unit')))} → "
           f"{esc(unit_text(d['other_value'], d.get('unit')))}")
    yield ""
    yield f"Caused by {code(d['cause'])}."
    if d["path"]:
        yield ""
        yield "Where the two part, from the top:"
        yield ""
        for i, step in enumerate(d["path"], 1):
            what, b, o = step_text(step)
            yield f"{i}. {code(what)}: {esc(b)} → {esc(o)}"
    if same_parting(d, before):
        assert before is not None
        yield ""
        yield f"They part as for {code(before['term'])} under {code(d['other'])}, above."
        return
    sides = ((base, " (base)", d["base_explanation"]), (d["other"], "", d["other_explanation"]))
    for who, role, node in sides:
        yield ""
        yield "<details>"
        yield (f"<summary>Under <code>{html.escape(who)}</code>{role}: "
               f"<code>{html.escape(node['text'])}</code> = "
               f"{html.escape(node_value(node))}</summary>")
        yield ""
        yield from _tree(node, 0)
        yield ""
        yield "</details>"


def _tree(node: Json, depth: int) -> Iterator[str]:
    pad = "  " * depth
    kind = node["kind"]
    value = esc(node_value(node))
    if kind in ("rule", "exception"):
        line = f"{kind} {code(node['text'])}: {value}"
    elif kind == "default":
        line = code(node["text"]) + (": gives the outcome" if node.get("fired") else
                                     ": " + default_state(node["value"], False))
    else:
        line = f"{code(node['text'])} = {value}"
    if node.get("fired") and kind != "default":
        line += ", **gives the outcome**"
    extra = [code(node["location"])] if node.get("location") and kind in (
        "definition", "decision", "parameter") else []
    if node.get("note"):
        extra.append(esc(node["note"]))
    if kind == "fact":
        extra.append("fact")
    extra.extend(esc(text) for text in unknown_texts(node))
    yield f"{pad}- {line}" + (f" ({', '.join(extra)})" if extra else "")
    for c in node.get("cites", ()):
        quote = f": “{esc(c['quote'])}”" if c.get("quote") else ""
        yield f"{pad}  > **{esc(c['source'])}**, {esc(c['locator'])}{quote}"
        yield ""
    for child in shown_children(node):
        yield from _tree(child, depth + 1)
