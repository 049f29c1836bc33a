"""The README: its first two commands are the main job and the test command (the one .ci/run
runs, word for word), and the report excerpt it shows is what the main job prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", README, re.S)


def test_the_readme_starts_with_the_two_commands() -> None:
    main, tests = commands()[:2]
    assert README.index(main) < README.index("## ")
    assert main.startswith("python3 -m venv .venv && .venv/bin/pip install -q . && ")
    assert main.endswith("kprules compare kpcs_2003 policies/proposals/ --cases policies/cases/")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci, "the last step of .ci/run must be the README's test command"


def test_the_excerpt_is_what_the_main_command_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = commands()[0].split(".venv/bin/kprules ", 1)[1].split()
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    excerpt = re.search(r"```text\n(Summary.*?)```", README, re.S)
    assert excerpt is not None
    for piece in re.split(r"^\.\.\.\n", excerpt.group(1), flags=re.M):
        assert piece in out.output, piece
    assert len(out.output.splitlines()) < 300, "the main command's report is its first screen"


def test_the_production_figures_are_what_the_command_prints(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's line on world production: each share it quotes is in the command's output
    (the SQL summary over the bundled production statistics, grouped by year)."""
    monkeypatch.chdir(ROOT)
    command = next(line for line in README.splitlines() if "kp_production_2019_2024" in line
                   and line.startswith(".venv/bin/pip"))
    args = shlex.split(command.split("&&", 1)[1])[1:]  # after `.venv/bin/kprules`
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "shipment_carats 37320000 ct (32.00% of the group's)" in out  # 2024
    assert "shipment_carats 37317000 ct (33.46% of the group's)" in out  # 2023
    assert "shipment_value 3606000000 usd (28.34% of the group's)" in out  # 2023
    words = " ".join(README.split())
    for quoted in ("32.0% of the world's 2024 carats", "37.3 Mct", "33.5% of carats",
                   "28.3% of value"):
        assert quoted in words
