"""The one pass of `kprules eval --engine duckdb` (kprules.sql.fast) against the robust path
(the one pass turned off): the same output bytes, diagnostics and exit code, whether the pass
is taken (every record valid) or stops and falls back (an unknown key or a changed type after
read_json's sample, a bad value, a blank line under JSON Lines output, an `id`, a division by
zero); nothing left behind when it stops. And its pieces: `json_typed` against `json_fact`,
`read_json`'s JSON texts against `json_transform`'s."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

import kprules.cli.eval_sql as eval_sql  # noqa: E402
import kprules.sql.fast as fast  # noqa: E402
from kprules.ir.types import BOOL, COUNTRY, DATE, DECIMAL, INTEGER, Type  # noqa: E402
from kprules.sql.validate import json_fact, json_typed  # noqa: E402

from .test_eval_engine import BAD, GOOD, ODD, WRITERS, run  # noqa: E402

TERMS = ["--engine", "duckdb",
         *(x for t in ("conflict", "heavy", "limit", "trade") for x in ("--term", t))]


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each one pass did: `written` or `stopped` (kprules.sql.fast.run spied on)."""
    seen: list[str] = []
    real = fast.run

    def spy(*args: Any, **kwargs: Any) -> int:
        try:
            n = real(*args, **kwargs)
        except fast.NotFast:
            seen.append("stopped")
            raise
        seen.append("written")
        return n

    monkeypatch.setattr(fast, "run", spy)
    return seen


def both(monkeypatch: pytest.MonkeyPatch, argv: list[str],
         out: Path) -> tuple[tuple[str, str, int, bytes], tuple[str, str, int, bytes]]:
    """(stdout, stderr, exit code, output bytes) with the one pass, then with the robust path."""
    results = []
    for one_pass in (True, False):
        monkeypatch.setattr(eval_sql, "ONE_PASS", one_pass)
        if out.exists():
            out.unlink()
        stdout, stderr, code = run([*argv, "--output", str(out)])
        results.append((stdout, stderr, code, out.read_bytes() if out.exists() else b""))
        assert not [p for p in out.parent.iterdir() if p.name.endswith(".part")]
    return results[0], results[1]


def good_records(n: int) -> list[dict[str, Any]]:
    """Valid records: every GOOD value in turn, some facts missing, ids on some."""
    out = []
    for i in range(n):
        r = {k: v[(i * (j + 1)) % len(v)] for j, (k, v) in enumerate(GOOD.items())
             if (i + j) % 7}
        r["stones"] = 1 + i % 3  # no division by zero
        out.append(r)
    return out


@pytest.mark.parametrize("kind", list(WRITERS))
@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_the_pass_writes_what_the_robust_path_writes(policies: Path, monkeypatch:
                                                     pytest.MonkeyPatch, taken: list[str],
                                                     kind: str, fmt: str) -> None:
    data = policies.parent / f"lots.{kind}"
    WRITERS[kind](data, good_records(200)) if kind != "jsonl" else \
        data.write_text("".join(json.dumps(r) + "\n" for r in good_records(200)), "utf-8")
    argv = ["eval", str(policies), "--cases", str(data), "--format", fmt, *TERMS]
    got, want = both(monkeypatch, argv, policies.parent / f"out.{fmt}")
    assert taken == ["written"]
    assert got == want and want[2] == 0 and want[1] == "evaluated 200 records\n"
    if fmt == "parquet":  # parquet files hold their writer's name and version: compare rows
        return
    assert len(want[3].splitlines()) == 200 + (fmt == "csv")


def test_the_pass_compiles_no_python_code(policies: Path, monkeypatch: pytest.MonkeyPatch,
                                          taken: list[str]) -> None:
    """The one pass needs only the vocabulary and the layout: the evaluator's generated Python
    (its functions, validator and acceptor) is compiled at its first use, which never comes."""
    import kprules.eval.evaluate as evaluate

    made: list[str] = []
    for name in ("Compiled", "compile_validator", "compile_acceptor"):
        real = getattr(evaluate, name)
        monkeypatch.setattr(evaluate, name, lambda *a, _n=name, _r=real, **k: (
            made.append(_n), _r(*a, **k))[1])
    data = policies.parent / "lots.parquet"
    WRITERS["parquet"](data, good_records(50))
    out = policies.parent / "out.csv"
    stdout, stderr, code = run(["eval", str(policies), "--cases", str(data), "--format", "csv",
                                *TERMS, "--output", str(out)])
    assert (taken, made, code, stdout, stderr) == (["written"], [], 0, "",
                                                   "evaluated 50 records\n")
    # the spies see what the Python engine compiles
    assert run(["eval", str(policies), "--cases", str(data), "--format", "csv", *TERMS[2:],
                "--engine", "python", "--output", str(out)])[2] == 0
    assert made == ["Compiled"]


