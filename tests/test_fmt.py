"""`kprules fmt` and the canonical printer: golden files and the command line.

Goldens (OPA style): tests/golden/fmt/X.kpr is formatted and compared with X.kpr.fmt in full
(`pytest --update-goldens` rewrites them). The command is run through click's CliRunner on copies
in a temporary folder: exit codes, what it prints, which files it touches and how.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kprules.cli import cli
from kprules.core.diagnostics import PolicyError
from kprules.core.limits import MAX_POLICY_BYTES
from kprules.core.render import render_all
from kprules.core.source import Source
from kprules.syntax.canonical import canonical_text
from kprules.syntax.parse import parse

GOLDEN = Path(__file__).parent / "golden" / "fmt"
INPUTS = sorted(GOLDEN.glob("*.kpr"))

Golden = Callable[[Path, str], None]


def _format(path: Path) -> str:
    return canonical_text(Source(path.name, path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_golden(path: Path, golden: Golden) -> None:
    golden(path.with_suffix(".kpr.fmt"), _format(path))


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_golden_output_is_canonical(path: Path) -> None:
    expected = path.with_suffix(".kpr.fmt")
    text = expected.read_text(encoding="utf-8")
    assert canonical_text(Source(expected.name, text)) == text
    assert parse(Source(expected.name, text)) == parse(Source(path.name, path.read_text("utf-8")))


def test_goldens_cover_every_golden_input() -> None:
    outputs = sorted(GOLDEN.glob("*.kpr.fmt"))
    assert [p.name for p in outputs] == [p.name + ".fmt" for p in INPUTS]
    assert len(INPUTS) >= 6


def test_golden_lines_fit_in_100_columns_unless_one_word_is_too_long() -> None:
    for path in sorted(GOLDEN.glob("*.kpr.fmt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if len(line) > 100:
                assert " " not in line.strip() or "#" in line, (path.name, line)


# ----------------------------------------------------------------------------- command line

MESSY = 'facts f   "a vocabulary"\nfact  a :bool\n'
CANONICAL = 'facts f "a vocabulary"\n\nfact a: bool\n'
BROKEN = "policy p\ndefine x = (a and\n"


def _syntax_report(name: str, text: str) -> str:
    """What `kprules check` shows for a file that does not parse (the text rendering)."""
    source = Source(name, text)
    with pytest.raises(PolicyError) as err:
        parse(source)
    return render_all(err.value.diagnostics, {name: source}, "text")


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["fmt", *args], catch_exceptions=False)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_fmt_rewrites_a_file(work: Path) -> None:
    path = _write(work, "v.kpr", MESSY)
    result = _run("v.kpr")
    assert (result.exit_code, result.stdout) == (0, "formatted v.kpr\n")
    assert result.stderr == "1 file: 1 reformatted, 0 already canonical\n"
    assert path.read_text(encoding="utf-8") == CANONICAL


def test_fmt_leaves_a_canonical_file_alone(work: Path) -> None:
    path = _write(work, "v.kpr", CANONICAL)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    result = _run("v.kpr")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "1 file: 0 reformatted, 1 already canonical\n"
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_check_exits_1_and_lists_files_that_would_change(work: Path) -> None:
    messy = _write(work, "messy.kpr", MESSY)
    _write(work, "ok.kpr", CANONICAL)
    result = _run("--check", "messy.kpr", "ok.kpr")
    assert (result.exit_code, result.stdout) == (1, "messy.kpr\n")
    assert result.stderr == "2 files: 1 would be reformatted, 1 already canonical\n"
    assert messy.read_text(encoding="utf-8") == MESSY


def test_check_exits_0_when_all_files_are_canonical(work: Path) -> None:
    _write(work, "ok.kpr", CANONICAL)
    result = _run("--check", "ok.kpr")
    assert (result.exit_code, result.stdout) == (0, "")


def test_diff_prints_the_change_and_writes_nothing(work: Path) -> None:
    path = _write(work, "v.kpr", MESSY)
    result = _run("--diff", "v.kpr")
    assert result.exit_code == 0
    assert result.stdout == (
        "--- v.kpr\n+++ v.kpr\n@@ -1,2 +1,3 @@\n"
        '-facts f   "a vocabulary"\n-fact  a :bool\n+facts f "a vocabulary"\n+\n+fact a: bool\n')
    assert path.read_text(encoding="utf-8") == MESSY


def test_check_with_diff_shows_the_diff_and_fails(work: Path) -> None:
    _write(work, "v.kpr", MESSY)
    result = _run("--check", "--diff", "v.kpr")
    assert result.exit_code == 1
    assert result.stdout.startswith("--- v.kpr\n+++ v.kpr\n")


def test_a_file_that_does_not_parse_is_reported_and_untouched(work: Path) -> None:
    broken = _write(work, "broken.kpr", BROKEN)
    good = _write(work, "good.kpr", MESSY)
    os.utime(broken, ns=(1_000_000_000, 1_000_000_000))
    before = broken.read_bytes()
    result = _run("broken.kpr", "good.kpr")
    assert result.exit_code == 1
    assert result.stdout == "formatted good.kpr\n"
    assert result.stderr == _syntax_report("broken.kpr", BROKEN) + (
        "2 files: 1 reformatted, 0 already canonical, 1 with errors (left unchanged)\n")
    assert broken.read_bytes() == before
    assert broken.stat().st_mtime_ns == 1_000_000_000
    assert good.read_text(encoding="utf-8") == CANONICAL


def _growing(size: int) -> str:
    """A policy whose canonical text is `size` bytes (give a multiple of 4): `fmt` indents the
    comments inside an expression, so that each grows by 2 bytes, to 4."""
    head, tail = 'policy big "t"\n  reads v\n\ndefine x\n', "  = true\n"
    lines = (size - len(head) - len(tail)) // 4
    return head + "#\n" * lines + tail


@pytest.mark.parametrize("option", [[], ["--check"], ["--diff"]])
def test_a_canonical_text_over_the_size_limit_is_refused(work: Path, option: list[str]) -> None:
    path = _write(work, "big.kpr", _growing(MAX_POLICY_BYTES + 4))
    before = path.read_bytes()
    assert len(before) < MAX_POLICY_BYTES
    result = _run(*option, "big.kpr")
    assert (result.exit_code, result.stdout) == (1, "")
    would = "would be reformatted" if option else "reformatted"
    assert result.stderr == (
        "error[KP102]: the canonical form of `big.kpr` would be 131,076 bytes; the limit is "
        "131,072\n"
        " --> big.kpr:1:8\n"
        "  |\n"
        '1 | policy big "t"\n'
        "  |        ^^^\n"
        "  = hint: split it into several files; it is left as it is\n"
        f"1 file: 0 {would}, 0 already canonical, 1 with errors (left unchanged)\n")
    assert path.read_bytes() == before


def test_a_canonical_text_at_the_size_limit_is_written(work: Path) -> None:
    path = _write(work, "big.kpr", _growing(MAX_POLICY_BYTES))
    assert _run("big.kpr").exit_code == 0
    assert len(path.read_bytes()) == MAX_POLICY_BYTES


def test_permissions_are_kept(work: Path) -> None:
    path = _write(work, "v.kpr", MESSY)
    path.chmod(0o640)
    assert _run("v.kpr").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert [p.name for p in work.iterdir()] == ["v.kpr"]  # no temporary file left behind


def test_a_folder_is_searched_for_kpr_files(work: Path) -> None:
    _write(work, "policies/a.kpr", MESSY)
    _write(work, "policies/sub/b.kpr", MESSY)
    _write(work, "policies/notes.txt", "not a policy")
    result = _run("policies")
    assert result.exit_code == 0
    assert result.stdout == "formatted policies/a.kpr\nformatted policies/sub/b.kpr\n"
    assert (work / "policies/sub/b.kpr").read_text(encoding="utf-8") == CANONICAL
    assert (work / "policies/notes.txt").read_text(encoding="utf-8") == "not a policy"


def test_fmt_is_idempotent_on_the_goldens(work: Path) -> None:
    for path in INPUTS:
        shutil.copy(path, work / path.name)
    first = _run(".")
    assert first.exit_code == 0
    for path in INPUTS:
        expected = path.with_suffix(".kpr.fmt").read_text(encoding="utf-8")
        assert (work / path.name).read_text(encoding="utf-8") == expected
    again = _run("--check", ".")
    assert (again.exit_code, again.stdout) == (0, "")


def test_missing_path_and_empty_folder_are_errors(work: Path) -> None:
    (work / "empty").mkdir()
    result = _run("nowhere.kpr", "empty")
    assert result.exit_code == 1
    assert result.stderr == (
        "error[KP100]: `nowhere.kpr` does not exist\n\n"
        "error[KP104]: `empty` holds no `.kpr` files\n"
        "0 files: 0 reformatted, 0 already canonical\n")


def test_a_printer_bug_leaves_the_file_alone_and_exits_3(work: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong(module: object, comments: object = ()) -> str:
        return "facts g\n"

    monkeypatch.setattr("kprules.syntax.canonical.pretty", wrong)
    path = _write(work, "v.kpr", MESSY)
    result = _run("v.kpr")
    assert result.exit_code == 3
    assert result.stderr == (
        "internal error[KP900]: cannot format `v.kpr`: the output parses to a different module\n"
        "  = this is a bug in kprules; `v.kpr` is left unchanged (please report it with the "
        "file)\n"
        "1 file: 0 reformatted, 0 already canonical, 1 not formatted because of a bug\n")
    assert path.read_text(encoding="utf-8") == MESSY


def test_a_printer_that_drops_a_comment_is_caught(work: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from kprules.syntax import pretty

    monkeypatch.setattr("kprules.syntax.canonical.pretty", lambda m, c=(): pretty.pretty(m))
    path = _write(work, "v.kpr", "# a comment\n" + CANONICAL)
    result = _run("v.kpr")
    assert result.exit_code == 3
    assert result.stderr == (
        "internal error[KP900]: cannot format `v.kpr`: the output does not keep the comments in "
        "order\n"
        "  = this is a bug in kprules; `v.kpr` is left unchanged (please report it with the "
        "file)\n"
        "1 file: 0 reformatted, 0 already canonical, 1 not formatted because of a bug\n")
    assert path.read_text(encoding="utf-8") == "# a comment\n" + CANONICAL


def test_help_describes_the_options() -> None:
    result = CliRunner().invoke(cli, ["fmt", "--help"])
    assert result.exit_code == 0
    for words in ("--check", "--diff", "canonical form", "Exit status"):
        assert words in result.stdout


@pytest.mark.parametrize(("data", "code"), [(b'policy nu "t \xff"\n  reads v\n', "KP101"),
                                            (b'policy nu "t \x00"\n  reads v\n', "KP103")])
def test_fmt_locates_a_file_it_cannot_read_as_text(tmp_path: Path, data: bytes,
                                                   code: str) -> None:
    """As `check` does: the line, the column, the byte underlined."""
    (tmp_path / "bad.kpr").write_bytes(data)
    result = CliRunner().invoke(cli, ["fmt", "--check", str(tmp_path / "bad.kpr")])
    assert result.exit_code == 1
    assert f"error[{code}]" in result.output and "bad.kpr:1:14\n" in result.output
    assert "1 | policy nu" in result.output and (tmp_path / "bad.kpr").read_bytes() == data
