"""`kprules diff` on the command line: bad input is one located line and exit 2, the witnesses
it writes are case files `kprules test` accepts, --unknowns writes out the undecided region."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output, result.exit_code


@pytest.mark.parametrize(("args", "message"), [
    (["kpcs_2003", "no_such_policy"], "error[KP602]: no policy `no_such_policy`"),
    (["kpcs_2003", "state_actors", "--term", "conflict_diamonds"],
     "error[KP601]: policy `kpcs_2003` has no term `conflict_diamonds`"),
    (["kpcs_2003", "state_actors", "--term", "kpcs_2003.conflict_diamond"],
     "error[KP601]: policy `kpcs_2003` has no term `kpcs_2003.conflict_diamond`; the policies "
     "are compared on the same terms: give `conflict_diamond`"),
    (["kpcs_2003", "state_actors", "--as-of", "2024-01-01", "--over-time"],
     "--as-of and --over-time exclude each other"),
    (["kpcs_2003", "state_actors", "--as-of", "2024-13-01"], "is not a date"),
])
def test_bad_input(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["diff", *args], monkeypatch)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_witnesses_are_cases_kprules_test_accepts(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["diff", "kpcs_2003", "adpa_2025", "--write-witnesses", str(tmp_path)],
                    monkeypatch)
    assert code == 0
    files = sorted(p.name for p in tmp_path.glob("*.toml"))
    assert "diff-adpa-2025-conflict-diamond-only-base-1.toml" in files
    assert len(files) == out.count("witness (")
    tested, code = run(["test", str(tmp_path), "policies/"], monkeypatch)
    assert code == 0, tested
    assert "0 failed" in tested and "error" not in tested


def test_witnesses_are_rewritten_by_a_new_run(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The files a run wrote start with kprules' line, and a new run into the same folder
    rewrites them (it stopped with KP604: they are case files)."""
    args = ["diff", "kpcs_2003", "adpa_2025", "--write-witnesses", str(tmp_path)]
    for _ in range(2):
        out, code = run(args, monkeypatch)
        assert code == 0, out
    texts = [p.read_text() for p in tmp_path.glob("*.toml")]
    assert texts and all(t.startswith("# Written by kprules; a new run rewrites it.")
                         for t in texts)


def test_as_of_puts_the_date_in_the_witnesses(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["diff", "kpcs_2003", "state_actors", "--term", "rough_trade", "--as-of",
                     "2024-01-01", "--write-witnesses", str(tmp_path)], monkeypatch)
    assert code == 0 and "(as of 2024-01-01)" in out
    texts = [p.read_text() for p in tmp_path.glob("*.toml")]
    assert texts and all("date = 2024-01-01" in t for t in texts)
    assert "shipment_date >=" not in out


def test_unknowns_lists_the_undecided_region(monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["diff", "kpcs_2003", "state_actors", "--term", "conflict_diamond",
                     "--unknowns"], monkeypatch)
    assert code == 0
    assert "one decides, the other is unknown:\n" in out
    assert "proceeds_finance is unknown" in out


def test_a_reading_that_adds_a_condition_is_narrower(monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["diff", "kpcs_2003", "policies/kpcs_2003.kpr",
                     "policies/readings/kpcs_2003_un_anchored.kpr", "--term", "conflict_diamond"],
                    monkeypatch)
    assert code == 0
    assert "kpcs_2003_un_anchored.conflict_diamond: narrower" in out


def test_witness_files_name_values_as_the_language_writes_them(tmp_path: Path) -> None:
    (tmp_path / "v.kpr").write_text("facts lots\nfact origins: set of country\nfact b: bool\n")
    (tmp_path / "a.kpr").write_text("policy a\n  status current\n  reads lots\n\n"
                                    "define s = if b then origins else {RU}\n")
    (tmp_path / "b.kpr").write_text("policy b\n  status proposed\n  amends a\n\n"
                                    "redefine s = if b then {RU} else {}\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = CliRunner().invoke(cli, ["diff", "a.kpr", "b.kpr", "--policies", ".",
                                          "--write-witnesses", "w"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == [
        "diff-b-s-fact-value-to-ru-1.toml", "diff-b-s-fact-value-to-ru-2.toml",
        "diff-b-s-ru-to-empty-1.toml"]