def shuffled_records(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Valid records drawn at random (no period a shifted block of rows could hide behind),
    without ids: a record's case in the output is its number."""
    rnd = random.Random(seed)
    return [{k: rnd.choice(v) for k, v in GOOD.items() if k != "stones" and rnd.random() < 0.8}
            | {"stones": rnd.choice([1, 3])} for _ in range(n)]


@pytest.mark.parametrize("kind", list(WRITERS))
def test_zero_weights_and_values_do_not_stop_the_pass(policies: Path, monkeypatch:
                                                      pytest.MonkeyPatch, taken: list[str],
                                                      kind: str) -> None:
    """`0.0` is common data (a weight rounded to two places): the pass takes it. (Leaving
    every JSON `0.0` to Python's check, for the rare `1e-400` that DuckDB reads as 0, made the
    benchmark's JSON Lines run ten times slower.)"""
    recs = [dict(r, weight=0.0, value=0.0) for r in good_records(50)]
    data = policies.parent / f"zeros.{kind}"
    WRITERS[kind](data, recs) if kind != "jsonl" else \
        data.write_text("".join(json.dumps(r) + "\n" for r in recs), "utf-8")
    argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", *TERMS]
    got, want = both(monkeypatch, argv, policies.parent / "out.csv")
    assert taken == ["written"] and got == want and want[2] == 0


@pytest.mark.parametrize(("text", "lines"), [
    (b"", 0), (b"a", 1), (b"a\n", 1), (b"a\n\n\n", 1), (b"a\r\n\r\n", 1), (b"\n\n", 0),
    (b"h\na\n\nb\n", 4), (b"h\na\nb", 3), (b"h\na\nb\n" + b"\n" * 10_000, 3)])
def test_lines_are_counted_up_to_the_last_that_is_not_empty(tmp_path: Path, text: bytes,
                                                            lines: int) -> None:
    from kprules.core.files import count_lines

    (tmp_path / "f").write_bytes(text)
    assert count_lines(tmp_path / "f") == lines


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=40).map(lambda b: bytes(b"\r\na"[x % 3] for x in b)),
       st.integers(1, 7))
