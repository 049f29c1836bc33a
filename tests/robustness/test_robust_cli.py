"""Bad input through the real command (`python -m kprules check`, a subprocess).

Each case asserts exit code 1, the whole diagnostic that locates the problem (file:line:col, or
the file's name for problems with a file as a whole) and no traceback. The last tests cover the
`main()` wrapper's last line of defence: an internal error prints `internal error[KP900]` and
exits 3, with the traceback only under `--debug`.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from robust_support import FIXTURES, assert_clean_failure, kprules

from kprules.cli import main

HEADER = 'policy p "t"\n  status proposed\n  reads shipments\n'


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working folder holding the fixture vocabulary (and a project root marker)."""
    (tmp_path / ".git").mkdir()
    shutil.copy(FIXTURES / "vocab.kpr", tmp_path / "vocab.kpr")
    return tmp_path


def _write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _check(folder: Path, *args: str) -> str:
    run = kprules("check", "--no-seeds", *args, cwd=folder)
    assert_clean_failure(run)
    return run.out


def test_empty_file(work: Path) -> None:
    _write(work, "empty.kpr", "")
    assert _check(work, "empty.kpr") == (
        "error[KP112]: the file is empty\n"
        " --> empty.kpr:1:1\n"
        "  |\n"
        "1 |\n"
        "  | ^\n"
        "  = hint: a file starts with `facts <name>` or `policy <name>`\n")


def test_white_space_and_comments_only(work: Path) -> None:
    _write(work, "blank.kpr", "\n\n   # nothing here\n\t\n")
    assert _check(work, "blank.kpr").startswith("error[KP112]: the file ends too early\n")


def test_sixty_thousand_nested_parentheses_are_a_policy(work: Path) -> None:
    """Parentheses do not nest nodes: the policy checks (its only problem is a missing citation)."""
    depth = 60_000  # 120 KB: under the size limit (docs/limits.md)
    _write(work, "parens.kpr", HEADER + "define x = " + "(" * depth + "rough" + ")" * depth + "\n"
           "decision d: {a, b}\n  default a\n  b when x\n")
    run = kprules("check", "--no-seeds", "vocab.kpr", "parens.kpr", cwd=work)
    assert "Traceback" not in run.both
    assert [line for line in run.out.splitlines() if line.startswith(("error", "warning"))] == [
        "warning[KP211]: this definition of `x` cites no source",
        "warning[KP211]: this rule of `d` cites no source",
    ] + ["warning[KP215]: no policy reads the fact `" + f + "`" for f in (
        "certified", "beneficiary", "weight", "stones", "mined_in", "origins")]
    assert run.code == 0


def test_hundred_thousand_unbalanced_parentheses(work: Path) -> None:
    _write(work, "open.kpr", HEADER + "define x = " + "(" * 100_000)
    out = _check(work, "open.kpr")
    assert out.startswith("error[KP112]: this `(` is not closed\n --> open.kpr:4:100011\n")
    assert out.endswith("  = hint: add `)` before the end of the file\n")


def test_parentheses_alone(work: Path) -> None:
    _write(work, "bare.kpr", "(" * 100_000)
    assert _check(work, "bare.kpr").startswith("error[KP111]: unexpected `(`\n --> bare.kpr:1:1\n")


TOO_DEEP = "error[KP116]: this expression is nested more than 100 levels deep"


@pytest.mark.parametrize(("body", "first"), [
    ("not " * 30_000 + "rough", TOO_DEEP),  # under the size limit (docs/limits.md)
    ("- " * 60_000 + "1 > 0", TOO_DEEP),
    ("{" * 60_000 + "}" * 60_000, TOO_DEEP),
    ("if " * 40_000, "error[KP112]: nothing follows `if`"),
    ("if rough then " * 5_000 + "true" + " else false" * 5_000, TOO_DEEP),
    (" + ".join(["stones"] * 5_000) + " > 1", TOO_DEEP),
], ids=["not", "minus", "braces", "if", "if-then-else", "plus-chain"])
def test_deep_nesting(work: Path, body: str, first: str) -> None:
    _write(work, "deep.kpr", HEADER + "define x = " + body + "\n")
    out = _check(work, "deep.kpr")
    assert out.splitlines()[0] == first
    assert out.splitlines()[1].startswith(" --> deep.kpr:4:")


def test_ten_megabytes(work: Path) -> None:
    _write(work, "huge.kpr", HEADER + "define x = rough\n" + "# padding\n" * 1_000_000)
    started = time.monotonic()
    out = _check(work, "huge.kpr")
    assert time.monotonic() - started < 10
    assert out == (
        "error[KP102]: `huge.kpr` is 10,000,066 bytes; the limit is 131,072\n"
        "  = hint: split it into several files\n")


def test_a_number_of_a_hundred_thousand_digits(work: Path) -> None:
    _write(work, "digits.kpr", HEADER + "define x = stones > " + "9" * 100_000 + "\n")
    out = _check(work, "digits.kpr")
    assert out.splitlines()[:2] == [
        "error[KP114]: this number has 100,000 digits; at most 30 are allowed",
        " --> digits.kpr:4:21"]


