"""Text from cases and data made safe to print: control characters written as escapes.

A case title, a record id or a fact value comes from a file kprules did not write. Printed raw,
an ANSI escape sequence in it can clear a reader's terminal or retitle its window, and a bidi
override can reorder what the reader sees. `printable` writes every character that is not
printable (C0 and C1 controls, DEL, bidi controls, line and paragraph separators, lone
surrogates) as a Python-style escape (`\\x1b`, `\\u202e`), and leaves all other text as it is.
"""

from __future__ import annotations

import re

# Cc (controls), Cf (format: bidi overrides and isolates, zero-width joiners...), Zl, Zp, Cs
# (lone surrogates), Co/Cn aside: `str.isprintable` is False for all of them, and for spaces
# other than U+0020, which are kept.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
                     r"\ufeff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, bidi-control, separator or surrogate character escaped."""
    return _UNSAFE.sub(_escape, text)


def unsafe(text: str) -> bool:
    """Whether `printable` would change `text`."""
    return _UNSAFE.search(text) is not None
