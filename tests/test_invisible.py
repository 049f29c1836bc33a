"""KP117: characters that break a line in some editors and not in kprules, so that the text
after one, in a comment, looks like code and is not. KP103: the other control characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli
from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.render import render_all
from kprules.core.source import Source
from kprules.syntax.invisible import MAX_CONTROL_REPORTS, invisible_characters
from kprules.syntax.parse import parse


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


# ----------------------------------------------------------------------------- KP103

ESCAPES = 'policy x5 "t\x1b[2J"\n  reads v\n# \x1b[31m red\ndefine y = "\x01" = "a"\n'


def _refused(text: str) -> list[Diagnostic]:
    with pytest.raises(PolicyError) as err:
        parse(Source("l.kpr", text))
    return err.value.diagnostics


def test_control_characters_in_strings_and_comments_are_located_kp103() -> None:
    """An escape sequence in a policy could change what a terminal shows: each is an error,
    drawn as its control picture."""
    assert render_all(_refused(ESCAPES), {"l.kpr": Source("l.kpr", ESCAPES)}, "text") == (
        "error[KP103]: control character U+001B (escape) in the text\n"
        " --> l.kpr:1:13\n"
        "  |\n"
        '1 | policy x5 "t\u241b[2J"\n'
        "  |             ^\n"
        "  = hint: remove it: it is invisible in an editor, and some change what a terminal"
        " shows\n"
        "\n"
        "error[KP103]: control character U+001B (escape) in the text\n"
        " --> l.kpr:3:3\n"
        "  |\n"
        "3 | # \u241b[31m red\n"
        "  |   ^\n"
        "  = hint: remove it: it is invisible in an editor, and some change what a terminal"
        " shows\n"
        "\n"
        "error[KP103]: control character U+0001 in the text\n"
        " --> l.kpr:4:13\n"
        "  |\n"
        '4 | define y = "\u2401" = "a"\n'
        "  |             ^\n"
        "  = hint: remove it: it is invisible in an editor, and some change what a terminal"
        " shows\n")


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0e", "\x1f", "\x7f", "\x80",
                                  "\x9b", "\x9f"])
def test_every_other_control_character_is_kp103(char: str) -> None:
    text = f'policy p "t"\n  reads v\n\ndefine t = a # note{char}\n'
    (found,) = _refused(text)
    assert found.code == "KP103" and found.span is not None
    assert found.span.start == text.index(char) and found.span.end == found.span.start + 1


@pytest.mark.parametrize("char", ["\t", "\r", "\x0b", "\x0c", "\x85", "\u202e"])
def test_tab_line_ends_and_kp117_characters_are_not_kp103(char: str) -> None:
    parse(Source("p.kpr", f'policy p "t{char}"\n  reads v\r\n\ndefine t = a # {char}\n'))


def test_a_file_full_of_control_characters_is_reported_at_its_first_hundred() -> None:
    found = _refused('policy p "' + "\x01" * 1000 + '"\n')
    assert len(found) == MAX_CONTROL_REPORTS == 100


def test_check_refuses_them_in_a_file(tmp_path: Path) -> None:
    (tmp_path / "l.kpr").write_text(ESCAPES, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--no-seeds", str(tmp_path / "l.kpr")])
    assert result.exit_code == 1 and result.output.count("error[KP103]") == 3
