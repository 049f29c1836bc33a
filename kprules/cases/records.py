"""Bulk data records: the model (`Record`, `BadRecord`, `DataError`), and what every data reader
shares: bounded lines, decoding, the record id, the validator and located diagnostics."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import IO, Any

from attrs import evolve, frozen

from kprules import ir
from kprules.cases.values import fact_code, type_hint
from kprules.core.diagnostics import Diagnostic, PolicyError, Related
from kprules.core.limits import MAX_RECORD_BYTES
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span
from kprules.core.suggest import did_you_mean
from kprules.eval.evaluate import FactProblem, FactsError, validate
from kprules.eval.validator import compile_validator

ID_FIELD = "id"


PARQUET_BATCH = 4096


@frozen(repr=False)
class RecordSource(Source):
    """The text of one record, numbered as the lines of its file (so that the standard
    rendering shows `data.csv:1234:5` without holding the file)."""

    first_line: int = 1

    def line_col(self, offset: int) -> tuple[int, int]:
        line, col = super().line_col(offset)
        return line + self.first_line - 1, col

    def line_text(self, line: int) -> str:
        return super().line_text(line - self.first_line + 1)


@frozen(repr=False)
class Excerpts(Source):
    """Records of one file shown together (`kprules check` lists every bad record of a file):
    their texts one after another, each line numbered as in the file (`lines`: the file's line
    of each line of `text`). Made by `excerpts`."""

    lines: tuple[int, ...] = ()

    def line_col(self, offset: int) -> tuple[int, int]:
        line, col = super().line_col(offset)
        return self.lines[line - 1] if line <= len(self.lines) else line, col

    def line_text(self, line: int) -> str:
        if line not in self.lines:
            return ""
        return super().line_text(self.lines.index(line) + 1)


def excerpts(bad: Iterable[BadRecord]) -> tuple[list[Diagnostic], dict[str, Source]]:
    """The diagnostics of several bad records of one file, with one source that shows each on
    its own lines: each record's source bears the file's name, so a map by name would keep the
    last one only and show every diagnostic on its lines."""
    diagnostics: list[Diagnostic] = []
    texts: list[str] = []
    lines: list[int] = []
    name, at = None, 0
    for record in bad:
        src = record.source
        if not isinstance(src, RecordSource):
            diagnostics.extend(record.diagnostics)
            continue
        name = src.name
        diagnostics.extend(_moved(d, name, at) for d in record.diagnostics)
        texts.append(src.text + "\n")
        lines.extend(range(src.first_line, src.first_line + src.text.count("\n") + 1))
        at += len(src.text) + 1
    if name is None:
        return diagnostics, {}
    return diagnostics, {name: Excerpts(name, "".join(texts), tuple(lines))}


def _moved(diag: Diagnostic, name: str, by: int) -> Diagnostic:
    """A diagnostic with its spans in `name` moved on by `by` characters."""
    def move(span: Span | None) -> Span | None:
        return Span(name, span.start + by, span.end + by) if span and span.source == name \
            else span

    related = tuple(Related(move(r.span) or r.span, r.message) for r in diag.related)
    return evolve(diag, span=move(diag.span), related=related)


@frozen(repr=False)
class Record(SharedRepr):
    """One fact set: its number (1-based, counting records, not lines), its first line (None
    for Parquet), its `id` field if it has one, and its validated, typed facts."""

    number: int
    line: int | None
    id: str | None
    facts: Mapping[str, Any]

    @property
    def label(self) -> str:
        return self.id if self.id is not None else str(self.number)


@frozen(repr=False)
class BadRecord(SharedRepr):
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


def _not_utf8(number: int, line: int, text: str, at: int, name: str,
              first_line: int | None = None) -> BadRecord:
    """KP101 for the byte at `at` of a record's `text`, on `line`; the record starts on
    `first_line` (a CSV record may hold line breaks), else on `line`."""
    start = line if first_line is None else first_line
    src = RecordSource(name, text.rstrip("\r\n"), first_line=start)
    return BadRecord(number, start, (Diagnostic(
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
                vocab: ir.Vocabulary, span: Span | None, from_text: bool = False,
                at: str = "") -> Diagnostic:
    """The diagnostic of one problem of record `number`; `at` says where the record is when no
    span can show it (a Parquet record: its file, row group and row)."""
    info = vocab.facts.get(problem.name)
    where = f"record {number}{at}: "
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
