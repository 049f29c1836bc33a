"""Kept plans of `kprules eval` (kprules.cli.plan_cache, kprules.sql.plan_json) and the
private cache that keeps them (kprules.core.private_cache): a kept plan gives the bytes the
first run wrote without reading the policies; any change to what made it, a plan that stops, a
damaged or foreign file, or a folder open to others, and the policies are read as always."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

import kprules.cli.eval_cmd as eval_cmd  # noqa: E402
from kprules.core import private_cache  # noqa: E402
from kprules.ir.types import (  # noqa: E402
    BOOL,
    COUNTRY,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    EnumType,
    Quantity,
    SetType,
)
from kprules.sql.fast import Plan, fact_types, make_plan  # noqa: E402
from kprules.sql.plan_json import decode, encode  # noqa: E402

from .test_eval_engine import WRITERS, run  # noqa: E402
from .test_fast import TERMS, good_records  # noqa: E402

NAME = "plan-" + "ab" * 32


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.delenv(private_cache.ENV_OFF, raising=False)
    monkeypatch.setenv(private_cache.ENV_DIR, str(folder))
    return folder


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time `kprules eval` read and checked the policies."""
    seen: list[int] = []
    real = eval_cmd.open_library  # type: ignore[attr-defined]

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(eval_cmd, "open_library", spy)
    return seen


def plans(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.startswith("plan-")) \
        if cache.exists() else []


def command(policies: Path, data: Path, out: Path, fmt: str = "csv") -> list[str]:
    return ["eval", str(policies.parent / "lots.kpr"), str(policies), "--cases", str(data),
            "--format", fmt, *TERMS, "--no-seeds", "--output", str(out)]


def write(policies: Path, kind: str, records: list[dict[str, Any]], name: str = "lots") -> Path:
    data = policies.parent / f"{name}.{kind}"
    if kind == "jsonl":
        data.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    else:
        WRITERS[kind](data, records)
    return data


def contents(path: Path) -> Any:
    if path.suffix == ".parquet":
        return duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_a_kept_plan_writes_what_the_first_run_wrote(policies: Path, cache: Path,
                                                     loads: list[int], kind: str,
                                                     fmt: str) -> None:
    data = write(policies, kind, good_records(120))
    out = policies.parent / f"out.{fmt}"
    first = run(command(policies, data, out, fmt))
    written = contents(out)
    out.unlink()
    assert first == ("", "evaluated 120 records\n", 0) and len(plans(cache)) == 1
    assert run(command(policies, data, out, fmt)) == first
    assert contents(out) == written and loads == [1]  # the second run read no policy
    assert oct(cache.stat().st_mode & 0o777) == "0o700"


def test_a_changed_policy_or_option_makes_another_plan(policies: Path, cache: Path,
                                                       loads: list[int]) -> None:
    data = write(policies, "jsonl", good_records(30))
    out = policies.parent / "out.csv"
    assert run(command(policies, data, out))[2] == 0
    policies.write_text(policies.read_text("utf-8") + "# a comment\n", "utf-8")
    assert run(command(policies, data, out))[2] == 0
    assert run([*command(policies, data, out), "--as-of", "2024-01-01"])[2] == 0
    assert run(command(policies, data, out, "json"))[2] == 0
    assert loads == [1, 1, 1, 1] and len(plans(cache)) == 4


def test_a_module_found_by_searching_is_looked_for_again(policies: Path, cache: Path,
                                                       loads: list[int]) -> None:
    """rules.kpr alone reads its vocabulary from the project's folder: the plan is used only
    while that search finds the same file, unchanged."""
    data = write(policies, "jsonl", good_records(30))
    out = policies.parent / "out.csv"
    argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", *TERMS,
            "--no-seeds", "--output", str(out)]
    first = run(argv), contents(out)
    assert first[0][2] == 0 and len(plans(cache)) == 1
    assert (run(argv), contents(out)) == first and loads == [1]  # kept, and used
    vocabulary = policies.parent / "lots.kpr"
    text = vocabulary.read_text("utf-8")
    vocabulary.write_text(text + "# changed\n", "utf-8")
    assert (run(argv), contents(out)) == first and loads == [1, 1]  # read again
    assert (run(argv), contents(out)) == first and loads == [1, 1]  # and kept again
    (policies.parent / "a_first.kpr").write_text(text, "utf-8")  # found first, now
    vocabulary.unlink()
    assert (run(argv), contents(out)) == first and loads == [1, 1, 1]


