"""The text report, for a terminal: at most 100 columns, colour only when asked (on a terminal).

Order: what was compared; the summary (cases that differ per policy and term, transitions grouped
by the provision that caused them, the weight reclassified); the outcome matrix (one table per
term: a row per case, a column per policy, `*` on a value that differs from the base; column
groups when the policies do not fit the width); then one section per case that differs, each
difference with the walk to where the two texts part and both decisive explanations, with their
citations and quoted text. The rows are spooled, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

import click

from kprules.core.escape import terminal
from kprules.core.wording import plural
from kprules.report.blocks import (
    differ_line,
    fit,
    path_lines,
    same_parting,
    table_blocks,
    tree_lines,
    wrap,
)
from kprules.report.model import Json, ReportOptions, RowStream, Spool, spooled, value_text

ID_WIDTH = 32  # the case column of the matrix, at most


class Paint:
    """ANSI styles when colour is on; plain text otherwise."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def head(self, text: str) -> str:
        return click.style(text, bold=True) if self.on else text

    def diff(self, text: str, marked: bool = True) -> str:
        return click.style(text, fg="yellow", bold=True) if self.on and marked else text

    def dim(self, text: str) -> str:
        return click.style(text, dim=True) if self.on else text


def write(out: TextIO, stream: RowStream, options: ReportOptions) -> None:
    paint = Paint(options.colour)
    with spooled(stream) as spool:
        for line in report_lines(spool, options, paint):
            out.write(terminal(line, keep_colour=paint.on) + "\n")


def report_lines(spool: Spool, options: ReportOptions, paint: Paint) -> Iterator[str]:
    yield from _intro(spool, options.width, paint)
    yield from _summary(spool, options.width, paint)
    yield from _matrix(spool, options, paint)
    yield from _differences(spool, options.width, paint)


def _title(text: str, paint: Paint, rule: str = "-") -> list[str]:
    return ["", paint.head(text), rule * len(text)]


# ---------------------------------------------------------------------------- intro


def _intro(spool: Spool, width: int, paint: Paint) -> Iterator[str]:
    h, s = spool.header, spool.summary
    others = h["others"]
    what = others[0]["name"] if len(others) == 1 else plural(len(others), "policy", "policies")
    title = (f"kprules compare: {h['base']['name']} against {what}, "
             f"over {plural(s['cases'], 'case')}")
    yield paint.head(fit(title, width))
    yield "=" * min(len(title), width)
    yield from wrap(f"cases: {h['cases']['path']} ({h['cases']['kind']})", width, "")
    yield from wrap("terms: " + ", ".join(h["terms"]), width, "", "       ")
    date = "each case's own (its `date`, else its dated-by fact" + (
        f", else {h['as_of']})" if h["as_of"] else ")")
    yield from wrap(f"evaluation date: {date}", width, "", "  ")
    yield ""
    name_w = min(max(len(p["name"]) for p in [h["base"], *others]), 32)
    for role, p in [("base", h["base"]), *(("", p) for p in others)]:
        head = f"  {role:<5} {fit(p['name'], name_w):<{name_w}}  {p['status']:<9} "
        yield from wrap(p["title"] or "", width, head, " " * len(head))
        if p["location"]:
            yield " " * len(head) + fit(p["location"], width - len(head))


# ---------------------------------------------------------------------------- summary


def _summary(spool: Spool, width: int, paint: Paint) -> Iterator[str]:
    h, s = spool.header, spool.summary
    yield from _title("Summary", paint)
    base = h["base"]["name"]
    yield from wrap(f"{differ_line(s['differing_cases'], s['cases'])} from {base} under at "
                    "least one policy.", width, "")
    yield ""
    yield from _difference_table(spool, width, paint)
    if s["causes"]:
        yield ""
        yield "Transitions, by the provision that caused them:"
        for group in s["causes"]:
            yield from _cause(group, h, s, width, paint)
    yield from _weights(spool, width)


def _difference_table(spool: Spool, width: int, paint: Paint) -> Iterator[str]:
    h, s = spool.header, spool.summary
    counts = {(d["other"], d["term"]): d["cases"] for d in s["differences"]}
    headers = ["policy", *h["terms"]]
    names = [p["name"] for p in h["others"]]
    first = min(max(len(n) for n in [*names, "policy"]), ID_WIDTH)
    widths = [max(len(t), len("9,999 cases")) for t in h["terms"]]

    def rows() -> Iterator[tuple[str, Sequence[tuple[str, bool]]]]:
        for n in names:
            cells = [counts.get((n, t), 0) for t in h["terms"]]
            yield n, [(plural(c, "case") if c else "-", c > 0) for c in cells]

    yield from table_blocks(headers, first, widths, rows, width, "  ", paint.diff)


def _cause(group: Json, h: Json, s: Json, width: int, paint: Paint) -> Iterator[str]:
    p = group["provision"]
    yield ""
    if p["kind"] == "in force":
        head = f"{p['label']}, under {group['other']}: {p['note']}"
    else:
        head = f"{p['label']} ({p['location']}), under {group['other']}"
    lines = wrap(f"{head}: {plural(group['cases'], 'difference')}", width, "  ", "      ")
    lines[0] = lines[0].replace(p["label"], paint.head(p["label"]), 1)
    yield from lines
    term_w = max(len(t["term"]) for t in group["transitions"])
    move_w = max(len(f"{t['from']} -> {t['to']}") for t in group["transitions"])
    for t in group["transitions"]:
        move = f"{t['from']} -> {t['to']}"
        head = f"    {t['term']:<{term_w}}  {move:<{move_w}}  "
        examples = ", ".join(t["examples"][:3])
        more = t["cases"] - min(len(t["examples"]), 3)
        text = plural(t["cases"], "case") + (f": {examples}" if examples else "") + (
            f", +{more:,} more" if more > 0 else "")
        if len(head) > width // 2:
            yield from wrap(head.rstrip(), width, "    ", "      ")
            yield from wrap(text, width, "      ", "        ")
        else:
            yield from wrap(text, width, head, " " * len(head))


