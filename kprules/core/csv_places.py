"""Where the records of a CSV file are written, numbered as kprules' CSV reader numbers them
(kprules.cases.csv_data): records from 1 after the header row, a row with no cell (a blank
line) no record, a row the `csv` module refuses one record; a record's line is the first of
its lines (a quoted cell may hold line breaks).

Stage: a CSV file and record numbers -> each one's first line and text. Effects: reads the
file, up to the last record asked for. Used where another reader (DuckDB) numbers the records
as Python does but not their lines: a blank line between records, a cell with a line break.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path


class _Lines:
    """The decoded lines of a file for `csv.reader`, counted; it keeps those of the row being
    read."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self.lines = lines
        self.line = 0
        self.row: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = next(self.lines)
        self.line += 1
        if self.line == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        text = raw.decode("utf-8", "replace")
        self.row.append(text)
        return text


def record_places(path: Path, numbers: Iterable[int]) -> dict[int, tuple[int, str]]:
    """For each record number asked for (and found): the line its text starts on, and its
    text as written, without the line break that ends it."""
    wanted = set(numbers)
    found: dict[int, tuple[int, str]] = {}
    if not wanted:
        return found
    with path.open("rb") as fh:
        lines = _Lines(iter(fh))
        reader = csv.reader(lines)
        number = 0
        _next_row(reader)  # the header
        while len(found) < len(wanted):
            lines.row = []
            row = _next_row(reader)
            if row is None:
                break
            if row == []:
                continue
            number += 1
            if number in wanted:
                found[number] = (lines.line - len(lines.row) + 1,
                                 "".join(lines.row).rstrip("\r\n"))
    return found


def _next_row(reader: Iterator[list[str]]) -> list[str] | bool | None:
    """The next row; None at the end of the file; False for a row `csv` refuses (a record)."""
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error:
        return False
