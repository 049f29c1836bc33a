"""Inline SVG charts for the HTML report: pictures where a reader would rather look than read.

Pure functions from the report model to SVG text (no script, no style attribute: presentation
attributes and the page's classes only, so the page's Content-Security-Policy holds):

- `reclassified_bars`: per other policy and term, the share of cases that differ from the base
  and the share of each measure (carats, value) they carry, as bars;
- `outcome_heatmap`: per term, policies x cases, each cell coloured by its value, a cell that
  differs from the base marked with a dot and linked to its explanation.

Each chart is a `<figure>` with an `<svg role="img">` titled and described for screen readers;
the numbers are also in the tables beside them. The SVGs scale to the width of the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from attrs import frozen

from kprules.core.shared_repr import SharedRepr
from kprules.core.wording import plural
from kprules.report.html_parts import esc, one_line
from kprules.report.model import Json

WIDTH = 1000  # the width of every chart, in SVG units (scaled to the page)
LABEL = 260  # the label column
BAR_COLOURS = ("#1d4e89", "#b7791f", "#2f7d4f", "#7a3e9d")  # cases, then each measure
VALUE_COLOURS = ("#1d4e89", "#d5d9df", "#b7791f", "#2f7d4f", "#7a3e9d", "#9aa5b1", "#c2410c",
                 "#0e7490")
UNKNOWN_COLOUR = "#ffffff"
MARK = "#1b1f24"
MAX_COLUMNS = 600  # cases drawn in a heat map, at most


def _num(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _share(part: object, whole: object) -> float | None:
    """part / whole; None when there is no share (a total of 0), as the table says (an en dash)."""
    try:
        p, w = Decimal(str(part)), Decimal(str(whole))
    except InvalidOperation:
        return None
    return float(p / w) if w else None


def _percent(share: float | None) -> str:
    if share is None:
        return "\u2013"
    if 0 < share < 0.0005:
        return "<0.1%"
    return f"{share * 100:.1f}%"


def _length(plot: float, share: float | None) -> float:
    """A bar's length: within the plot whatever the share (a negative measure makes one
    below 0 or above 1: the label says it, the bar stays in the chart)."""
    return min(max(plot * (share or 0.0), 0.0), plot)


def _figure(svg_id: str, title: str, desc: str, height: float, body: str, caption: str) -> str:
    return (f"<figure class=\"chart\" id=\"{svg_id}\">\n"
            f"<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {_num(height)}\" "
            f"width=\"100%\" aria-labelledby=\"{svg_id}-t {svg_id}-d\">\n"
            f"<title id=\"{svg_id}-t\">{esc(title)}</title>\n"
            f"<desc id=\"{svg_id}-d\">{esc(desc)}</desc>\n{body}</svg>\n"
            f"<figcaption>{caption}</figcaption>\n</figure>\n")


# ---------------------------------------------------------------------------- bars


def reclassified_bars(summary: Json, others: Sequence[str], terms: Sequence[str]) -> str:
    """Per (other policy, term): a bar for the share of cases that differ, one per measure."""
    counts = {(d["other"], d["term"]): int(d["cases"]) for d in summary["differences"]}
    weights = [w for w in summary.get("weights", ()) if w.get("cases")]
    shifted = {(r["other"], r["term"], r["fact"]): r["value"]
               for r in summary.get("reclassified", ())}
    series = ["cases", *(str(w["fact"]) for w in weights)]
    bar, gap = 10.0, 10.0
    row_h = bar * len(series) + gap
    plot = WIDTH - LABEL - 70
    legend_h = 20.0
    parts = [_legend(series, BAR_COLOURS, 0)]
    y = legend_h
    total = int(summary["cases"])
    for other in others:
        for term in terms:
            parts.append(f"<text class=\"label\" x=\"{LABEL - 8}\" y=\"{_num(y + row_h / 2)}\" "
                         f"text-anchor=\"end\" dominant-baseline=\"middle\">{esc(other)} \u00b7 "
                         f"{esc(term)}</text>")
            values = [_share(counts.get((other, term), 0), total)] + [
                _share(shifted.get((other, term, w["fact"]), "0"), w["total"]) for w in weights]
            for i, (name, share) in enumerate(zip(series, values, strict=True)):
                top = y + i * bar
                length = _length(plot, share)
                parts.append(f"<rect class=\"bar\" data-series=\"{esc(name)}\" x=\"{LABEL}\" "
                             f"y=\"{_num(top)}\" width=\"{_num(length)}\" height=\"{_num(bar - 1)}"
                             f"\" fill=\"{BAR_COLOURS[i % len(BAR_COLOURS)]}\"><title>"
                             f"{esc(other)}, {esc(term)}: {esc(name)} {_percent(share)}</title>"
                             "</rect>")
                parts.append(f"<text class=\"value\" x=\"{_num(LABEL + length + 4)}\" "
                             f"y=\"{_num(top + bar - 2)}\">{_percent(share)}</text>")
            y += row_h
    desc = _bars_desc(len(others) * len(terms), total, series[1:])
    caption = ("Cases" + (" and measures" if weights else "") + " reclassified, per policy and "
               "term, as a share of all cases" + (" and of each measure's total" if weights
                                                  else "") + " (the numbers are in the table "
               "above).")
    return _figure("chart-reclassified", "Reclassified, per policy and term", desc, y + 4,
                   "\n".join(parts) + "\n", caption)


def _bars_desc(groups: int, cases: int, measures: Sequence[str]) -> str:
    """What the bar chart shows, for a screen reader: `1 group of bars`, `the 1 case`."""
    carried = (f", and the share of each measure ({', '.join(measures)}) they carry"
               if measures else "")
    return (f"{plural(groups, 'group')} of bars, one per policy and term: the share of the "
            f"{plural(cases, 'case')} whose value differs from the base{carried}.")


def _legend(names: Sequence[str], colours: Sequence[str], y: float) -> str:
    out, x = [], float(LABEL)
    for i, name in enumerate(names):
        out.append(f"<rect x=\"{_num(x)}\" y=\"{_num(y + 3)}\" width=\"10\" height=\"10\" "
                   f"fill=\"{colours[i % len(colours)]}\" stroke=\"#6b7b8f\" "
                   "stroke-width=\"0.5\"/>"
                   f"<text class=\"legend\" x=\"{_num(x + 14)}\" y=\"{_num(y + 12)}\">"
                   f"{esc(name)}</text>")
        x += 24 + 7 * len(name)
    return "".join(out)


# ---------------------------------------------------------------------------- heat map


@frozen(repr=False)
class HeatRow(SharedRepr):
    """A case as the heat map draws it: its id, the anchor of its explanations (or None), and
    per term, each policy's value as text and whether it differs from the base."""

    case: str
    anchor: str | None
    cells: Mapping[str, Sequence[tuple[str, bool]]]


