"""The text report, for a terminal: at most 100 columns, colour only when asked (on a terminal).

The first screen (`detail` "summary"): what was compared; the summary (cases that differ per
policy and term, the measures); then per policy the verdict, the measures it reclassifies, and each
provision that causes transitions (its description, location, citation locators) with the cases
each transition moves, one line each, capped at `listed`. With `detail` "all", then the outcome
matrix (one table per term: a row per case, a column per policy, `*` on a value that differs from
the base; column groups when the policies do not fit the width) and one section per case that
differs, each difference with the walk to where the two texts part and both decisive
explanations, with their citations, each quotation given once and referred to afterwards. The
rows are spooled, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

import click
from attrs import define, field

from kprules.core.escape import printable, terminal
from kprules.core.shared_repr import SharedRepr
from kprules.core.wording import plural, quoted
from kprules.report.blocks import (
    differ_line,
    fit,
    path_lines,
    same_parting,
    table_blocks,
    tree_lines,
    wrap,
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
    yield from _summary(spool, options, paint)
    if options.matrix != "none":
        yield from _matrix(spool, options, paint)
    if options.detail == "all":
        yield from _differences(spool, options.width, paint)
    else:
        yield from _more(spool, options)


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
        if p["location"]:  # a path is never cut: it moves left when it does not fit
            pad = len(head) if len(head) + len(p["location"]) <= width else 4
            yield " " * pad + p["location"]


# ---------------------------------------------------------------------------- summary


def _summary(spool: Spool, options: ReportOptions, paint: Paint) -> Iterator[str]:
    h, s = spool.header, spool.summary
    width = options.width
    yield from _title("Summary", paint)
    base = h["base"]["name"]
    yield from wrap(f"{differ_line(s['differing_cases'], s['cases'])} from {base} under at "
                    "least one policy.", width, "")
    yield ""
    yield from _difference_table(spool, width, paint)
    yield from _symbolic(spool, width)
    yield from _totals(spool, width)
    moves = collect_moves(spool, options.listed)
    for other in h["others"]:
        yield from _policy_section(other["name"], spool, moves, options, paint)


def _symbolic(spool: Spool, width: int) -> Iterator[str]:
    """Per policy and term, the verdict and regions over every fact set (kprules diff)."""
    entries = spool.header.get("symbolic")
    if entries is None:
        return
    base = spool.header["base"]["name"]
    yield ""
    yield from wrap("Over every fact set, not only these cases (the symbolic difference; "
                    f"`{hint(base)}` lists each region):", width, "")
    for entry in entries:
        yield from wrap(compact(entry), width, "  ", "      ")


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


# ---------------------------------------------------------------------------- per policy


@define(repr=False)
class Moved(SharedRepr):
    """The cases one transition moves: the first `listed` (id, title), and how many in all."""

    cases: list[tuple[str, str | None]] = field(factory=list)
    count: int = 0


# (other, cause) -> (term, from, to) -> the cases it moves
Moves = dict[tuple[str, str], dict[tuple[str, str, str], Moved]]


@define(repr=False)
class Collected(SharedRepr):
    moves: Moves
    differing: dict[str, int]  # other policy -> cases where some term differs


def collect_moves(spool: Spool, listed: int | None) -> Collected:
    """Every transition's cases, from the spooled rows (the first `listed` kept, all counted)."""
    moves: Moves = {}
    differing: dict[str, int] = {}
    for row in spool.rows():
        others = set()
        for d in row["differences"]:
            others.add(d["other"])
            unit = d.get("unit")
            key = (d["term"], unit_text(d["base_value"], unit), unit_text(d["other_value"], unit))
            moved = moves.setdefault((d["other"], d["cause"]), {}).setdefault(key, Moved())
            moved.count += 1
            if listed is None or len(moved.cases) < listed:
                moved.cases.append((printable(row["id"]), printable(row["title"] or "")))
        for o in others:
            differing[o] = differing.get(o, 0) + 1
    return Collected(moves, differing)


def _policy_section(name: str, spool: Spool, got: Collected, options: ReportOptions,
                    paint: Paint) -> Iterator[str]:
    h, s = spool.header, spool.summary
    width = options.width
    n = got.differing.get(name, 0)
    verdict = (f"{differ_line(n, s['cases'])} from {h['base']['name']}" if n else
               f"no case of {s['cases']:,} differs from {h['base']['name']}")
    yield ""
    yield paint.head(fit(f"{name}: {verdict}", width))
    yield from _reclassified(name, s, width)
    terms = {t: i for i, t in enumerate(h["terms"])}
    id_w = min(max((len(c) for (o, _), by in got.moves.items() if o == name
                    for m in by.values() for c, _ in m.cases), default=0), ID_WIDTH)
    for group in (g for g in s["causes"] if g["other"] == name):
        p = group["provision"]
        yield from _provision(p, width)
        moved = got.moves.get((name, p["label"]), {})
        for (term, old, new), m in sorted(moved.items(),
                                          key=lambda kv: (terms[kv[0][0]], -kv[1].count)):
            yield from wrap(f"{term}: {old} -> {new}, {plural(m.count, 'case')}", width, "    ",
                            "      ")
            yield from _case_lines(m, id_w, options.width)


