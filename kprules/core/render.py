"""Render diagnostics as text (source lines with the span underlined), GNU one-liners, or JSON.

Pure functions from diagnostics and the sources they point into to strings. Plain ASCII framing,
so that golden files are stable; colour is added only by the CLI, only on a terminal.

The text format, as rustc and miette draw it:

    error[KP200]: undefined name `incom`
      --> policies/kpcs_2003.kpr:12:18
       |
    12 |   when household.incom > threshold
       |                  ^^^^^
       = hint: did you mean `income`?

A span over several lines shows its first and last line (with `...` for the lines between);
tabs are expanded to 4 columns; control characters are shown as their Unicode pictures (a NUL
byte as U+2400); a line longer than 100 characters is cut around the span.
Related spans follow, each under `::: file:line:col`, underlined with `-` and labelled.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from attrs import frozen

from kprules.core.diagnostics import Diagnostic
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span
from kprules.core.wording import plural

SourceMap = Mapping[str, Source]

TAB_WIDTH = 4
LINE_LIMIT = 100  # characters of a source line shown at most
CONTEXT = 20  # characters shown before a span when a long line is cut


@frozen(repr=False)
class _Row(SharedRepr):
    """One row of a snippet: a source line (`number` set), the marks under it, or `...`."""

    number: int | None
    text: str
    elided: bool = False


@frozen(repr=False)
class _Block(SharedRepr):
    """One place shown: `-->` for the diagnostic's span, `:::` for a related span."""

    arrow: str
    place: str
    rows: tuple[_Row, ...]
    note: str | None  # a related span's label, when its source text is not at hand


def _location(span: Span | None, sources: SourceMap) -> tuple[str, int, int] | None:
    if span is None:
        return None
    src = sources.get(span.source)
    if src is None:
        return (span.source, 0, 0)
    line, col = src.line_col(span.start)
    return (span.source, line, col)


def _where(loc: tuple[str, int, int]) -> str:
    name, line, col = loc
    return f"{name}:{line}:{col}" if line else name


# ----------------------------------------------------------------------------- snippets


def _visible(text: str) -> str:
    """Control characters (a NUL byte, an escape) drawn as their Unicode control pictures, one
    column each, so that a line shows what is in it and columns still line up."""
    return text.translate(_CONTROL_PICTURES)


_CONTROL_PICTURES = {c: 0x2400 + c for c in range(32) if c != 9} | {127: 0x2421}


def _display_col(text: str, col: int) -> int:
    """The 1-based display column of character column `col` once tabs are expanded."""
    return len(text[: col - 1].expandtabs(TAB_WIDTH)) + 1


def _columns(text: str) -> int:
    """The columns a terminal gives `text`: two for a wide (East Asian) character, none for a
    combining mark, one for any other, so that the underline sits under what it marks."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _window(text: str, col: int, width: int, limit: int = LINE_LIMIT) -> tuple[str, int, int]:
    """Cut a long line to `limit` characters around the span starting at `col`; return the
    shown text, the span's new column and its width (clipped to what is shown)."""
    if len(text) <= limit:
        return text, col, width
    start = max(0, col - 1 - CONTEXT)
    end = start + limit
    prefix = "..." if start > 0 else ""
    suffix = "..." if end < len(text) else ""
    new_col = col - start + len(prefix)
    visible = end - (col - 1)
    return prefix + text[start:end] + suffix, new_col, max(1, min(width, visible))


def _marked_line(src: Source, number: int, first: int, last: int | None, mark: str,
                 label: str) -> list[_Row]:
    """Line `number` with characters [first, last) underlined (`last` None: to the end)."""
    raw = src.line_text(number)
    text = _visible(raw).expandtabs(TAB_WIDTH)
    col = _display_col(raw, first)
    end = len(text.rstrip()) + 1 if last is None else _display_col(raw, last)
    text, col, width = _window(text, col, max(1, end - col))
    marked = text[col - 1 : col - 1 + width]
    under = " " * _columns(text[: col - 1]) + mark * max(1, _columns(marked)) + (
        f" {label}" if label else "")
    return [_Row(number, text), _Row(None, under.rstrip())]


def _snippet(span: Span, src: Source, mark: str, label: str) -> list[_Row]:
    """The rows showing `span`: its line, or its first and last lines."""
    line, col = src.line_col(span.start)
    end_line, end_col = src.line_col(span.end)
    if end_line > line and end_col == 1:  # the span stops at a line end: do not show the next
        end_line -= 1
        end_col = len(src.line_text(end_line)) + 1
    if end_line == line:
        return _marked_line(src, line, col, end_col, mark, label)
    indent = len(src.line_text(end_line)) - len(src.line_text(end_line).lstrip()) + 1
    rows = _marked_line(src, line, col, None, mark, "")
    if end_line > line + 1:
        rows.append(_Row(None, "", elided=True))
    return rows + _marked_line(src, end_line, indent, end_col, mark, label)


def _draw(rows: Iterable[_Row], gutter: int) -> list[str]:
    out = [" " * gutter + " |"]
    for row in rows:
        if row.elided:
            out.append("...")
        else:
            number = "" if row.number is None else str(row.number)
            out.append(f"{number:>{gutter}} | {row.text}".rstrip())
    return out


def _block(arrow: str, span: Span | None, sources: SourceMap, mark: str,
           label: str) -> _Block | None:
    loc = _location(span, sources)
    if loc is None or span is None:
        return None
    src = sources.get(span.source)
    rows = tuple(_snippet(span, src, mark, label)) if src else ()
    return _Block(arrow, _where(loc), rows, label if src is None and label else None)


# ----------------------------------------------------------------------------- formats


def render_text(diag: Diagnostic, sources: SourceMap) -> str:
    """The multi-line rendering a drafter reads in a terminal."""
    found = [_block("-->", diag.span, sources, "^", ""),
             *(_block(":::", r.span, sources, "-", r.message) for r in diag.related)]
    blocks = [b for b in found if b is not None]
    numbers = [r.number for b in blocks for r in b.rows if r.number is not None]
    gutter = max((len(str(x)) for x in numbers), default=1)
    pad = " " * gutter
    out = [f"{diag.severity.value}[{diag.code}]: {diag.message}"]
    for b in blocks:
        out.append(f"{pad}{b.arrow} {b.place}")
        out.extend(_draw(b.rows, gutter) if b.rows else [])
        if b.note:
            out.append(f"{pad} = note: {b.note}")
    if diag.hint:
        out.append(f"{pad} = hint: {diag.hint}")
    return "\n".join(out) + "\n"


def render_gnu(diag: Diagnostic, sources: SourceMap) -> str:
    """`file:line:col: severity: message [CODE]`, then `note:` lines (hint, related spans)."""
    loc = _location(diag.span, sources)
    where = f"{_where(loc)}: " if loc else "kprules: "
    lines = [f"{where}{diag.severity.value}: {diag.message} [{diag.code}]"]
    if diag.hint:
        lines.append(f"{where}note: {diag.hint}")
    for rel in diag.related:
        rloc = _location(rel.span, sources)
        if rloc:
            lines.append(f"{_where(rloc)}: note: {rel.message}")
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
        parts.append(f"{plural(errors, 'error')}")
    if warnings:
        parts.append(f"{plural(warnings, 'warning')}")
    return ", ".join(parts) if parts else "no problems"
