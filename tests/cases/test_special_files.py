"""Special files given where a case file or a data file is expected: a named pipe, a folder of
the wrong kind, a device that never ends. Each is refused at once with KP100 (or KP400 for a
folder holding no case file), exit 1, no traceback -- never a hang or a read without end. The
subprocess timeout only guards the test run against a regression that would hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
POLICIES = FIXTURES / "shipment"
GUARD = 30  # seconds; a correct run takes well under one


def _eval(cases: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kprules", "eval", str(POLICIES), "--no-seeds",
                           "--cases", str(cases)], cwd=cwd, capture_output=True, text=True,
                          timeout=GUARD, check=False)


def _refused(run: subprocess.CompletedProcess[str], message: str) -> None:
    assert run.returncode == 1, run
    assert "Traceback" not in run.stderr + run.stdout
    assert message in run.stderr + run.stdout, run


@pytest.mark.parametrize("name", ["cases.toml", "records.jsonl", "records.csv",
                                  "records.parquet"])
def test_named_pipe(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)
    _refused(_eval(tmp_path / name, tmp_path), f"error[KP100]: `{name}` is not a regular file")


@pytest.mark.parametrize("name", ["cases.toml", "records.jsonl", "cases"])
def test_empty_folder(tmp_path: Path, name: str) -> None:
    """A folder is read as a folder of case files, whatever its name; an empty one is KP400."""
    (tmp_path / name).mkdir()
    _refused(_eval(tmp_path / name, tmp_path), f"error[KP400]: `{name}` holds no case files")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_device(tmp_path: Path, device: str) -> None:
    _refused(_eval(Path(device), tmp_path), f"`{device}` is not a regular file")


def test_endless_device_as_data(tmp_path: Path) -> None:
    link = tmp_path / "zero.jsonl"
    link.symlink_to("/dev/zero")
    _refused(_eval(link, tmp_path), "`zero.jsonl` is not a regular file")
