"""Text from cases and data made safe to print: control characters written as escapes.

A case title, a record id or a fact value comes from a file kprules did not write. Printed raw, an
ANSI escape sequence in it can clear a reader's terminal or retitle its window, and a bidi override
can reorder what the reader sees. `printable` writes every character that is not printable (C0 and
C1 controls, DEL, bidi controls, line and paragraph separators, lone surrogates, the noncharacters
U+FFFE and U+FFFF) as a Python-style escape (`\\x1b`, `\\u202e`), and leaves all other text as it
is.
"""

from __future__ import annotations

import re

# Cc (controls), Cf (format: bidi overrides and isolates, zero-width joiners...), Zl, Zp, Cs
# (lone surrogates), Co/Cn aside: `str.isprintable` is False for all of them, and for spaces
# other than U+0020, which are kept.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
                     r"\ufeff\ufffe\uffff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    """`\\x1b` below U+0020; `\\u007f` and up (also a valid escape inside a JSON string)."""
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, bidi-control, separator or surrogate character escaped."""
    return _UNSAFE.sub(_escape, text)


def unsafe(text: str) -> bool:
    """Whether `printable` would change `text`."""
    return _UNSAFE.search(text) is not None


_UNSAFE_LINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                          r"\u2060-\u2069\ufeff\ufffe\uffff\ud800-\udfff]")
_SGR = re.compile(r"(\x1b\[[0-9;]*m)")


def terminal(text: str, keep_colour: bool = False) -> str:
    """`text` for a terminal: as `printable`, but line feeds and tabs are kept; with
    `keep_colour`, so are colour sequences (`ESC [ ... m`, which only colour text), which the
    report adds when colour is on. Every other escape sequence is written out."""
    if not keep_colour:
        return _UNSAFE_LINE.sub(_escape, text)
    parts = _SGR.split(text)
    return "".join(p if i % 2 else _UNSAFE_LINE.sub(_escape, p) for i, p in enumerate(parts))


FORMULA_STARTS = "=+-@\t\r"  # what a spreadsheet may run a cell starting with
NUMBER = r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"  # ... unless the cell is a number
_NUMBER = re.compile(NUMBER + r"\Z")


def csv_safe(cell: str) -> str:
    """A CSV cell a spreadsheet will not run: one that starts with `=`, `+`, `-`, `@`, a tab or
    a carriage return is prefixed with `'` (OWASP, "CSV Injection"), unless it is a number
    (`-1.5` stays a number)."""
    if cell and cell[0] in FORMULA_STARTS and not _NUMBER.match(cell):
        return "'" + cell
    return cell
