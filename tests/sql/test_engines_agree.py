"""Hostile data files on which `--engine duckdb` once gave other values, diagnostics or output
files than `--engine python` (found by a differential probe of the command line): each file
gives, on both engines, the same standard output, the same diagnostics, the same exit status
and the same output file, byte for byte. The one line allowed to differ is DuckDB's note that
it reads the file record by record, and JSON Lines files DuckDB writes are compared as JSON
(it writes them without spaces, docs/sql.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb")

from click.testing import CliRunner  # noqa: E402

from kprules.cli import cli  # noqa: E402

VOCABULARY = """\
facts lots

fact rough: bool
fact weight: carats
fact origin: country
fact shipped: date
fact note: text
"""

POLICY = """\
policy rules "rules"
  status current
  reads lots

define heavy = weight >= 0.5 ct
define russian = rough and origin = RU
define as_written = weight = 1000000000000000 ct or weight = 123456789012.123 ct
  or weight = 0.4999999999999 ct
define recent = shipped >= 2024-01-01
define noted = note = "seen at the border"
"""

NOTE = "duckdb cannot read the file as a whole; reading it record by record\n"


def _jsonl(text: str) -> Callable[[Path], object]:
    return lambda path: path.write_text(text, encoding="utf-8")


def _bytes(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def _parquet(sql: str) -> Callable[[Path], object]:
    return lambda path: duckdb.sql(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")


FILES: dict[str, tuple[str, Callable[[Path], object]]] = {
    # DECIMAL(38,12) rounded these to 0.5 once Python had accepted them
    "13-places-jsonl": ("jsonl", _jsonl('{"id": "a", "weight": 0.4999999999999}\n'
                                        '{"id": "b", "weight": 0.5}\n')),
    "13-places-csv": ("csv", _jsonl("id,weight\na,0.4999999999999\nb,0.5\n")),
    "13-places-double": ("parquet", _parquet("SELECT 'a' AS id, 0.4999999999999::DOUBLE AS "
                                             "weight UNION ALL SELECT 'b', 0.5::DOUBLE")),
    "13-places-decimal": ("parquet", _parquet("SELECT 'a' AS id, 0.4999999999999::DECIMAL(38,20) "
                                              "AS weight")),
    # DuckDB's cast from DOUBLE works on the binary value: 1e15 gave 1000000000000000.0132...
    "big-double": ("parquet", _parquet("SELECT 'a' AS id, 1e15::DOUBLE AS weight UNION ALL "
                                       "SELECT 'b', 123456789012.123::DOUBLE")),
    # DuckDB keeps the first of a key given twice; Python refuses the record (KP421)
    "key-twice": ("jsonl", _jsonl('{"id": "a", "rough": true, "rough": false}\n'
                                  '{"id": "b", "rough": true}\n')),
    # a byte that is not UTF-8 after the header ended in a KP900 reading the header
    "not-utf8-csv": ("csv", _bytes(b"id,rough\na,true\nx\xff,true\nc,false\n")),
    # ids a spreadsheet would run: kprules' CSV writer prefixes them with '
    "formula-ids": ("jsonl", _jsonl('{"id": "=HYPERLINK(\\"http://x\\")", "rough": true}\n'
                                    '{"id": "+x"}\n{"id": "@x"}\n{"id": "-15"}\n'
                                    '{"id": "-x"}\n')),
    "formula-ids-csv": ("csv", _jsonl("id,rough\n=1+1,true\n-15,false\n")),
    # an empty id is no id: the record is named by its number
    "empty-id": ("jsonl", _jsonl('{"id": "", "rough": false}\n{"id": "b"}\n')),
    "empty-id-csv": ("csv", _jsonl('id,rough\n"",false\nb,true\n')),
    # lines after a cell with a line break, or a blank line, were numbered one too few
    "cell-with-line-break": ("csv", _jsonl('id,origin\na,RU\n"b\nc",CF\nd,xx\ne,BW\n')),
    "blank-line-csv": ("csv", _jsonl("id,origin\na,RU\n\nd,xx\ne,BW\n")),
    "blank-line-and-line-break": ("csv", _jsonl('id,origin\na,RU\n\n"b\nc",xx\n\nd,yy\n')),
    # in a file of one column DuckDB read a blank line as a record with no facts (one at the
    # end of the file too): Python reads no record there; `""` is a record on both
    "one-column-blank-lines": ("csv", _jsonl("rough\ntrue\n\nfalse\n\n")),
    "one-column-empty-cell": ("csv", _jsonl('rough\ntrue\n""\nfalse\n')),
    "one-column-of-ids": ("csv", _jsonl("id\na\n\nb\n")),
    # a refused record was shown rebuilt (k1,cf), its caret at another column
    "quoted-cells": ("csv", _jsonl('id,origin\n"k1","cf"\n"k2","CF"\n')),
    # a line longer than the Python readers read (KP491, and reading stops there): DuckDB
    # read it, and every line after it
    "long-line": ("jsonl", _jsonl('{"id": "a"}\n{"id": "b"' + " " * (1 << 20) + '}\n'
                                  '{"id": "c"}\n')),
    "long-line-csv": ("csv", _jsonl("id,rough\na,true\n" + "b" * (1 << 20) + ",true\nc,false\n")),
    # an id with a carriage return: quoted in CSV, where a reader may end a row at one
    # lines of Python's white space only (a tab, a form feed, U+2028): blank, skipped
    "white-space-lines": ("jsonl", _jsonl('{"id": "a", "rough": true}\n\t\n{"id": "b"}\n'
                                          '\x0c\n\u2028 \n{"id": "c", "rough": false}\n')),
    # a lone carriage return: a line break to DuckDB's CSV reader, not to the Python readers
    "carriage-return-lines": ("jsonl", _bytes(b'{"id": "a", "rough": true}\r{"id": "b"}\r')),
    "carriage-return-between": ("jsonl", _bytes(b'{"id": "a", "rough": true}\n{"id": "b",'
                                                b'\r "rough": false}\r\n{"id": "c"}\r\n')),
    "carriage-return-id": ("jsonl", _jsonl('{"id": "a\\rb", "rough": true}\n')),
    # a header the Python reader refuses: reported once, and the output is its header alone
    "column-twice": ("csv", _jsonl("id,rough,rough\na,true,false\n")),
    "unknown-column": ("parquet", _parquet("SELECT 'a' AS id, true AS rough, 3 AS colour")),
    # DuckDB read the year 0000 as 1 BC where Python refuses it; a Parquet date outside
    # Python's years made the Python path crash (KP900)
    "year-0": ("jsonl", _jsonl('{"id": "a", "shipped": "0000-01-01"}\n'
                               '{"id": "b", "shipped": "0001-01-01"}\n')),
    "year-0-csv": ("csv", _jsonl("id,shipped\na,0000-12-31\nb,9999-12-31\n")),
    "years-outside-parquet": ("parquet", _parquet(
        "SELECT * FROM (VALUES ('a', DATE '0000-06-01'), ('b', DATE '2024-06-01'), "
        "('c', DATE '12000-01-01'), ('d', DATE '0002-06-01 (BC)'), ('e', DATE 'infinity'), "
        "('f', DATE '-infinity')) t(id, shipped)")),
    # DuckDB's Python client gives `infinity` as date.max: it was evaluated as 9999-12-31
    "timestamps-outside-parquet": ("parquet", _parquet(
        "SELECT * FROM (VALUES ('a', TIMESTAMP '0000-06-01 10:00:00'), "
        "('b', TIMESTAMP '2024-06-01 10:00:00'), ('c', TIMESTAMP 'infinity'), "
        "('d', TIMESTAMP '12000-01-01 00:00:00')) t(id, shipped)")),
    # DuckDB's year() of a TIMESTAMP WITH TIME ZONE counts the era: 1 BC was its year 1
    "timestamptz-outside-parquet": ("parquet", _parquet(
        "SELECT * FROM (VALUES ('a', CAST('0000-06-01' AS TIMESTAMPTZ)), "
        "('b', CAST('2024-06-01' AS TIMESTAMPTZ))) t(id, shipped)")),
    # a date was accepted as a text fact when Python could not hold it (its text stood in)
    "dates-for-text-parquet": ("parquet", _parquet(
        "SELECT * FROM (VALUES ('a', DATE '0000-06-01'), ('b', DATE '2024-06-01'), "
        "('c', DATE '12000-01-01')) t(id, note)")),
    # Python counts a DECIMAL column's places among a number's digits (31 here): SQL took them
    "decimal-places-parquet": ("parquet", _parquet(
        "SELECT * FROM (VALUES ('a', CAST(1234567890123456789 AS DECIMAL(38,12))), "
        "('b', CAST(123456789012345678 AS DECIMAL(38,12)))) t(id, weight)")),
    "decimal-scale-parquet": ("parquet", _parquet(
        "SELECT * FROM (VALUES ('a', CAST(1.5 AS DECIMAL(38,30))), "
        "('b', CAST(0 AS DECIMAL(38,30)))) t(id, weight)")),
    "decimal-scale-31-parquet": ("parquet", _parquet(
        "SELECT 'a' AS id, CAST(0.5 AS DECIMAL(38,31)) AS weight")),
    # a map: a table to DuckDB's Python client, a list of pairs to pyarrow's
    "map-parquet": ("parquet", _parquet("SELECT 'a' AS id, MAP{'RU': 1} AS rough")),
    "nested-dates-parquet": ("parquet", _parquet(
        "SELECT * FROM (VALUES ('a', [DATE '0000-06-01'], {'d': DATE '0000-06-01'}), "
        "('b', [DATE '2024-06-01'], {'d': DATE '2024-06-01'})) t(id, origin, note)")),
    # Python folds a text's white space (as a policy's strings are read); DuckDB kept it
    "text-spaces": ("jsonl", _jsonl('{"id": "a", "note": " seen at\\tthe  border\\u2028"}\n'
                                    '{"id": "b", "note": "seen\\u00a0at the border"}\n'
                                    '{"id": "c", "note": "seenat the border"}\n')),
    "text-spaces-csv": ("csv", _jsonl('id,note\na,"  seen at\nthe border "\n'
                                      "b,seen at the border\n")),
    "text-spaces-parquet": ("parquet", _parquet(
        "SELECT 'a' AS id, chr(8195) || 'seen at the' || chr(133) || 'border' AS note")),
}


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    (tmp_path / "lots.kpr").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "rules.kpr").write_text(POLICY, encoding="utf-8")
    return tmp_path / "rules.kpr"


def _run(argv: list[str], output: Path | None) -> tuple[str, str, int, Any]:
    if output is not None:
        output.write_text("an earlier run's values\n", encoding="utf-8")
        argv = [*argv, "--output", str(output)]
    result = CliRunner().invoke(cli, argv, prog_name="kprules")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    fmt = argv[argv.index("--format") + 1] if "--format" in argv else "text"
    written: Any = None
    if output is not None and fmt == "parquet":
        written = output.read_bytes()[:4]  # an earlier run's values, unless now Parquet
        if written == b"PAR1":
            table = f"read_parquet('{output}')"
            written = (duckdb.sql(f"DESCRIBE SELECT * FROM {table}").fetchall(),
                       duckdb.sql(f"SELECT * FROM {table}").fetchall())
    elif output is not None:  # the same bytes, JSON Lines too
        written = output.read_bytes()
    return result.stdout, result.stderr.replace(NOTE, ""), result.exit_code, written


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("name", list(FILES))
def test_duckdb_gives_what_python_gives(policies: Path, tmp_path: Path, name: str, fmt: str,
                                        to_file: bool) -> None:
    kind, write = FILES[name]
    data = tmp_path / f"{name}.{kind}"
    write(data)
    argv = ["eval", str(policies), "--cases", str(data), "--format", fmt]
    python = _run([*argv, "--engine", "python"], tmp_path / "python.out" if to_file else None)
    sql = _run([*argv, "--engine", "duckdb"], tmp_path / "duckdb.out" if to_file else None)
    assert sql == python
    assert "KP900" not in python[1]


@pytest.mark.parametrize("name", list(FILES))
def test_parquet_is_written_alike_by_both_engines(policies: Path, tmp_path: Path,
                                                   name: str) -> None:
    """`--format parquet`: the Python path's file (DuckDB writing the values Python computed)
    has the SQL engine's columns, types and rows; so when DuckDB cannot read the file whole."""
    kind, write = FILES[name]
    data = tmp_path / f"{name}.{kind}"
    write(data)
    argv = ["eval", str(policies), "--cases", str(data), "--format", "parquet"]
    python = _run([*argv, "--engine", "python"], tmp_path / "python.out")
    sql = _run([*argv, "--engine", "duckdb"], tmp_path / "duckdb.out")
    assert sql == python
    assert "KP900" not in python[1] and "Usage" not in python[1]
    assert isinstance(python[3], tuple), "a Parquet file, with no rows if none was evaluated"


