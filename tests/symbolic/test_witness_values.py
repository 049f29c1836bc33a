"""`kprules diff` writes every value as the language writes it: a witness's facts and the two
values in every format but JSON (`exporter = "A"`, `weight = 0.5 ct`, `origins = {}`, `who =
rebel`, `day = 2019-12-31`), and the values of a region's label (`a gives 2 ct`). The text is
golden (tests/golden/symbolic/typed.*; `pytest --update-goldens` rewrites it); JSON keeps JSON
values."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "symbolic"
Golden = Callable[[Path, str], None]

VOCAB = """facts v
  dated by day
enum actor { rebel, gov }
fact exporter: text
fact rough: bool
fact who: actor
fact origin: country
fact origins: set of country
fact kinds: set of actor
fact weight: carats
fact value: usd
fact day: date
fact n: integer
fact share: decimal
"""
BASE = """policy a "every kind of fact value"
  reads v

define x = rough and exporter = "Ste \\"A\\"" and who = rebel and origin = RU and RU in origins
  and rebel in kinds and weight > 1 ct and value > 100 usd and day > 2020-01-01 and n > 2
  and share > 0.5
define q: carats = if rough then weight else 2 ct
define t = if rough then "A" else "B"
"""
OTHER = """policy b "b"
  amends a

redefine x = rough
redefine q: carats = 3 ct
redefine t = "C"
"""


def diff(tmp_path: Path, *args: str) -> str:
    for name, text in [("v", VOCAB), ("a", BASE), ("b", OTHER)]:
        (tmp_path / f"{name}.kpr").write_text(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = CliRunner().invoke(cli, ["diff", "a", "b", "--policies", ".", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("fmt", ["text", "md", "html", "json"])
def test_every_kind_of_value(fmt: str, tmp_path: Path, golden: Golden) -> None:
    out = diff(tmp_path, "--format", fmt)
    golden(GOLDEN / f"typed.{ {'text': 'txt'}.get(fmt, fmt)}", out)


def test_witness_facts_as_the_language_writes_them(tmp_path: Path) -> None:
    out = " ".join(diff(tmp_path).split())
    assert ('witness (false -> true): rough = true, exporter = "other", who = rebel, '
            "origin = RU, origins = {}, kinds = {}, weight = 0.5 ct, value = 50 usd, "
            "day = 2019-12-31, n = -1, share = -0.5") in out
    assert 'exporter = "Ste \\"A\\""' in out
    assert 'a gives "A", b gives "C"' in out and "a gives 2 ct, b gives 3 ct" in out
    assert "witness (1 ct -> 3 ct): rough = true, weight = 1 ct" in out


def test_markdown_writes_witnesses_as_code(tmp_path: Path) -> None:
    out = diff(tmp_path, "--format", "md")
    assert '- witness (`"A"` -> `"C"`): `rough = true`' in out
    assert '`rough = true, exporter = "other", who = rebel,' in out


def test_html_quotes_text(tmp_path: Path) -> None:
    out = diff(tmp_path, "--format", "html")
    assert "exporter = &quot;other&quot;" in out and "weight = 0.5 ct" in out


def test_json_keeps_json_values(tmp_path: Path) -> None:
    doc = json.loads(diff(tmp_path, "--format", "json"))
    x = next(t for t in doc["pairs"][0]["terms"] if t["term"] == "x")
    facts = x["regions"][1]["disjuncts"][0]["witness"]["facts"]
    assert facts["exporter"] in ("other", 'Ste "A"') and facts["origins"] == []
    assert facts["weight"] == "0.5" and facts["rough"] is True


def test_decision_witnesses_too(tmp_path: Path) -> None:
    (tmp_path / "v.kpr").write_text(VOCAB)
    (tmp_path / "d.kpr").write_text('policy d "d"\n  reads v\n\ndecision e: {yes, no}\n'
                                    '  default no\n  yes when exporter = "A" and weight > 1 ct\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = CliRunner().invoke(cli, ["check", "--no-seeds", "--decisions", "d.kpr",
                                          "v.kpr"])
    assert '    witness: exporter = "A", weight = 0.5 ct\n' in result.output


def test_markdown_labels_show_their_values_as_written() -> None:
    """A label holds values from the policies (`a gives "*A*"`): Markdown shows them as they
    are, not as emphasis, HTML or a table cell; names keep their underscores and backquotes."""
    from kprules.analysis.symbolic.render import md_text

    assert md_text('a gives "*A*", b gives "<b>|_x_"') == \
        'a gives "\\*A\\*", b gives "\\<b\\>\\|\\_x\\_"'
    assert md_text("only under state_actors: a value of `weight`") == \
        "only under state_actors: a value of `weight`"
