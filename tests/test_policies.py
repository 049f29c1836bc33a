"""The bundled policy library: it checks with --strict, and every case expectation holds."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kprules.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def test_policies_check_strict() -> None:
    result = CliRunner().invoke(cli, ["check", "--strict", str(ROOT / "policies")])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_policies_are_in_canonical_form() -> None:
    result = CliRunner().invoke(cli, ["fmt", "--check", str(ROOT / "policies")])
    assert result.exit_code == 0, result.output


def test_every_cut_off_of_the_library_is_exercised_from_both_sides() -> None:
    """Issue 4's acceptance: every cut-off date and threshold is exercised from both sides by a
    case, and every expectation holds."""
    result = CliRunner().invoke(cli, ["test", str(ROOT / "policies"), "--boundaries-strict"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("passed, 0 failed")
    assert lines[1].startswith("boundary coverage: 100.0% ")