def test_the_values_are_python_s(policies: Path, tmp_path: Path) -> None:
    """What both engines write for the numbers SQL used to round (the comparison above would
    pass if both were wrong)."""
    kind, write = FILES["13-places-double"]
    data = tmp_path / f"d.{kind}"
    write(data)
    out = tmp_path / "out.csv"
    argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", "--engine", "duckdb"]
    assert _run(argv, out)[2:] == (
        0, b"case,as_of,rules.as_written,rules.heavy,rules.noted,rules.recent,rules.russian\n"
           b"a,,true,false,,,\nb,,false,true,,,\n")


def test_a_quantity_is_plain_text_in_json_on_both_engines(policies: Path,
                                                                  tmp_path: Path) -> None:
    """A quantity read from a JSON whole number is written as text, as every decimal is
    (docs/cases.md): the Python path wrote it as a JSON number; and a small one in plain
    notation (the Python writers wrote 1E-7, DuckDB's 0.0000001)."""
    stated = tmp_path / "stated.kpr"
    stated.write_text('policy stated "stated"\n  status current\n  reads lots\n\n'
                      "define weight_given = weight\n", encoding="utf-8")
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "a", "weight": 45300000}\n{"id": "b", "weight": 0.5}\n'
                    '{"id": "c", "weight": 0.0000001}\n', encoding="utf-8")
    argv = ["eval", str(stated), "--cases", str(data), "--format", "json"]
    for engine in ("python", "duckdb"):
        out = _run([*argv, "--engine", engine], None)[0]
        assert [json.loads(line)["values"] for line in out.splitlines()] == [
            {"stated.weight_given": "45300000"}, {"stated.weight_given": "0.5"},
            {"stated.weight_given": "0.0000001"}], engine


