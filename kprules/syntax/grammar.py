"""Build the Lark parser from grammar/kprules.lark, once per process, from shipped tables.

This module is the only place that opens the grammar file. In a source checkout the grammar is
read from the top-level `grammar/` folder; an installed wheel carries it as
`kprules/_grammar/kprules.lark` (hatch's force-include).

Building the LALR tables takes about 0.4 s, more than a whole `kprules check` may take, so the
built tables ship with the package as data: `kprules/syntax/parser_tables.json`, written by
`python -m kprules.syntax.grammar` and read with `json` (which cannot run code, unlike the pickle
of `Lark.save`/`Lark.load`), then rebuilt into a parser by Lark's own deserialiser. The file
records a hash of the grammar and the parser options; when it does not match the grammar being
read (an edited grammar before the tables are written again), or cannot be read, the parser is
built from the grammar instead. Nothing is read from or written to the user's cache folder: a
file there is never loaded (issue 14).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
import sys
from pathlib import Path
from typing import Any

from lark import Lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

GRAMMAR_FILE = "kprules.lark"
TABLES_FILE = "parser_tables.json"
# Every token is kept and no positions are propagated: parse.py computes spans from the tokens
# itself (twice as fast as Lark's `propagate_positions`, which needs the dropped keywords).
_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "keep_all_tokens": True,
    "propagate_positions": False,
    "maybe_placeholders": True,
}
_FORMAT = "kprules-parser-tables 1"
_PROBE = "facts probe"
# JSON has neither tuples nor non-string keys, both of which Lark's tables use: a tuple is
# written {"()": [...]} and a dict with a non-string key {"{}": [[key, value], ...]}.
_TUPLE, _PAIRS = "()", "{}"


def _packaged() -> Any:
    return importlib.resources.files("kprules").joinpath("_grammar").joinpath(GRAMMAR_FILE)


def _checkout() -> Path:
    return Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_FILE


def tables_path() -> Path:
    """The shipped parse tables (beside this module, in a checkout and in a wheel alike)."""
    return Path(__file__).resolve().parent / TABLES_FILE


def grammar_origin() -> str:
    """Where the grammar is read from: the installed package's copy, else the checkout's."""
    packaged = _packaged()
    return str(packaged) if packaged.is_file() else str(_checkout())


def grammar_text() -> str:
    """The grammar's text (the one function that opens the grammar file)."""
    packaged = _packaged()
    if packaged.is_file():
        return str(packaged.read_text(encoding="utf-8"))
    return _checkout().read_text(encoding="utf-8")


def build_parser(*, strict: bool = False) -> Lark:
    """A freshly built LALR parser. `strict=True` (tests) also rejects conflicts and collisions."""
    return Lark(grammar_text(), strict=strict, **_OPTIONS)


def tables_key(text: str) -> str:
    """The hash that ties the tables to a grammar: its text and the parser options."""
    parts = [_FORMAT, text, repr(sorted(_OPTIONS.items()))]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {_PAIRS: [[_encode(k), _encode(v)] for k, v in value.items()]}
    return value


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _TUPLE in obj:
        return tuple(obj[_TUPLE])
    if len(obj) == 1 and _PAIRS in obj:
        return {_hashable(k): v for k, v in obj[_PAIRS]}
    return obj


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def serialise_tables(built: Lark, text: str) -> str:
    """The parser's tables as JSON text, keyed by the grammar `text` they were built from."""
    data, memo = built.memo_serialize([TerminalDef, Rule])
    whole = {"format": _FORMAT, "key": tables_key(text), "data": data, "memo": memo}
    return json.dumps(_encode(whole), separators=(",", ":"), sort_keys=True) + "\n"


def load_tables(encoded: str, text: str) -> Lark | None:
    """The parser from serialised tables, or None unless they are whole and match `text`."""
    try:
        whole = json.loads(encoded, object_hook=_decode)
        if whole.get("key") != tables_key(text):
            return None
        loaded: Lark = Lark._load_from_dict(  # type: ignore[no-untyped-call]
            whole["data"], whole["memo"])
        loaded.parse(_PROBE)
    # Tables are only a shortcut: whatever is wrong with them (not JSON, another Lark's format,
    # a table that does not parse), the parser is built from the grammar instead.
    except Exception:
        return None
    return loaded


def _shipped_parser() -> Lark:
    text = grammar_text()
    try:
        encoded = tables_path().read_text(encoding="utf-8")
    except OSError:
        encoded = ""
    return load_tables(encoded, text) or Lark(text, **_OPTIONS)


@functools.cache
def parser() -> Lark:
    """The process-wide parser (immutable once built, so sharing it is safe)."""
    return _shipped_parser()


def write_tables() -> Path:
    """Build the parser from the grammar and write its tables beside this module."""
    text = grammar_text()
    path = tables_path()
    path.write_text(serialise_tables(Lark(text, **_OPTIONS), text), encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.stdout.write(f"wrote {write_tables()}\n")