def test_a_lone_carriage_return_is_found_across_chunks(tmp_path: Path, text: bytes,
                                                        chunk: int) -> None:
    """A carriage return not before a line feed and not the file's last byte, whichever
    chunks the file is read in."""
    from kprules.core.files import has_lone_carriage_return

    want = any(c == 13 and i + 1 < len(text) and text[i + 1] != 10 for i, c in enumerate(text))
    (tmp_path / "f").write_bytes(text)
    assert has_lone_carriage_return(tmp_path / "f", chunk) == want


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_empty_lines_at_the_end_keep_the_pass(policies: Path, monkeypatch: pytest.MonkeyPatch,
                                              taken: list[str], kind: str) -> None:
    """Empty lines after the last record number no record: the pass writes the file, lines
    included (JSON Lines output), as the robust path and the Python readers do."""
    recs, data = good_records(20), policies.parent / f"trailing.{kind}"
    if kind == "jsonl":
        data.write_text("".join(json.dumps(r) + "\n" for r in recs) + "\n\n", "utf-8")
    else:
        WRITERS["csv"](data, recs)
        data.write_bytes(data.read_bytes() + b"\r\n\r\n")
    argv = ["eval", str(policies), "--cases", str(data), "--format", "json", *TERMS]
    got, want = both(monkeypatch, argv, policies.parent / "out.jsonl")
    assert taken == ["written"] and got == want and want[2] == 0


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_a_file_read_in_parallel_keeps_its_order(policies: Path, monkeypatch:
                                                 pytest.MonkeyPatch, taken: list[str],
                                                 kind: str) -> None:
    """The one pass reads on every thread and numbers records afterwards (by `rowid` of the
    evaluated table): on a file of many read_json buffers, CSV blocks or Parquet row groups,
    each record keeps its number and values, as on the robust path (numbered as it reads)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    recs, data = shuffled_records(150_000), policies.parent / f"many.{kind}"
    if kind == "jsonl":
        data.write_text("".join(json.dumps(r) + "\n" for r in recs), "utf-8")
    elif kind == "csv":
        WRITERS["csv"](data, recs)
    else:
        cols = {k: [r.get(k) for r in recs] for k in ["rough", "buyer", "origin", "stones"]}
        pq.write_table(pa.table(cols), data, row_group_size=2_000)
    argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", *TERMS]
    got, want = both(monkeypatch, argv, policies.parent / "out.csv")
    assert taken == ["written"] and want[2] == 0
    assert got == want and len(want[3].splitlines()) == 150_001


def lines_after_sample(last: str, n: int = fast.JSON_SAMPLE + 20) -> str:
    """`n` valid lines (beyond read_json's sample), then `last`."""
    line = json.dumps({"rough": True, "buyer": "rebel", "origin": "CF", "day": "2020-01-01"})
    return (line + "\n") * n + last + "\n"


STOPS: dict[str, Callable[[], str]] = {
    "an unknown key after the sample": lambda: lines_after_sample('{"colour": "red"}'),
    "a fact first seen after the sample": lambda: lines_after_sample('{"stones": 2}'),
    "a type change after the sample": lambda: lines_after_sample('{"rough": "yes"}'),
    "a number where a flag was": lambda: lines_after_sample('{"rough": 1}'),
    "a bad enum value": lambda: '{"buyer": "rebel"}\n{"buyer": "rebels"}\n',
    "a bad country": lambda: '{"origin": "CF"}\n{"origin": "cf"}\n',
    "a blank line": lambda: '{"rough": true}\n\n{"rough": false}\n',
    "a line that is not an object": lambda: '{"rough": true}\n[1, 2]\n',
    "a key given twice": lambda: '{"rough": true}\n{"rough": true, "rough": false}\n',
    "an id that is not text": lambda: '{"id": "a"}\n{"id": true}\n',
    "a division by zero": lambda: '{"weight": 1, "stones": 2}\n{"weight": 1, "stones": 0}\n',
    "not JSON": lambda: '{"rough": true}\n{"rough": tru\n',
}


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("case", list(STOPS))
def test_what_stops_the_pass_falls_back(policies: Path, monkeypatch: pytest.MonkeyPatch,
                                        taken: list[str], case: str, fmt: str) -> None:
    data = policies.parent / "lots.jsonl"
    data.write_text(STOPS[case](), encoding="utf-8")
    argv = ["eval", str(policies), "--cases", str(data), "--format", fmt, *TERMS,
            "--max-errors", "1000"]
    got, want = both(monkeypatch, argv, policies.parent / f"out.{fmt}")
    assert got == want
    blank_csv = case == "a blank line" and fmt == "csv"  # numbered as Python numbers them
    assert taken == (["written"] if blank_csv else ["stopped"])


def test_an_id_and_blank_lines_in_the_pass(policies: Path, monkeypatch: pytest.MonkeyPatch,
                                           taken: list[str]) -> None:
    """Blank lines are not records: record numbers skip them, as the Python reader's do."""
    data = policies.parent / "lots.jsonl"
    data.write_text('{"id": "first", "rough": true}\n\n  \n{"rough": false}\n{"id": 7}\n',
                    encoding="utf-8")
    argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", "--term", "conflict",
            "--engine", "duckdb"]
    got, want = both(monkeypatch, argv, policies.parent / "out.csv")
    assert taken == ["written"] and got == want
    assert got[3].decode().splitlines()[1:] == ["first,,", "2,,false", "7,,"]
    python = run([*argv, "--engine", "python"])
    assert python[0] == got[3].decode()