def test_a_csv_file_with_a_blank_line_stays_in_sql_where_no_line_is_shown(
        policies: Path, tmp_path: Path) -> None:
    """Lines are checked only where they are shown: CSV output of a file with a blank line
    between records, and no refused record, is DuckDB's (no note), and Python's values."""
    data = tmp_path / "d.csv"
    data.write_text("id,weight\na,0.7\n\nb,2\n", encoding="utf-8")
    argv = ["eval", str(policies), "--cases", str(data), "--format", "csv"]
    result = CliRunner().invoke(cli, [*argv, "--engine", "duckdb"], prog_name="kprules")
    python = _run([*argv, "--engine", "python"], None)
    assert (result.stdout, result.stderr, result.exit_code) == python[:3]
    assert NOTE not in result.stderr


def test_compare_engine_duckdb_shows_refused_records_on_their_lines(policies: Path,
                                                                    tmp_path: Path) -> None:
    """A CSV file whose lines DuckDB numbers apart from its records (a blank line, a cell with
    a line break): the comparison's summary in SQL reports the first refused record on the line the
    Python path shows, where it stopped with KP100 before."""
    data = tmp_path / "d.csv"
    data.write_text('id,origin\na,RU\n\n"b\nc",xx\n\nd,yy\ne,BW\n', encoding="utf-8")
    other = policies.parent / "other.kpr"
    other.write_text('policy other "other"\n  status proposed\n  reads lots\n\n'
                     "define heavy = weight >= 1 ct\n", encoding="utf-8")
    argv = ["compare", str(policies), str(other), "--cases", str(data), "--format", "json"]
    python = CliRunner().invoke(cli, [*argv, "--engine", "python"], prog_name="kprules")
    sql = CliRunner().invoke(cli, [*argv, "--engine", "duckdb"], prog_name="kprules")
    assert (sql.exit_code, sql.stderr) == (python.exit_code, python.stderr)
    shown = [line for line in sql.stderr.splitlines() if "-->" in line]
    assert len(shown) == 1 and shown[0].endswith("d.csv:5:4")  # the record's second line


