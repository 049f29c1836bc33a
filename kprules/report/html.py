"""The comparison as one self-contained HTML page, to read in a browser, print or forward.

Stage: report model (`kprules.report.model`: header, rows, summary as JSON-ready dictionaries,
the same the other formats render) -> HTML text written to a stream. Pure apart from the
temporary files it spools to.

The page leads with the summary (cases, differences per policy and term, the share of cases and
of each measure reclassified as bars, transitions grouped by the provision that causes them),
then the outcomes as a heat map (kprules.report.charts: inline SVG) and the case x policy matrix
(one row per case, one column per term and policy, names set vertically so that the page fits
1,280 pixels; a value that differs from the base is marked by a sign and hidden words as well as
by colour), a "show only differences" filter with a live count, and one section per differing case
(its anchor the case id) with each difference's aligned explanations: the walk to where the two
versions part, then each side's decisive clauses with their citations and quoted text.

Self-contained: the style sheet and the script (kprules/report/assets/) are inlined, and a
Content-Security-Policy that names their hashes allows nothing else to load or run, so the page
opens offline and fetches nothing. No attribute holds a URL from the data: a URL inside a quoted
citation stays text. Without JavaScript everything is shown and the explanations are open; the
script adds the filter, the live count, and collapses the explanations (opening them all again
to print). Every string from policies and cases is escaped.

Streaming: the summary needs every row, so the matrix rows and the explanations are written to
two temporary files as the rows come, and copied in after the summary: memory does not grow with
the number of rows. The matrix keeps every differing row up to `HtmlOptions.differing_rows` and
the first `agreeing_rows` that agree (over bulk data: 1,000 and 100), and the page says so when
it leaves rows out. Output is deterministic: no clock; the `generated` label is the caller's.
The fragments that depend on their arguments alone (escaping, small words, each difference
with its explanation trees) are kprules.report.html_parts.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import IO, Any, TextIO

from attrs import define, field, frozen

from kprules.core.shared_repr import SharedRepr
from kprules.core.wording import plural
from kprules.report.charts import MAX_COLUMNS, HeatRow, outcome_heatmap, reclassified_bars
from kprules.report.html_parts import (
    and_list,
    breakable,
    difference_line,
    esc,
    fraction,
    noun,
    number,
    one_line,
    parting_sides,
    percent,
    share_text,
    side_tree,
    unexplained,
    value_change,
    walk,
)
from kprules.report.model import Json, ReportOptions, RowStream, unit_text
from kprules.report.symbolic import compact, hint

_T0 = ' class="t0"'  # the first column of a term's group (a rule on its left)
_PLAIN_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_SLUG = re.compile(r"[^A-Za-z0-9_-]+|__+")  # what a case's id becomes `-` in its slug
_PAGE_IDS = frozenset({"matrix", "shown", "only-diff", "matrix-controls", "matrix-heading",
                       "summary-heading", "by-term", "transitions", "explained-heading",
                       "explain-tools", "expand-all", "collapse-all", "charts",
                       "chart-reclassified", "chart-outcomes", "outcomes-map", "symbolic",
                       "chart-reclassified-t", "chart-reclassified-d", "chart-outcomes-t",
                       "chart-outcomes-d"})


@frozen(repr=False)
class HtmlOptions(SharedRepr):
    """`generated`: a label shown as given (a date, a run id; never read from the clock).
    `agreeing_rows` / `differing_rows`: how many rows of each kind the matrix and the
    explanations keep (None: by the kind of case source; every row for a case library)."""

    generated: str | None = None
    agreeing_rows: int | None = None
    differing_rows: int | None = None
    examples: int = 5  # cases named per transition

    def limits(self, source_kind: str) -> tuple[int | None, int | None]:
        bulk = source_kind == "bulk"
        agreeing = self.agreeing_rows if self.agreeing_rows is not None else (
            100 if bulk else None)
        differing = self.differing_rows if self.differing_rows is not None else (
            1000 if bulk else None)
        return agreeing, differing


def write(out: TextIO, stream: RowStream, options: ReportOptions) -> None:
    """The `html` entry of `kprules.report.WRITERS`."""
    generated = getattr(options, "generated", None)
    write_html(out, stream, options, HtmlOptions(generated=generated))


def write_html(out: TextIO, stream: RowStream, options: ReportOptions | None = None,
               html: HtmlOptions | None = None) -> None:
    """Read `stream` once and write the page to `out`."""
    page = _Page(stream.header, options or stream.options, html or HtmlOptions())
    with tempfile.TemporaryFile("w+", encoding="utf-8", prefix="kprules-html-") as matrix, \
            tempfile.TemporaryFile("w+", encoding="utf-8", prefix="kprules-html-") as explained:
        for row in stream.rows():
            page.add(row, matrix, explained)
        page.summary = stream.summary_json()
        out.write(page.head())
        out.write(page.summary_section())
        out.write(page.matrix_open())
        _copy(matrix, out)
        out.write(page.matrix_close())
        out.write(page.explained_open())
        _copy(explained, out)
        out.write(page.explained_close())
        out.write(page.foot())


def render_html(stream: RowStream, options: ReportOptions | None = None,
                html: HtmlOptions | None = None) -> str:
    """The whole page as a string (tests, small comparisons)."""
    import io

    buffer = io.StringIO()
    write_html(buffer, stream, options, html)
    return buffer.getvalue()


@cache
def asset(name: str) -> str:
    """The text of kprules/report/assets/<name> (shipped in the wheel)."""
    return (resources.files("kprules.report") / "assets" / name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _copy(spool: IO[str], out: TextIO) -> None:
    spool.seek(0)
    shutil.copyfileobj(spool, out)


# ---------------------------------------------------------------------------- the page


@define(repr=False)
class _Page(SharedRepr):
    header: Json
    options: ReportOptions
    html: HtmlOptions
    summary: Json = field(factory=dict)
    rows: int = 0
    shown_differing: int = 0
    shown_agreeing: int = 0
    differing_seen: int = 0
    anchors: dict[str, str] = field(factory=dict)  # case id -> anchor of its explanations
    used: set[str] = field(factory=set)  # every id given to an element (anchors are unique)
    heat: list[HeatRow] = field(factory=list)  # the matrix's first rows, for the heat map

    @property
    def base(self) -> str:
        return str(self.header["base"]["name"])

    @property
    def others(self) -> list[str]:
        return [str(p["name"]) for p in self.header["others"]]

    @property
    def policies(self) -> list[str]:
        return [self.base, *self.others]

    @property
    def terms(self) -> list[str]:
        return [str(t) for t in self.header["terms"]]

    @property
    def only_differences(self) -> bool:
        return self.options.matrix == "differences"

    # -- rows, as they come

    def add(self, row: Json, matrix: IO[str], explained: IO[str]) -> None:
        self.rows += 1
        agreeing_cap, differing_cap = self.html.limits(self.header["cases"]["kind"])
        if row["differences"]:
            self.differing_seen += 1
            if differing_cap is not None and self.shown_differing >= differing_cap:
                return
            self.shown_differing += 1
            anchor = None
            if any(d["explained"] for d in row["differences"]):
                anchor = self.anchor(str(row["id"]))
                self.anchors.setdefault(str(row["id"]), anchor)
                explained.write(self.case_section(row, anchor))
            matrix.write(self.matrix_row(row, anchor))
            self.keep_heat(row, anchor)
        elif not self.only_differences and (
                agreeing_cap is None or self.shown_agreeing < agreeing_cap):
            self.shown_agreeing += 1
            matrix.write(self.matrix_row(row, None))
            self.keep_heat(row, None)

    def anchor(self, wanted: str) -> str:
        """A unique element id for a case: the case id itself when it is a plain name
        (letters, digits, `-` and single `_`, not one of the page's own ids), else `case-` and
        a slug of it; `__2`, `__3`... after one already used. The ids of a case's parts add
        `__` and a letter (`lot__h`, its heading; `lot__d1`, its first difference): a case's
        name never holds `__` and the page's own ids none, so every id on the page is unique
        (and each a CSS selector as it is)."""
        base = wanted if _PLAIN_ID.fullmatch(wanted) and wanted not in _PAGE_IDS \
            and "__" not in wanted else "case-" + _SLUG.sub("-", wanted).strip("-")
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}__{n}"
        self.used.add(name)
        return name

    def keep_heat(self, row: Json, anchor: str | None) -> None:
        if len(self.heat) >= MAX_COLUMNS:
            return
        differing = {(d["other"], d["term"]) for d in row["differences"]}
        units = self.header.get("term_units", {})
        cells = {t: [(unit_text(row["values"][t][p], units.get(t)), (p, t) in differing)
                     for p in self.policies] for t in self.terms}
        self.heat.append(HeatRow(str(row["id"]), anchor, cells))

    @property
    def shown(self) -> int:
        return self.shown_differing + self.shown_agreeing

    # -- head, header and foot

    def title(self) -> str:
        return f"{self.base} compared with {and_list(self.others)}"

    def head(self) -> str:
        css, js = asset("report.css"), asset("report.js")
        csp = (f"default-src 'none'; style-src {csp_hash(css)}; script-src {csp_hash(js)}; "
               "img-src data:; base-uri 'none'; form-action 'none'")
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
            f"<meta name=\"generator\" content=\"kprules {esc(self.version)}\">\n"
            f"<title>kprules comparison: {esc(self.title())}</title>\n"
            "<link rel=\"icon\" href=\"data:,\">\n"
            f"<style>{css}</style>\n</head>\n<body>\n"
            "<a class=\"skip\" href=\"#matrix-heading\">Skip to the matrix</a>\n"
            + self.page_header() + "<main>\n")

    @property
    def version(self) -> str:
        return str(self.header.get("tool", {}).get("version", ""))

    def page_header(self) -> str:
        h, s = self.header, self.summary
        terms = ", ".join(f"<code>{esc(t)}</code>" for t in self.terms)
        date = (f"as of <code>{esc(h['as_of'])}</code>" if h.get("as_of")
                else "each case on its own date")
        cases = h["cases"]
        return (
            "<header>\n<p class=\"eyebrow\">kprules comparison report</p>\n"
            f"<h1>{esc(self.title())}</h1>\n"
            f"<p class=\"lede\">{plural(s['cases'], 'case')} from <code>{esc(cases['path'])}"
            f"</code> ({esc(cases['kind'])}); {plural(len(self.terms), 'term')} compared: "
            f"{terms}; evaluated {date}.</p>\n" + self.policy_list() + "</header>\n")

    def policy_list(self) -> str:
        items = []
        for i, p in enumerate([self.header["base"], *self.header["others"]]):
            role = "base" if i == 0 else "compared"
            title = f"<span class=\"title\">{esc(p['title'])}</span>" if p.get("title") else ""
            items.append(f"<li class=\"{role}\"><code>{esc(p['name'])}</code>"
                         f"<span class=\"role\">{role}, {esc(p['status'])}</span>{title}</li>")
        return ("<ul class=\"policies\" aria-label=\"Policies compared\">\n"
                + "\n".join(items) + "\n</ul>\n")

    def foot(self) -> str:
        generated = (f" Generated {esc(self.html.generated)}." if self.html.generated else "")
        return (
            "</main>\n<footer>\n"
            f"<p>Written by kprules {esc(self.version)}.{generated} This page is "
            "self-contained: it loads nothing from the network, and can be opened offline, "
            "printed or forwarded as it is.</p>\n</footer>\n"
            f"<script>{asset('report.js')}</script>\n</body>\n</html>\n")

    # -- summary

    def summary_section(self) -> str:
        return ("<section aria-labelledby=\"summary-heading\">\n"
                "<h2 id=\"summary-heading\">Summary</h2>\n"
                + self.figures() + self.differences_table() + self.symbolic() + self.bars()
                + self.transitions() + "</section>\n")

    def symbolic(self) -> str:
        """Per policy and term, the verdict and regions over every fact set (kprules diff)."""
        entries = self.header.get("symbolic")
        if entries is None:
            return ""
        items = "".join(f"<li>{esc(compact(e))}</li>\n" for e in entries)
        return ("<h3 id=\"symbolic\">Over every fact set, not only these cases</h3>\n"
                "<p>The symbolic difference: each policy's verdict against "
                f"<code>{esc(self.base)}</code> and the regions where they disagree; "
                f"<code>{esc(hint(self.base))}</code> lists each region.</p>\n"
                f"<ul class=\"symbolic\">\n{items}</ul>\n")

    def bars(self) -> str:
        if not self.others or not self.terms:
            return ""
        return reclassified_bars(self.summary, self.others, self.terms)

    def heatmap(self) -> str:
        if not self.heat:
            return ""
        return ("<h3 id=\"outcomes-map\">Every outcome at a glance</h3>\n"
                + outcome_heatmap(self.heat, self.policies, self.terms, self.shown))

    def weights(self) -> list[Json]:
        """The quantity facts given by at least one case, with their totals."""
        return [w for w in self.summary.get("weights", ()) if w.get("cases")]

    def figures(self) -> str:
        s = self.summary
        cases, differing = int(s["cases"]), int(s["differing_cases"])
        items = [
            f"<li><strong>{cases:,}</strong><span>{noun(cases, 'case')} compared</span></li>",
            f"<li class=\"{'differs' if differing else 'same'}\"><strong>{differing:,}</strong>"
            f"<span>with a difference ({percent(differing, cases)})</span></li>",
            f"<li><strong>{cases - differing:,}</strong><span>agree on every term</span></li>",
        ]
        items += [f"<li><strong>{number(w['total'])}\u00a0{esc(w['unit'])}</strong>"
                  f"<span>{esc(w['fact'])} in {plural(int(w['cases']), 'case')}</span></li>"
                  for w in self.weights()]
        return "<ul class=\"figures\">\n" + "\n".join(items) + "\n</ul>\n"

    def differences_table(self) -> str:
        s = self.summary
        weights = self.weights()
        shifted = {(r["other"], r["term"], r["fact"]): r for r in s.get("reclassified", ())}
        cols = "".join(f"<th scope=\"col\" class=\"num\">{breakable(w['fact'])} "
                       "reclassified</th>"
                       for w in weights)
        body = []
        for d in s["differences"]:
            cells = "".join(self.weight_cell(shifted.get((d["other"], d["term"], w["fact"])), w)
                            for w in weights)
            body.append(f"<tr><th scope=\"row\"><code>{esc(d['other'])}</code></th>"
                        f"<td><code>{esc(d['term'])}</code></td>"
                        f"<td class=\"num\">{int(d['cases']):,}</td>"
                        f"<td class=\"num\">{percent(int(d['cases']), int(s['cases']))}</td>"
                        f"{cells}</tr>")
        return (
            "<h3 id=\"by-term\">Differences by policy and term</h3>\n"
            "<div class=\"scroll\">\n<table class=\"compact\">\n"
            "<caption>Cases in which a term's value under each policy differs from its value "
            f"under <code>{esc(self.base)}</code>{self.shares_note(weights)}</caption>\n"
            "<thead><tr><th scope=\"col\">Policy</th><th scope=\"col\">Term</th>"
            "<th scope=\"col\" class=\"num\">Cases that differ</th>"
            f"<th scope=\"col\" class=\"num\">Share of cases</th>{cols}</tr></thead>\n<tbody>\n"
            + "\n".join(body) + "\n</tbody>\n</table>\n</div>\n")

    def shares_note(self, weights: list[Json]) -> str:
        if not weights:
            return "."
        totals = ", ".join(f"{number(w['total'])} {esc(w['unit'])}" for w in weights)
        return (f"; and the quantity in those cases, with its share of the total over all "
                f"cases ({totals}).")

    def weight_cell(self, r: Json | None, w: Json) -> str:
        if r is None:
            return "<td class=\"num\">\u2013</td>"
        share = r.get("share")
        pct = share_text(share) if share is not None else "\u2013"
        return (f"<td class=\"num\">{number(r['value'])}\u00a0{esc(w['unit'])} "
                f"<span class=\"share\">({pct})</span></td>")

    def transitions(self) -> str:
        causes = self.summary.get("causes", [])
        head = "<h3 id=\"transitions\">Transitions, by the provision that causes them</h3>\n"
        if not causes:
            return head + "<p>No case changes value under any policy compared.</p>\n"
        weights = self.weights()
        totals = {w["fact"]: w["total"] for w in weights}
        cols = "".join(f"<th scope=\"col\" class=\"num\">{breakable(w['fact'])}</th>"
                       for w in weights)
        groups = "\n".join(self.cause_group(g, weights, totals) for g in causes)
        return (
            head + "<div class=\"scroll\">\n<table class=\"transitions\">\n"
            f"<caption>How many cases move from their value under <code>{esc(self.base)}</code>"
            " to another value, grouped by the provision where the two versions part"
            f"{self.shares_note(weights)}</caption>\n"
            "<thead><tr><th scope=\"col\">Term</th><th scope=\"col\">Change</th>"
            f"<th scope=\"col\" class=\"num\">Cases</th>{cols}"
            "<th scope=\"col\">Cases, for example</th></tr></thead>\n" + groups
            + "\n</table>\n</div>\n")

    def cause_group(self, group: Json, weights: list[Json], totals: dict[str, Any]) -> str:
        p = group["provision"]
        span = 4 + len(weights)
        notes = []
        if p.get("description"):
            notes.append(esc(p["description"]))
        notes += [f"cites <cite>{esc(c['source'])}</cite>, {esc(c['locator'])}"
                  for c in p.get("cites", ())]
        if p.get("location"):
            notes.append(f"written at <code>{esc(p['location'])}</code>")
        why = f"<span class=\"why\">{'; '.join(notes)}</span>" if notes else ""
        rows = [f"<tbody>\n<tr><th scope=\"rowgroup\" colspan=\"{span}\">"
                f"<code>{esc(p['label'])}</code> under <code>{esc(group['other'])}</code>: "
                f"{plural(int(group['cases']), 'difference')}{why}</th></tr>"]
        for t in group["transitions"]:
            cells = "".join(
                f"<td class=\"num\">{number(t['weights'].get(w['fact'], '0'))}\u00a0"
                f"{esc(w['unit'])} <span class=\"share\">"
                f"({fraction(t['weights'].get(w['fact'], '0'), totals[w['fact']])})</span></td>"
                for w in weights)
            rows.append(
                f"<tr><td><code>{esc(t['term'])}</code></td>"
                f"<td class=\"change\">{value_change(t['from'], t['to'])}</td>"
                f"<td class=\"num\">{int(t['cases']):,}</td>{cells}"
                f"<td class=\"examples\">{self.examples(t)}</td></tr>")
        return "\n".join(rows) + "\n</tbody>"

    def examples(self, t: Json) -> str:
        names = []
        for case in t["examples"][: self.html.examples]:
            anchor = self.anchors.get(str(case))
            names.append(f"<a href=\"#{anchor}\">{one_line(case)}</a>" if anchor
                         else one_line(case))
        more = int(t["cases"]) - len(names)
        return ", ".join(names) + (f" and {more:,} more" if more > 0 else "")

    # -- the matrix

    def matrix_open(self) -> str:
        span = len(self.policies)
        cols = "".join(f"<colgroup span=\"{span}\" class=\"term\"></colgroup>"
                       for _ in self.terms)
        groups = "".join(f"<th scope=\"colgroup\" colspan=\"{span}\" class=\"t0\">"
                         f"<code>{esc(t)}</code></th>"
                         for t in self.terms)
        heads = "".join(
            f"<th scope=\"col\" class=\"pol{' t0' if i == 0 else ''}\"><span><code>{esc(p)}"
            f"</code>{' (base)' if i == 0 else ''}</span></th>"
            for _ in self.terms for i, p in enumerate(self.policies))
        unit = "cases" if self.shown == self.summary["cases"] else "rows"
        return (
            "<section aria-labelledby=\"matrix-heading\">\n"
            "<h2 id=\"matrix-heading\">Case \u00d7 policy matrix</h2>\n"
            + self.matrix_note() + self.heatmap()
            + "<div class=\"controls\" id=\"matrix-controls\" hidden>"
            "<span><input type=\"checkbox\" id=\"only-diff\" aria-controls=\"matrix\">"
            "<label for=\"only-diff\">Show only differences</label></span></div>\n"
            f"<p class=\"status\" id=\"shown\" role=\"status\" aria-live=\"polite\" "
            f"data-unit=\"{unit}\">Showing {self.shown:,} of {plural(self.shown, unit[:-1])}."
            "</p>\n"
            "<noscript><p class=\"note\">The filter needs JavaScript: every row is shown."
            "</p></noscript>\n"
            "<div class=\"scroll\">\n<table id=\"matrix\">\n"
            "<caption>The value of each term for each case under each policy. "
            "<span class=\"mark\" aria-hidden=\"true\">\u2260</span>marks a value that differs "
            f"from <code>{esc(self.base)}</code> (base), a dot a value that does not; the last "
            "column links to the explanations.</caption>\n"
            f"<colgroup><col></colgroup>{cols}<colgroup><col></colgroup>\n"
            "<thead>\n<tr><th scope=\"col\" rowspan=\"2\">Case</th>"
            f"{groups}<th scope=\"col\" rowspan=\"2\">Differences</th></tr>\n"
            f"<tr>{heads}</tr>\n</thead>\n<tbody>\n")

    def matrix_note(self) -> str:
        cases, differing = int(self.summary["cases"]), self.differing_seen
        agreeing = cases - differing
        if self.shown == cases:
            return ""
        parts = []
        if self.shown_differing == differing:
            parts.append(f"all {plural(differing, 'case')} with a difference")
        else:
            parts.append(f"the first {self.shown_differing:,} of the {differing:,} cases with a"
                         " difference")
        if self.only_differences:
            parts.append(f"none of the {agreeing:,} that agree (only differences asked for)")
        elif self.shown_agreeing < agreeing:
            parts.append(f"the first {self.shown_agreeing:,} of the {agreeing:,} that agree")
        return (f"<p class=\"note cap\">This matrix shows {self.shown:,} of {cases:,} cases: "
                + " and ".join(parts) + ". The summary above counts every case.</p>\n")

    def matrix_row(self, row: Json, anchor: str | None) -> str:
        differing = {(d["other"], d["term"]) for d in row["differences"]}
        cells = []
        for term in self.terms:
            values = row["values"][term]
            unit = self.header.get("term_units", {}).get(term)
            for i, policy in enumerate(self.policies):
                text = breakable(unit_text(values[policy], unit))
                first = " t0" if i == 0 else ""
                if (policy, term) in differing:
                    cells.append(f"<td class=\"value differs{first}\"><span class=\"mark\" "
                                 f"aria-hidden=\"true\">\u2260</span>{text}"
                                 "<span class=\"vh\"> (differs from base)</span></td>")
                elif i == 0:
                    cells.append(f"<td class=\"value base{first}\">{text}</td>")
                else:  # as the base: a dot, the value for screen readers
                    cells.append("<td class=\"value same\"><span aria-hidden=\"true\">"
                                 f"\u00b7</span><span class=\"vh\">{text}</span></td>")
        n = len(row["differences"])
        words = f"<span class=\"vh\"> {noun(n, 'difference')}</span>"
        link = (f"<a href=\"#{anchor}\">{n:,}{words}</a>" if anchor
                else (f"{n:,}{words}" if n else "none"))
        title = (f"<span class=\"case-title\">{one_line(row['title'])}</span>"
                 if row.get("title") else "")
        return (f"<tr class=\"{'differs' if n else 'same'}\"><th scope=\"row\">"
                f"<span class=\"case-id\">{one_line(row['id'])}</span>{title}</th>{''.join(cells)}"
                f"<td class=\"count\">{link}</td></tr>\n")

    def matrix_close(self) -> str:
        return "</tbody>\n</table>\n</div>\n</section>\n"

    # -- the explanations

    def explained_open(self) -> str:
        head = ("<section aria-labelledby=\"explained-heading\">\n"
                "<h2 id=\"explained-heading\">Differences explained</h2>\n")
        if not self.summary["differing_cases"]:
            return head + "<p>No case has a difference: there is nothing to explain.</p>\n"
        notes = []
        limit = self.header.get("explain_limit")
        if limit is not None:
            notes.append(f"Explained: the first {plural(int(limit), 'case')} of each transition;"
                         " the others are counted in the summary.")
        if self.shown_differing < self.differing_seen:
            notes.append(f"Only the first {self.shown_differing:,} of the "
                         f"{self.differing_seen:,} cases with a difference are listed.")
        capped = "".join(f"<p class=\"note cap\">{n}</p>\n" for n in notes)
        return (
            head + "<p class=\"note\">For each difference: the walk from the term down to the "
            "provision where the two versions part, then the clauses that decide each side, "
            "with the text they cite.</p>\n" + capped
            + "<div class=\"toolbar\" id=\"explain-tools\" hidden>"
            "<button type=\"button\" id=\"expand-all\">Expand all</button>"
            "<button type=\"button\" id=\"collapse-all\">Collapse all</button></div>\n")

    def explained_close(self) -> str:
        return "</section>\n"

    def case_section(self, row: Json, anchor: str) -> str:
        title = (f" <span class=\"case-title\">{one_line(row['title'])}</span>"
                 if row.get("title") else "")
        meta = [f"evaluated as of {esc(row['as_of'])}" if row.get("as_of")
                else "no evaluation date"]
        if row.get("location"):
            meta.append(f"written at <code>{esc(row['location'])}</code>")
        if row.get("sources"):
            meta.append("sources: " + "; ".join(esc(x) for x in row["sources"]))
        contested = (f"<p class=\"meta contested\">Contested: {esc(row['contested'])}</p>\n"
                     if row.get("contested") else "")
        body = "".join(self.differences(row["differences"], anchor))
        return (f"<article class=\"case\" id=\"{anchor}\" aria-labelledby=\"{anchor}__h\">\n"
                f"<h3 id=\"{anchor}__h\"><code>{one_line(row['id'])}</code>{title}</h3>\n"
                f"<p class=\"meta\">{'; '.join(meta)}.</p>\n{contested}{body}</article>\n")

    def differences(self, diffs: Sequence[Json], anchor: str) -> Iterator[str]:
        """Each difference of a case; one that parts exactly where an earlier one did (a term
        that differs because a term it uses does) points to it instead of repeating it."""
        shown: list[tuple[tuple[Json, Json], str, Json]] = []
        for i, d in enumerate(diffs, 1):
            if not d["explained"]:
                yield unexplained(d)
                continue
            sides, here = parting_sides(d), f"{anchor}__d{i}"
            same = next(((a, e) for s, a, e in shown if s == sides), None)
            yield self.difference(d, here, sides, same)
            if same is None:
                shown.append((sides, here, d))

    def difference(self, d: Json, anchor: str, sides: tuple[Json, Json],
                   same: tuple[str, Json] | None) -> str:
        if same is None:
            explained = ("<div class=\"sides\">\n"
                         + side_tree("base", f"{self.base} (base)", sides[0])
                         + side_tree("other", str(d["other"]), sides[1]) + "</div>\n")
        else:
            earlier, e = same
            explained = (f"<p class=\"same-parting\">The two sides there are those shown for "
                         f"<a href=\"#{earlier}\"><code>{esc(e['term'])}</code> under "
                         f"<code>{esc(e['other'])}</code></a> above.</p>\n")
        return (
            f"<details class=\"difference\" id=\"{anchor}\" open>\n<summary>"
            + difference_line(d)
            + "</summary>\n<div class=\"explain\">\n<h4>Where the two versions part</h4>\n"
            + walk(d.get("path", []), d) + explained + "</div>\n</details>\n")
