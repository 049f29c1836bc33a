"""Characters that make a text show differently from what it is (KP117, a warning).

Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) reorder what an
editor or a terminal shows: a comment or a string holding a right-to-left override can make a
condition look unlike the one that is checked ("Trojan Source", CVE-2021-42574). Line and
paragraph separators (U+2028, U+2029), and a carriage return not before a line feed, a line
tabulation, a form feed or a next line (U+0085), break a line in some editors and not in
kprules: in a comment, the text after one looks like code and is not. Outside comments and
strings the lexer refuses the Unicode ones (KP110); inside, kprules keeps them, and warns, as
compilers now do.

Other control characters (KP103, an error, wherever they are) have no place in a policy: they are
invisible in an editor, and an escape sequence (`ESC [2J`) in a string or a comment can change
what a terminal shows of the policy or of kprules' messages.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

from kprules.core.diagnostics import Diagnostic, PolicyError, Severity
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


# C0 controls but tab, line feed, carriage return, line tabulation and form feed (the last three
# are KP117's); delete; C1 controls but next line (KP117's).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_CONTROL_NAMES = {"\x07": "bell", "\x08": "backspace", "\x1b": "escape", "\x7f": "delete",
                  "\x9b": "control sequence introducer"}
MAX_CONTROL_REPORTS = 100  # a file full of them is reported at its first 100


def refuse_control_characters(source: Source) -> None:
    """`PolicyError` with a KP103 error at each control character of a source (at most
    MAX_CONTROL_REPORTS), if it holds any."""
    found = itertools.islice(_CONTROL.finditer(source.text), MAX_CONTROL_REPORTS)
    errors = [_control(source, m.start()) for m in found]
    if errors:
        raise PolicyError(errors)


def _control(source: Source, at: int) -> Diagnostic:
    char = source.text[at]
    if char == "\x00":
        return Diagnostic("KP103", "a NUL byte in the text", source.span(at, at + 1),
                          hint="this looks like a binary file")
    name = f" ({_CONTROL_NAMES[char]})" if char in _CONTROL_NAMES else ""
    return Diagnostic(
        "KP103", f"control character U+{ord(char):04X}{name} in the text",
        source.span(at, at + 1),
        hint="remove it: it is invisible in an editor, and some change what a terminal shows")