def test_a_file_of_one_column_with_a_blank_line_is_counted_as_python_counts_it(
        policies: Path, tmp_path: Path) -> None:
    """The comparison's record count in SQL: DuckDB counted the blank line as a record; now
    the file is Python's to read (KP100 under `--engine duckdb`, which promises SQL)."""
    data = tmp_path / "d.csv"
    data.write_text("rough\ntrue\n\nfalse\n", encoding="utf-8")
    other = policies.parent / "other.kpr"
    other.write_text('policy other "other"\n  status proposed\n  reads lots\n\n'
                     "define russian = origin = RU\n", encoding="utf-8")
    argv = ["compare", str(policies), str(other), "--cases", str(data), "--format", "json",
            "--engine", "duckdb"]
    result = CliRunner().invoke(cli, argv, prog_name="kprules")
    assert result.exit_code == 1
    assert "KP100" in result.stderr and "a row with no value in a file of one column" in \
        result.stderr


def test_dates_and_texts_are_read_as_python_reads_them(policies: Path, tmp_path: Path) -> None:
    """What both engines give for the files above (the comparison would pass if both were
    wrong): text folded, dates outside Python's years refused, located."""
    results = {}
    for name in ("text-spaces", "text-spaces-csv", "text-spaces-parquet",
                 "years-outside-parquet", "dates-for-text-parquet"):
        kind, write = FILES[name]
        data = tmp_path / f"{name}.{kind}"
        write(data)
        argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", "--term",
                "noted", "--term", "recent", "--engine", "duckdb"]
        results[name] = _run(argv, None)
    header = "case,as_of,rules.noted,rules.recent\n"
    assert results["text-spaces"][::2] == (header + "a,,true,\nb,,true,\nc,,false,\n", 0)
    assert results["text-spaces-csv"][::2] == (header + "a,,true,\nb,,true,\n", 0)
    assert results["text-spaces-parquet"][::2] == (header + "a,,true,\n", 0)
    out, err, code, _ = results["years-outside-parquet"]
    assert (out, code) == (header + "b,,,true\n", 1)
    found = [line.split("found ")[1] for line in err.splitlines() if "KP408" in line]
    assert found == ["a date or time outside the years 1 to 9999"] * 5
    assert "years-outside-parquet.parquet, row group 0, row 0): fact `shipped`" in err
    out, err, code, _ = results["dates-for-text-parquet"]
    assert (out, code) == (header, 1) and err.count("error[KP408]") == 3


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_negative_zero_is_written_without_its_sign(policies: Path, tmp_path: Path,
                                                     fmt: str) -> None:
    """Python kept the sign of `"-0"` (`-0`), DuckDB has none (`0`)."""
    stated = tmp_path / "stated.kpr"
    stated.write_text('policy stated "stated"\n  status current\n  reads lots\n\n'
                      "define weight_given = weight\n", encoding="utf-8")
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "a", "weight": "-0"}\n{"id": "b", "weight": "-0 ct"}\n',
                    encoding="utf-8")
    argv = ["eval", str(stated), "--cases", str(data), "--format", fmt]
    python = _run([*argv, "--engine", "python"], None)
    assert _run([*argv, "--engine", "duckdb"], None) == python
    assert "-0" not in python[0] and python[2] == 0


