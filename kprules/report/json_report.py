"""The JSON report (one document) and its JSON Lines variant (a stream).

JSON: `{schema_version, kind, tool, base, others, terms, ..., summary, rows: [...]}`: the header
and the summary indented by two spaces, then each row compact on one line (a case per line, so
that a diff of two reports shows the cases that changed); the rows are spooled first, so that the
summary comes before them, and copied from the spool as they were written. JSON Lines: the
header (`"type": "header"`), one line per case (`"type": "row"`), the summary last
(`"type": "summary"`), each line written as soon as it is known. Both are described field by
field in docs/report-schema.md.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from kprules.report.model import ReportOptions, RowStream, dumps, spooled


def _indented(obj: Any, level: int) -> str:
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    pad = "  " * level
    return text.replace("\n", "\n" + pad)


def write(out: TextIO, stream: RowStream, options: ReportOptions) -> None:
    with spooled(stream) as spool:
        out.write("{\n")
        for key, value in spool.header.items():
            out.write(f"  {json.dumps(key)}: {_indented(value, 1)},\n")
        out.write(f'  "summary": {_indented(spool.summary, 1)},\n')
        out.write('  "rows": [')
        first = True
        for line in spool.lines():
            out.write(("\n" if first else ",\n") + "    " + line)
            first = False
        out.write("\n  ]\n}\n" if not first else "]\n}\n")


def write_lines(out: TextIO, stream: RowStream, options: ReportOptions) -> None:
    out.write(dumps({"type": "header", **stream.header}) + "\n")
    for _, line in stream.lines():
        out.write('{"type":"row",' + line[1:] + "\n")
    out.write(dumps({"type": "summary", **stream.summary_json()}) + "\n")
