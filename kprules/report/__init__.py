"""Reports: a comparison (or a `kprules test` run) rendered for a reader or a machine.

One module per format; all render from the report model (`kprules.report.model`: a header,
rows as JSON-ready dictionaries, a summary), so that they cannot disagree:

- `text`: for a terminal (100 columns, colour only on a terminal);
- `md`: Markdown for a code-hosting site (tables, headings, details blocks);
- `json`: one JSON document with a versioned schema (docs/report-schema.md);
- `jsonl`: the same as JSON Lines (header, one line per case, summary), written as a stream;
- `junit`: JUnit XML (one testcase per case x other policy x term).

A writer is `write(out, stream, options)`: it reads the `RowStream` once (formats that lead with
the summary spool the rows to a temporary file first, so memory stays flat) and writes to `out`.
`WRITERS` maps a format name to its writer; `kprules compare --format` offers its keys. The HTML
report (kprules/report/html.py) adds its entry here. A writer that renders from the comparison's
objects rather than the dictionaries reads `stream.results()` (`Row`s) instead of `stream.rows()`,
and `stream.explained(difference)` tells it whether to show an explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from kprules.report import html, json_report, junit, markdown, text
from kprules.report.model import CaseSource, ReportOptions, RowStream

Writer = Callable[[TextIO, RowStream, ReportOptions], None]

WRITERS: dict[str, Writer] = {
    "text": text.write,
    "md": markdown.write,
    "json": json_report.write,
    "jsonl": json_report.write_lines,
    "junit": junit.write,
    "html": html.write,
}


def render(fmt: str, stream: RowStream, options: ReportOptions | None = None) -> str:
    """A whole report as a string (for tests and small comparisons; files: use a writer)."""
    import io

    out = io.StringIO()
    WRITERS[fmt](out, stream, options or stream.options)
    return out.getvalue()


__all__ = ["WRITERS", "CaseSource", "ReportOptions", "RowStream", "Writer", "render"]
