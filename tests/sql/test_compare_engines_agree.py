"""Hostile data files on which `kprules compare --engine duckdb` (the bulk summary in SQL) once
answered otherwise than `--engine python` (found by a differential probe): an unknown column
dropped without a word, a wrong header or a row of too many cells as KP100 with DuckDB's
reader settings, a file without records summarised as zero, a Parquet record's diagnostic
without its row group and row, a crash (KP900) on a byte that is not UTF-8, and a total beyond
DECIMAL(38) stopping the run. Each file gives, on both engines, the same exit status and the
same diagnostics; the totals of large measures are Python's, exactly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

from click.testing import CliRunner  # noqa: E402

from kprules.cli import cli  # noqa: E402

NOTE = "duckdb cannot read the file as a whole"


def _text(text: str) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(text.encode("utf-8"))


def _bytes(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def _parquet(sql: str) -> Callable[[Path], object]:
    return lambda path: duckdb.sql(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")


FILES: dict[str, tuple[str, Callable[[Path], object], str]] = {
    # the name, its format, how it is written, the code both engines give
    "unknown-column": ("csv", _text("id,form,bogus\na,rough,1\n"), "KP407"),
    "misspelt-measure": ("csv", _text("id,shipment_carat\na,2\n"), "KP407"),
    "column-twice": ("csv", _text("id,form,form\na,rough,rough\n"), "KP422"),
    "no-header": ("csv", _text(""), "KP422"),
    "semicolons": ("csv", _text("id;form\na;rough\n"), "KP407"),
    "unknown-parquet-column": ("parquet", _parquet("SELECT 'a' AS id, 'rough' AS form, "
                                                   "1 AS bogus"), "KP407"),
    "header-only": ("csv", _text("id,form\n"), "KP603"),
    "empty-jsonl": ("jsonl", _text(""), "KP603"),
    "no-parquet-rows": ("parquet", _parquet("SELECT 'a' AS id, 'rough' AS form LIMIT 0"),
                        "KP603"),
    "parquet-bad-value": ("parquet", _parquet("SELECT * FROM (VALUES ('a', 'rough'), "
                                              "('b', 'Rough ')) t(id, form)"), "KP409"),
    "too-many-cells": ("csv", _text("id,form\nok,rough\nx,rough,extra\n"), "KP423"),
    "not-utf8-csv": ("csv", _bytes(b"id,form\na,\xff\xfe\n"), "KP101"),
    # DuckDB checks a cell's UTF-8 only when it reads it, and no summary read the id
    "not-utf8-id-csv": ("csv", _bytes(b"id,form\nr\xe9,rough\nb,rough\n"), "KP101"),
}


def _compare(data: Path, engine: str, *extra: str) -> tuple[str, int, str]:
    argv = ["compare", "kpcs_2003", "state_actors", "--cases", str(data), "--format", "json",
            "--no-symbolic", "--engine", engine, *extra]
    result = CliRunner().invoke(cli, argv, prog_name="kprules")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    err = "\n".join(line for line in result.stderr.splitlines() if NOTE not in line)
    return err, result.exit_code, result.stdout


@pytest.mark.parametrize("name", list(FILES))
def test_both_engines_refuse_a_bad_file_alike(tmp_path: Path, name: str) -> None:
    kind, write, code = FILES[name]
    data = tmp_path / f"{name}.{kind}"
    write(data)
    python, sql = _compare(data, "python"), _compare(data, "duckdb")
    assert sql[:2] == python[:2]
    assert python[1] == 1 and f"error[{code}]" in python[0], python[0]


def test_a_parquet_record_is_located_by_row_group_and_row(tmp_path: Path) -> None:
    data = tmp_path / "p.parquet"
    FILES["parquet-bad-value"][1](data)
    err = _compare(data, "duckdb")[0]
    assert "record 2 (" in err and "p.parquet, row group 0, row 1)" in err


def test_totals_beyond_decimal_38_are_exact(tmp_path: Path) -> None:
    """Two weights of 26 digits before the point: their sum overflowed DECIMAL(38) in SQL."""
    data = tmp_path / "big.csv"  # as text: DuckDB reads a JSON number as a float
    data.write_text("id,shipment_carats\nx,60000000000000000000000000.0001\n"
                    "y,50000000000000000000000000.5\n", encoding="utf-8")
    sql = json.loads(_compare(data, "duckdb")[2])
    report = json.loads(_compare(data, "python")[2])
    total = "110000000000000000000000000.5001"
    assert sql["totals"][0]["measures"]["shipment_carats"] == {"total": total, "records": 2}
    assert [w["total"] for w in report["summary"]["weights"]
            if w["fact"] == "shipment_carats"] == [total]


def test_group_by_with_the_python_engine_is_a_usage_error(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "a", "form": "rough"}\n', encoding="utf-8")
    err, code, _ = _compare(data, "python", "--group-by", "form")
    assert code == 2 and "--group-by breaks down the summary in SQL" in err
