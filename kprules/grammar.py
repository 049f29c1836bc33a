"""Build the Lark parser from grammar/kprules.lark, once per process.

This module is the only place that opens the grammar file. In a source checkout the grammar is
read from the top-level `grammar/` folder; an installed wheel carries it as
`kprules/_grammar/kprules.lark` (hatch's force-include). The built parse table is cached by Lark
in the temporary folder, so a command does not rebuild it on every start.
"""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

from lark import Lark

GRAMMAR_FILE = "kprules.lark"


def grammar_text() -> str:
    """The grammar's text: from the installed package if present, else from the checkout."""
    packaged = importlib.resources.files("kprules").joinpath("_grammar").joinpath(GRAMMAR_FILE)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parent.parent / "grammar" / GRAMMAR_FILE
    return checkout.read_text(encoding="utf-8")


def build_parser(*, strict: bool = False, cache: bool = True) -> Lark:
    """A fresh LALR parser. `strict=True` (tests) also rejects conflicts and token collisions."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        strict=strict,
        cache=cache and not strict,
    )


@functools.cache
def parser() -> Lark:
    """The process-wide parser (immutable once built, so sharing it is safe)."""
    return build_parser()
