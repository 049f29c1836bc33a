"""Bulk data: JSON Lines, CSV and Parquet readers, read as streams and validated like case files.

Whole records on the fixture files; bad records with their numbers, lines and rendered
diagnostics; laziness (a source that fails past the records asked for is never read that far,
and `kprules eval` writes each result before it reads the next record); memory that does not
grow with the input; the fast validator agrees with `validate` on any input.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import sys
import tracemalloc
import types
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from case_support import FIXTURES, shipment
from hypothesis import given
from hypothesis import strategies as st

from kprules.cases.bulk import (
    BadRecord,
    DataError,
    Record,
    RecordSource,
    Validator,
    csv_records,
    jsonl_records,
    read_data,
)
from kprules.cases.parquet import place
from kprules.cli.eval_data import StreamOptions, Tally, eval_stream
from kprules.cli.eval_write import make_writer
from kprules.core.render import render_all
from kprules.eval.evaluate import FactsError, validate

DATA = FIXTURES / "data"


def vocabulary() -> Any:
    return shipment()["kpcs"].vocabulary


def rendered(item: Record | BadRecord) -> str:
    assert isinstance(item, BadRecord), item
    return render_all(item.diagnostics, item.sources, "text")


LOT_1 = {"rough": True, "beneficiary": "rebel_movement", "finances_conflict": True,
         "mined_in": "CF", "exported_on": dt.date(2014, 5, 20)}
LOT_2 = {"rough": True, "beneficiary": "state_owned_enterprise", "finances_conflict": True,
         "exported_on": dt.date(2024, 10, 1)}


def test_json_lines() -> None:
    records = list(read_data(DATA / "shipments.jsonl", vocabulary()))
    assert records == [
        Record(1, 1, "lot-1", LOT_1),
        Record(2, 2, "lot-2", LOT_2),
        Record(3, 4, "3", {"rough": True, "mined_in": "RU", "weight": Decimal("0.7"),
                           "transit": frozenset({"RU", "BE"}),
                           "exported_on": dt.date(2024, 10, 1), "finances_conflict": False}),
        Record(4, 5, None, {"rough": False, "value": Decimal("1200"), "stones": 4,
                            "exporter": "Zero Stones Ltd"}),
    ]
    assert [r.label for r in records if isinstance(r, Record)] == ["lot-1", "lot-2", "3", "4"]


def test_csv() -> None:
    records = list(read_data(DATA / "shipments.csv", vocabulary()))
    assert records == [
        Record(1, 2, "lot-1", LOT_1),
        Record(2, 3, "lot-2", LOT_2),
        Record(3, 4, "3", {"rough": True, "finances_conflict": False, "mined_in": "RU",
                           "exported_on": dt.date(2024, 10, 1), "weight": Decimal("0.7"),
                           "transit": frozenset({"RU", "BE"})}),
        Record(4, 5, None, {"rough": False}),
    ]


def test_bytes_with_a_bom_and_crlf_line_ends() -> None:
    csv_lines = [b"\xef\xbb\xbfid,rough,mined_in\r\n", b"a,true,CF\r\n", b'"b\r\n', b'c",,\r\n']
    assert list(csv_records(csv_lines, "x.csv", vocabulary())) == [
        Record(1, 2, "a", {"rough": True, "mined_in": "CF"}),
        Record(2, 3, "b\r\nc", {})]
    json_lines = [b'\xef\xbb\xbf{"rough": true}\r\n', b"\r\n", b'{"rough": false}']
    assert list(jsonl_records(json_lines, "x.jsonl", vocabulary())) == [
        Record(1, 1, None, {"rough": True}), Record(2, 3, None, {"rough": False})]


def test_bad_json_records_name_their_number_and_line() -> None:
    lines = ['{"rough": true}', "", '{"rough": true, "weight": "heavy", "minedin": "CF"}',
             "not json", '{"id": true}']
    items = list(jsonl_records(lines, "lots.jsonl", vocabulary()))
    assert [(type(i).__name__, i.number, i.line) for i in items] == [
        ("Record", 1, 1), ("BadRecord", 2, 3), ("BadRecord", 3, 4), ("BadRecord", 4, 5)]
    assert rendered(items[1]) == """\
