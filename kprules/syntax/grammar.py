"""Build the Lark parser from grammar/kprules.lark, once per process, from a cache when possible.

This module is the only place that opens the grammar file. In a source checkout the grammar is
read from the top-level `grammar/` folder; an installed wheel carries it as
`kprules/_grammar/kprules.lark` (hatch's force-include).

Building the LALR tables takes about 0.4 s, more than a whole `kprules check` may take, so the
built parser is kept in the user's cache folder (`$XDG_CACHE_HOME/kprules`, else
`~/.cache/kprules`; never in site-packages). The file name carries a hash of the grammar, the
parser options, the Lark version and the Python version, so a changed grammar or an upgraded Lark
never meets a stale table. A cache file is written to a temporary name and renamed into place
(readers see a whole file or none), and one that cannot be read, is corrupt, or does not parse a
probe text is ignored and rewritten: the cache can make a start faster, never break it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import lark
from lark import Lark

GRAMMAR_FILE = "kprules.lark"
# Every token is kept and no positions are propagated: parse.py computes spans from the tokens
# itself (twice as fast as Lark's `propagate_positions`, which needs the dropped keywords).
_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "keep_all_tokens": True,
    "propagate_positions": False,
    "maybe_placeholders": True,
}
_MAGIC = b"kprules-parser-cache 1 "
_PROBE = "facts probe"


def _packaged() -> Any:
    return importlib.resources.files("kprules").joinpath("_grammar").joinpath(GRAMMAR_FILE)


def _checkout() -> Path:
    return Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_FILE


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


def cache_folder() -> Path | None:
    """The folder for the parser cache, or None when the user has no home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(base) / "kprules"


def cache_key(text: str) -> str:
    """The hash that names a cache file: grammar, options, Lark and Python versions."""
    parts = [text, repr(sorted(_OPTIONS.items())), lark.__version__,
             ".".join(map(str, sys.version_info[:2]))]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def cached_parser(folder: Path | None) -> Lark:
    """The parser from the cache in `folder` if it holds a good one, else built and cached."""
    text = grammar_text()
    key = cache_key(text)
    path = folder / f"parser-{key}.pickle" if folder is not None else None
    if path is not None:
        found = _read_cache(path, key)
        if found is not None:
            return found
    built = Lark(text, **_OPTIONS)
    if path is not None:
        _write_cache(path, key, built)
    return built


def _read_cache(path: Path, key: str) -> Lark | None:
    try:
        with path.open("rb") as fh:
            if fh.readline() != _MAGIC + key.encode("ascii") + b"\n":
                return None
            loaded = Lark.load(fh)
        loaded.parse(_PROBE)
    # A cache file is only an optimisation: whatever is wrong with it (unreadable, truncated,
    # another format, a table that does not parse), the parser is built from the grammar instead.
    except Exception:
        return None
    return loaded


def _write_cache(path: Path, key: str, built: Lark) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".parser-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC + key.encode("ascii") + b"\n")
            built.save(fh)
        os.replace(tmp, path)
    # As with reading: a cache that cannot be written (full disk, a read-only home) costs time
    # on the next start, nothing more.
    except Exception:
        Path(tmp).unlink(missing_ok=True)


@functools.cache
def parser() -> Lark:
    """The process-wide parser (immutable once built, so sharing it is safe)."""
    return cached_parser(cache_folder())
