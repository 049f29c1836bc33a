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

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from kprules import ir
from kprules.cases.csv_data import (
    _csv_record,
    _Feed,
    _header_cell,
    csv_records,
)
from kprules.cases.jsonl import (
    _json_record,
    jsonl_records,
)
from kprules.cases.parquet import (
    parquet_records,
)
from kprules.cases.records import (
    BadRecord,
    DataError,
    Record,
    RecordSource,
    Validator,
    _bounded_lines,
    _check,
    _closing,
    _diagnostic,
)
from kprules.core.diagnostics import Diagnostic
from kprules.core.files import DATA_FORMATS, SourceError, display_name, open_binary

# The readers' public names, for the callers that read data through this module.
__all__ = [
    "FORMATS", "BadRecord", "DataError", "Record", "RecordChecker", "RecordSource", "Validator",
    "csv_records", "data_format", "header_problems", "jsonl_records", "parquet_records",
    "read_data",
]

FORMATS = DATA_FORMATS  # by extension (kprules.core.files)


def data_format(path: Path) -> str | None:
    """`jsonl`, `csv` or `parquet` by the file's extension; None for anything else."""
    return FORMATS.get(path.suffix.lower())


def read_data(path: Path, vocabulary: ir.Vocabulary, name: str | None = None,
              opened: Callable[[IO[bytes]], object] | None = None,
              ) -> Iterator[Record | BadRecord]:
    """The records of a data file, lazily; `DataError` at once if it cannot be opened.
    `opened` is given the open JSON Lines or CSV file (a progress line asks it how far the
    reader is: `tell()`, when it draws, never per record)."""
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
    if opened is not None:
        opened(fh)
    reader = jsonl_records if fmt == "jsonl" else csv_records
    return _closing(fh, reader(_bounded_lines(fh), name, vocabulary))


class RecordChecker:
    """Records read by another engine (the SQL back end), checked as the readers above check
    them, each validator compiled once (compiling one for every record took 6 ms a record:
    a file of quantities written as text, each refused by SQL, ran 12-40x slower than
    Python)."""

    def __init__(self, vocabulary: ir.Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.validators: dict[bool, Validator] = {}

    def _validator(self, from_text: bool) -> Validator:
        found = self.validators.get(from_text)
        if found is None:
            found = self.validators[from_text] = Validator(self.vocabulary, from_text)
        return found

    def __call__(self, fmt: str, text: str | None, fields: Mapping[str, Any], number: int,
                 line: int | None, name: str, at: str = "") -> Record | BadRecord:
        """A JSON Lines record from its line's `text`; a CSV record from its `fields` (header
        -> cell), shown in `text`; a Parquet record from its `fields` (column -> value),
        located by `at` (kprules.cases.parquet.place)."""
        if fmt == "jsonl":
            assert text is not None
            return _json_record(text, number, line or number, name, self._validator(False))
        if fmt == "csv":
            feed = _Feed(())
            feed.record, feed.line = [text or ""], line or number
            return _csv_record([("" if v is None else str(v)) for v in fields.values()],
                               list(fields), feed, number, name, self._validator(True))
        checked = _check(dict(fields), self._validator(False), number, None)
        if isinstance(checked, Record):
            return checked
        return BadRecord(number, None, tuple(
            _diagnostic(p, number, fields, self.vocabulary, None, at=at) for p in checked))


def header_problems(columns: list[str], vocabulary: ir.Vocabulary) -> list[Diagnostic]:
    """The problems of a file's column names (as in a CSV header or a Parquet schema)."""
    return [d for i, c in enumerate(columns)
            for d in _header_cell(c, columns[:i], vocabulary, None)]
