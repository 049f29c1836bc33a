"""JUnit XML: for CI servers that show test results.

A comparison: one `<testsuite>` per other policy (`<base> vs <other>`), one `<testcase>` per case
and term (classname `<base>.vs.<other>.<term>`, name the case id). A difference is a `<failure
type="difference">` under `--fail-on-difference`; otherwise the test case passes and the
difference is told in its `<system-out>`. The text under either is the walk to where the two texts
part and both decisive explanations (as in the text report). The counts that the suite elements
carry are known from the spooled summary; the rows are read once per suite.

`kprules test` builds its XML with the same helpers (`element`, `text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TextIO
from xml.sax.saxutils import escape, quoteattr

from kprules.explain.render import node_json
from kprules.report.blocks import path_lines, tree_lines
from kprules.report.model import Json, ReportOptions, RowStream, Spool, spooled, unit_text
from kprules.report.symbolic import compact

if TYPE_CHECKING:
    from kprules.analysis.testing import Check

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
WIDTH = 100


def text(s: str) -> str:
    """Character data: escaped, and without the characters XML 1.0 cannot hold."""
    return escape(_INVALID_XML.sub("\ufffd", s))


def attr(s: str) -> str:
    return quoteattr(_INVALID_XML.sub("\ufffd", s))


def element(name: str, attrs: dict[str, str | int]) -> str:
    """An opening tag (without `>` closing, so that callers add `>` or `/>`)."""
    return f"<{name}" + "".join(f" {k}={attr(str(v))}" for k, v in attrs.items())


def write(out: TextIO, stream: RowStream, options: ReportOptions) -> None:
    with spooled(stream) as spool:
        for line in report_lines(spool, options.fail_on_difference):
            out.write(line + "\n")


def report_lines(spool: Spool, fail: bool) -> Iterator[str]:
    h, s = spool.header, spool.summary
    base = h["base"]["name"]
    terms = h["terms"]
    counts = {(d["other"], d["term"]): d["cases"] for d in s["differences"]}
    total = s["cases"] * len(terms) * len(h["others"])
    failures = sum(counts.values()) if fail else 0
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield element("testsuites", {"name": f"kprules compare {base}", "tests": total,
                                 "failures": failures, "errors": 0}) + ">"
    for other in (p["name"] for p in h["others"]):
        fails = sum(counts.get((other, t), 0) for t in terms) if fail else 0
        yield "  " + element("testsuite", {
            "name": f"{base} vs {other}", "tests": s["cases"] * len(terms),
            "failures": fails, "errors": 0, "skipped": 0}) + ">"
        yield "    <properties>"
        for key, value in (("base", base), ("other", other), ("cases", h["cases"]["path"]),
                           ("as_of", h["as_of"] or "each case's own")):
            yield "      " + element("property", {"name": key, "value": value}) + "/>"
        for entry in (e for e in h.get("symbolic") or () if e["other"] == other):
            yield "      " + element("property", {"name": f"symbolic.{entry['term']}",
                                                 "value": compact(entry)}) + "/>"
        yield "    </properties>"
        yield from _cases(spool, base, other, terms, fail)
        yield "  </testsuite>"
    yield "</testsuites>"


def _cases(spool: Spool, base: str, other: str, terms: list[str], fail: bool) -> Iterator[str]:
    for row in spool.rows():
        diffs = {d["term"]: d for d in row["differences"] if d["other"] == other}
        for term in terms:
            head = "    " + element("testcase", {"classname": f"{base}.vs.{other}.{term}",
                                                 "name": row["id"]})
            d = diffs.get(term)
            if d is None:
                yield head + "/>"
                continue
            unit = d.get("unit")
            message = (f"{term}: {unit_text(d['base_value'], unit)} under {base}, "
                       f"{unit_text(d['other_value'], unit)} under {other} "
                       f"(caused by {d['cause']})")
            body = text("\n".join(difference_text(d, base)))
            yield head + ">"
            if fail:
                yield ("      " + element("failure", {"type": "difference", "message": message})
                       + ">" + body + "</failure>")
            else:
                yield f"      <system-out>{text(message)}\n{body}</system-out>"
            yield "    </testcase>"


def difference_text(d: Json, base: str) -> list[str]:
    """The explanation of one difference as plain text lines."""
    if not d["explained"]:
        return [f"caused by {d['cause']} (not explained: over the report's explanation limit)"]
    lines = [f"caused by {d['cause']}"]
    if d["path"]:
        lines.append("where the two part, from the top:")
        lines.extend(path_lines(d, "  ", WIDTH))
    lines.append(f"under {base} (base):")
    lines.extend(tree_lines(d["base_explanation"], WIDTH, 0, "  "))
    lines.append(f"under {d['other']}:")
    lines.extend(tree_lines(d["other_explanation"], WIDTH, 0, "  "))
    return lines


# ---------------------------------------------------------------------------- kprules test


def test_lines(checks: Sequence[Check], errors: Sequence[tuple[str, str]]) -> Iterator[str]:
    """`kprules test` as JUnit XML: a suite per case file, a test case per expectation; `errors`
    are (file, rendered diagnostic) pairs for case files that could not be read."""
    files: dict[str, list[Check]] = {}
    for c in checks:
        files.setdefault(c.case.file, []).append(c)
    failed = sum(1 for c in checks if not c.passed and c.error is None)
    broken = sum(1 for c in checks if c.error is not None) + len(errors)
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield element("testsuites", {"name": "kprules test", "tests": len(checks) + len(errors),
                                 "failures": failed, "errors": broken}) + ">"
    for name, group in files.items():
        yield "  " + element("testsuite", {
            "name": name, "tests": len(group), "errors": sum(c.error is not None for c in group),
            "failures": sum(not c.passed and c.error is None for c in group),
            "skipped": 0}) + ">"
        for c in group:
            yield from _check_case(c)
        yield "  </testsuite>"
    if errors:
        yield "  " + element("testsuite", {"name": "case files", "tests": len(errors),
                                           "errors": len(errors), "failures": 0,
                                           "skipped": 0}) + ">"
        for file, rendered in errors:
            first = rendered.splitlines()[0] if rendered else "error"
            yield "    " + element("testcase", {"classname": "case files", "name": file}) + ">"
            yield ("      " + element("error", {"type": "case file", "message": first}) + ">"
                   + text(rendered) + "</error>")
            yield "    </testcase>"
        yield "  </testsuite>"
    yield "</testsuites>"


def _check_case(c: Check) -> Iterator[str]:
    head = "    " + element("testcase", {"classname": c.case.id,
                                         "name": f"{c.expectation.policy}.{c.expectation.term}"})
    if c.passed:
        yield head + "/>"
        return
    yield head + ">"
    if c.error is not None:
        yield ("      " + element("error", {"type": "evaluation", "message": c.error}) + ">"
               + "</error>")
    else:
        yield ("      " + element("failure", {"type": "expectation", "message": failure_line(c)})
               + ">" + text("\n".join(why_lines(c, WIDTH))) + "</failure>")
    yield "    </testcase>"


def failure_line(c: Check) -> str:
    date = f"as of {c.as_of}" if c.as_of else "no evaluation date"
    return (f"expected {c.shown(c.expectation.value)}, got {c.shown(c.got)} "
            f"({date})")


def why_lines(c: Check, width: int, pad: str = "") -> list[str]:
    """The decisive explanation of a failed expectation, as indented text."""
    if c.why is None or c.explanation is None:
        return []
    return tree_lines(node_json(c.why, c.explanation), width, 0, pad)
