"""Source text and spans.

Stage: shared by every stage. A `Source` owns a text and its line index; a `Span` is a pair of
0-based character offsets into one source, end exclusive. Nothing else in kprules knows about lines
and columns: diagnostics ask the source.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from functools import cached_property

from attrs import field, frozen

from kprules.core.shared_repr import SharedRepr


@frozen(repr=False)
class Span(SharedRepr):
    """A half-open range of character offsets in the source named `source`."""

    source: str
    start: int
    end: int

    def cover(self, other: Span) -> Span:
        """The smallest span covering both (same source assumed)."""
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))


@frozen(repr=False)
class Source(SharedRepr):
    """A named text (a file path or a label such as `<string>`)."""

    name: str
    text: str = field(repr=False)

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        return starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        begin = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[begin:end].rstrip("\r")

    def span(self, start: int, end: int) -> Span:
        return Span(self.name, start, end)

    def snippet(self, span: Span) -> str:
        return self.text[span.start : span.end]


NO_SPAN = Span("<none>", 0, 0)
"""The span of something no text wrote (a default, a generated node); equality ignores spans."""


def location(span: Span | None, sources: Mapping[str, Source], *,
             with_file: bool = True) -> str | None:
    """`file:line:col` of a span (`line:col` without the file), or the file name alone when its
    text is not at hand; None for no span. The one way every output writes a place."""
    if span is None:
        return None
    src = sources.get(span.source)
    if src is None:
        return span.source
    line, col = src.line_col(span.start)
    return f"{span.source}:{line}:{col}" if with_file else f"{line}:{col}"