@pytest.mark.parametrize(("weight", "shown"), [
    ("0.4999999999999", "0.4999999999999"),  # 13 places
    ("1000000000000000000000000000", "1000000000000000000000000000")])  # 28 whole digits
def test_a_value_parquet_cannot_hold_writes_nothing(policies: Path, tmp_path: Path,
                                                    weight: str, shown: str) -> None:
    """A number SQL would round (so DuckDB hands the file to Python) that Parquet's
    DECIMAL(38,12) cannot hold either: KP604 on both engines (a whole number was KP900), and
    the output is left as it was."""
    stated = tmp_path / "stated.kpr"
    stated.write_text('policy stated "stated"\n  status current\n  reads lots\n\n'
                      "define weight_given = weight\n", encoding="utf-8")
    data = tmp_path / "d.jsonl"
    data.write_text(f'{{"id": "a", "weight": 0.5}}\n{{"id": "b", "weight": {weight}}}\n',
                    encoding="utf-8")
    out = tmp_path / "out.parquet"
    argv = ["eval", str(stated), "--cases", str(data), "--format", "parquet"]
    for engine in ("python", "duckdb"):
        _, err, code, written = _run([*argv, "--engine", engine], out)
        assert (err.replace(NOTE, ""), code, written) == (
            "error[KP604]: cannot write `" + str(out) + "` as Parquet: record 2: "
            f"`stated.weight_given` is {shown}, more digits than a Parquet "
            "DECIMAL(38,12) holds\n  = hint: write --format csv or json, which keep every "
            "digit\n", 1, b"an e"), engine