def _weights(spool: Spool, width: int) -> Iterator[str]:
    s = spool.summary
    given = [w for w in s["weights"] if w["cases"]]
    if not given:
        return
    yield ""
    yield "Weight reclassified (summed over the cases that give each fact):"
    for w in given:
        unit = f" {w['unit']}" if w["unit"] else ""
        yield f"  {w['fact']}: {w['total']}{unit} in {plural(w['cases'], 'case')}"
        for r in (r for r in s["reclassified"] if r["fact"] == w["fact"] and r["value"] != "0"):
            pct = f"{r['share'] * 100:.2f}%" if r["share"] is not None else "-"
            yield fit(f"    {r['other']}, {r['term']}: {r['value']}{unit} ({pct})", width)


# ---------------------------------------------------------------------------- matrix


def _matrix(spool: Spool, options: ReportOptions, paint: Paint) -> Iterator[str]:
    h, s = spool.header, spool.summary
    only = options.matrix == "differences"
    base = h["base"]["name"]
    policies = [base, *(p["name"] for p in h["others"])]
    what = "cases that differ" if only else "every case"
    yield from _title(f"Outcomes ({what}; * marks a value that differs from {base})", paint)
    if only and not s["differing_cases"]:
        yield "No case differs."
        return
    first = max(min(spool.widest_id, ID_WIDTH), 4)
    for term in h["terms"]:
        seen = {(o["policy"], o["value"]) for o in s["outcomes"] if o["term"] == term}
        widths = [max([len(p)] + [len(v) + 2 for q, v in seen if q == p]) for p in policies]
        yield ""
        yield paint.head(term)
        yield from table_blocks(["case", *policies], first, widths,
                                _matrix_rows(spool, term, policies, only), options.width, "  ",
                                paint.diff)


def _matrix_rows(spool: Spool, term: str, policies: Sequence[str], only: bool
                 ) -> Callable[[], Iterator[tuple[str, Sequence[tuple[str, bool]]]]]:
    def rows() -> Iterator[tuple[str, Sequence[tuple[str, bool]]]]:
        for row in spool.rows():
            if only and not row["differences"]:
                continue
            values = row["values"][term]
            base = values[policies[0]]
            yield row["id"], [_cell(values[p], i > 0 and values[p] != base)
                              for i, p in enumerate(policies)]

    return rows


def _cell(value: object, differs: bool) -> tuple[str, bool]:
    text = value_text(value)
    return (text + " *" if differs else text), differs


# ---------------------------------------------------------------------------- differences


def _differences(spool: Spool, width: int, paint: Paint) -> Iterator[str]:
    s = spool.summary
    if not s["differing_cases"]:
        return
    yield from _title("Differences", paint)
    limit = spool.header.get("explain_limit")
    if limit is not None:
        yield from wrap(f"Explained: the first {plural(limit, 'case')} of each transition; the "
                        "others are counted above.", width, "")
    for row in spool.rows():
        shown = [d for d in row["differences"] if d["explained"]]
        if shown:
            yield from _case(row, shown, spool.header, width, paint)


def _case(row: Json, diffs: list[Json], h: Json, width: int, paint: Paint) -> Iterator[str]:
    yield ""
    yield paint.head(fit(f"== {row['id']}" + (f": {row['title']}" if row["title"] else ""),
                         width))
    facts = [f"as of {row['as_of']}" if row["as_of"] else "no evaluation date"]
    if row["location"]:
        facts.append(row["location"])
    yield from wrap("; ".join(facts), width, "   ")
    if row["sources"]:
        yield from wrap("sources: " + "; ".join(row["sources"]), width, "   ", "     ")
    if row["contested"]:
        yield from wrap("contested: " + row["contested"], width, "   ", "     ")
    base = h["base"]["name"]
    shown: dict[tuple[str, str], Json] = {}
    for d in diffs:
        same = shown.get((d["other"], d["cause"]))
        yield from _difference(d, base, width, paint, same)
        shown.setdefault((d["other"], d["cause"]), d)


def _difference(d: Json, base: str, width: int, paint: Paint,
                before: Json | None) -> Iterator[str]:
    yield ""
    head = (f"{d['term']} under {d['other']}: {value_text(d['base_value'])} -> "
            f"{value_text(d['other_value'])}")
    yield from (paint.diff(line) for line in wrap(head, width, "   "))
    yield from wrap(f"caused by {d['cause']}", width, "     ")
    if d["path"]:
        yield "     where the two part, from the top:"
        yield from path_lines(d, "       ", width)
    if same_parting(d, before):
        assert before is not None
        yield from wrap(f"they part as for {before['term']} under {d['other']}, above", width,
                        "     ")
        return
    yield f"     under {base} (base):"
    yield from tree_lines(d["base_explanation"], width, 0, "       ")
    yield f"     under {d['other']}:"
    yield from tree_lines(d["other_explanation"], width, 0, "       ")
