"""Parquet data: rows read a batch at a time with pyarrow (not a dependency), validated as
records. A record that does not fit is located by its file, row group and row (`place`), since
a Parquet file has no lines to show."""

from __future__ import annotations

import bisect
import importlib
import itertools
from collections.abc import Callable, Iterator, Sequence
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
from kprules.ir.values import OUT_OF_RANGE


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
    return _closing(fh, _parquet_rows(parquet, Validator(vocabulary, from_text=False), name))


def _parquet_rows(parquet: Any, check: Validator, name: str) -> Iterator[Record | BadRecord]:
    number = 0
    vocab = check.vocabulary
    where = locator(name, lambda: row_groups(parquet))
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
        for fields in _python_rows(batch):
            number += 1
            checked = _check(dict(fields), check, number, None)
            if isinstance(checked, Record):
                yield checked
            else:
                at = where(number)
                yield BadRecord(number, None, tuple(
                    _diagnostic(p, number, fields, vocab, None, at=at) for p in checked))


def _python_rows(batch: Any) -> list[dict[str, Any]]:
    """A pyarrow batch's rows as Python values. A date or a time Python cannot hold (a year
    before 1 or after 9999, which Parquet allows) is `OUT_OF_RANGE`, which every fact refuses,
    also inside a list or a struct (the other engines' readers give the same)."""
    try:
        rows: list[dict[str, Any]] = batch.to_pylist()
        return rows
    except (OverflowError, ValueError):
        pass
    columns = [_python_values(column) for column in batch.columns]
    return [dict(zip(batch.schema.names, values, strict=True))
            for values in zip(*columns, strict=True)]


def _python_values(column: Any) -> list[Any]:
    try:
        values: list[Any] = column.to_pylist()
        return values
    except (OverflowError, ValueError):
        return [_python_value(column[i]) for i in range(len(column))]


def _python_value(scalar: Any) -> Any:
    """`scalar.as_py()`, with `OUT_OF_RANGE` for each value in it Python cannot hold."""
    try:
        return scalar.as_py()
    except (OverflowError, ValueError):
        pass
    kind = importlib.import_module("pyarrow.types")
    if kind.is_map(scalar.type):  # as pyarrow gives a map: a list of (key, value)
        return [(_python_value(e["key"]), _python_value(e["value"])) for e in scalar.values]
    if kind.is_struct(scalar.type):
        return {f.name: _python_value(scalar[f.name]) for f in scalar.type}
    if kind.is_list(scalar.type) or kind.is_large_list(scalar.type) or \
            kind.is_fixed_size_list(scalar.type):
        return [_python_value(item) for item in scalar.values]
    return OUT_OF_RANGE


def file_row_groups(path: Path) -> tuple[int, ...] | None:
    """The row groups' sizes of a Parquet file read with pyarrow; None for a folder (a dataset
    of several files), or when pyarrow is missing or cannot read it."""
    if not path.is_file():
        return None
    try:
        pq = importlib.import_module("pyarrow.parquet")
        return row_groups(pq.ParquetFile(path))
    except Exception:  # ImportError, and pyarrow's own errors for a file it cannot read
        return None


def row_groups(parquet: Any) -> tuple[int, ...]:
    """The number of rows of each row group of a pyarrow `ParquetFile`, in order."""
    meta = parquet.metadata
    return tuple(int(meta.row_group(i).num_rows) for i in range(meta.num_row_groups))


def locator(name: str, groups: Callable[[], Sequence[int] | None]) -> Callable[[int], str]:
    """`place` for the records of one Parquet file, its row groups asked for once, at the
    first call (a run without a bad record never reads them), their ends summed once."""
    where = record_place(name, groups)
    return lambda number: f" ({where(number)})"


def record_place(name: str,
                 groups: Callable[[], Sequence[int] | None]) -> Callable[[int], str]:
    """Where each record of one Parquet file is, as a comparison lists it: `NAME, row group G,
    row R` (`NAME` alone when the row groups are not known); the row groups asked for once."""
    found: list[list[int]] = []

    def where(number: int) -> str:
        if not found:
            found.append(list(itertools.accumulate(groups() or ())))
        return _where(name, found[0], number)

    return where


def place(name: str, groups: Sequence[int] | None, number: int) -> str:
    """Where record `number` (from 1) of a Parquet file is: ` (NAME, row group G, row R)`, G and
    R counted from 0 as Parquet tools count them (pyarrow's `read_row_group(G)`, DuckDB's
    `parquet_metadata`); ` (NAME)` when the row groups are not known (`groups` None, or a
    dataset of several files)."""
    return f" ({_where(name, list(itertools.accumulate(groups or ())), number)})"


def _where(name: str, ends: list[int], number: int) -> str:
    if not ends or number > ends[-1]:
        return name
    group = bisect.bisect_left(ends, number)
    row = number - 1 - (ends[group - 1] if group else 0)
    return f"{name}, row group {group}, row {row}"
