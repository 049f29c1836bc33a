"""Bulk data: JSON Lines, CSV and Parquet files as a stream of validated fact sets.

Stage: a data file and a vocabulary -> an iterator with one item per record: a `Record` (its
facts validated by `kprules.evaluate.validate`, typed) or a `BadRecord` (every diagnostic of a
record that does not fit, located in that record's own text). The readers are generators over
lines (or Parquet batches): they hold one record at a time, so memory does not grow with the file,
and they go no further into their input than the caller asks.

Formats (docs/cases.md): JSON Lines (`.jsonl`, `.ndjson`): one JSON object per line, `null` is
unknown, blank lines are skipped. CSV (`.csv`): a header row of fact names, then one record per
row; cells are text (`coerce(..., from_text=True)`): an empty cell is unknown, a set is written
`RU;BY`. Parquet (`.parquet`): read with pyarrow when it is installed. In every format a field
named `id` (unless the vocabulary has a fact `id`) names the record in the output; every other
field must be a fact of the vocabulary.

Errors: a record that does not fit is a `BadRecord` (the stream goes on: the caller decides how
many to accept); a problem with the whole file (it cannot be read, an unknown format, a CSV header
naming an unknown fact, Parquet without pyarrow) raises `DataError` (KP100, KP4xx).
"""

from __future__ import annotations

import csv
import importlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import IO, Any

from attrs import frozen

from kprules import ir
from kprules.cases.values import fact_code, type_hint
from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.files import SourceError, display_name, open_binary
from kprules.core.limits import MAX_NUMBER_DIGITS, MAX_RECORD_BYTES
from kprules.core.source import Source, Span
from kprules.core.suggest import did_you_mean
from kprules.eval.evaluate import FactProblem, FactsError, validate
from kprules.eval.validator import compile_validator
from kprules.ir.values import LongNumber

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
ID_FIELD = "id"
PARQUET_BATCH = 4096


@frozen
class RecordSource(Source):
    """The text of one record, numbered as the lines of its file (so that the standard
    rendering shows `data.csv:1234:5` without holding the file)."""

    first_line: int = 1

    def line_col(self, offset: int) -> tuple[int, int]:
        line, col = super().line_col(offset)
        return line + self.first_line - 1, col

    def line_text(self, line: int) -> str:
        return super().line_text(line - self.first_line + 1)


@frozen
class Record:
    """One fact set: its number (1-based, counting records, not lines), its first line (None
    for Parquet), its `id` field if it has one, and its validated, typed facts."""

    number: int
    line: int | None
    id: str | None
    facts: Mapping[str, Any]

    @property
    def label(self) -> str:
        return self.id if self.id is not None else str(self.number)


@frozen
class BadRecord:
    """A record that does not fit: every problem, and the record's text to show them in."""

    number: int
    line: int | None
    diagnostics: tuple[Diagnostic, ...]
    source: Source | None = None

    @property
    def sources(self) -> dict[str, Source]:
        return {self.source.name: self.source} if self.source is not None else {}


class DataError(PolicyError):
    """A data file that cannot be read at all; `sources` to render the diagnostics with."""

    def __init__(self, diagnostics: Iterable[Diagnostic],
                 sources: Mapping[str, Source] | None = None) -> None:
        super().__init__(diagnostics)
        self.sources = dict(sources or {})


def data_format(path: Path) -> str | None:
    """`jsonl`, `csv` or `parquet` by the file's extension; None for anything else."""
    return FORMATS.get(path.suffix.lower())


def read_data(path: Path, vocabulary: ir.Vocabulary,
              name: str | None = None) -> Iterator[Record | BadRecord]:
    """The records of a data file, lazily; `DataError` at once if it cannot be opened."""
    name = name or display_name(path)
    fmt = data_format(path)
    if fmt is None:
        listed = ", ".join(f"`{e}`" for e in FORMATS)
        raise DataError([Diagnostic("KP420", f"`{name}` is not a data file kprules reads", None,
                                    hint=f"data files end in {listed}; case files in `.toml`")])
    if fmt == "parquet":
        return parquet_records(path, name, vocabulary)
    try:
        fh = open_binary(path, name)
    except SourceError as err:
        raise DataError(err.diagnostics) from None
    reader = jsonl_records if fmt == "jsonl" else csv_records
    return _closing(fh, reader(_bounded_lines(fh), name, vocabulary))