def test_a_zero_of_many_places_is_a_zero_parquet_holds(policies: Path, tmp_path: Path) -> None:
    """0.00000000000000000000 is 0: both engines write it (the Python path said KP604)."""
    stated = tmp_path / "stated.kpr"
    stated.write_text('policy stated "stated"\n  status current\n  reads lots\n\n'
                      "define weight_given = weight\n", encoding="utf-8")
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "a", "weight": 0.00000000000000000000}\n', encoding="utf-8")
    argv = ["eval", str(stated), "--cases", str(data), "--format", "parquet"]
    python = _run([*argv, "--engine", "python"], tmp_path / "p.parquet")
    assert _run([*argv, "--engine", "duckdb"], tmp_path / "d.parquet") == python
    assert python[2] == 0 and python[3][1] == [("a", None, Decimal(0))]


@pytest.mark.parametrize("one_pass", [True, False], ids=["one-pass", "robust"])
def test_an_empty_text_or_set_is_an_empty_cell_on_both_engines(tmp_path: Path,
                                                                 one_pass: bool) -> None:
    """A known empty text and an empty set are written as an empty cell in CSV, as Python's
    csv module writes them (DuckDB's writer quoted them: `""`), in both of DuckDB's passes."""
    (tmp_path / "tv.kpr").write_text(
        'facts tv\nenum color {\n  red\n  green\n}\nfact t: text\nfact s: set of color\n',
        encoding="utf-8")
    (tmp_path / "p.kpr").write_text(
        'policy pa "p"\n  status current\n  reads tv\n\ndefine tb = t\ndefine sb = s\n',
        encoding="utf-8")
    data = tmp_path / "e.jsonl"
    data.write_text('{"id": "a", "t": "", "s": []}\n{"id": "b"}\n{"id": "c", "t": "x", '
                    '"s": ["red"]}\n' + ('{"id": "d", "t": 3}\n' if not one_pass else ""),
                    encoding="utf-8")
    argv = ["eval", str(tmp_path / "p.kpr"), "--policies", str(tmp_path), "--no-seeds",
            "--cases", str(data), "--format", "csv", "--skip-invalid"]
    python = _run([*argv, "--engine", "python"], tmp_path / "python.csv")
    sql = _run([*argv, "--engine", "duckdb"], tmp_path / "duckdb.csv")
    assert sql[2:] == python[2:]
    assert python[3] == b"case,as_of,pa.sb,pa.tb\na,,,\nb,,,\nc,,red,x\n"