def test_a_stopped_pass_leaves_the_output_alone(policies: Path, tmp_path: Path) -> None:
    import kprules

    data = tmp_path / "lots.jsonl"
    data.write_text('{"rough": true}\n{"buyer": "nobody"}\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("before\n", encoding="utf-8")
    lib = kprules.load(policies)
    ev = lib.evaluator([("rules", "conflict")])
    before = sorted(tmp_path.iterdir())
    with pytest.raises(fast.NotFast):
        fast.one_pass(data, "jsonl", ev.vocabulary, ev.layout, None, out, "csv")
    assert out.read_text(encoding="utf-8") == "before\n"
    assert sorted(tmp_path.iterdir()) == before
    data.write_text('{"rough": true}\n', encoding="utf-8")
    assert fast.one_pass(data, "jsonl", ev.vocabulary, ev.layout, None, out, "csv") == 1
    assert out.read_text(encoding="utf-8") == "case,as_of,rules.conflict\n1,,\n"
    assert sorted(tmp_path.iterdir()) == before


# ----------------------------------------------------------------------------- generated files


def _record(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(list(GOOD)), unique=True))
    r: dict[str, Any] = {k: draw(st.sampled_from(GOOD[k])) for k in keys}
    if draw(st.integers(0, 9)) == 0:
        k = draw(st.sampled_from(list(BAD)))
        r[k] = draw(st.sampled_from(BAD[k]))
    elif draw(st.integers(0, 9)) == 0:
        k = draw(st.sampled_from(list(ODD)))
        r[k] = draw(st.sampled_from(ODD[k]))
    if draw(st.booleans()):
        r["id"] = draw(st.sampled_from(["a", "b-1", 3, None]))
    return r


@st.composite
def files(draw: st.DrawFn) -> list[dict[str, Any]]:
    return draw(st.lists(st.composite(_record)(), min_size=1, max_size=12))


# How a JSON Lines file is written: separators, escapes, line ends, a byte order mark, numbers
# in other spellings (an exponent, more digits than a double holds), spaces around a record.
STYLES = st.fixed_dictionaries({
    "separators": st.sampled_from([(", ", ": "), (",", ":"), (" ,", " : ")]),
    "ascii": st.booleans(), "end": st.sampled_from(["\n", "\r\n"]), "bom": st.booleans(),
    "numbers": st.sampled_from([{}, {"0.5": "5E-1", "2.75": "0.275e1"},
                                {"0.25": "0.2500000000000000000001"}]),
    "padded": st.booleans()})


def write_styled(path: Path, recs: list[dict[str, Any]], style: dict[str, Any]) -> None:
    lines = []
    for r in recs:
        line = json.dumps(r, separators=style["separators"], ensure_ascii=style["ascii"])
        for plain, other in style["numbers"].items():
            line = line.replace(f"{style['separators'][1]}{plain}",
                                f"{style['separators'][1]}{other}")
        lines.append(f" {line}\t" if style["padded"] else line)
    text = "".join(line + style["end"] for line in lines)
    path.write_bytes((("\ufeff" if style["bom"] else "") + text).encode("utf-8"))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recs=files(), kind=st.sampled_from(list(WRITERS)),
       fmt=st.sampled_from(["csv", "json", "parquet"]), style=STYLES)
def test_generated_files(policies: Path, monkeypatch: pytest.MonkeyPatch,
                         recs: list[dict[str, Any]], kind: str, fmt: str,
                         style: dict[str, Any]) -> None:
    data = policies.parent / f"gen.{kind}"
    if kind == "jsonl":
        write_styled(data, recs, style)
    else:
        WRITERS[kind](data, recs)
    argv = ["eval", str(policies), "--cases", str(data), "--format", fmt, *TERMS,
            "--max-errors", "1000"]
    got, want = both(monkeypatch, argv, policies.parent / f"gen-out.{fmt}")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert got[:3] == want[:3]
        if want[3]:
            monkeypatch.setattr(eval_sql, "ONE_PASS", True)
            run([*argv, "--output", str(policies.parent / "a.parquet")])
            monkeypatch.setattr(eval_sql, "ONE_PASS", False)
            run([*argv, "--output", str(policies.parent / "b.parquet")])
            assert pq.read_table(policies.parent / "a.parquet").to_pylist() == \
                pq.read_table(policies.parent / "b.parquet").to_pylist()
        return
    assert got == want


# ----------------------------------------------------------------------------- the pieces


ENUM_VALUES = ("rebel", "state", "company")
TYPES: dict[str, Type] = {"bool": BOOL, "integer": INTEGER, "decimal": DECIMAL,
                          "date": DATE, "country": COUNTRY}

class Number(str):
    """A JSON number written as these digits."""


json_values = st.one_of(
    st.booleans(), st.none(), st.integers(-2**70, 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(0, 20).flatmap(lambda p: st.decimals(allow_nan=False, allow_infinity=False,
                                                     places=p)).map(lambda d: Number(str(d))),
    st.sampled_from(["CF", "RU", "cf", "XX", "rebel", "2020-01-01", "2020-02-30", "true", "1",
                     "", "a\\b", "é", "\"q\"", "C\u0046"]),
    st.lists(st.sampled_from(["CF", "RU", "XX"]), max_size=3),
)


def _as_json(v: Any) -> str:
    """A JSON text; a `Number` as it is written (decimal digits, an exponent)."""
    return str(v) if isinstance(v, Number) else json.dumps(v)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(json_values, min_size=1, max_size=20))
