"""Edits the server offers: the did-you-mean hints of diagnostics as quick fixes, and the whole
document in canonical form (the printer of `kprules fmt`, kprules.syntax.pretty)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from attrs import frozen

from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span
from kprules.syntax.canonical import FormatBug, canonical_text

_SUGGESTED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@frozen(repr=False)
class Fix(SharedRepr):
    """Replace the text of `span` with `text`, to settle `diagnostic`."""

    title: str
    span: Span
    text: str
    diagnostic: Diagnostic


def quick_fixes(diagnostic: Diagnostic, source: Source) -> Iterator[Fix]:
    """One fix per name a `did you mean ...?` hint suggests, when the span is a name."""
    hint = diagnostic.hint or ""
    span = diagnostic.span
    if span is None or not hint.startswith("did you mean") or span.source != source.name:
        return
    written = source.snippet(span)
    if not _NAME.match(written):
        return
    for name in _SUGGESTED.findall(hint):
        yield Fix(f"Replace `{written}` with `{name}`", span, name, diagnostic)


def canonical(source: Source) -> str | None:
    """The canonical text of a source, or None when it does not parse, or when the printer's
    output fails the verification `kprules fmt` makes (kprules.syntax.canonical): then the
    document is left alone, as `kprules fmt` leaves the file."""
    try:
        return canonical_text(source)
    except (PolicyError, FormatBug):
        return None