def _provision(p: Json, width: int) -> Iterator[str]:
    """The provision that caused transitions: its label, its own description, where it is
    written, and the citations' locators (the quotations are in the explanations)."""
    if p["kind"] == "in force":
        yield from wrap(f"because of {p['label']}: {p['note']}", width, "  ", "      ")
        return
    desc = f', {quoted(p["description"])}' if p.get("description") else ""
    yield from wrap(f"because of {p['label']}{desc} ({p['location']})", width, "  ", "      ")
    for c in p["cites"]:
        yield from wrap(f'cite {c["source"]} {quoted(c["locator"])}', width, "      ",
                        "          ")


def _case_lines(m: Moved, id_w: int, width: int) -> Iterator[str]:
    """Each case a transition moves, on one line with its title (cut to the width)."""
    for case_id, title in m.cases:
        line = f"      {fit(case_id, id_w):<{id_w}}  {title or ''}".rstrip()
        yield fit(line, width)
    more = m.count - len(m.cases)
    if more > 0:
        yield f"      ... {more:,} more (use --list 0)"


def _totals(spool: Spool, width: int) -> Iterator[str]:
    given = [w for w in spool.summary["weights"] if w["cases"]]
    if not given:
        return
    yield ""
    parts = [f"{w['fact']} {w['total']}{_unit(w)} in {plural(w['cases'], 'case')}"
             for w in given]
    yield from wrap("Measures, summed over the cases that give them: " + "; ".join(parts) + ".",
                    width, "")


def _unit(w: Json) -> str:
    return f" {w['unit']}" if w["unit"] else ""


def _reclassified(name: str, s: Json, width: int) -> Iterator[str]:
    """The measures a policy reclassifies, per term: `conflict_diamond 5800 ct (0.85%)`."""
    units = {w["fact"]: _unit(w) for w in s["weights"] if w["cases"]}
    per_term: dict[str, list[str]] = {}
    for r in s["reclassified"]:
        if r["other"] == name and r["fact"] in units and r["value"] != "0":
            pct = f"{r['share'] * 100:.2f}%" if r["share"] is not None else "-"
            per_term.setdefault(r["term"], []).append(f"{r['value']}{units[r['fact']]} ({pct})")
    if per_term:
        text = "; ".join(f"{t} {', '.join(v)}" for t, v in per_term.items())
        yield from wrap(f"reclassified: {text}", width, "  ", "    ")


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
    unit = spool.header.get("term_units", {}).get(term)

    def rows() -> Iterator[tuple[str, Sequence[tuple[str, bool]]]]:
        for row in spool.rows():
            if only and not row["differences"]:
                continue
            values = row["values"][term]
            base = values[policies[0]]
            yield printable(row["id"]), [_cell(values[p], i > 0 and values[p] != base, unit)
                              for i, p in enumerate(policies)]

    return rows


def _cell(value: object, differs: bool, unit: str | None = None) -> tuple[str, bool]:
    text = unit_text(value, unit)
    return (text + " *" if differs else text), differs


# ---------------------------------------------------------------------------- differences


def _more(spool: Spool, options: ReportOptions) -> Iterator[str]:
    """The line that closes the first screen: where the rest is."""
    if not spool.summary["differing_cases"]:
        return
    rest = [] if options.matrix != "none" else ["the outcome of every case (--matrix all)"]
    rest.append("each difference explained, the two texts aligned where they part, with "
                "their citations (--detail all, or --format html)")
    yield ""
    yield from wrap("More: " + "; ".join(rest) + ".", options.width, "")


def _differences(spool: Spool, width: int, paint: Paint) -> Iterator[str]:
    s = spool.summary
    if not s["differing_cases"]:
        return
    yield from _title("Differences", paint)
    limit = spool.header.get("explain_limit")
    if limit is not None:
        yield from wrap(f"Explained: the first {plural(limit, 'case')} of each transition; the "
                        "others are counted above.", width, "")
    quoted: set[tuple[str, str, str]] = set()  # quotations given in full once, then referred to
    for row in spool.rows():
        shown = [d for d in row["differences"] if d["explained"]]
        if shown:
            yield from _case(row, shown, spool.header, width, paint, quoted)


def _case(row: Json, diffs: list[Json], h: Json, width: int, paint: Paint,
          quoted: set[tuple[str, str, str]]) -> Iterator[str]:
    yield ""
    title = f": {printable(row['title'])}" if row["title"] else ""
    yield paint.head(fit(f"== {printable(row['id'])}{title}", width))
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
        yield from _difference(d, base, width, paint, same, quoted)
        shown.setdefault((d["other"], d["cause"]), d)


def _difference(d: Json, base: str, width: int, paint: Paint, before: Json | None,
                quoted: set[tuple[str, str, str]]) -> Iterator[str]:
    yield ""
    head = (f"{d['term']} under {d['other']}: {unit_text(d['base_value'], d.get('unit'))} -> "
            f"{unit_text(d['other_value'], d.get('unit'))}")
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
    yield from tree_lines(d["base_explanation"], width, 0, "       ", quoted)
    yield f"     under {d['other']}:"
    yield from tree_lines(d["other_explanation"], width, 0, "       ", quoted)