def test_invalid_utf8(work: Path) -> None:
    _write(work, "latin1.kpr", HEADER.encode() + b"define caf\xe9 = rough\n")
    assert _check(work, "latin1.kpr") == (
        "error[KP101]: `latin1.kpr` is not valid UTF-8 (byte 60, line 4)\n"
        " --> latin1.kpr:4:11\n"
        "  |\n"
        "4 | define caf\ufffd = rough\n"
        "  |           ^\n"
        "  = hint: save the file as UTF-8\n")


def test_nul_byte(work: Path) -> None:
    _write(work, "nul.kpr", HEADER + "define x = rough\x00\n")
    assert _check(work, "nul.kpr") == (
        "error[KP103]: a NUL byte in the text\n"
        " --> nul.kpr:4:17\n"
        "  |\n"
        "4 | define x = rough\u2400\n"
        "  |                 ^\n"
        "  = hint: this looks like a binary file\n")


def test_control_character(work: Path) -> None:
    _write(work, "ctrl.kpr", HEADER + "define x = rough\x07\n")
    assert _check(work, "ctrl.kpr").splitlines()[:2] == [
        "error[KP103]: control character U+0007 (bell) in the text", " --> ctrl.kpr:4:17"]


def test_missing_file(work: Path) -> None:
    assert _check(work, "nowhere.kpr") == "error[KP100]: `nowhere.kpr` does not exist\n"


def test_folder_with_no_policies(work: Path) -> None:
    (work / "empty").mkdir()
    _write(work / "empty", "notes.txt", "policy p")
    assert _check(work, "empty") == "error[KP104]: `empty` holds no `.kpr` files\n"


def test_a_file_that_is_a_folder(work: Path) -> None:
    (work / "folder.kpr").mkdir()
    assert _check(work, "folder.kpr") == "error[KP104]: `folder.kpr` holds no `.kpr` files\n"


def test_a_folder_named_like_a_policy_inside_a_folder_is_skipped(work: Path) -> None:
    (work / "lib").mkdir()
    (work / "lib" / "odd.kpr").mkdir()
    _write(work / "lib", "broken.kpr", "policy")
    assert _check(work, "lib") == (
        "error[KP112]: the file ends too early\n"
        " --> lib/broken.kpr:1:7\n"
        "  |\n"
        "1 | policy\n"
        "  |       ^\n"
        "  = hint: expected a name\n")


def test_unreadable_file(work: Path) -> None:
    """A file the user may not read; as root nothing is unreadable, so a broken link instead."""
    if os.geteuid() == 0:
        (work / "gone.kpr").symlink_to(work / "deleted.kpr")
        expected = "error[KP100]: `gone.kpr` is a link to a missing file\n"
    else:
        _write(work, "gone.kpr", HEADER).chmod(0)
        expected = "error[KP100]: cannot read `gone.kpr`: Permission denied\n"
    assert _check(work, "gone.kpr") == expected


def test_broken_link_in_a_folder_is_skipped(work: Path) -> None:
    (work / "lib").mkdir()
    (work / "lib" / "gone.kpr").symlink_to(work / "deleted.kpr")
    assert _check(work, "lib") == "error[KP104]: `lib` holds no `.kpr` files\n"


def test_named_pipe_does_not_block(work: Path) -> None:
    os.mkfifo(work / "pipe.kpr")
    assert _check(work, "pipe.kpr") == "error[KP100]: `pipe.kpr` is not a regular file\n"


def test_policy_that_amends_itself(work: Path) -> None:
    _write(work, "selfish.kpr", 'policy selfish "t"\n  status proposed\n  amends selfish\n')
    assert _check(work, "selfish.kpr").splitlines()[:5] == [
        "error[KP204]: policy `selfish` amends itself",
        " --> selfish.kpr:3:10",
        "  |",
        "3 |   amends selfish",
        "  |          ^^^^^^^"]


def test_many_errors_in_many_files_are_all_reported(work: Path) -> None:
    for i in range(20):
        _write(work, f"bad{i:02d}.kpr", HEADER + f"define x{i} = rough &&\n")
    out = _check(work, ".")
    assert out.count("error[KP110]: `&&` is not an operator in kprules") == 20


# ------------------------------------------------------------------ the last line of defence


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom\non two lines")


def test_internal_error_is_kp900_exit_3(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("kprules.cli.check_cmd.load_and_check", _boom)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "anything.kpr"])
    assert exit_info.value.code == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "internal error[KP900]: RuntimeError: boom on two lines\n"
        "  = this is a bug in kprules; run with --debug for the traceback\n")


def test_internal_error_with_debug_shows_the_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("kprules.cli.check_cmd.load_and_check", _boom)
    with pytest.raises(SystemExit) as exit_info:
        main(["--debug", "check", "anything.kpr"])
    assert exit_info.value.code == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.endswith("internal error[KP900]: RuntimeError: boom on two lines\n"
                        "  = this is a bug in kprules; run with --debug for the traceback\n")


def test_recursion_error_is_an_internal_error(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def deep(*args: object, **kwargs: object) -> None:
        deep(*args, **kwargs)

    monkeypatch.setattr("kprules.cli.check_cmd.load_and_check", deep)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "anything.kpr"])
    assert exit_info.value.code == 3
    assert capsys.readouterr().err.startswith(
        "internal error[KP900]: RecursionError: maximum recursion depth exceeded")