def test_json_typed_takes_what_json_fact_takes(values: list[Any]) -> None:
    """For a present value, `json_typed` is not NULL exactly when `json_fact` accepts it, and
    then it is the same value; on the JSON text `read_json` gives, which is `json_transform`'s."""
    con = duckdb.connect()
    lines = [json.dumps({"v": None}).replace("null", _as_json(v)) for v in values]
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES " +
                ", ".join(f"({i}, {fast.DUCKDB.string(s)})" for i, s in enumerate(lines))
                + ") AS x(i, line)")
    types = {**TYPES, "enum": _enum()}
    for name, t in types.items():
        typed, ok, present = json_fact("v", t)
        rows = con.execute(
            f"SELECT i, {typed}, {ok}, {present}, {json_typed('v', t)} FROM (SELECT i, "
            "json_transform(line, '{\"v\": \"JSON\"}').v AS v FROM t) ORDER BY i").fetchall()
        for i, want, accepted, given_, got in rows:
            if given_:
                assert (got is not None) == bool(accepted), (name, lines[i])
                assert got == (want if accepted else None), (name, lines[i])


def _enum() -> Type:
    from kprules.ir.types import EnumType

    return EnumType("actor", ENUM_VALUES)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(json_values, min_size=1, max_size=20))
def test_read_json_gives_json_transforms_texts(tmp_path: Path, values: list[Any]) -> None:
    path = tmp_path / "v.jsonl"
    lines = [json.dumps({"v": None}).replace("null", _as_json(v)) for v in values]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    con = duckdb.connect()
    got = [r[0] for r in con.execute(
        f"SELECT CAST(v AS VARCHAR) FROM read_json('{path}', format='newline_delimited', "
        "maximum_depth=1)").fetchall()]
    want = [con.execute("SELECT CAST(json_transform(?, '{\"v\": \"JSON\"}').v AS VARCHAR)",
                        [line]).fetchone()[0] for line in lines]
    if set(got) != {None}:  # all null: no column `v` to compare
        assert got == want


def test_a_linked_output_ends_as_on_the_robust_path(policies: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   taken: list[str]) -> None:
    """The pass and the robust path end the same way on a symbolic link given as the output."""
    data = tmp_path / "lots.jsonl"
    data.write_text('{"rough": true}\n', encoding="utf-8")
    ends = []
    for one_pass in (True, False):
        monkeypatch.setattr(eval_sql, "ONE_PASS", one_pass)
        target, link = tmp_path / "target.csv", tmp_path / "link.csv"
        target.write_text("before\n", encoding="utf-8")
        link.unlink(missing_ok=True)
        link.symlink_to(target)
        argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", "--term",
                "conflict", "--engine", "duckdb", "--output", str(link)]
        ends.append((run(argv), link.is_symlink(), link.read_text(encoding="utf-8"),
                     target.read_text(encoding="utf-8")))
    assert taken == ["written"] and ends[0] == ends[1]
    assert ends[0][2] == "case,as_of,rules.conflict\n1,,\n"


@pytest.mark.parametrize("one_pass", [True, False])
def test_parquet_output_in_file_order(policies: Path, monkeypatch: pytest.MonkeyPatch,
                                      one_pass: bool) -> None:
    """Many row groups, read by parallel threads: the output keeps the file's order (numbering
    by read_parquet's file_row_number let DuckDB write the robust path's rows out of order)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 60_000
    data = policies.parent / "many.parquet"
    pq.write_table(pa.table({"rough": [i % 3 == 0 for i in range(n)],
                             "origin": [["CF", "BW", "XX"][i % 3] if i == n - 1 else
                                        ["CF", "BW"][i % 2] for i in range(n)]}),
                   data, row_group_size=500)
    monkeypatch.setattr(eval_sql, "ONE_PASS", one_pass)
    out = policies.parent / "many.csv"
    run(["eval", str(policies), "--cases", str(data), "--format", "csv", "--term", "conflict",
         "--engine", "duckdb", "--skip-invalid", "--output", str(out)])
    cases = [line.split(",")[0] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert cases == [str(i) for i in range(1, n)]  # the last record's origin is invalid