def _bounded_lines(fh: IO[bytes]) -> Iterator[bytes]:
    """The lines of a file, each read up to MAX_RECORD_BYTES + 1 bytes: a longer one (a file
    without line breaks, a device such as /dev/zero) is cut there, and the readers stop at it
    (KP491) instead of reading until memory runs out."""
    while raw := fh.readline(MAX_RECORD_BYTES + 1):
        yield raw
        if len(raw) > MAX_RECORD_BYTES:
            return


def _overlong(raw: bytes | str) -> bool:
    return len(raw) > MAX_RECORD_BYTES


def _overlong_record(number: int, line: int) -> BadRecord:
    return BadRecord(number, line, (Diagnostic(
        "KP491", f"record {number}: line {line} is longer than {MAX_RECORD_BYTES:,} bytes; "
        "reading stopped", None, hint="one record per line; check that this is a data file "
        "(docs/limits.md)"),))


def _closing(fh: IO[bytes], items: Iterator[Record | BadRecord]) -> Iterator[Record | BadRecord]:
    with fh:
        yield from items


# ----------------------------------------------------------------------------- shared


def _decode(raw: bytes | str, first: bool) -> tuple[str, int | None]:
    """A line as text, and the offset of its first byte that is not UTF-8 (if any)."""
    if isinstance(raw, str):
        return (raw.removeprefix("\ufeff") if first else raw), None
    if first:
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        head = raw[: err.start].decode("utf-8", errors="replace")
        return head + raw[err.start:].decode("utf-8", errors="replace"), len(head)


def _not_utf8(number: int, line: int, text: str, at: int, name: str) -> BadRecord:
    src = RecordSource(name, text.rstrip("\r\n"), first_line=line)
    return BadRecord(number, line, (Diagnostic(
        "KP101", f"record {number}: line {line} is not valid UTF-8", src.span(at, at + 1),
        hint="save the file as UTF-8"),), src)


def _split_id(fields: dict[str, Any], vocab: ir.Vocabulary) -> tuple[Any, bool]:
    """Take the `id` field out of a record (unless `id` is a fact); False if it is no id."""
    if ID_FIELD in vocab.facts or ID_FIELD not in fields:
        return None, True
    value = fields.pop(ID_FIELD)
    ok = value is None or (isinstance(value, str | int) and not isinstance(value, bool))
    return value, ok


class Validator:
    """`validate` for one vocabulary and kind of input, compiled (kprules.eval.validator): the
    same values, the same `FactsError`, faster on records that fit."""

    def __init__(self, vocabulary: ir.Vocabulary, from_text: bool) -> None:
        self.vocabulary = vocabulary
        self.from_text = from_text
        self.check = compile_validator(
            vocabulary, partial(validate, vocabulary=vocabulary, from_text=from_text),
            from_text=from_text)

    def __call__(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self.check(fields)


def _check(fields: dict[str, Any], check: Validator, number: int,
           line: int | None) -> Record | list[FactProblem]:
    """A record, or the problems of its fields (`id` problems named by ID_FIELD)."""
    rid, id_ok = _split_id(fields, check.vocabulary)
    problems: list[FactProblem] = []
    if not id_ok:
        problems.append(FactProblem(ID_FIELD, "`id` must be text or a whole number"))
    try:
        facts = check(fields)
    except FactsError as err:
        problems.extend(err.problems)
    if problems:
        return problems
    label = None if rid is None or rid == "" else str(rid)
    return Record(number, line, label, facts)


def _diagnostic(problem: FactProblem, number: int, fields: Mapping[str, Any],
                vocab: ir.Vocabulary, span: Span | None, from_text: bool = False) -> Diagnostic:
    info = vocab.facts.get(problem.name)
    where = f"record {number}: "
    if problem.name == ID_FIELD and info is None:
        return Diagnostic("KP404", where + problem.message, span,
                          hint='write an id such as "lot-17" or 17')
    if info is None:
        return Diagnostic("KP407", f"{where}the vocabulary `{vocab.name}` has no fact "
                          f"`{problem.name}`", span,
                          hint=did_you_mean(problem.name, vocab.facts)
                          or f"the facts are declared in `{vocab.source}`")
    value = fields.get(problem.name)
    return Diagnostic(fact_code(info.type, value, from_text), f"{where}fact `{problem.name}`: "
                      f"{problem.message}", span, hint=problem.hint or type_hint(info.type))


# ----------------------------------------------------------------------------- JSON Lines


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; `_Duplicate` if a key is given twice (json would keep the
    last one silently)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_int(text: str) -> int | LongNumber:
    """Python converts at most 4,300 digits (and slowly); `coerce` refuses a LongNumber."""
    return LongNumber(text) if len(text) > MAX_NUMBER_DIGITS + 1 else int(text)


def _json_decimal(text: str) -> Decimal | LongNumber:
    return LongNumber(text) if len(text) > 4 * MAX_NUMBER_DIGITS else Decimal(text)


_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_float=_json_decimal,
                         parse_int=_json_int)
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(value: Any) -> bool:
    """A string (or a key) holding half of a UTF-16 pair: it is not Unicode text."""
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


