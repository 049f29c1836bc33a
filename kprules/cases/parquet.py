"""Parquet data: rows read a batch at a time with pyarrow (not a dependency), validated as
records."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kprules import ir
from kprules.cases.csv_data import (
    _header_cell,
)
from kprules.cases.records import (
    PARQUET_BATCH,
    BadRecord,
    DataError,
    Record,
    Validator,
    _check,
    _closing,
    _diagnostic,
)
from kprules.core.diagnostics import Diagnostic
from kprules.core.files import SourceError, open_binary


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
