"""kprules' diagnostics and spans as Language Server Protocol objects (lsprotocol types)."""

from __future__ import annotations

from collections.abc import Mapping

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from kprules.core.diagnostics import Diagnostic
from kprules.core.render import diagnostic_json
from kprules.core.source import Source, Span
from kprules.editor import places

_START = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))


def uri(span: Span) -> str:
    return from_fs_path(str(places.file_of(span))) or ""


def lsp_range(source: Source | None, span: Span | None, encoding: str) -> lsp.Range:
    if source is None or span is None:
        return _START
    r = places.span_range(source, span, encoding)
    return lsp.Range(lsp.Position(r.start.line, r.start.character),
                     lsp.Position(r.end.line, r.end.character))


def location(source: Source | None, span: Span, encoding: str) -> lsp.Location:
    return lsp.Location(uri(span), lsp_range(source, span, encoding))


def diagnostic(d: Diagnostic, sources: Mapping[str, Source], encoding: str) -> lsp.Diagnostic:
    """A diagnostic as the editor shows it. Its `data` is the diagnostic exactly as
    `kprules check --format json` writes it."""
    source = sources.get(d.span.source) if d.span is not None else None
    related = [lsp.DiagnosticRelatedInformation(
        location(sources.get(r.span.source), r.span, encoding), r.message)
        for r in d.related]
    message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    severity = lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning
    return lsp.Diagnostic(lsp_range(source, d.span, encoding), message, severity=severity,
                          code=d.code, source="kprules", related_information=related or None,
                          data=diagnostic_json(d, sources))


def position(p: lsp.Position) -> places.Position:
    return places.Position(p.line, p.character)
