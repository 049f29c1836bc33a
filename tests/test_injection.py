"""Injection into a reader's terminal or spreadsheet (issue 14): control characters in case
titles and ids are escaped in every text output; CSV cells that a spreadsheet would run as a
formula are neutralised (OWASP, "CSV Injection")."""

from __future__ import annotations

import csv
import io
import json
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


# ---------------------------------------------------------------- found by a probe of every format

FORGED = "lot-1\n  kpcs.conflict_diamond  true   <- forged\t!"


@pytest.fixture
def forged(work: Path) -> Path:
    """A data file whose ids would forge lines and columns of the text outputs, or collide in
    Markdown anchors, or hold characters HTML cannot hold."""
    ids = [FORGED, "A b", "a-b", "ab", "Ab", "&lt;b&gt;", "\x1b[31mX\x07\u202e\x85Y\ufffe",
           "\ufeff=bom", "ab"]
    (work / "forged.jsonl").write_text(
        "".join(json.dumps({"id": i, "rough": True, "beneficiary": "state_owned_enterprise",
                            "finances_conflict": True}) + "\n" for i in ids),
        encoding="utf-8")
    return work / "forged.jsonl"


def _run(argv: list[str]) -> str:
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_an_id_cannot_forge_a_line_of_the_text_outputs(forged: Path) -> None:
    """A line feed or a tab in an id is written as an escape (`\\x0a`), where the text outputs
    printed it raw: a line that looked like one of kprules' own."""
    for argv in (["eval", "shipment", "--cases", "forged.jsonl"],
                 ["compare", "kpcs", "shipment", "--cases", "forged.jsonl", "--detail", "all",
                  "--matrix", "all", "--no-symbolic"]):
        out = _run(argv)
        assert "lot-1\\x0a  kpcs.conflict_diamond  true   <- forged\\x09!" in out
        assert not any(line.startswith("  kpcs.conflict_diamond  true   <- forged")
                       for line in out.splitlines())
        assert "\t" not in out
        _no_raw_controls(out)


def test_the_text_report_s_columns_are_measured_as_shown(forged: Path) -> None:
    """Every row of the outcome table starts its values at one column: ids were measured before
    their escapes, which then pushed their row out of line."""
    out = _run(["compare", "kpcs", "shipment", "--cases", "forged.jsonl", "--matrix", "all",
                "--detail", "all", "--no-symbolic"])
    table = out[out.index("Outcomes"):out.index("Differences")].splitlines()
    starts = {len(line) - len(line.rstrip("* ").split("  ")[-1].lstrip()) for line in table
              if line.rstrip().endswith(("true", "true *", "false", "false *"))}
    assert len(starts) == 1, table


def test_markdown_anchors_are_unique_and_ampersands_escaped(forged: Path) -> None:
    import re

    out = _run(["compare", "kpcs", "shipment", "--cases", "forged.jsonl", "--format", "md",
                "--no-symbolic"])
    anchors = re.findall(r'<a id="([^"]+)"></a>', out)
    assert len(anchors) == 9 and len(set(anchors)) == 9  # two records share the id `ab`
    assert "case-a-b" in anchors and "case-ab" in anchors  # kebab-case ids keep their own
    assert "case-ab-2" in anchors and "](#case-ab-2)" not in out  # links go to the first
    assert "\\&lt;b\\&gt;" in out and "| &lt;b" not in out


def test_html_holds_no_control_or_bidi_character(forged: Path) -> None:
    """Raw, they are HTML parse errors, or turn the report's own words around."""
    import re

    out = _run(["compare", "kpcs", "shipment", "--cases", "forged.jsonl", "--format", "html",
                "--no-symbolic"])
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\ufffe\uffff]", out)
    assert "\\x1b[31mX\\x07\\u202e\\u0085Y\\ufffe" in out


def test_a_diagnostic_quotes_a_bad_name_with_escapes_in_every_format(work: Path) -> None:
    """KP405 quoted a case id raw (a real ESC in JSON, cut at U+0085 in JUnit) where KP409
    wrote its value with escapes: every diagnostic's message is printable now."""
    (work / "badid.toml").write_text(CASE.replace('id = "evil-1"', 'id = "Bad\\u001b[31m\\u0085"'),
                                     encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--format", "json", "shipment", "badid.toml"])
    doc = json.loads(result.stdout)
    [message] = [d["message"] for d in doc["diagnostics"] if d["code"] == "KP405"]
    assert message == "case id `Bad\\x1b[31m\\u0085` is not kebab-case"


def test_markdown_keeps_ids_on_one_line_and_pipes_outside_tables_bare(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record id with a line feed or a tab is written `\\x0a`, `\\x09` (`x\\ny` and `x y`
    once looked the same); a `|` in code outside a table is not escaped (GitHub showed the
    backslash), in a table cell it is."""
    import shutil

    from click.testing import CliRunner

    from kprules.cli import cli

    fixtures = Path(__file__).resolve().parent / "compare" / "fixtures"
    shutil.copytree(fixtures / "policies", tmp_path / "policies")
    records = [{"id": i, "rough": True, "seller": "state", "funds_war": True}
               for i in ("x\ny", "x y", "x\ty")]
    (tmp_path / "a|b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records),
                                        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["compare", "policies/base.kpr", "narrow", "--cases",
                                      "a|b.jsonl", "--format", "md", "--no-symbolic",
                                      "--matrix", "all"])
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert "from `a|b.jsonl` (bulk)" in md and "\\|" not in md.split("\n## ")[0]
    for shown in ("x\\\\x0ay", "x\\\\x09y", "x y"):
        assert f"[{shown}](#" in md and f"> {shown}" not in md, shown
