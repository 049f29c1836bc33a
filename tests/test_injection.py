"""Injection into a reader's terminal or spreadsheet (issue 14): control characters in case
titles and ids are escaped in every text output; CSV cells that a spreadsheet would run as a
formula are neutralised (OWASP, "CSV Injection")."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli
from kprules.core.escape import csv_safe, printable, terminal

FIXTURES = Path(__file__).resolve().parent / "cases" / "fixtures"
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31mEvil\u202e txt.exe\x9b"
CASE = f"""[case]
id = "evil-1"
title = "{HOSTILE.encode('unicode_escape').decode().replace('x', 'u00')}"
sources = ["core"]

[facts]
rough = true
beneficiary = "state_owned_enterprise"
finances_conflict = true
"""


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copytree(FIXTURES / "shipment", tmp_path / "shipment")
    shutil.copytree(FIXTURES / "seeds", tmp_path / "seeds")
    (tmp_path / "kprules.toml").write_text('policies = ["shipment"]\nseeds = ["seeds"]\n',
                                           encoding="utf-8")
    (tmp_path / "evil.toml").write_text(CASE, encoding="utf-8")
    (tmp_path / "lots.jsonl").write_text(
        '{"id": "=HYPERLINK(\\"http://x\\")", "rough": true}\n{"id": "-2+3", "rough": true}\n'
        '{"id": "@SUM(A1)", "rough": false}\n{"id": "\\tlot", "rough": false}\n'
        '{"id": "-15", "rough": true}\n{"id": "\\u001b[2Jlot", "rough": true}\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\x9b" not in text


@pytest.mark.parametrize("argv", [
    ["compare", "kpcs", "shipment", "--cases", "evil.toml"],
    ["compare", "kpcs", "shipment", "--cases", "evil.toml", "--format", "md"],
    ["eval", "shipment", "--cases", "evil.toml"],
    ["explain", "shipment", "--case", "evil.toml", "--term", "kpcs.conflict_diamond"],
    ["eval", "shipment", "--cases", "lots.jsonl"],
], ids=["compare", "compare-md", "eval", "explain", "eval-records"])
def test_a_hostile_title_is_shown_escaped(work: Path, argv: list[str]) -> None:
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code in (0, 1), result.output
    _no_raw_controls(result.output)
    if "evil" in " ".join(argv) and "--format" not in argv:
        assert "\\x1b]0;pwned\\x07" in result.output


def test_csv_cells_that_would_run_as_formulas_are_neutralised(work: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "shipment", "--cases", "lots.jsonl", "--format",
                                      "csv", "--term", "kpcs.conflict_diamond"])
    assert result.exit_code == 0, result.output
    ids = [row[0] for row in csv.reader(io.StringIO(result.stdout))][1:]
    assert ids == ["'=HYPERLINK(\"http://x\")", "'-2+3", "'@SUM(A1)", "'\tlot", "-15",
                   "\x1b[2Jlot"]


@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+2", "'=1+2"), ("+1", "+1"), ("-1.5", "-1.5"), ("-1e5", "-1e5"), ("-x", "'-x"),
    ("@x", "'@x"), ("\rx", "'\rx"), ("\tx", "'\tx"), ("lot-1", "lot-1"), ("", ""),
    ("+-1", "'+-1"),
])
def test_csv_safe(cell: str, safe: str) -> None:
    assert csv_safe(cell) == safe


def test_terminal_keeps_lines_and_colour_only_when_asked() -> None:
    text = "a\tb\nc\x1b[1mbold\x1b[0m\x1b]0;t\x07\u2028"
    assert terminal(text) == "a\tb\nc\\x1b[1mbold\\x1b[0m\\x1b]0;t\\x07\\u2028"
    assert terminal(text, keep_colour=True) == "a\tb\nc\x1b[1mbold\x1b[0m\\x1b]0;t\\x07\\u2028"
    assert printable("a\nb\ud800") == "a\\x0ab\\ud800"
