"""The progress lines of the commands that read data files (`eval`, `compare`).

Effects only: asking a data file its size (bytes, or rows for Parquet) so that a `Progress`
(kprules.core.progress) shows the share done and the time left; a `QueryProgress`
(kprules.sql.progress) for the DuckDB paths.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from kprules.core.progress import Progress
from kprules.sql.progress import QueryProgress


def measured(progress: Progress, path: Path) -> Callable[[IO[bytes]], None]:
    """The reader's `opened` hook (kprules.cases.bulk.read_data): JSON Lines and CSV are measured
    in bytes read, asked of the file only when the line is drawn; a Parquet file (which the hook
    never sees) by its rows, from its footer, when the line is drawn at all."""
    if progress.enabled and path.suffix.lower() == ".parquet":
        rows = parquet_rows(path)
        if rows is not None:
            progress.measure(rows)

    def opened(fh: IO[bytes]) -> None:
        if progress.enabled:
            size = os.fstat(fh.fileno()).st_size
            progress.measure(size, lambda: size if fh.closed else fh.tell())

    return opened


def parquet_rows(path: Path) -> int | None:
    """The number of rows a Parquet file's footer gives; None when it cannot be read (the
    reader reports why)."""
    try:
        pq = importlib.import_module("pyarrow.parquet")
        return int(pq.read_metadata(path).num_rows)
    except Exception:  # no pyarrow, not Parquet: the reader says so
        return None


def in_duckdb(what: str, quiet: bool, engine: str = "DuckDB") -> QueryProgress:
    """`<what> in DuckDB: 42%, about 3 s left` while statements run on the connection (or
    the Spark session, `engine` "Spark") it is given to watch."""
    return QueryProgress(Progress(f"{what} in {engine}", quiet=quiet))