def outcome_heatmap(rows: Sequence[HeatRow], policies: Sequence[str], terms: Sequence[str],
                    cases: int) -> str:
    """Policies (rows) x cases (columns), one block per term; a differing cell has a dot."""
    shown = rows[:MAX_COLUMNS]
    n = max(len(shown), 1)
    cell_w = (WIDTH - LABEL) / n
    cell_h = 12.0
    parts: list[str] = []
    y = 0.0
    for term in terms:
        colours = _value_colours(shown, term)
        parts.append(f"<text class=\"term\" x=\"0\" y=\"{_num(y + 12)}\">{esc(term)}</text>")
        parts.append(_legend(list(colours), list(colours.values()), y))
        y += 20
        for p, policy in enumerate(policies):
            parts.append(f"<text class=\"label\" x=\"{LABEL - 6}\" y=\"{_num(y + cell_h - 2.5)}"
                         f"\" text-anchor=\"end\">{esc(policy)}</text>")
            parts.extend(_policy_row(shown, p, policy, term, colours, y, cell_w, cell_h))
            y += cell_h
        y += 10
    marked = sum(1 for r in shown for t in terms for _, d in r.cells[t] if d)
    note = (f" It draws the first {len(shown):,} of {cases:,} cases." if len(shown) < cases
            else "")
    desc = (f"For each term, a row per policy and a column per case ({len(shown):,} cases), "
            f"coloured by the value; {marked:,} cells differ from the base and are marked with a "
            f"dot.{note}")
    caption = ("The outcome of every case under every policy: a column per case, a row per "
               "policy, the colour its value; a dot marks a value that differs from the base "
               "(select a marked cell for its explanation)." + esc(note))
    return _figure("chart-outcomes", "Outcomes, policies by cases", desc, y,
                   "\n".join(parts) + "\n", caption)


def _policy_row(rows: Sequence[HeatRow], p: int, policy: str, term: str,
                colours: Mapping[str, str], y: float, cell_w: float, cell_h: float) -> list[str]:
    """A policy's cells: runs of cases with one value and no difference as one rectangle each,
    a differing cell on its own, marked."""
    out: list[str] = []
    start, run = 0, None
    for c, row in enumerate([*rows, None]):
        value, differs = row.cells[term][p] if row is not None else ("", True)
        if run is not None and (differs or value != run):
            out.append(_cell(LABEL + start * cell_w, y, (c - start) * cell_w, cell_h,
                             colours[run]))
            run = None
        if row is None:
            break
        if differs:
            out.append(_changed(LABEL + c * cell_w, y, cell_w, cell_h, colours[value], row,
                                policy, term, value))
        elif run is None:
            start, run = c, value
    return out


def _value_colours(rows: Sequence[HeatRow], term: str) -> dict[str, str]:
    values = sorted({v for r in rows for v, _ in r.cells[term]}, key=_value_order)
    out: dict[str, str] = {}
    i = 0
    for v in values:
        if v == "unknown":
            out[v] = UNKNOWN_COLOUR
        else:
            out[v] = VALUE_COLOURS[i % len(VALUE_COLOURS)]
            i += 1
    return out


def _value_order(value: str) -> tuple[int, str]:
    """true first and false next (so that they keep their colours across terms), then the rest."""
    return ({"true": 0, "false": 1}.get(value, 2), value)


def _cell(x: float, y: float, w: float, h: float, colour: str) -> str:
    return (f"<rect x=\"{_num(x)}\" y=\"{_num(y)}\" width=\"{_num(w)}\" height=\"{_num(h)}\" "
            f"fill=\"{colour}\"/>")


def _changed(x: float, y: float, w: float, h: float, colour: str, row: HeatRow, policy: str,
             term: str, value: str) -> str:
    """A cell that differs from the base: a dot on its colour, its explanation a click away."""
    r = max(min(w, h) / 3, 0.8)
    mark = (f"<rect class=\"changed\" x=\"{_num(x)}\" y=\"{_num(y)}\" width=\"{_num(w)}\" "
            f"height=\"{_num(h)}\" fill=\"{colour}\"><title>{one_line(row.case)}: "
            f"{esc(term)} under {esc(policy)} = {esc(value)} (differs from the base)</title></rect>"
            f"<circle cx=\"{_num(x + w / 2)}\" cy=\"{_num(y + h / 2)}\" r=\"{_num(r)}\" "
            f"fill=\"{MARK}\"/>")
    if row.anchor:
        return f"<a href=\"#{esc(row.anchor)}\">{mark}</a>"
    return mark
