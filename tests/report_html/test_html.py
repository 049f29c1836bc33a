"""The HTML report: a golden page, escaping of hostile text, no URL to fetch, the markup a screen
reader follows, counts that match the comparison, and the caps over bulk data."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from html_report_support import BASE, GENERATED, OTHERS, Streamer

import kprules
from kprules.compare import CaseInput, Comparison
from kprules.report.html import HtmlOptions, asset, render_html, write_html
from kprules.report.model import CaseSource, ReportOptions, RowStream

HERE = Path(__file__).resolve().parent
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "cite",
                  "background", "xlink:href", "ping", "manifest", "longdesc", "icon"}


class Page(HTMLParser):
    """The parsed page: elements with their attributes, the text, heading levels, and the
    matrix rows (class of the row, classes of its value cells)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.data: list[str] = []
        self.headings: list[int] = []
        self.scripts: list[str] = []
        self.matrix_rows: list[tuple[str, list[str]]] = []
        self._in_script = False
        self._in_matrix = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag == "table":
            self._in_matrix = a.get("id") == "matrix"
        if self._in_matrix and tag == "tr" and a.get("class") in ("same", "differs"):
            self.matrix_rows.append((a["class"], []))
        if self._in_matrix and tag == "td" and "value" in a.get("class", "").split():
            self.matrix_rows[-1][1].append(a["class"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag == "table":
            self._in_matrix = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.data.append(data)

    @property
    def text(self) -> str:
        return "".join(self.data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag]


def test_golden_page(fixture_page: tuple[str, RowStream], golden) -> None:  # type: ignore[no-untyped-def]
    page, _ = fixture_page
    golden(HERE / "golden" / "compare.html", page)


def test_the_same_input_gives_the_same_page(make_stream: Streamer) -> None:
    options = HtmlOptions(generated=GENERATED)
    assert render_html(make_stream(), html=options) == render_html(make_stream(), html=options)


def test_no_label_no_date(make_stream: Streamer) -> None:
    page = render_html(make_stream())
    assert "Generated" not in page
    assert not re.search(r"20\d\d-\d\d-\d\dT", page)


def test_matrix_counts_match_the_comparison(fixture_page: tuple[str, RowStream]) -> None:
    page, stream = fixture_page
    summary, comparison = stream.summary, stream.comparison
    parsed = Page(page)
    kinds = Counter(kind for kind, _ in parsed.matrix_rows)
    assert kinds == {"differs": summary.differing_cases,
                     "same": summary.cases - summary.differing_cases}
    policies = (comparison.base, *comparison.others)
    columns = [(p, t) for t in comparison.terms for p in policies]
    marked: Counter[tuple[str, str]] = Counter()
    for _, cells in parsed.matrix_rows:
        assert len(cells) == len(columns)
        marked.update(col for col, cls in zip(columns, cells, strict=True)
                      if "differs" in cls.split())
    assert dict(marked) == {k: n for k, n in summary.differences.items() if n}
    assert summary.cases == 8 and 0 < summary.differing_cases < 8
    assert f"Showing {summary.cases} of {summary.cases} cases." in parsed.text


def test_a_differing_value_is_marked_by_more_than_colour(fixture_page: tuple[str, RowStream]
                                                         ) -> None:
    page, _ = fixture_page
    cells = re.findall(r'<td class="value differs[^"]*">(.*?)</td>', page)
    assert cells
    for cell in cells:
        assert '<span class="mark" aria-hidden="true">\u2260</span>' in cell
        assert '<span class="vh"> (differs from base)</span>' in cell


def test_accessible_structure(fixture_page: tuple[str, RowStream]) -> None:
    page, _ = fixture_page
    parsed = Page(page)
    assert parsed.all("html")[0]["lang"] == "en"
    levels = parsed.headings
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    tables = re.findall(r"<table[^>]*>\n(<\w+)", page)
    assert tables and all(first == "<caption" for first in tables)
    assert all(a.get("scope") in ("col", "row", "colgroup", "rowgroup") for a in parsed.all("th"))
    box = [a for a in parsed.all("input") if a.get("id") == "only-diff"]
    assert box and box[0]["type"] == "checkbox"
    assert {"for": "only-diff"} in parsed.all("label")
    status = [a for a in parsed.all("p") if a.get("id") == "shown"]
    assert status and status[0]["role"] == "status" and status[0]["aria-live"] == "polite"
    assert "<noscript><p class=\"note\">The filter needs JavaScript" in page
    details = parsed.all("details")
    assert details and all("open" in d for d in details)  # readable without the script
    assert len(parsed.all("summary")) == len(details)


def test_self_contained_and_locked(fixture_page: tuple[str, RowStream]) -> None:
    page, _ = fixture_page
    parsed = Page(page)
    assert not parsed.all("link") or all(a["href"] == "data:," for a in parsed.all("link"))
    assert parsed.all("img") == [] and parsed.all("iframe") == []
    assert parsed.scripts == [asset("report.js")]
    assert [a for a in parsed.all("script") if "src" in a] == []
    csp = [a["content"] for a in parsed.all("meta")
           if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0].startswith("default-src 'none'; style-src 'sha256-")
    for css in (asset("report.css"),):
        assert "url(" not in css and "@import" not in css


def test_no_url_in_any_attribute(fixture_page: tuple[str, RowStream]) -> None:
    page, _ = fixture_page
    parsed = Page(page)
    for tag, attrs in parsed.elements:
        for name, value in attrs.items():
            assert "http://" not in value and "https://" not in value, (tag, name, value)
            if name in URL_ATTRIBUTES:
                assert value.startswith("#") or value == "data:,", (tag, name, value)
    # A link quoted in a citation is shown as text, not fetched nor linked.
    assert "(see https://example.org/statement)" in parsed.text
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?:""", page)


HOSTILE = {
    "script": '<script>alert("x")</script>',
    "amp": "Tom & Jerry's \"quoted\" <b>bold</b> &amp; co",
    "close": "</blockquote></li></ul><img src=x onerror=alert(1)>",
    "url": "see https://evil.example/x.js and <a href=\"https://evil.example\">here</a>",
}


def _kpr(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hostile_library() -> kprules.Library:
    h = HOSTILE
    facts = (f'facts v {_kpr(h["amp"])}\n'
             'fact note: text\nfact big: bool\n')
    base = (f'policy current {_kpr(h["script"])}\n  status current\n  reads v\n'
            f'define flagged {_kpr(h["close"])}\n'
            f'  cite src {_kpr(h["amp"])} {_kpr(h["script"])}\n'
            f'  = note = {_kpr(h["script"])}\n')
    other = (f'policy other {_kpr(h["close"])}\n  status proposed\n  amends current\n'
             f'redefine flagged {_kpr(h["amp"])}\n'
             f'  cite src {_kpr(h["close"])} {_kpr(h["url"])}\n'
             f'  = base.flagged or big\n')
    return kprules.loads(facts, base, other)


def test_hostile_text_renders_as_text() -> None:
    library = hostile_library()
    policy = library["current"]
    cases = [
        CaseInput(HOSTILE["script"], policy.validate({"note": HOSTILE["amp"], "big": True}),
                  title=HOSTILE["close"], sources=(HOSTILE["url"], HOSTILE["amp"]),
                  contested=HOSTILE["script"]),
        CaseInput(HOSTILE["amp"], policy.validate({"note": HOSTILE["script"], "big": False}),
                  title=HOSTILE["url"]),
    ]
    stream = RowStream(Comparison(library, "current", ["other"]), cases,
                       CaseSource(HOSTILE["amp"]), ReportOptions())
    page = render_html(stream, html=HtmlOptions(generated=HOSTILE["script"]))
    parsed = Page(page)
    assert stream.summary.differing_cases == 1
    # Only the report's own script, no element or attribute from the data.
    assert parsed.scripts == [asset("report.js")]
    assert parsed.all("img") == [] and parsed.all("b") == []
    assert [a for a in parsed.all("a") if not a.get("href", "").startswith("#")] == []
    assert all(not name.startswith("on") for _, attrs in parsed.elements for name in attrs)
    # Every hostile string is there, as text.
    for text in HOSTILE.values():
        assert text in parsed.text, text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_bulk_matrix_is_capped_and_says_so(make_stream: Streamer,
                                           cases: list[CaseInput]) -> None:
    many = [CaseInput(f"{c.id}-{i}", c.facts, title=c.title) for i in range(40) for c in cases]
    stream = make_stream(many, kind="bulk")
    page = render_html(stream, html=HtmlOptions(agreeing_rows=5, differing_rows=12))
    parsed = Page(page)
    kinds = Counter(kind for kind, _ in parsed.matrix_rows)
    differing = stream.summary.differing_cases
    assert stream.summary.cases == 320 and differing == 40 * _differing(make_stream)
    assert kinds == {"differs": 12, "same": 5}
    assert (f"This matrix shows 17 of 320 cases: the first 12 of the {differing} cases with a "
            f"difference and the first 5 of the {320 - differing} that agree. The summary above "
            "counts every case.") in parsed.text
    assert (f"Only the first 12 of the {differing} cases with a difference are listed."
            in parsed.text)
    assert len(re.findall(r'<article class="case"', page)) == 12
    assert "Showing 17 of 17 rows." in parsed.text
    # The summary counts every case.
    assert f"<strong>{differing}</strong><span>with a difference (" in page


def _differing(make_stream: Streamer) -> int:
    stream = make_stream()
    for _ in stream.rows():
        pass
    return stream.summary.differing_cases


def test_bulk_defaults_and_only_differences(make_stream: Streamer,
                                            cases: list[CaseInput]) -> None:
    many = [CaseInput(f"{c.id}-{i}", c.facts) for i in range(30) for c in cases]
    stream = make_stream(many, kind="bulk", matrix="differences", explain_limit=2)
    page = render_html(stream)
    parsed = Page(page)
    kinds = Counter(kind for kind, _ in parsed.matrix_rows)
    differing = 30 * _differing(make_stream)
    assert kinds == {"differs": differing}
    assert (f"This matrix shows {differing} of 240 cases: all {differing} cases with a "
            f"difference and none of the {240 - differing} that agree (only differences asked "
            "for).") in parsed.text
    assert "Explained: the first 2 cases of each transition" in parsed.text
    assert "(not explained: beyond the explanation limit)" in parsed.text
    explained = len(re.findall(r'<details class="difference"', page))
    assert 0 < explained <= 2 * len(stream.summary.transitions)


def test_default_caps_over_bulk_data(make_stream: Streamer, cases: list[CaseInput]) -> None:
    agreeing = [c for c in cases if c.id in ("bw-state-miner-2023", "ca-private-2024")]
    many = [CaseInput(f"{c.id}-{i}", c.facts) for i in range(60) for c in agreeing]
    page = render_html(make_stream(many, kind="bulk"))
    assert Counter(k for k, _ in Page(page).matrix_rows) == {"same": 100}
    page = render_html(make_stream(many, kind="library"))
    assert Counter(k for k, _ in Page(page).matrix_rows) == {"same": 120}


def test_no_difference_at_all(library: kprules.Library, cases: list[CaseInput]) -> None:
    comparison = Comparison(library, BASE, ["weight_limit"], terms=["conflict_diamond"])
    stream = RowStream(comparison, cases, CaseSource("cases"), ReportOptions())
    parsed = Page(render_html(stream))
    assert "No case has a difference: there is nothing to explain." in parsed.text
    assert "No case changes value under any policy compared." in parsed.text
    assert parsed.all("details") == []
    assert Counter(k for k, _ in parsed.matrix_rows) == {"same": 8}


def test_explanations_quote_both_sides(fixture_page: tuple[str, RowStream]) -> None:
    page, _ = fixture_page
    parsed = Page(page)
    # The base's and the proposal's definitions, each with its citation and quoted text.
    assert ("CONFLICT DIAMONDS means rough diamonds used by rebel movements or their allies to "
            "finance conflict aimed at undermining legitimate governments") in parsed.text
    assert "kpcs_core_document, Section I" in parsed.text
    assert "western_statement_2025, Statement, paragraph 2" in parsed.text
    assert "core_2003.kpr:8:1" in parsed.text and "state_actors.kpr:7:1" in parsed.text
    assert "Where the two versions part" in parsed.text
    # A term that differs because a term it uses does points to that explanation.
    assert re.search(r'<p class="same-parting">The two sides there are those shown for <a '
                     r'href="#([A-Za-z][\w-]*__d1)"><code>conflict_diamond</code> under '
                     r'<code>state_actors</code></a> above.</p>', page)


def test_anchors_are_case_ids(fixture_page: tuple[str, RowStream]) -> None:
    """A case's explanations are at `#<case id>` (a link to forward); ids stay unique."""
    page, _ = fixture_page
    parsed = Page(page)
    ids = [a["id"] for _, a in parsed.elements if "id" in a]
    assert len(ids) == len(set(ids))
    cases = [a["id"] for a in parsed.all("article")]
    assert cases and all(re.fullmatch(r"[a-z][a-z0-9-]*", c) for c in cases)
    matrix_links = {a["href"][1:] for a in parsed.all("a") if a.get("href", "").startswith("#")}
    assert set(cases) <= matrix_links


def test_every_id_is_unique_whatever_the_case_ids(make_stream: Streamer,
                                                  cases: list[CaseInput]) -> None:
    """Case ids that look like the ids of other cases' parts (`lot-h` beside `lot`, once
    both `<h3 id="lot-h">`), of a difference, of the page's own parts, or repeated: every id
    on the page once, each case's explanation at its own id, every link to an id there."""
    differing = next(c for c in cases if next(iter(
        make_stream([c]).rows()))["differences"])
    names = ["lot", "lot-h", "lot--1", "lot__h", "lot__d1", "lot", "lot__2", "lot-2",
             "chart-outcomes-t", "chart-reclassified-d", "matrix", "case-matrix", "case-lot-h"]
    page = Page(render_html(make_stream([CaseInput(n, differing.facts) for n in names])))
    ids = [a["id"] for _, a in page.elements if "id" in a]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    articles = [a["id"] for a in page.all("article")]
    assert articles[:3] == ["lot", "lot-h", "lot--1"] and len(articles) == len(names)
    assert all(re.fullmatch(r"[A-Za-z][\w-]*", i) for i in ids)  # each a CSS selector
    headings = {a["id"] for a in page.all("h3")}
    assert {a["aria-labelledby"] for a in page.all("article")} <= headings
    links = {a["href"][1:] for a in page.all("a") if a.get("href", "").startswith("#")}
    assert links <= set(ids) and set(articles) <= links


def test_anchor_of_an_awkward_case_id() -> None:
    from kprules.report.html import HtmlOptions as Options
    from kprules.report.html import _Page

    page = _Page({}, ReportOptions(), Options())
    assert page.anchor("ru-alrosa-2023") == "ru-alrosa-2023"
    assert page.anchor("ru-alrosa-2023") == "ru-alrosa-2023__2"
    assert page.anchor("matrix") == "case-matrix"
    assert page.anchor("2023 #1 \"x\"") == "case-2023-1-x"


def test_assets_ship_with_the_package() -> None:
    folder = resources.files("kprules.report") / "assets"
    assert (folder / "report.css").is_file() and (folder / "report.js").is_file()


@pytest.mark.parametrize("other", OTHERS)
def test_one_other_policy(make_stream: Streamer, library: kprules.Library,
                          cases: list[CaseInput], other: str) -> None:
    stream = RowStream(Comparison(library, BASE, [other]), cases, CaseSource("cases"),
                       ReportOptions())
    parsed = Page(render_html(stream))
    assert parsed.all("h1") and f"{BASE} compared with {other}" in parsed.text


@pytest.mark.slow
def test_memory_stays_flat_over_bulk_data(make_stream: Streamer, cases: list[CaseInput],
                                          tmp_path: Path) -> None:
    """Rows are spooled to temporary files, the matrix and the explanations are capped: the
    peak memory of writing the page does not grow with the number of cases."""
    import tracemalloc

    def peak(n: int) -> int:
        rows = (CaseInput(f"{cases[i % len(cases)].id}-{i}", cases[i % len(cases)].facts)
                for i in range(n))
        stream = make_stream(rows, kind="bulk", matrix="differences", explain_limit=5)
        with (tmp_path / "bulk.html").open("w", encoding="utf-8") as out:
            tracemalloc.start()
            try:
                write_html(out, stream, html=HtmlOptions(differing_rows=100))
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    peak(200)  # warm up: compiled evaluators, imports
    small, large = peak(400), peak(3200)
    assert large < small * 1.3 + 200_000, (small, large)


def test_registered_as_the_html_format(make_stream: Streamer) -> None:
    from kprules.report import WRITERS, render
    from kprules.report import html as html_module

    assert WRITERS["html"] is html_module.write
    assert render("html", make_stream()) == render_html(make_stream())


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(("ink", "paper"), [
    ("--ink", "#ffffff"), ("--muted", "#ffffff"), ("--muted", "--faint"), ("--ink", "--faint"),
    ("--accent", "#ffffff"), ("--diff-ink", "--diff-bg"), ("--ink", "--diff-bg"),
])
def test_text_colours_have_enough_contrast(ink: str, paper: str) -> None:
    """WCAG AA for body text (4.5:1) for every pair of text and background colours used."""
    colours = dict(re.findall(r"(--[a-z-]+):\s*(#[0-9a-f]{6});", asset("report.css")))

    def colour(name: str) -> str:
        return colours[name] if name.startswith("--") else name

    assert _contrast(colour(ink), colour(paper)) >= 4.5


def test_ids_and_titles_are_one_line(make_stream: Streamer, cases: list[CaseInput]) -> None:
    """A case id or title with a line feed or a tab is written `\\x0a`, `\\x09` wherever it is
    shown (the matrix, the heat map, the examples, the case's heading), as docs/cases.md says:
    raw, HTML shows either as a space, and `x\\ny` looked the same as `x y`. A longer text (why
    a case is contested) keeps its lines."""
    differing = next(c for c in cases if next(iter(
        make_stream([c]).rows()))["differences"])
    names = {"x\ny": "a\nb", "x y": "a b", "x\ty": "a\tb"}
    page = render_html(make_stream([
        CaseInput(n, differing.facts, title=t, contested="one\ntwo")
        for n, t in names.items()]))
    assert not re.search("x[\n\t]y|a[\n\t]b", page)
    parsed = Page(page)
    assert [" ".join(t.split()) for t in _texts(page, "case-id")] == ["x\\x0ay", "x y", "x\\x09y"]
    assert [" ".join(t.split()) for t in _texts(page, "case-title")] == [
        "a\\x0ab", "a b", "a\\x09b"] * 2
    for name in ("x\\x0ay", "x\\x09y"):
        assert page.count(name) >= 4, name  # matrix, heat map, examples, heading
    assert "Contested: one\ntwo" in parsed.text


def _texts(page: str, css_class: str) -> list[str]:
    return re.findall(f'<span class="{css_class}">([^<]*)</span>', page)


def test_the_bar_chart_counts_in_words() -> None:
    """One policy, one term, one case: `1 group of bars`, `the 1 case` (it said `1 groups`)."""
    from kprules.report.charts import reclassified_bars

    summary = {"cases": 1, "differences": [{"other": "p", "term": "t", "cases": 1}]}
    [desc] = re.findall(r"<desc [^>]*>([^<]*)</desc>", reclassified_bars(summary, ["p"], ["t"]))
    assert desc == ("1 group of bars, one per policy and term: the share of the 1 case whose "
                    "value differs from the base.")


def test_bars_stay_in_the_chart_and_a_share_without_total_is_a_dash() -> None:
    """A measure's share outside 0..1 (a negative measure among the cases: 100 ct of a 10 ct
    total) draws a bar no longer than the plot (it was 6,700 wide in a 1,000 view box), its
    label saying the share; a total of 0 has no share: an en dash, as the table says (not
    0.0%)."""
    from kprules.report.charts import WIDTH, reclassified_bars

    summary = {"cases": 2, "differences": [{"other": "p", "term": "t", "cases": 1}],
               "weights": [{"fact": "carats", "total": "10", "cases": 2},
                           {"fact": "usd", "total": "0", "cases": 2}],
               "reclassified": [{"other": "p", "term": "t", "fact": "carats", "value": "100"},
                                {"other": "p", "term": "t", "fact": "usd", "value": "0"}]}
    svg = reclassified_bars(summary, ["p"], ["t"])
    widths = {s: float(w) for s, w in re.findall(
        r'data-series="(\w+)" x="\d+" y="[\d.]+" width="([\d.]+)"', svg)}
    plot = widths["cases"] * 2
    assert widths == {"cases": plot / 2, "carats": plot, "usd": 0.0}
    assert max(float(x) for x in re.findall(r'<text class="value" x="([\d.]+)"', svg)) < WIDTH
    labels = re.findall(r'<text class="value"[^>]*>([^<]*)</text>', svg)
    assert labels == ["50.0%", "1000.0%", "\u2013"]
