"""CSV data: a header of fact names, then one record a row, read as a stream of validated
records (every problem located at its row and cell)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from kprules import ir
from kprules.cases.records import (
    ID_FIELD,
    BadRecord,
    DataError,
    Record,
    RecordSource,
    Validator,
    _check,
    _decode,
    _diagnostic,
    _not_utf8,
    _overlong,
    _overlong_record,
)
from kprules.core.diagnostics import Diagnostic
from kprules.core.limits import MAX_RECORD_BYTES
from kprules.core.source import Span
from kprules.core.suggest import did_you_mean


class _Overlong(Exception):
    """A CSV line longer than MAX_RECORD_BYTES: the reader stops there (KP491)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Feed:
    """The lines of a CSV file for `csv.reader`, decoded; it keeps the raw lines of the record
    being read, and the first line that was not UTF-8."""

    def __init__(self, lines: Iterable[bytes | str]) -> None:
        self.lines = iter(lines)
        self.line = 0
        self.record: list[str] = []
        self.bad: tuple[int, int] | None = None  # (line, offset in the record's text)

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        raw = next(self.lines)
        self.line += 1
        if _overlong(raw):
            raise _Overlong(self.line)
        text, bad = _decode(raw, self.line == 1)
        if bad is not None and self.bad is None:
            self.bad = (self.line, sum(len(x) for x in self.record) + bad)
        self.record.append(text)
        return text

    def start(self) -> None:
        self.record.clear()
        self.bad = None

    @property
    def text(self) -> str:
        return "".join(self.record).rstrip("\r\n")

    @property
    def first_line(self) -> int:
        return self.line - len(self.record) + 1


def _cells(text: str) -> list[tuple[int, int]]:
    """The span of each cell of one CSV record (its text may hold quoted line breaks)."""
    spans: list[tuple[int, int]] = []
    start = i = 0
    quoted = False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1:i + 2] == '"':
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == ",":
            spans.append((start, i))
            start = i + 1
        elif ch in "\r\n":
            break
        i += 1
    spans.append((start, i))
    return spans


def csv_records(lines: Iterable[bytes | str], name: str,
                vocabulary: ir.Vocabulary) -> Iterator[Record | BadRecord]:
    """One record per row after the header (fact names); `DataError` if the header is bad."""
    feed = _Feed(lines)
    reader = csv.reader(feed)
    header = _csv_header(reader, feed, name, vocabulary)
    check = Validator(vocabulary, from_text=True)
    number = 0
    while True:
        feed.start()
        try:
            row = next(reader)
        except StopIteration:
            return
        except _Overlong as err:
            yield _overlong_record(number + 1, err.line)
            return
        except csv.Error as err:
            number += 1
            yield _csv_bad(feed, number, name, "KP421", f"not a valid CSV row: {err}", None)
            continue
        if not row:
            continue
        number += 1
        yield _csv_record(row, header, feed, number, name, check)


def _csv_header(reader: Iterator[list[str]], feed: _Feed, name: str,
                vocab: ir.Vocabulary) -> list[str]:
    try:
        row = next(reader)
    except _Overlong as err:
        raise DataError([Diagnostic(
            "KP491", f"line {err.line} of `{name}` is longer than {MAX_RECORD_BYTES:,} bytes",
            None, hint="check that this is a CSV file (docs/limits.md)")]) from None
    except (StopIteration, csv.Error):
        raise DataError([Diagnostic("KP422", f"`{name}` has no header row", None,
                                    hint="the first row names the facts, such as "
                                    "rough,mined_in,weight")]) from None
    src = RecordSource(name, feed.text, first_line=feed.first_line)
    spans = _cells(src.text)
    header = [cell.strip() for cell in row]
    problems: list[Diagnostic] = []
    for i, cell in enumerate(header):
        span = src.span(*spans[i]) if i < len(spans) else src.span(0, 0)
        problems.extend(_header_cell(cell, header[:i], vocab, span))
    if problems:
        raise DataError(problems, {name: src})
    return header


def _header_cell(cell: str, before: list[str], vocab: ir.Vocabulary,
                 span: Span | None) -> list[Diagnostic]:
    if not cell:
        return [Diagnostic("KP422", "a column without a name in the header", span,
                           hint="name every column after a fact")]
    if cell in before:
        return [Diagnostic("KP422", f"the column `{cell}` is given twice", span,
                           hint="remove one of them")]
    if cell in vocab.facts or cell == ID_FIELD:
        return []
    return [Diagnostic("KP407", f"the vocabulary `{vocab.name}` has no fact `{cell}`", span,
                       hint=did_you_mean(cell, vocab.facts)
                       or f"the facts are declared in `{vocab.source}`")]


def _csv_record(row: list[str], header: list[str], feed: _Feed, number: int, name: str,
                check: Validator) -> Record | BadRecord:
    if feed.bad is not None:
        line, at = feed.bad
        return _not_utf8(number, line, feed.text, at, name, feed.first_line)
    if len(row) != len(header):
        return _csv_bad(feed, number, name, "KP423",
                        f"the row has {len(row)} cells; the header has {len(header)}",
                        "give every row one cell per column (an empty cell is unknown)")
    fields = dict(zip(header, row, strict=True))
    checked = _check(dict(fields), check, number, feed.first_line)
    if isinstance(checked, Record):
        return checked
    vocab = check.vocabulary
    src = RecordSource(name, feed.text, first_line=feed.first_line)
    spans = _cells(src.text)
    diags = []
    for problem in checked:
        i = header.index(problem.name)
        span = src.span(*spans[i]) if i < len(spans) else src.span(0, 0)
        diags.append(_diagnostic(problem, number, fields, vocab, span, from_text=True))
    return BadRecord(number, feed.first_line, tuple(diags), src)


def _csv_bad(feed: _Feed, number: int, name: str, code: str, message: str,
             hint: str | None) -> BadRecord:
    src = RecordSource(name, feed.text, first_line=feed.first_line)
    return BadRecord(number, feed.first_line, (Diagnostic(
        code, f"record {number}: {message}", src.span(0, len(src.text.split("\n")[0])),
        hint=hint),), src)
