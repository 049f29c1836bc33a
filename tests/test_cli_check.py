"""`kprules check` as a user runs it (a subprocess): exit codes, formats, colour, what is read."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "robustness" / "fixtures"
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
from robust_support import Run, kprules  # noqa: E402

HEADER = 'policy p "a policy"\n  status proposed\n  reads shipments\n'
# One error: an unknown name (the checker stops there, before the warnings pass).
FLAWED = HEADER + "define cd = rough and certifed\n"
# One warning: a definition without a citation.
UNCITED = (HEADER + "define cd = rough\ndecision d: {a, b}\n  default a\n"
           '  b when cd\n    cite kpcs_core_document "Section I" "CONFLICT DIAMONDS"\n')


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A project folder with the fixtures under `policies/` and the seed they cite."""
    (tmp_path / "kprules.toml").write_text('policies = ["policies"]\nseeds = ["seeds"]\n')
    shutil.copytree(FIXTURES, tmp_path / "policies")
    (tmp_path / "seeds").mkdir()
    shutil.copy(ROOT / "seeds" / "kpcs_core_document.md", tmp_path / "seeds")
    return tmp_path


def _flawed(work: Path) -> Path:
    path = work / "policies" / "flawed.kpr"
    path.write_text(FLAWED, encoding="utf-8")
    return path


def _uncited(work: Path) -> Path:
    path = work / "policies" / "uncited.kpr"
    path.write_text(UNCITED, encoding="utf-8")
    return path


# ------------------------------------------------------------------ exit codes


def test_clean_folder_exits_0(work: Path) -> None:
    assert kprules("check", "--strict", "policies", cwd=work) == Run(
        0, "", "checked 3 files: 0 errors, 0 warnings\n")


def test_errors_exit_1(work: Path) -> None:
    _flawed(work)
    run = kprules("check", "policies", cwd=work)
    assert run.code == 1
    assert run.err == "checked 4 files: 1 error, 0 warnings\n"


def test_warnings_exit_0_unless_strict(work: Path) -> None:
    _uncited(work)
    relaxed = kprules("check", "policies", cwd=work)
    assert (relaxed.code, relaxed.err) == (0, "checked 4 files: 0 errors, 1 warning\n")
    assert relaxed.out.startswith("warning[KP211]: this definition of `cd` cites no source\n")
    strict = kprules("check", "--strict", "policies", cwd=work)
    assert (strict.code, strict.out, strict.err) == (1, relaxed.out, relaxed.err)


def test_no_paths_is_a_usage_error(work: Path) -> None:
    assert kprules("check", cwd=work) == Run(2, "", (
        "Usage: kprules check [OPTIONS] PATHS...\n"
        "Try 'kprules check --help' for help.\n\n"
        "Error: Missing argument 'PATHS...'.\n"))


def test_unknown_option_is_a_usage_error(work: Path) -> None:
    assert kprules("check", "--bogus", "policies", cwd=work) == Run(2, "", (
        "Usage: kprules check [OPTIONS] PATHS...\n"
        "Try 'kprules check --help' for help.\n\n"
        "Error: No such option '--bogus'.\n"))


def test_unknown_format_is_a_usage_error(work: Path) -> None:
    run = kprules("check", "--format", "xml", "policies", cwd=work)
    assert run.code == 2
    assert run.err.endswith(
        "Error: Invalid value for '--format': 'xml' is not one of 'text', 'gnu', 'json'.\n")


# ------------------------------------------------------------------ formats


def test_gnu_format_of_a_warning(work: Path) -> None:
    _uncited(work)
    run = kprules("check", "--format", "gnu", "policies", cwd=work)
    assert run == Run(0, (
        "policies/uncited.kpr:4:1: warning: this definition of `cd` cites no source [KP211]\n"
        'policies/uncited.kpr:4:1: note: add `cite <source> "<locator>" "<quoted text>"`\n'),
        "")


def test_json_format_of_a_warning(work: Path) -> None:
    _uncited(work)
    run = kprules("check", "--format", "json", "policies", cwd=work)
    assert json.loads(run.out)["diagnostics"] == [
        {"code": "KP211", "severity": "warning",
         "message": "this definition of `cd` cites no source",
         "location": {"file": "policies/uncited.kpr", "line": 4, "column": 1, "end_line": 4,
                      "end_column": 10, "text": "define cd"},
         "hint": 'add `cite <source> "<locator>" "<quoted text>"`', "related": []}]


