"""Characters that make a text show differently from what it is (KP117, a warning).

Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) reorder what an
editor or a terminal shows: a comment or a string holding a right-to-left override can make a
condition look unlike the one that is checked ("Trojan Source", CVE-2021-42574). Line and
paragraph separators (U+2028, U+2029), and a carriage return not before a line feed, a line
tabulation, a form feed or a next line (U+0085), break a line in some editors and not in
kprules: in a comment, the text after one looks like code and is not. Outside comments and
strings the lexer refuses the Unicode ones (KP110); inside, kprules keeps them, and warns, as
compilers now do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from kprules.core.diagnostics import Diagnostic, Severity
from kprules.core.source import Source

_INVISIBLE = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\x0b\x0c\x85]"
                        r"|\r(?!\n)")
_CONTROLS = {"\r": "carriage return", "\x0b": "line tabulation", "\x0c": "form feed",
             "\x85": "next line"}


def invisible_characters(source: Source) -> Iterator[Diagnostic]:
    """A KP117 warning at each such character of a source."""
    for found in _INVISIBLE.finditer(source.text):
        char = found.group()
        name = _CONTROLS.get(char) or unicodedata.name(char, "a control character").lower()
        yield Diagnostic(
            "KP117", f"the character U+{ord(char):04X} ({name}) may show the text "
            "differently from what it is", source.span(found.start(), found.end()),
            severity=Severity.WARNING,
            hint="remove it, or write the text without it")
