"""The grammar: it builds under Lark's strict mode, it is opened in one place only, and the parser
comes from tables shipped as JSON data (never from a pickle, never from the user's cache folder)."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import lark
import pytest
from lark import Lark

from kprules.syntax import grammar
from kprules.syntax.grammar import (
    TABLES_FILE,
    build_parser,
    grammar_text,
    load_tables,
    serialise_tables,
    tables_key,
    tables_path,
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


# ------------------------------------------------------------------ the shipped parse tables


def _trees_equal(a: Lark, b: Lark) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    assert a.parse(text) == b.parse(text)


def test_shipped_tables_are_the_grammars() -> None:
    """parser_tables.json matches this grammar and parses every policy as a fresh build does."""
    shipped = load_tables(tables_path().read_text(encoding="utf-8"), grammar_text())
    assert shipped is not None, (
        "the grammar changed: run `python -m kprules.syntax.grammar` to write the tables again")
    fresh = build_parser()
    for path in [FIXTURE, *sorted((ROOT / "policies").rglob("*.kpr"))]:
        text = path.read_text(encoding="utf-8")
        assert shipped.parse(text) == fresh.parse(text), path


class _NoBuild(Lark):
    """A Lark that refuses to be built from a grammar: only the shipped tables can make one."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the parser was rebuilt instead of loaded from the tables")


def test_the_parser_comes_from_the_shipped_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grammar, "Lark", _NoBuild)
    loaded = grammar._shipped_parser()
    assert loaded.options.keep_all_tokens and loaded.options.maybe_placeholders
    monkeypatch.undo()
    _trees_equal(loaded, build_parser())


CORRUPTIONS = ["empty", "garbage", "truncated", "a pickle", "other grammar", "not Lark's"]


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_bad_or_stale_tables_mean_a_parser_built_from_the_grammar(kind: str) -> None:
    text = grammar_text()
    good = serialise_tables(build_parser(), text)
    whole = json.loads(good)
    bad = {
        "empty": "",
        "garbage": "\x00\xff not tables at all",
        "truncated": good[: len(good) // 2],
        "a pickle": pickle.dumps({"data": {}, "memo": {}}).decode("latin-1"),
        "other grammar": good.replace(tables_key(text), tables_key(text + "// changed")),
        "not Lark's": json.dumps(whole | {"data": {"rules": 3}}),
    }[kind]
    assert load_tables(bad, text) is None
    assert load_tables(good, text) is not None


def test_tables_key_changes_with_the_grammar() -> None:
    text = grammar_text()
    assert tables_key(text) != tables_key(text + "\n// changed")
    assert tables_key(text) == tables_key(text)


_PAYLOAD = """
import os, pickle
class Boom:
    def __reduce__(self):
        return (os.system, ("touch " + {marker!r},))
"""


def _old_cache_key() -> str:
    """The key under which kprules before issue 14 read (unpickled) its parser cache."""
    options = {"parser": "lalr", "lexer": "contextual", "keep_all_tokens": True,
               "propagate_positions": False, "maybe_placeholders": True}
    parts = [grammar_text(), repr(sorted(options.items())), lark.__version__,
             ".".join(map(str, sys.version_info[:2]))]
    return hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:32]


_PLANTED = ["parser.pickle", f"parser-{_old_cache_key()}.pickle", TABLES_FILE]


def _plant(folder: Path, marker: Path) -> None:
    """A pickle that runs code when loaded, under every name an old or new cache might use."""
    space: dict[str, object] = {}
    exec(_PAYLOAD.format(marker=str(marker)), space)  # builds the hostile object only
    evil = pickle.dumps(space["Boom"]())  # type: ignore[operator]
    folder.mkdir(parents=True)
    for name in _PLANTED:
        (folder / name).write_bytes(f"kprules-parser-cache 1 {_old_cache_key()}\n".encode() + evil)
        (folder / (name + ".raw")).write_bytes(evil)


def test_a_file_planted_in_the_cache_folder_is_never_loaded(tmp_path: Path) -> None:
    """Issue 14: a pickle under $XDG_CACHE_HOME/kprules ran code under `kprules check`."""
    marker = tmp_path / "pwned"
    cache = tmp_path / "cache"
    _plant(cache / "kprules", marker)
    _plant(tmp_path / "home" / ".cache" / "kprules", marker)
    env = os.environ | {"XDG_CACHE_HOME": str(cache), "HOME": str(tmp_path / "home")}
    for args in (["check", str(FIXTURE)], ["--help"]):
        done = subprocess.run([sys.executable, "-m", "kprules", *args], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    code = f"import kprules; kprules.load({str(FIXTURE)!r})"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert not marker.exists()
    assert sorted(p.name for p in (cache / "kprules").iterdir()) == sorted(
        n for name in _PLANTED for n in (name, name + ".raw"))


def test_the_grammar_module_never_unpickles() -> None:
    """No pickle import, no `Lark.load`, no `cache=` option: the parser is never read from code."""
    tree = ast.parse(Path(grammar.__file__).read_text(encoding="utf-8"))
    nodes = list(ast.walk(tree))
    imported = {alias.name for node in nodes if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in node.names}
    imported |= {node.module for node in nodes if isinstance(node, ast.ImportFrom)}
    assert not {"pickle", "marshal", "shelve", "dill"} & imported
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert "load" not in attributes
    keywords = {node.arg for node in ast.walk(tree) if isinstance(node, ast.keyword)}
    assert "cache" not in keywords