def test_text_format(work: Path) -> None:
    _flawed(work)
    run = kprules("check", "policies", cwd=work)
    assert run.out == (
        "error[KP200]: undefined name `certifed`\n"
        " --> policies/flawed.kpr:4:23\n"
        "  |\n"
        "4 | define cd = rough and certifed\n"
        "  |                       ^^^^^^^^\n"
        "  = hint: did you mean `certified`?\n")


def test_gnu_format(work: Path) -> None:
    _flawed(work)
    run = kprules("check", "--format", "gnu", "policies", cwd=work)
    assert (run.code, run.err) == (1, "")
    assert run.out == (
        "policies/flawed.kpr:4:23: error: undefined name `certifed` [KP200]\n"
        "policies/flawed.kpr:4:23: note: did you mean `certified`?\n")


def test_json_format(work: Path) -> None:
    _flawed(work)
    run = kprules("check", "--format", "json", "policies", cwd=work)
    assert (run.code, run.err) == (1, "")
    document = json.loads(run.out)
    assert document == {"version": 1, "diagnostics": [
        {"code": "KP200", "severity": "error", "message": "undefined name `certifed`",
         "location": {"file": "policies/flawed.kpr", "line": 4, "column": 23, "end_line": 4,
                      "end_column": 31, "text": "certifed"},
         "hint": "did you mean `certified`?", "related": []},
    ], "modules": [
        {"name": "core_2003", "file": "policies/core.kpr", "given": True, "bundled": False},
        {"name": "p", "file": "policies/flawed.kpr", "given": True, "bundled": False},
        {"name": "state_actors", "file": "policies/proposals/state_actors.kpr", "given": True,
         "bundled": False},
        {"name": "shipments", "file": "policies/vocab.kpr", "given": True, "bundled": False}]}


def test_json_format_when_clean(work: Path) -> None:
    run = kprules("check", "--format", "json", "policies", cwd=work)
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith('{\n  "version": 1,\n  "diagnostics": [],\n  "modules": [\n')
    assert json.loads(run.out)["diagnostics"] == []


def test_json_file_level_problem_has_a_null_location(work: Path) -> None:
    run = kprules("check", "--format", "json", "missing.kpr", cwd=work)
    assert run.code == 1
    assert json.loads(run.out)["diagnostics"] == [
        {"code": "KP100", "severity": "error", "message": "`missing.kpr` does not exist",
         "location": None, "hint": None, "related": []}]


