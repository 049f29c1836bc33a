"""Render diagnostics as text (source line with the span underlined), GNU one-liners, or JSON.

Pure functions from diagnostics and the sources they point into to strings. Plain ASCII, so that
golden files are stable; colour is added only by the CLI, only on a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from kprules.diagnostics import Diagnostic
from kprules.source import Source, Span

SourceMap = Mapping[str, Source]


def _location(span: Span | None, sources: SourceMap) -> tuple[str, int, int] | None:
    if span is None:
        return None
    src = sources.get(span.source)
    if src is None:
        return (span.source, 0, 0)
    line, col = src.line_col(span.start)
    return (span.source, line, col)


def _snippet(span: Span, sources: SourceMap, label: str, mark: str) -> list[str]:
    """The source line of `span` with the span underlined (first line only if it spans more)."""
    src = sources.get(span.source)
    if src is None:
        return []
    line, col = src.line_col(span.start)
    end_line, end_col = src.line_col(span.end)
    text = src.line_text(line).replace("\t", " ")
    width = (end_col - col) if end_line == line else (len(text) - col + 1)
    width = max(1, min(width, 80))
    text, col = _window(text, col, width)
    gutter = " " * len(str(line))
    under = " " * (col - 1) + mark * width + (f" {label}" if label else "")
    return [f"{gutter} |", f"{line} | {text}", f"{gutter} | {under.rstrip()}"]


def _window(text: str, col: int, width: int, limit: int = 100) -> tuple[str, int]:
    """Cut a long line to about `limit` characters around the span; return it and the new column."""
    if len(text) <= limit:
        return text, col
    start = max(0, col - 1 - 20)
    cut = text[start : start + limit]
    prefix = "..." if start > 0 else ""
    suffix = "..." if start + limit < len(text) else ""
    return prefix + cut + suffix, col - start + len(prefix)


def render_text(diag: Diagnostic, sources: SourceMap) -> str:
    """The multi-line rendering a drafter reads in a terminal."""
    out = [f"{diag.severity.value}[{diag.code}]: {diag.message}"]
    loc = _location(diag.span, sources)
    if loc is not None and diag.span is not None:
        name, line, col = loc
        out.append(f"  --> {name}:{line}:{col}" if line else f"  --> {name}")
        out.extend("  " + s for s in _snippet(diag.span, sources, "", "^"))
    for rel in diag.related:
        rloc = _location(rel.span, sources)
        if rloc is None:
            continue
        name, line, col = rloc
        out.append(f"  ::: {name}:{line}:{col}")
        out.extend("  " + s for s in _snippet(rel.span, sources, rel.message, "-"))
    if diag.hint:
        out.append(f"  = hint: {diag.hint}")
    return "\n".join(out) + "\n"


def render_gnu(diag: Diagnostic, sources: SourceMap) -> str:
    """`file:line:col: severity: message [CODE]`, then `note:` lines (hint, related spans)."""
    loc = _location(diag.span, sources)
    where = f"{loc[0]}:{loc[1]}:{loc[2]}: " if loc else "kprules: "
    lines = [f"{where}{diag.severity.value}: {diag.message} [{diag.code}]"]
    if diag.hint:
        lines.append(f"{where}note: {diag.hint}")
    for rel in diag.related:
        rloc = _location(rel.span, sources)
        if rloc:
            lines.append(f"{rloc[0]}:{rloc[1]}:{rloc[2]}: note: {rel.message}")
    return "\n".join(lines) + "\n"


def _span_json(span: Span | None, sources: SourceMap) -> dict[str, object] | None:
    if span is None:
        return None
    src = sources.get(span.source)
    if src is None:
        return {"file": span.source}
    line, col = src.line_col(span.start)
    end_line, end_col = src.line_col(span.end)
    return {"file": span.source, "line": line, "column": col,
            "end_line": end_line, "end_column": end_col,
            "text": src.snippet(span)[:200]}


def diagnostic_json(diag: Diagnostic, sources: SourceMap) -> dict[str, object]:
    return {
        "code": diag.code,
        "severity": diag.severity.value,
        "message": diag.message,
        "location": _span_json(diag.span, sources),
        "hint": diag.hint,
        "related": [{"message": r.message, "location": _span_json(r.span, sources)}
                    for r in diag.related],
    }


def render_json(diags: Iterable[Diagnostic], sources: SourceMap) -> str:
    items = [diagnostic_json(d, sources) for d in diags]
    return json.dumps({"version": 1, "diagnostics": items}, indent=2, ensure_ascii=False) + "\n"


def render_all(diags: Sequence[Diagnostic], sources: SourceMap, fmt: str) -> str:
    """Render a list in one of the formats `text`, `gnu`, `json`."""
    if fmt == "json":
        return render_json(diags, sources)
    one = render_gnu if fmt == "gnu" else render_text
    sep = "" if fmt == "gnu" else "\n"
    return sep.join(one(d, sources) for d in diags)


def summary_line(diags: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diags if d.is_error)
    warnings = len(diags) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) if parts else "no problems"
