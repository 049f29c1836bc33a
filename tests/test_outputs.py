"""Outputs that must not replace the wrong file (issue 14): inputs of the run, policies and
data, special files, links, read-only files; fmt and hard links; SIGTERM mid-write."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli
from kprules.core.files import OutputError, atomic_output, write_atomic

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "cases" / "fixtures"
RECORDS = '{"id": "lot-1", "rough": true, "beneficiary": "state_owned_enterprise"}\n'


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copytree(FIXTURES / "shipment", tmp_path / "shipment")
    (tmp_path / "pyproject.toml").write_text("\n", encoding="utf-8")
    (tmp_path / "in.jsonl").write_text(RECORDS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _compare(output: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["compare", "kpcs", "shipment", "--cases", "in.jsonl",
                                      "-o", output])
    return result.exit_code, result.output


def test_the_input_data_is_never_the_report(work: Path) -> None:
    status, out = _compare("in.jsonl")
    assert status == 1 and "KP604" in out and "it is an input of this command" in out
    assert (work / "in.jsonl").read_text(encoding="utf-8") == RECORDS


@pytest.mark.parametrize("name", ["shipment/kpcs.kpr", "other.toml", "more.csv"])
def test_a_policy_case_or_data_file_is_never_the_report(work: Path, name: str) -> None:
    path = work / name
    if not path.exists():
        path.write_text("kept\n", encoding="utf-8")
    before = path.read_bytes()
    status, out = _compare(name)
    assert status == 1 and "it is a policy, case or data file" in out
    assert path.read_bytes() == before


def test_a_symbolic_link_is_written_through(work: Path) -> None:
    (work / "reports").mkdir()
    (work / "reports" / "latest.txt").write_text("old\n", encoding="utf-8")
    (work / "link.txt").symlink_to(work / "reports" / "latest.txt")
    status, out = _compare("link.txt")
    assert status == 0, out
    assert (work / "link.txt").is_symlink()
    assert "kprules compare" in (work / "reports" / "latest.txt").read_text(encoding="utf-8")


def test_a_fifo_is_written_as_a_stream(work: Path) -> None:
    fifo = work / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    status, out = _compare("pipe")
    reader.join(timeout=30)
    assert status == 0, out
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert b"kprules compare" in got[0]


def test_dev_null_stays_a_device(work: Path) -> None:
    status, out = _compare(os.devnull)
    assert status == 0, out
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)


def test_a_read_only_file_is_refused(work: Path) -> None:
    path = work / "report.txt"
    path.write_text("keep me\n", encoding="utf-8")
    path.chmod(0o444)
    status, out = _compare("report.txt")
    assert status == 1 and "it is read-only" in out
    assert path.read_text(encoding="utf-8") == "keep me\n"


@pytest.mark.parametrize("name", ["report.toml", "shipment/report.kpr"])
def test_no_report_is_named_like_a_policy_or_case_file(work: Path, name: str) -> None:
    """Not even a new one: the next run of `kprules test` or `check` over the folder would
    read the report as a case file or a policy (KP401)."""
    status, out = _compare(name)
    assert status == 1 and out == (
        f"error[KP604]: cannot write `{name}`: an output named like a policy or case file "
        "would be read as one by the next run; give it another name\n")
    assert not (work / name).exists()
    result = CliRunner().invoke(cli, ["test", "shipment", "--junit", "shipment/results.toml"])
    assert result.exit_code == 1 and "KP604" in result.output
    assert not (work / "shipment" / "results.toml").exists()


def test_junit_never_replaces_a_case_file(work: Path) -> None:
    shutil.copytree(FIXTURES / "seeds", work / "seeds")
    case = work / "case.toml"
    shutil.copy(next(iter(sorted((FIXTURES / "cases").rglob("*.toml")))), case)
    before = case.read_bytes()
    result = CliRunner().invoke(cli, ["test", "shipment", "case.toml", "--junit", "case.toml"])
    assert "KP604" in result.output
    assert case.read_bytes() == before


UGLY = 'policy p "p"\n  status current\n  reads shipment\ndefine   x "x"   =   rough\n'


def test_fmt_keeps_hard_links(work: Path) -> None:
    policy = work / "shipment" / "ugly.kpr"
    policy.write_text(UGLY, encoding="utf-8")
    os.link(policy, work / "linked.kpr")
    result = CliRunner().invoke(cli, ["fmt", str(policy)])
    assert result.exit_code == 0, result.output
    assert (work / "linked.kpr").read_text(encoding="utf-8") == policy.read_text(
        encoding="utf-8") != UGLY
    assert policy.stat().st_nlink == 2


def test_fmt_leaves_a_read_only_policy_alone(work: Path) -> None:
    policy = work / "shipment" / "ugly.kpr"
    policy.write_text(UGLY, encoding="utf-8")
    policy.chmod(0o444)
    result = CliRunner().invoke(cli, ["fmt", str(policy)])
    assert result.exit_code == 1 and "it is read-only" in result.output
    assert policy.read_text(encoding="utf-8") == UGLY


def test_sigterm_mid_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop, atomic_output(target) as out:
        out.write("half a report")
        os.kill(os.getpid(), signal.SIGTERM)
    assert stop.value.code == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]
    assert target.read_text(encoding="utf-8") == "old\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_fmt_may_write_a_policy_and_nothing_else_may(tmp_path: Path) -> None:
    policy = tmp_path / "p.kpr"
    policy.write_text("old\n", encoding="utf-8")
    with pytest.raises(OutputError):
        write_atomic(policy, "new\n")
    write_atomic(policy, "new\n", sources=True)
    assert policy.read_text(encoding="utf-8") == "new\n"


# ----------------------------------------------------------------------------- eval --output

ENGINES = ["python", pytest.param("duckdb", marks=pytest.mark.skipif(
    not __import__("importlib").util.find_spec("duckdb"), reason="DuckDB not installed"))]


def _eval(output: str, engine: str, fmt: str = "csv") -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["eval", "shipment", "--no-seeds", "--cases", "in.jsonl",
                                      "--format", fmt, "--engine", engine, "--output", output])
    return result.exit_code, result.output


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("name", "why"), [
    ("in.jsonl", "it is an input of this command"),
    ("shipment/kpcs.kpr", "it is a policy, case or data file"),
    ("other.toml", "it is a policy, case or data file"),
    ("other.kpr", "it is a policy, case or data file")])
def test_eval_never_writes_over_an_input_or_a_policy(work: Path, engine: str, name: str,
                                                     why: str) -> None:
    path = work / name
    if not path.exists():
        path.write_text("kept\n", encoding="utf-8")
    before = path.read_bytes()
    status, out = _eval(name, engine)
    assert (status, path.read_bytes()) == (1, before)
    assert f"error[KP604]: cannot write `{name}`: {why}" in out


@pytest.mark.parametrize("engine", ENGINES)
def test_eval_replaces_an_earlier_output_whole(work: Path, engine: str) -> None:
    (work / "out.csv").write_text("an earlier output\n", encoding="utf-8")
    os.chmod(work / "out.csv", 0o640)
    assert _eval("out.csv", engine) == (0, "evaluated 1 record\n")
    assert (work / "out.csv").read_text("utf-8").startswith("case,as_of,")
    assert stat.S_IMODE((work / "out.csv").stat().st_mode) == 0o640
    assert sorted(p.name for p in work.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_eval_writes_through_a_link_and_keeps_hard_links(work: Path, engine: str) -> None:
    (work / "reports").mkdir()
    target = work / "reports" / "latest.csv"
    target.write_text("old\n", encoding="utf-8")
    (work / "link.csv").symlink_to(target)
    os.link(target, work / "also.csv")
    assert _eval("link.csv", engine) == (0, "evaluated 1 record\n")
    assert (work / "link.csv").is_symlink()
    assert (work / "also.csv").read_text("utf-8") == target.read_text("utf-8")
    assert target.read_text("utf-8").startswith("case,as_of,")


@pytest.mark.parametrize("engine", ENGINES)
def test_eval_refuses_a_read_only_output_and_streams_to_a_device(work: Path,
                                                                 engine: str) -> None:
    (work / "ro.csv").write_text("kept\n", encoding="utf-8")
    os.chmod(work / "ro.csv", 0o444)
    status, out = _eval("ro.csv", engine)
    assert status == 1 and "cannot write `ro.csv`: it is read-only" in out
    assert (work / "ro.csv").read_text("utf-8") == "kept\n"
    assert _eval(os.devnull, engine) == (0, "evaluated 1 record\n")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.parametrize("engine", ENGINES)
def test_eval_says_at_once_when_the_output_folder_is_missing(work: Path, engine: str) -> None:
    assert _eval("missing/out.csv", engine) == (
        1, "error[KP604]: cannot write `missing/out.csv`: No such file or directory\n")


@pytest.mark.parametrize("command", [
    "eval shipment --no-seeds --cases in.jsonl --format csv --engine python",
    "eval shipment --no-seeds --cases in.jsonl --format csv --engine duckdb",
    "compare kpcs shipment --cases in.jsonl --format json"])
def test_dev_stdout_redirected_to_a_file_is_written_where_the_stream_is(work: Path,
                                                                       command: str) -> None:
    """`--output /dev/stdout` with standard output redirected to a file: the output, then what
    the shell writes after, in that file (replacing the file lost the shell's `after`)."""
    if "duckdb" in command and not __import__("importlib").util.find_spec("duckdb"):
        pytest.skip("DuckDB not installed")
    import subprocess
    import sys

    kprules = f"{sys.executable} -m kprules"
    subprocess.run(["bash", "-c", f"({kprules} {command} --output /dev/stdout; echo after) "
                    "> log.txt 2> err.txt"], check=True, cwd=work)
    log = (work / "log.txt").read_text("utf-8")
    assert log.endswith("after\n") and len(log.splitlines()) > 1
    if "csv" in command:
        assert log.startswith("case,as_of,")


COMPARE_FIXTURES = Path(__file__).resolve().parent / "compare" / "fixtures"


OUTPUT_COMMANDS = [
    ("eval shipment --no-seeds --cases in.jsonl --format csv --engine python --output", "case,"),
    ("eval shipment --no-seeds --cases in.jsonl --format csv --engine duckdb --output", "case,"),
    ("compare kpcs shipment --cases in.jsonl --format json -o", "{\n  \"schema_version\""),
    (f"test {COMPARE_FIXTURES}/policies {COMPARE_FIXTURES}/cases --junit", "<?xml")]


def _piped(command: str, path: str, pass_fds: tuple[int, ...] = ()) -> tuple[str, str]:
    """(standard output, standard error) of kprules run with standard output a pipe."""
    import subprocess
    import sys

    if "duckdb" in command and not __import__("importlib").util.find_spec("duckdb"):
        pytest.skip("DuckDB not installed")
    result = subprocess.run([sys.executable, "-m", "kprules", *command.split(), path],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            pass_fds=pass_fds, check=False,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0 and "KP604" not in result.stderr, result.stderr
    return result.stdout, result.stderr


@pytest.mark.parametrize(("command", "start"), OUTPUT_COMMANDS)
@pytest.mark.parametrize("path", ["/dev/stdout", "/dev/fd/1"])
def test_standard_output_a_pipe_is_written_as_a_stream(work: Path, command: str, start: str,
                                                       path: str) -> None:
    """`-o /dev/stdout` with standard output a pipe: the real path of the link is
    `pipe:[...]`, no file; the pipe is written, after what the command printed itself."""
    out, _ = _piped(command, path)
    assert start in out, out
    printed, _, written = out.partition(start)
    assert printed == ("9 cases, 23 expectations: 23 passed, 0 failed\n"
                       if command.startswith("test") else "")
    assert written.strip()


@pytest.mark.parametrize(("command", "start"), OUTPUT_COMMANDS)
def test_a_pipe_named_by_its_descriptor_is_written_as_a_stream(work: Path, command: str,
                                                               start: str) -> None:
    """`-o /dev/fd/N` (what bash's `-o >(gzip > out.gz)` gives) to a pipe."""
    read, write = os.pipe()
    try:
        _piped(command, f"/dev/fd/{write}", (write,))
    finally:
        os.close(write)
    with os.fdopen(read, encoding="utf-8") as piped:
        assert piped.read().startswith(start)


def test_a_hard_linked_file_is_left_whole_when_the_new_text_does_not_fit(
        work: Path) -> None:
    """A file-size limit below the new text: the copy that proves it fits fails first, so the
    linked file is not touched (it was cut at the limit), and no copy is left."""
    import subprocess
    import sys

    policy = work / "shipment" / "long.kpr"
    text = 'policy p "p"\n  status current\n  reads shipment\n' + "".join(
        f"define   t{i}   =   rough\n" for i in range(300))
    policy.write_text(text, encoding="utf-8")
    os.link(policy, work / "linked.kpr")

    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run([sys.executable, "-m", "kprules", "fmt", str(policy)],
                            capture_output=True, text=True, preexec_fn=limit, check=False,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 1 and "cannot write `" in result.stdout + result.stderr
    assert policy.read_text(encoding="utf-8") == text == (work / "linked.kpr").read_text(
        encoding="utf-8")
    assert not [p.name for p in policy.parent.iterdir() if p.name.startswith(".")]


def test_a_hard_linked_file_gets_its_old_text_back_when_the_write_fails(
        work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from kprules.core import files

    target = work / "report.md"
    target.write_bytes(b"old values\n")
    os.link(target, work / "also.md")
    real, calls = files._overwrite, []

    def failing(path: Path, data: bytes) -> None:
        calls.append(data)
        if len(calls) == 1:  # half the new text written, then the disk is full
            path.write_bytes(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(files, "_overwrite", failing)
    with pytest.raises(OutputError, match="No space left on device"):
        write_atomic(target, b"new values, longer than the old\n")
    assert target.read_bytes() == b"old values\n" == (work / "also.md").read_bytes()
    assert calls == [b"new values, longer than the old\n", b"old values\n"]
