"""Positions as the Language Server Protocol counts them: 0-based lines, and columns in the code
units of the encoding agreed with the client (UTF-16 unless the client offers another),
converted from and to kprules' character offsets."""

from __future__ import annotations

import bisect
import functools
import re
from pathlib import Path

from attrs import frozen

from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span


@frozen(repr=False)
class Position(SharedRepr):
    line: int
    character: int


@frozen(repr=False)
class Range(SharedRepr):
    start: Position
    end: Position


def units(ch: str, encoding: str) -> int:
    """How many code units of `encoding` (utf-8, utf-16, utf-32) a character takes."""
    if encoding == "utf-8":
        return len(ch.encode("utf-8", "surrogatepass"))
    if encoding == "utf-32":
        return 1
    return 2 if ord(ch) > 0xFFFF else 1


@functools.lru_cache(maxsize=8)
def line_starts(text: str) -> tuple[int, ...]:
    """Where each line starts as the protocol counts lines: after `\r\n`, `\n` or a lone
    `\r` (kprules itself counts `\n` only; KP117 warns at a lone `\r`)."""
    return (0, *(m.end() for m in _BREAK.finditer(text)))


_BREAK = re.compile(r"\r\n|\r|\n")


def position(source: Source, offset: int, encoding: str = "utf-16") -> Position:
    """The LSP position of a character offset."""
    text = source.text
    starts = line_starts(text)
    at = max(0, min(offset, len(text)))
    line = bisect.bisect_right(starts, at) - 1
    return Position(line, sum(units(ch, encoding) for ch in text[starts[line] : at]))


def span_range(source: Source, span: Span, encoding: str = "utf-16") -> Range:
    return Range(position(source, span.start, encoding), position(source, span.end, encoding))


def offset(text: str, pos: Position, encoding: str = "utf-16") -> int:
    """The character offset of an LSP position (clamped to its line, before its line break's
    last character)."""
    starts = line_starts(text)
    if pos.line >= len(starts):
        return len(text)
    start = starts[pos.line]
    end = starts[pos.line + 1] - 1 if pos.line + 1 < len(starts) else len(text)
    line = text[start:end]
    count = 0
    for i, ch in enumerate(line):
        if count >= pos.character:
            return start + i
        count += units(ch, encoding)
    return start + len(line)


def file_of(span: Span) -> Path:
    """The file a span's source name stands for (display names are relative to the working
    folder, kprules.core.files.display_name)."""
    return Path(span.source).resolve()