def test_a_file_changed_while_the_command_runs_makes_no_plan_of_the_wrong_text(
        policies: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A policy given changed after the plan is named, before it is read: no plan. A module
    found by searching changed after it is read: the plan keeps the digest of the text read,
    so the next run, which finds the new text, reads the policies again."""
    data = write(policies, "jsonl", good_records(30))
    out = policies.parent / "out.csv"
    vocabulary = policies.parent / "lots.kpr"
    real = eval_cmd.open_library  # type: ignore[attr-defined]
    before: list[Path] = []
    after: list[Path] = []
    loads: list[int] = []

    def touch(path: Path) -> None:
        path.write_text(path.read_text("utf-8") + "# changed\n", "utf-8")

    def changing(*args: Any, **kwargs: Any) -> Any:
        loads.append(1)
        for path in before:
            touch(path)
        lib = real(*args, **kwargs)
        for path in after:
            touch(path)
        before.clear()
        after.clear()
        return lib

    monkeypatch.setattr(eval_cmd, "open_library", changing)
    before.append(policies)
    assert run(command(policies, data, out))[2] == 0 and plans(cache) == []
    argv = ["eval", str(policies), "--cases", str(data), "--format", "csv", *TERMS,
            "--no-seeds", "--output", str(out)]
    after.append(vocabulary)
    assert run(argv)[2] == 0 and len(plans(cache)) == 1 and loads == [1, 1]
    assert run(argv)[2] == 0 and loads == [1, 1, 1]  # the vocabulary is not the text read
    assert run(argv)[2] == 0 and loads == [1, 1, 1]  # kept again, now with its text


def test_no_plan_for_a_policy_given_by_name_or_for_project_seeds(
        policies: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = write(policies, "jsonl", good_records(30))
    out = policies.parent / "out.csv"
    monkeypatch.chdir(policies.parent)
    by_name = ["eval", "rules", "--cases", str(data), "--format", "csv", *TERMS, "--no-seeds",
               "--output", str(out)]
    with_seeds = ["eval", str(policies.parent / "lots.kpr"), str(policies), "--cases",
                  str(data), "--format", "csv", *TERMS, "--output", str(out)]
    assert run(by_name)[2] == 0 and run(with_seeds)[2] == 0
    assert plans(cache) == []


def test_a_plan_that_stops_hands_over_to_the_robust_path(policies: Path, cache: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         loads: list[int]) -> None:
    good = write(policies, "jsonl", good_records(30))
    out = policies.parent / "out.csv"
    assert run(command(policies, good, out))[2] == 0
    records = good_records(30)
    records[7]["stones"] = "three"  # not an integer
    bad = write(policies, "jsonl", records, "bad")
    got = run(command(policies, bad, out)), contents(out)
    monkeypatch.setenv(private_cache.ENV_OFF, "1")
    out.unlink()
    want = run(command(policies, bad, out)), contents(out)
    assert got == want and want[0][2] == 1 and "KP4" in want[0][1]
    assert loads == [1, 1, 1]


def test_a_damaged_plan_is_not_run(policies: Path, cache: Path, loads: list[int]) -> None:
    data = write(policies, "jsonl", good_records(30))
    out = policies.parent / "out.csv"
    first = run(command(policies, data, out)), contents(out)
    plan = cache / plans(cache)[0]
    body = bytearray(plan.read_bytes())
    body[-3] ^= 1
    plan.write_bytes(bytes(body))
    assert (run(command(policies, data, out)), contents(out)) == first
    assert loads == [1, 1]


# ----------------------------------------------------------------------------- the cache


def test_kept_bytes_come_back(cache: Path) -> None:
    private_cache.put(NAME, b"some bytes")
    assert private_cache.get(NAME) == b"some bytes"
    assert private_cache.get("plan-" + "cd" * 32) is None
    assert {p.name for p in cache.iterdir()} == {"key", NAME}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in cache.iterdir())


@pytest.mark.parametrize("name", ["plan", "../plan-" + "ab" * 32, "key", "PLAN-" + "ab" * 32])
def test_only_plain_names(cache: Path, name: str) -> None:
    private_cache.put(name, b"x")
    assert private_cache.get(name) is None and not cache.exists()


def test_bytes_under_another_key_are_refused(cache: Path) -> None:
    private_cache.put(NAME, b"some bytes")
    (cache / "key").unlink()
    private_cache.put("plan-" + "cd" * 32, b"other")  # a new key
    assert private_cache.get(NAME) is None
    assert private_cache.get("plan-" + "cd" * 32) == b"other"


@pytest.mark.parametrize("what", ["folder", "key", "entry"])
def test_nothing_is_read_from_files_open_to_others(cache: Path, what: str) -> None:
    private_cache.put(NAME, b"some bytes")
    path = {"folder": cache, "key": cache / "key", "entry": cache / NAME}[what]
    os.chmod(path, 0o755 if what == "folder" else 0o644)
    assert private_cache.get(NAME) is None
    private_cache.put(NAME, b"other")
    if what == "folder":  # nor written there
        os.chmod(path, 0o700)
        assert private_cache.get(NAME) == b"some bytes"


def test_a_linked_folder_is_not_used(cache: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    private_cache.put(NAME, b"some bytes")
    link = tmp_path / "link"
    link.symlink_to(cache, target_is_directory=True)
    monkeypatch.setenv(private_cache.ENV_DIR, str(link))
    assert private_cache.get(NAME) is None


def test_the_entries_used_least_recently_go_first(cache: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(private_cache, "MAX_ENTRIES", 3)
    names = [f"plan-{i:064x}" for i in range(5)]
    for i, name in enumerate(names[:3]):
        private_cache.put(name, b"x")
        os.utime(cache / name, (1000 + i, 1000 + i))
    assert private_cache.get(names[0]) == b"x"  # used: now the newest
    (cache / ".old.part").write_bytes(b"cut short")
    os.utime(cache / ".old.part", (1000, 1000))
    private_cache.put(names[3], b"x")
    private_cache.put(names[4], b"x")
    assert plans(cache) == sorted([names[0], names[3], names[4]])
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith("plan-")) == ["key"]


def test_no_home_folder_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (private_cache.ENV_OFF, private_cache.ENV_DIR, "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)

    def nowhere() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", nowhere)
    assert private_cache.folder() is None and private_cache.get(NAME) is None


def test_the_cache_can_be_turned_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(private_cache.ENV_OFF, "1")
    private_cache.put(NAME, b"x")
    assert private_cache.folder() is None and private_cache.get(NAME) is None
    assert not cache.exists()


# ----------------------------------------------------------------------------- plans as JSON


@pytest.mark.parametrize("data_fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("out_fmt", ["csv", "json", "parquet"])
def test_a_plan_comes_back_whole(policies: Path, data_fmt: str, out_fmt: str) -> None:
    import kprules

    lib = kprules.load(policies.parent / "lots.kpr", policies)
    ev = lib.evaluator([("rules", t) for t in lib["rules"].terms])
    plan = make_plan(fact_types(ev.vocabulary), ev.layout, None, ev.vocabulary.dated_by,
                     data_fmt, out_fmt)
    assert decode(encode(plan)) == plan
    assert plan.sql.count(plan.slot) == 1


@given(st.binary(max_size=200))
def test_any_bytes_decode_to_nothing_or_a_plan(data: bytes) -> None:
    assert decode(data) is None


_names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
_scalars = st.one_of(st.sampled_from([BOOL, INTEGER, DECIMAL, DATE, COUNTRY, TEXT]),
                     st.sampled_from(["ct", "g", "usd"]).map(Quantity),
                     st.builds(EnumType, _names, st.lists(_names, min_size=1, max_size=5)
                               .map(tuple)))
_types = st.one_of(_scalars, st.one_of(st.just(COUNTRY), _scalars.filter(
    lambda t: isinstance(t, EnumType))).map(SetType))


@given(facts=st.dictionaries(_names, _types, max_size=8), sql=st.text(), select=st.text(),
       divides=st.booleans(), data_fmt=st.sampled_from(["jsonl", "csv", "parquet"]),
       out_fmt=st.sampled_from(["csv", "json", "parquet"]))
def test_any_plan_comes_back_whole(facts: dict[str, Any], sql: str, select: str,
                                   divides: bool, data_fmt: str, out_fmt: str) -> None:
    plan = Plan(facts, sql, "__slot__", divides, select, data_fmt, out_fmt)
    assert decode(encode(plan)) == plan


@given(at=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_is_refused(tmp_path_factory: pytest.TempPathFactory, at: int,
                                    bit: int) -> None:
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(private_cache.ENV_OFF, raising=False)
        mp.setenv(private_cache.ENV_DIR, str(folder))
        private_cache.put(NAME, b'{"format": "kprules-kept-plan-1"}')
        entry = bytearray((folder / NAME).read_bytes())
        entry[at % len(entry)] ^= 1 << bit
        (folder / NAME).write_bytes(bytes(entry))
        assert private_cache.get(NAME) is None


def _doc() -> dict[str, Any]:
    return {"format": "kprules-plan-1", "facts": {"x": "bool", "c": {"set": "country"},
            "e": {"enum": "kind", "values": ["a", "b"]}, "w": {"unit": "ct"}},
            "sql": "SELECT", "slot": "s", "divides": False, "select": "*",
            "data_fmt": "jsonl", "out_fmt": "csv"}


@pytest.mark.parametrize("change", [
    {"format": "kprules-plan-0"}, {"divides": 0}, {"sql": 1}, {"facts": {"x": "money"}},
    {"facts": {"x": {"enum": "kind", "values": [1]}}}, {"facts": ["x"]},
    {"facts": {"x": {"set": "bool", "more": 1}}}])
def test_a_plan_of_another_shape_is_none(change: dict[str, Any]) -> None:
    good = json.dumps(_doc()).encode()
    assert decode(good) is not None
    assert decode(json.dumps(_doc() | change).encode()) is None
    doc = _doc()
    del doc["select"]
    assert decode(json.dumps(doc).encode()) is None


def test_a_kept_run_imports_no_reader_checker_or_writer(policies: Path, cache: Path) -> None:
    """What a kept plan skips, its process does not import either: the policies' parser and
    checker, the case readers, the Python writers and values (the start of a kept run is most
    of its time over a small file; the writers alone were 9 ms of 180)."""
    import subprocess
    import sys

    data = write(policies, "parquet", good_records(50))
    argv = command(policies, data, policies.parent / "out.csv")
    assert run(argv)[2] == 0 and len(plans(cache)) == 1
    skipped = ("kprules.syntax.parse", "kprules.checker", "kprules.cases", "kprules.eval.evaluate",
               "kprules.cli.eval_write", "kprules.ir.values")
    probe = ("import sys\nfrom kprules.cli import main\n"
             f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
             f"print([m for m in {skipped!r} if m in sys.modules], file=sys.stderr)")
    env = {**os.environ, private_cache.ENV_DIR: str(cache)}
    env.pop(private_cache.ENV_OFF, None)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=True)  # the working folder is in the key
    assert done.stderr.splitlines() == ["evaluated 50 records", "[]"], done.stderr