error[KP408]: record 2: fact `weight`: expected a number of carats such as `0.5 ct`, found "heavy"
 --> lots.jsonl:3:27
  |
3 | {"rough": true, "weight": "heavy", "minedin": "CF"}
  |                           ^^^^^^^
  = hint: write a number of carats, such as 0.5 or "0.5 ct"

error[KP407]: record 2: the vocabulary `shipment` has no fact `minedin`
 --> lots.jsonl:3:36
  |
3 | {"rough": true, "weight": "heavy", "minedin": "CF"}
  |                                    ^^^^^^^^^
  = hint: did you mean `mined_in`?
"""
    assert rendered(items[2]) == """\
error[KP421]: record 3: not valid JSON: expecting value
 --> lots.jsonl:4:1
  |
4 | not json
  | ^
  = hint: write one JSON object per line, such as {"rough": true, "mined_in": "CF"}
"""
    assert rendered(items[3]) == """\
error[KP404]: record 4: `id` must be text or a whole number
 --> lots.jsonl:5:2
  |
5 | {"id": true}
  |  ^^^^
  = hint: write an id such as "lot-17" or 17
"""


def test_bad_csv_records_name_their_number_line_and_cell() -> None:
    lines = ["rough,weight,transit\n", "true,0.5,RU\n", "\n", 'maybe,"2\n', '5",RU;ZZ\n',
             "true\n"]
    items = list(csv_records(lines, "lots.csv", vocabulary()))
    assert [(type(i).__name__, i.number, i.line) for i in items] == [
        ("Record", 1, 2), ("BadRecord", 2, 4), ("BadRecord", 3, 6)]
    assert rendered(items[1]) == """\
error[KP408]: record 2: fact `rough`: expected true or false, found "maybe"
 --> lots.csv:4:1
  |
4 | maybe,"2
  | ^^^^^
  = hint: write true or false, without quotes

error[KP408]: record 2: fact `weight`: expected a number of carats such as `0.5 ct`, found "2\\x0a5"
 --> lots.csv:4:7
  |
4 | maybe,"2
  |       ^^
5 | 5",RU;ZZ
  | ^^
  = hint: write a number of carats, such as 0.5 or "0.5 ct"

error[KP410]: record 2: fact `transit`: "ZZ" is not an ISO 3166-1 alpha-2 country code
 --> lots.csv:5:4
  |
5 | 5",RU;ZZ
  |    ^^^^^
  = hint: did you mean `ZA`, `ZM` or `ZW`?
"""
    assert rendered(items[2]).startswith(
        "error[KP423]: record 3: the row has 1 cells; the header has 3\n --> lots.csv:6:1\n")


def test_a_bad_header_stops_the_file() -> None:
    with pytest.raises(DataError) as info:
        list(csv_records(["rough,wieght\n", "true,1\n"], "lots.csv", vocabulary()))
    assert render_all(info.value.diagnostics, info.value.sources, "text") == """\
error[KP407]: the vocabulary `shipment` has no fact `wieght`
 --> lots.csv:1:7
  |
1 | rough,wieght
  |       ^^^^^^
  = hint: did you mean `weight`?