def jsonl_records(lines: Iterable[bytes | str], name: str,
                  vocabulary: ir.Vocabulary) -> Iterator[Record | BadRecord]:
    """One record per non-blank line, each a JSON object of fact values (null: unknown)."""
    number = 0
    check = Validator(vocabulary, from_text=False)
    for line, raw in enumerate(lines, 1):
        if _overlong(raw):
            yield _overlong_record(number + 1, line)
            return
        text, bad = _decode(raw, line == 1)
        if not text.strip():
            continue
        number += 1
        if bad is not None:
            yield _not_utf8(number, line, text, bad, name)
            continue
        yield _json_record(text.rstrip("\r\n"), number, line, name, check)


def _json_record(text: str, number: int, line: int, name: str,
                 check: Validator) -> Record | BadRecord:
    try:
        fields = _JSON.decode(text)
    except _Duplicate as dup:
        return _json_bad(text, number, line, name, f"the field `{dup.key}` is given twice",
                         None, "remove one of them", key=dup.key)
    except json.JSONDecodeError as err:
        return _json_bad(text, number, line, name, f"not valid JSON: {err.msg.lower()}",
                         err.pos, "write one JSON object per line, such as "
                         '{"rough": true, "mined_in": "CF"}')
    except RecursionError:
        return _json_bad(text, number, line, name, "values nested too deeply", 0, None)
    if not isinstance(fields, dict):
        return _json_bad(text, number, line, name, "not a JSON object", 0,
                         'write one JSON object per line, such as {"rough": true}')
    if "\\u" in text and _lone_surrogate(fields):
        found = _SURROGATE.search(text)
        return _json_bad(text, number, line, name, "a string holds a lone surrogate escape "
                         "(half of a UTF-16 pair), which is not Unicode text",
                         found.start() if found else 0, "write the character itself, or "
                         "both halves of its pair")
    checked = _check(fields, check, number, line)
    if isinstance(checked, Record):
        return checked
    vocab = check.vocabulary
    src = RecordSource(name, text, first_line=line)
    places = _json_places(text)
    diags = []
    for problem in checked:
        key, value = places.get(problem.name, ((0, 0), (0, 0)))
        at = key if vocab.facts.get(problem.name) is None else value
        diags.append(_diagnostic(problem, number, {**fields}, vocab, src.span(*at)))
    return BadRecord(number, line, tuple(diags), src)


def _json_bad(text: str, number: int, line: int, name: str, message: str, pos: int | None,
              hint: str | None, key: str | None = None) -> BadRecord:
    src = RecordSource(name, text, first_line=line)
    if key is not None:
        places = _json_places(text, last=True)
        span = src.span(*places[key][0]) if key in places else src.span(0, 0)
    else:
        at = min(pos or 0, len(text))
        span = src.span(at, min(at + 1, len(text)))
    return BadRecord(number, line, (Diagnostic("KP421", f"record {number}: {message}", span,
                                               hint=hint),), src)


