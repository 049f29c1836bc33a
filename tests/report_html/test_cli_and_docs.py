"""`kprules compare --format html` writes the page the writer renders, and the Python example of
docs/compare.md's HTML section runs on the bundled library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from html_report_support import FIXTURES, Streamer

from kprules.cli import cli
from kprules.report.html import render_html

ROOT = Path(__file__).resolve().parents[2]


def test_the_command_writes_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     make_stream: Streamer) -> None:
    monkeypatch.chdir(FIXTURES)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, [
        "compare", "core_2003", "state_actors", "weight_limit", "--policies", ".",
        "--cases", "cases/shipments.toml", "--format", "html", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == render_html(make_stream())


def html_section_example() -> str:
    doc = (ROOT / "docs" / "compare.md").read_text(encoding="utf-8")
    section = doc.split("### The HTML report\n", 1)[1].split("\n### ", 1)[0]
    (code,) = re.findall(r"^```py\n(.*?)^```$", section, flags=re.S | re.M)
    return str(code)


@pytest.mark.slow
def test_the_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "policies").symlink_to(ROOT / "policies", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    exec(compile(html_section_example(), "docs/compare.md", "exec"), {"__name__": "doc"})
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h1>kpcs_2003 compared with state_actors</h1>" in page
    assert "Generated 2025-01-01." in page
    assert '<tr class="differs">' in page
