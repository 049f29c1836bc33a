"""The grammar: it builds under Lark's strict mode, it is opened in one place only, and the parser
cache can make a start faster but never break it."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import pytest
from lark import Lark

from kprules.syntax import grammar
from kprules.syntax.grammar import (
    build_parser,
    cache_folder,
    cache_key,
    cached_parser,
    grammar_text,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "robustness" / "fixtures" / "core.kpr"


def test_grammar_builds_in_strict_mode() -> None:
    """Strict mode raises on any shift/reduce conflict and on any regex collision."""
    strict = build_parser(strict=True)
    assert strict.options.strict
    assert strict.parse(FIXTURE.read_text(encoding="utf-8")).data == "start"


def test_grammar_is_opened_only_by_grammar_text() -> None:
    """No module but kprules/syntax/grammar.py names the grammar file or builds a Lark parser."""
    pattern = re.compile(r"kprules\.lark|_grammar\b|GRAMMAR_FILE|\bLark\(|open_from_package|"
                         r"\.lark[\"']")
    offenders = []
    for path in sorted((ROOT / "kprules").rglob("*.py")):
        if path.relative_to(ROOT).as_posix() == "kprules/syntax/grammar.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_grammar_text_reads_the_one_grammar() -> None:
    text = grammar_text()
    assert text.startswith("// kprules.lark: the one grammar of the kprules language.")
    assert text == (ROOT / "grammar" / "kprules.lark").read_text(encoding="utf-8")


# ------------------------------------------------------------------ the parser cache


def _trees_equal(a: Lark, b: Lark) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    assert a.parse(text) == b.parse(text)


class _NoBuild(Lark):
    """A Lark that refuses to be built from a grammar: only `Lark.load` can make one."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the parser was rebuilt instead of loaded from the cache")


def test_cache_is_written_once_then_loaded(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first = cached_parser(tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"parser-{cache_key(grammar_text())}.pickle"]
    monkeypatch.setattr(grammar, "Lark", _NoBuild)
    second = cached_parser(tmp_path)
    assert isinstance(second, _NoBuild)
    _trees_equal(first, second)
    assert second.options.keep_all_tokens and second.options.maybe_placeholders


CORRUPTIONS = ["empty", "garbage", "header only", "truncated", "another pickle", "wrong key"]


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_a_corrupt_or_stale_cache_is_ignored_and_rewritten(
        tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    good = cached_parser(tmp_path)
    [path] = tmp_path.iterdir()
    whole = path.read_bytes()
    header = whole.split(b"\n", 1)[0] + b"\n"
    corrupt = {
        "empty": b"",
        "garbage": b"\x00\xff not a cache at all",
        "header only": header,
        "truncated": whole[: len(whole) // 2],
        "another pickle": header + pickle.dumps({"data": {}, "memo": {}}),
        "wrong key": header.replace(cache_key(grammar_text()).encode(), b"0" * 32)
        + whole[len(header):],
    }[kind]
    path.write_bytes(corrupt)
    again = cached_parser(tmp_path)
    _trees_equal(good, again)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    monkeypatch.setattr(grammar, "Lark", _NoBuild)
    _trees_equal(good, cached_parser(tmp_path))  # the rewritten file is a whole, good cache


def test_an_unwritable_cache_folder_costs_nothing_but_time(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    parser = cached_parser(blocker / "kprules")
    _trees_equal(parser, build_parser())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    cached_parser(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_no_cache_folder_means_no_cache() -> None:
    _trees_equal(cached_parser(None), build_parser())


def test_cache_folder_is_the_users_never_the_package(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "kprules"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_folder() == tmp_path / "home" / ".cache" / "kprules"
    package = Path(grammar.__file__).resolve().parent
    assert package not in (cache_folder() or package).parents


def test_cache_key_changes_with_the_grammar() -> None:
    text = grammar_text()
    assert cache_key(text) != cache_key(text + "\n// changed")
    assert cache_key(text) == cache_key(text)
