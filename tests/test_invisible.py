"""KP117: characters that break a line in some editors and not in kprules, so that the text
after one, in a comment, looks like code and is not."""

from __future__ import annotations

import pytest

from kprules.core.source import Source
from kprules.syntax.invisible import invisible_characters


@pytest.mark.parametrize(("char", "name"), [
    ("\r", "carriage return"), ("\x0b", "line tabulation"), ("\x0c", "form feed"),
    ("\x85", "next line"), ("\u2028", "line separator"), ("\u202e", "right-to-left override")])
def test_a_character_that_hides_code_in_a_comment_is_kp117(char: str, name: str) -> None:
    text = f'policy p "t"\n  reads v\n\ndefine t = a # note{char}define u = b\n'
    (found,) = invisible_characters(Source("p.kpr", text))
    assert found.code == "KP117" and found.span is not None
    assert found.message == (f"the character U+{ord(char):04X} ({name}) may show the text "
                             "differently from what it is")
    assert text[found.span.start:found.span.end] == char and found.span.start == text.index(char)


def test_line_ends_of_windows_are_not_kp117() -> None:
    assert not list(invisible_characters(Source("p.kpr", 'policy p "t"\r\n  reads v\r\n')))