def _json_places(text: str, last: bool = False) -> dict[str, tuple[tuple[int, int],
                                                                   tuple[int, int]]]:
    """The span of each top-level key and value of a JSON object (the first of a key given
    twice, or with `last` the last one); what cannot be read is left out."""
    places: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
    decoder = json.JSONDecoder(parse_int=_json_int, parse_float=_json_decimal)
    ws = " \t\r\n"
    try:
        i = text.index("{") + 1
        while True:
            while text[i] in ws:
                i += 1
            if text[i] != '"':
                return places
            key, end = decoder.raw_decode(text, i)
            j = text.index(":", end) + 1
            while text[j] in ws:
                j += 1
            _, after = decoder.raw_decode(text, j)
            if last or key not in places:
                places[key] = ((i, end), (j, after))
            i = after
            while text[i] in ws:
                i += 1
            if text[i] != ",":
                return places
            i += 1
    except (ValueError, IndexError):
        return places


# ----------------------------------------------------------------------------- CSV


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
        return _not_utf8(number, line, feed.text, at, name)
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


# ----------------------------------------------------------------------------- Parquet


def parquet_records(path: Path, name: str,
                    vocabulary: ir.Vocabulary) -> Iterator[Record | BadRecord]:
    """The rows of a Parquet file, a batch at a time; needs pyarrow (not a dependency)."""
    try:
        fh = open_binary(path, name)
    except SourceError as err:
        raise DataError(err.diagnostics) from None
    try:
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        fh.close()
        raise DataError([Diagnostic(
            "KP424", f"reading `{name}` needs pyarrow, which is not installed", None,
            hint="install it (pip install pyarrow), or convert the file to CSV or JSON "
            "Lines")]) from None
    try:
        parquet = pq.ParquetFile(fh)
        columns = list(parquet.schema_arrow.names)
    except Exception as err:  # pyarrow raises its own errors for unreadable files
        fh.close()
        raise DataError([Diagnostic("KP100", f"cannot read `{name}` as Parquet: {err}",
                                    None)]) from None
    problems = [d for i, c in enumerate(columns)
                for d in _header_cell(c, columns[:i], vocabulary, None)]
    if problems:
        fh.close()
        raise DataError(problems)
    return _closing(fh, _parquet_rows(parquet, Validator(vocabulary, from_text=False)))


def _parquet_rows(parquet: Any, check: Validator) -> Iterator[Record | BadRecord]:
    number = 0
    vocab = check.vocabulary
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
        for fields in batch.to_pylist():
            number += 1
            checked = _check(dict(fields), check, number, None)
            if isinstance(checked, Record):
                yield checked
            else:
                yield BadRecord(number, None, tuple(
                    _diagnostic(p, number, fields, vocab, None) for p in checked))


# ----------------------------------------------------------------------------- one record


def one_record(fmt: str, text: str | None, fields: Mapping[str, Any], number: int,
               line: int | None, name: str, vocabulary: ir.Vocabulary) -> Record | BadRecord:
    """One record read by another engine (the SQL back end), checked as the readers above check
    it: a JSON Lines record from its line's `text`; a CSV record from its `fields` (header ->
    cell), shown in `text`; a Parquet record from its `fields` (column -> value)."""
    if fmt == "jsonl":
        assert text is not None
        return _json_record(text, number, line or number, name, Validator(vocabulary, False))
    if fmt == "csv":
        feed = _Feed(())
        feed.record, feed.line = [text or ""], line or number
        return _csv_record([("" if v is None else str(v)) for v in fields.values()],
                           list(fields), feed, number, name, Validator(vocabulary, True))
    checked = _check(dict(fields), Validator(vocabulary, False), number, None)
    if isinstance(checked, Record):
        return checked
    return BadRecord(number, None, tuple(
        _diagnostic(p, number, fields, vocabulary, None) for p in checked))


def header_problems(columns: list[str], vocabulary: ir.Vocabulary) -> list[Diagnostic]:
    """The problems of a file's column names (as in a CSV header or a Parquet schema)."""
    return [d for i, c in enumerate(columns)
            for d in _header_cell(c, columns[:i], vocabulary, None)]