"""


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    for name, code in [("missing.jsonl", "KP100"), ("data.xlsx", "KP420")]:
        with pytest.raises(DataError) as info:
            read_data(tmp_path / name, vocabulary())
        assert [d.code for d in info.value.diagnostics] == [code]


def test_a_record_source_numbers_lines_as_its_file() -> None:
    src = RecordSource("big.csv", "a,b\nc,d", first_line=1_000_000)
    assert src.line_col(5) == (1_000_001, 2)
    assert src.line_text(1_000_001) == "c,d"
    assert src.line_text(1) == ""


# ----------------------------------------------------------------------------- laziness


def failing_after(lines: list[str], n: int) -> Iterator[str]:
    """The lines, then a failure if anyone reads beyond the first n."""
    yield from lines[:n]
    raise AssertionError(f"read beyond line {n}")


def test_json_lines_are_read_no_further_than_asked() -> None:
    lines = ['{"rough": true}'] * 10
    first = list(itertools.islice(jsonl_records(failing_after(lines, 3), "x", vocabulary()), 3))
    assert [r.number for r in first] == [1, 2, 3]


def test_csv_is_read_no_further_than_asked() -> None:
    lines = ["rough\n"] + ["true\n"] * 10
    first = list(itertools.islice(csv_records(failing_after(lines, 4), "x", vocabulary()), 3))
    assert [r.number for r in first] == [1, 2, 3]


def test_eval_writes_each_result_before_reading_the_next_record() -> None:
    out = io.StringIO()
    lib = shipment()
    ev = lib.evaluator([("kpcs", "conflict_diamond")])
    writer = make_writer("csv", True, out, ev)
    seen: list[int] = []

    def records() -> Iterator[Record | BadRecord]:
        for n in range(1, 6):
            # the header is out before the first record is read, then a row per record
            seen.append(out.getvalue().count("\n"))
            yield Record(n, n, None, {"rough": False})

    tally = eval_stream(records(), ev, writer, StreamOptions(None, False, 20), lib, "x")
    assert seen == [1, 2, 3, 4, 5]
    assert tally == Tally(5, 0, None, False)


def _lines(n: int) -> Iterator[str]:
    for i in range(n):
        yield f'{{"id": "lot-{i}", "rough": true, "mined_in": "CF", "weight": {i % 97 / 10}}}'


def _peak(n: int) -> int:
    check = Validator(vocabulary(), from_text=False)
    tracemalloc.start()
    try:
        for item in jsonl_records(_lines(n), "x", check.vocabulary):
            assert isinstance(item, Record)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_stream() -> None:
    small, large = _peak(1_000), _peak(20_000)
    assert large < small * 1.5 + 64_000, (small, large)


# ----------------------------------------------------------------------------- Parquet


class _Batch:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def to_pylist(self) -> list[dict[str, Any]]:
        return self.rows


class _ParquetFile:
    """The part of pyarrow.parquet.ParquetFile the reader uses."""

    def __init__(self, source: BinaryIO) -> None:
        if source.read(4) != b"PAR1":  # the reader gives the opened file
            raise OSError("not a parquet file")
        self.schema_arrow = types.SimpleNamespace(names=["id", "rough", "exported_on"])
        self.rows = [{"id": "a", "rough": True, "exported_on": dt.date(2024, 1, 2)},
                     {"id": "b", "rough": None, "exported_on": None},
                     {"id": "c", "rough": "yes", "exported_on": None}]

    def iter_batches(self, batch_size: int) -> Iterator[_Batch]:
        yield _Batch(self.rows[:2])
        yield _Batch(self.rows[2:])

    @property
    def metadata(self) -> types.SimpleNamespace:  # two row groups: rows 1-2, then row 3
        sizes = [2, 1]
        return types.SimpleNamespace(num_row_groups=len(sizes), row_group=lambda i: (
            types.SimpleNamespace(num_rows=sizes[i])))


def test_parquet_with_pyarrow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = types.ModuleType("pyarrow.parquet")
    fake.ParquetFile = _ParquetFile  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyarrow", types.ModuleType("pyarrow"))
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", fake)
    (tmp_path / "lots.parquet").write_bytes(b"PAR1")  # read by the fake reader above
    monkeypatch.chdir(tmp_path)  # the file's name as shown: relative to the working folder
    items = list(read_data(tmp_path / "lots.parquet", vocabulary()))
    assert items[:2] == [Record(1, None, "a", {"rough": True, "exported_on": dt.date(2024, 1, 2)}),
                         Record(2, None, "b", {})]
    assert render_all(items[2].diagnostics, {}, "text") == (  # type: ignore[union-attr]
        'error[KP408]: record 3 (lots.parquet, row group 1, row 0): fact `rough`: expected true '
        'or false, found "yes"\n'
        "  = hint: write true or false, without quotes\n")


def test_parquet_without_pyarrow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    (tmp_path / "lots.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError) as info:
        read_data(tmp_path / "lots.parquet", vocabulary())
    assert [d.code for d in info.value.diagnostics] == ["KP424"]


# ----------------------------------------------------------------------------- the validator

RAW = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.decimals(allow_nan=True),
                st.floats(allow_nan=True), st.dates(), st.datetimes(),
                st.sampled_from(["", "true", "True", " false", "CF", "cf", "XX", "0.5", "0.5 ct",
                                 "2 g", "2024-03-01", "rebel_movement", "rebels", "uncut",
                                 "RU;BY", "RU;XX", "7", " 7 ", "x"]),
                st.lists(st.sampled_from(["RU", "BY", "XX", "uncut", 3]), max_size=3))
NAMES = st.sampled_from(["rough", "beneficiary", "mined_in", "exported_on", "weight", "value",
                         "stones", "purity", "exporter", "transit", "finishes", "nope"])


def _outcome(f: Any, fields: dict[str, Any]) -> Any:
    try:
        return f(fields)
    except FactsError as err:
        return err.problems


@given(st.dictionaries(NAMES, RAW, max_size=6), st.booleans())
def test_the_fast_validator_is_validate(fields: dict[str, Any], from_text: bool) -> None:
    if from_text:
        fields = {k: v for k, v in fields.items() if isinstance(v, str)}
    vocab = vocabulary()
    fast = _outcome(Validator(vocab, from_text), fields)
    slow = _outcome(lambda r: validate(r, vocab, from_text=from_text), fields)
    assert repr(_in_order(fast)) == repr(_in_order(slow))  # every value and its type


def _in_order(outcome: Any) -> Any:
    """Typed facts by name: the generated validator gives them in the vocabulary's order,
    `validate` in the record's (a mapping's order is not part of what validation gives)."""
    return sorted(outcome.items()) if isinstance(outcome, dict) else outcome


@given(st.lists(st.integers(0, 5), max_size=6), st.integers(1, 40))
def test_place_finds_the_row_group_and_row_of_a_record(groups: list[int], number: int) -> None:
    """`place` against the rows of the row groups laid out one by one (empty groups too)."""
    rows = [(g, r) for g, size in enumerate(groups) for r in range(size)]
    want = (f" (f.parquet, row group {rows[number - 1][0]}, row {rows[number - 1][1]})"
            if number <= len(rows) else " (f.parquet)")
    assert place("f.parquet", groups, number) == want
    assert place("f.parquet", None, number) == " (f.parquet)"


def test_a_byte_that_is_not_utf8_in_a_record_of_two_lines_is_shown_on_its_line() -> None:
    """The record starts on line 2 and the byte is on line 3: its source started at line 3,
    so the caret fell one line below the file's end (and, in `check`, on the next record)."""
    lines = [b"id,rough,mined_in\n", b'"b\n', b'q",true,\xffCF\n']
    [item] = list(csv_records(lines, "x.csv", vocabulary()))
    assert isinstance(item, BadRecord) and item.line == 2
    assert rendered(item) == (
        "error[KP101]: record 1: line 3 is not valid UTF-8\n"
        " --> x.csv:3:9\n"
        "  |\n"
        "3 | q\",true,\ufffdCF\n"
        "  |         ^\n"
        "  = hint: save the file as UTF-8\n")