# ------------------------------------------------------------------ colour


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run kprules with stdout and stderr on a pseudo-terminal; return the code and the screen."""
    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env
    proc = subprocess.Popen([sys.executable, "-m", "kprules", *args], cwd=cwd, env=full_env,
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while select.select([leader], [], [], 60)[0]:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=60), b"".join(chunks).decode().replace("\r\n", "\n")


RED = "\x1b[31m\x1b[1m"
YELLOW = "\x1b[33m\x1b[1m"
RESET = "\x1b[0m"


def test_colour_on_a_terminal(work: Path) -> None:
    _flawed(work)
    code, screen = _on_a_terminal(["check", "--format", "gnu", "policies"], work, {})
    assert code == 1
    assert "policies/flawed.kpr:4:23: error: undefined name `certifed` [KP200]\n" in screen
    _, text_screen = _on_a_terminal(["check", "policies"], work, {})
    assert f"{RED}error[KP200]{RESET}: undefined name `certifed`\n" in text_screen
    (work / "policies" / "flawed.kpr").unlink()
    _uncited(work)
    _, warning_screen = _on_a_terminal(["check", "policies"], work, {})
    assert f"{YELLOW}warning[KP211]{RESET}: this definition" in warning_screen


def test_no_colour_with_no_color(work: Path) -> None:
    _flawed(work)
    code, screen = _on_a_terminal(["check", "policies"], work, {"NO_COLOR": "1"})
    assert code == 1
    assert "\x1b[" not in screen
    assert "error[KP200]: undefined name `certifed`\n" in screen


def test_no_colour_into_a_pipe(work: Path) -> None:
    _flawed(work)
    assert "\x1b[" not in kprules("check", "policies", cwd=work).both


# ------------------------------------------------------------------ what is read


def test_folders_are_searched_recursively(work: Path) -> None:
    (work / "policies" / "deep" / "deeper").mkdir(parents=True)
    (work / "policies" / "deep" / "deeper" / "flawed.kpr").write_text(FLAWED)
    run = kprules("check", "--format", "gnu", "policies", cwd=work)
    assert run.code == 1
    assert "policies/deep/deeper/flawed.kpr:4:23: error: undefined name `certifed` [KP200]\n" \
        in run.out


def test_a_single_proposal_finds_its_base_and_vocabulary_nearby(work: Path) -> None:
    run = kprules("check", "--strict", "policies/proposals/state_actors.kpr", cwd=work)
    assert run == Run(0, "", (
        "note: `core_2003` is read from policies/core.kpr (the files given need it; it is not "
        "among them)\nnote: `shipments` is read from policies/vocab.kpr (the files given need "
        "it; it is not among them)\nchecked 3 files: 0 errors, 0 warnings\n"))


def test_a_single_proposal_from_inside_its_folder(work: Path) -> None:
    run = kprules("check", "--strict", "state_actors.kpr", cwd=work / "policies" / "proposals")
    notes = run.err.splitlines()
    assert run.code == 0 and run.out == "" and len(notes) == 3
    assert notes[0].startswith("note: `core_2003` is read from ")
    assert notes[0].endswith("/policies/core.kpr (the files given need it; it is not among them)")
    assert notes[1].endswith("/policies/vocab.kpr (the files given need it; it is not among them)")
    assert notes[2] == "checked 3 files: 0 errors, 0 warnings"


def test_a_proposal_whose_base_is_nowhere(work: Path) -> None:
    lonely = work / "lonely"
    lonely.mkdir()
    (lonely / "p.kpr").write_text('policy p "p"\n  status proposed\n  amends nowhere\n')
    run = kprules("check", "--format", "gnu", "lonely/p.kpr", cwd=work)
    assert run.code == 1
    assert run.out.startswith("lonely/p.kpr:3:10: error: ")
    assert "[KP203]" in run.out.splitlines()[0]


def test_seeds_are_checked(work: Path) -> None:
    core = work / "policies" / "core.kpr"
    core.write_text(core.read_text().replace("its processes for issuing Certificates",
                                             "its processes for printing money"))
    run = kprules("check", "--format", "gnu", "policies", cwd=work)
    assert run.code == 0
    assert "[KP213]" in run.out
    assert kprules("check", "--no-seeds", "--strict", "policies", cwd=work).code == 0


# ------------------------------------------------------------------ the command group


def test_listed_summaries_are_the_commands_own() -> None:
    """`kprules --help` lists COMMANDS' summaries without importing: they must not drift."""
    import click

    from kprules.cli import COMMANDS, cli, summary

    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        for limit in (30, 45, 60, 200):
            assert summary(cli, name, limit) == command.get_short_help_str(limit), name


def _probe(work: Path, code: str) -> str:
    """The last line a Python process running `code` in `work` writes on stderr."""
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True,
                          text=True, check=False, timeout=60)
    return proc.stderr.splitlines()[-1]


def _run_check(before: str, report: str) -> str:
    """Code that runs `kprules check .` as the command does (`run`), `before` first, then
    prints the exit code and `report` on stderr."""
    return (f"import gc, sys; from kprules.cli import run\n{before}\n"
            "sys.argv = ['kprules', 'check', '.']\n"
            "try:\n    run()\nexcept SystemExit as exit:\n"
            f"    print(exit.code, {report}, file=sys.stderr)")


def test_help_imports_no_command(work: Path) -> None:
    probe = ("import sys; from kprules.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('kprules.cli.')), "
             "file=sys.stderr)")
    assert _probe(work, probe) == "[]"


def test_the_command_does_not_import_interegular(work: Path) -> None:
    """Lark imports `interegular` (installed here, for the strict grammar test) to check a
    grammar it builds; `kprules` loads the shipped tables instead, so its process skips it."""
    probe = _run_check("", "'interegular' in sys.modules and sys.modules['interegular'], "
                           "'lark' in sys.modules")
    assert _probe(work, probe) == "0 None True"
    plain = "import lark, sys; print(sys.modules['interegular'] is not None, file=sys.stderr)"
    assert _probe(work, plain) == "True"  # without `run`, Lark imports it


def test_the_command_starts_without_collecting_garbage(work: Path) -> None:
    """`kprules check` of a folder runs no collection (kprules.cli.START_GC): the objects that
    starting makes live as long as the process; with the default thresholds it ran about a
    hundred."""
    probe = _run_check("runs = []\ngc.callbacks.append(lambda phase, info: runs.append(phase))",
                       "runs.count('start')")
    assert _probe(work, probe) == "0 0"
