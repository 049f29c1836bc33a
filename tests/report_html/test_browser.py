"""The HTML report in a real browser: Debian's Chromium (/usr/bin/chromium), headless, driven by
Playwright (which never downloads a browser here: it is pointed at the system's executable).

Checks what a reviewer sees: the matrix shows the comparison's counts, the filter hides the
agreeing rows and the live region says how many are shown, an explanation expands, the page
works without JavaScript (everything shown), and it makes no network request and raises no
error (a Content-Security-Policy violation would be one). A screenshot is saved in tmp_path.

The browser is required: a missing one fails the test with what to install (.ci/system-packages
installs it in CI). Only KPRULES_NO_BROWSER=1, set on purpose, skips it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from html_report_support import GENERATED, Streamer

from kprules.report.html import HtmlOptions, render_html
from kprules.report.model import RowStream

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("KPRULES_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--metrics-recording-only",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing could be reached even if asked for
]


def _playwright() -> Any:
    if os.environ.get("KPRULES_NO_BROWSER") == "1":
        pytest.skip("KPRULES_NO_BROWSER=1: the browser test is switched off on purpose")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's `chromium` package "
                    "(.ci/system-packages does, as root), or set KPRULES_NO_BROWSER=1 to skip "
                    "the browser test on purpose", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package `playwright` is missing: pip install '.[test]'",
                    pytrace=False)
    return sync_playwright


@contextmanager
def browser_page(tmp_path: Path, name: str, javascript: bool = True) -> Iterator[Any]:
    """A page in a fresh headless Chromium (its own new profile), recording every request
    other than for the report file itself, and every console error."""
    sync_playwright = _playwright()
    flags = [*FLAGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{name}"), executable_path=str(CHROMIUM), headless=True,
            args=flags, java_script_enabled=javascript, service_workers="block",
            viewport={"width": 1280, "height": 900})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.requests = []  # type: ignore[attr-defined]
            page.errors = []  # type: ignore[attr-defined]
            context.on("request", lambda r: page.requests.append(r.url))
            page.on("console", lambda m: page.errors.append(m.text)
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: page.errors.append(str(e)))
            context.route("**/*", lambda route: route.abort()
                          if not route.request.url.startswith(("file:", "data:"))
                          else route.continue_())
            yield page
        finally:
            context.close()


def _write(tmp_path: Path, stream: RowStream) -> tuple[Path, str]:
    path = tmp_path / "report.html"
    path.write_text(render_html(stream, html=HtmlOptions(generated=GENERATED)),
                    encoding="utf-8")
    return path, path.as_uri()


def _visible_rows(page: Any) -> int:
    return int(page.evaluate(
        "() => Array.from(document.querySelectorAll('#matrix tbody tr'))"
        ".filter(r => r.offsetParent !== null).length"))


def _marked_cells(page: Any, policies: list[str], terms: list[str]) -> dict[tuple[str, str], int]:
    """Cells marked as differing, counted by (policy, term) from their column."""
    columns = [(p, t) for t in terms for p in policies]
    marks = page.evaluate(
        "() => Array.from(document.querySelectorAll('#matrix tbody tr')).map(r => "
        "Array.from(r.querySelectorAll('td.value')).map(c => c.classList.contains('differs')))")
    counts: dict[tuple[str, str], int] = {}
    for row in marks:
        assert len(row) == len(columns)
        for column, marked in zip(columns, row, strict=True):
            if marked:
                counts[column] = counts.get(column, 0) + 1
    return counts


def test_report_in_chromium(tmp_path: Path, make_stream: Streamer) -> None:
    stream = make_stream()
    _, url = _write(tmp_path, stream)
    summary, comparison = stream.summary, stream.comparison
    cases, differing = summary.cases, summary.differing_cases
    assert 0 < differing < cases
    with browser_page(tmp_path, "js") as page:
        page.goto(url, wait_until="load")
        assert page.title().startswith("kprules comparison: core_2003 compared with")

        # The matrix shows the comparison's numbers.
        assert page.locator("#matrix tbody tr").count() == cases
        assert page.locator("#matrix tbody tr.differs").count() == differing
        assert _visible_rows(page) == cases
        policies = [comparison.base, *comparison.others]
        assert _marked_cells(page, policies, list(comparison.terms)) == {
            k: n for k, n in summary.differences.items() if n}
        figures = page.locator(".figures li strong").all_inner_texts()
        assert figures[:3] == [f"{cases:,}", f"{differing:,}", f"{cases - differing:,}"]
        status = page.locator("#shown")
        assert status.inner_text() == f"Showing {cases} of {cases} cases."

        # The filter hides the agreeing rows; the live region says how many are shown.
        box = page.get_by_label("Show only differences")
        assert box.is_visible()
        box.check()
        assert _visible_rows(page) == differing
        assert page.locator("#matrix tbody tr.same").first.is_hidden()
        assert status.inner_text() == (f"Showing {differing} of {cases} cases: only those "
                                       "with a difference.")
        box.uncheck()
        assert _visible_rows(page) == cases
        assert status.inner_text() == f"Showing {cases} of {cases} cases."

        # An explanation expands: collapsed by the script, opened by a click on its summary.
        first = page.locator("details.difference").first
        body = first.locator(".explain")
        assert first.get_attribute("open") is None and body.is_hidden()
        first.locator("summary").click()
        assert first.get_attribute("open") is not None and body.is_visible()
        assert body.locator("h4", has_text="Where the two versions part").is_visible()
        assert body.locator("figure.cite blockquote").first.is_visible()
        assert body.locator("section.side").count() == 2

        # A link from the matrix opens the case's explanations.
        page.locator("#matrix tbody tr.differs td.count a").nth(1).click()
        target = page.evaluate("() => location.hash")
        assert page.locator(f"{target} details.difference").first.get_attribute("open") \
            is not None

        # A pointer to an earlier explanation opens it.
        page.get_by_role("button", name="Collapse all").click()
        assert page.locator("details.difference[open]").count() == 0
        pointer = page.locator("p.same-parting a").first
        pointer.locator("xpath=ancestor::details").locator("summary").click()
        target = pointer.get_attribute("href")
        assert target and page.locator(target).get_attribute("open") is None
        pointer.click()
        assert page.locator(target).get_attribute("open") is not None
        assert page.locator(target).locator(".explain").is_visible()
        page.get_by_role("button", name="Expand all").click()
        assert page.locator("details.difference:not([open])").count() == 0

        # The charts render: a bar per policy, term and series; a marked cell per difference.
        _check_charts(page, summary, comparison)
        _check_fits(page)

        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        requests, errors = list(page.requests), list(page.errors)

    assert requests == [url], f"the page asked for more than itself: {requests}"
    assert errors == [], errors
    shot = tmp_path / "report.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    keep = os.environ.get("KPRULES_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "report.png")


def _check_charts(page: Any, summary: Any, comparison: Any) -> None:
    for chart in ("#chart-reclassified svg", "#chart-outcomes svg"):
        box = page.locator(chart).bounding_box()
        assert box is not None and box["width"] > 600 and box["height"] > 50, (chart, box)
    series = 1 + sum(1 for n in summary.weight_cases.values() if n)
    bars = page.evaluate("() => Array.from(document.querySelectorAll('#chart-reclassified "
                         "rect.bar')).map(r => r.getBBox().width)")
    assert len(bars) == len(comparison.others) * len(comparison.terms) * series
    drawn = [w for w in bars[::series] if w > 0]  # the cases' bars that have a length
    assert len(drawn) == sum(1 for n in summary.differences.values() if n)
    marked = page.locator("#chart-outcomes rect.changed")
    assert marked.count() == sum(summary.differences.values())
    cell = marked.first.bounding_box()
    assert cell is not None and cell["width"] >= 1 and cell["height"] >= 5


def _check_fits(page: Any) -> None:
    """The page fits a 1,280 px window: no sideways scrolling, of the page or of any part."""
    assert page.viewport_size["width"] == 1280
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    wide = page.evaluate(
        "() => Array.from(document.querySelectorAll('body *')).filter(e => e.scrollWidth > "
        "e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))"
        ".map(e => e.tagName + '#' + e.id + ' ' + e.scrollWidth + '>' + e.clientWidth)")
    assert wide == [], wide


def test_bundled_report_fits_the_window(tmp_path: Path) -> None:
    """The README's comparison (nine policies, two terms, 179 cases) as a page: charts drawn,
    no sideways scrolling at 1,280 px."""
    from click.testing import CliRunner

    from kprules.cli import cli

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "bundled.html"
    old = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, ["compare", "kpcs_2003", "policies/proposals/",
                                          "--cases", "policies/cases/", "--format", "html",
                                          "-o", str(out)])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    with browser_page(tmp_path, "bundled") as page:
        page.goto(out.as_uri(), wait_until="load")
        assert page.locator("#chart-outcomes rect.changed").count() > 100
        assert page.locator("#chart-reclassified rect.bar").count() == 8 * 2 * 3
        _check_fits(page)
        errors = list(page.errors)
    assert errors == [], errors


def test_a_long_unbroken_title_or_id_breaks_instead_of_widening_the_page(
        tmp_path: Path) -> None:
    """A case title of 20,000 letters without a space, and a record id of 3,000, once drew
    the page 990,000 px wide; they break within the window now."""
    from click.testing import CliRunner

    from kprules.cli import cli

    root = Path(__file__).resolve().parents[2]
    case = (root / "policies" / "cases" / "ao-unita-1998.toml").read_text(encoding="utf-8")
    title = case.split("title = ", 1)[1].split("\n", 1)[0]
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "long.toml").write_text(
        case.replace(f"title = {title}", 'title = "' + "y" * 20_000 + '"'), encoding="utf-8")
    data = tmp_path / "long.jsonl"
    record = {"id": "z" * 3000, "used_by": "state_owned_enterprise", "form": "rough",
              "proceeds_finance": ["armed_conflict_against_government"]}
    data.write_text(json.dumps(record) + "\n", encoding="utf-8")
    pages = []
    for name, cases in (("title", tmp_path / "cases"), ("id", data)):
        out = tmp_path / f"{name}.html"
        result = CliRunner().invoke(cli, ["compare", "kpcs_2003", "state_actors", "--cases",
                                          str(cases), "--policies", str(root / "policies"),
                                          "--format", "html", "-o", str(out), "--no-symbolic"])
        assert result.exit_code == 0, result.output
        pages.append(out)
    for out in pages:
        with browser_page(tmp_path, out.stem) as page:
            page.goto(out.as_uri(), wait_until="load")
            _check_fits(page)
            right = page.evaluate("() => Math.max(...Array.from(document.querySelectorAll("
                                  "'body *')).map(e => e.getBoundingClientRect().right))")
            assert right <= 1280, (out.name, right)


def test_report_without_javascript(tmp_path: Path, make_stream: Streamer) -> None:
    stream = make_stream()
    _, url = _write(tmp_path, stream)
    with browser_page(tmp_path, "nojs", javascript=False) as page:
        page.goto(url, wait_until="load")
        # Everything is shown: every row, every explanation open; the filter is not offered.
        assert _visible_rows(page) == stream.summary.cases
        details = page.locator("details.difference")
        assert details.count() > 0
        assert all(d.get_attribute("open") is not None for d in details.all())
        assert details.last.locator(".explain").is_visible()
        assert page.locator("#matrix-controls").is_hidden()
        # (<noscript> stays unrendered here: Playwright disables scripts after parsing.)
        requests = list(page.requests)
    assert requests == [url]


def test_the_harness_sees_requests_and_errors(tmp_path: Path) -> None:
    """The two checks above can fail: a page that asks for a URL, and runs a script its policy
    forbids, is caught by both (the request is aborted and its host resolves nowhere)."""
    path = tmp_path / "leaky.html"
    path.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
        "content=\"script-src 'none'\"></head><body>"
        "<img src=\"http://kprules.invalid/pixel.png\" alt=\"\">"
        "<script>document.title = 'ran';</script></body></html>", encoding="utf-8")
    with browser_page(tmp_path, "leaky") as page:
        page.goto(path.as_uri(), wait_until="load")
        title = page.title()
        requests, errors = list(page.requests), list(page.errors)
    assert "http://kprules.invalid/pixel.png" in requests
    assert title != "ran"
    assert any("Content Security Policy" in e for e in errors), errors


def test_a_malformed_fragment_does_not_stop_the_script(tmp_path: Path,
                                                      make_stream: Streamer) -> None:
    """Issue 14: `#%E0%A4%A` made decodeURIComponent throw before the print handlers and the
    filter's state were set up; the page must behave as without a fragment, with no error."""
    stream = make_stream()
    _, url = _write(tmp_path, stream)
    with browser_page(tmp_path, "fragment") as page:
        page.goto(url + "#%E0%A4%A", wait_until="load")
        page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        opened = page.evaluate(
            "() => Array.from(document.querySelectorAll('details.difference')).every(d => d.open)")
        page.evaluate("() => { location.hash = '%zz'; }")
        page.wait_for_timeout(100)
        errors = list(page.errors)
    assert opened
    assert errors == []
