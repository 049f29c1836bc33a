"""What the machine refuses (a full disk, a file-size limit, a path too long) ends a command
with a diagnostic and status 1, not an internal error; and a project file cannot name a folder
with a NUL in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HINT = "  = hint: the machine, not the input, stopped the command"


def kprules(*args: str, stdout: object = subprocess.PIPE, cwd: Path = ROOT,
            limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def lower_limit() -> None:
        if limit is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "kprules", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, cwd=cwd, check=False,
                          preexec_fn=lower_limit)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_kp604() -> None:
    with open("/dev/full", "w") as full:
        result = kprules("eval", "kpcs_2003", "--cases", "policies/cases/", stdout=full)
    assert (result.returncode, result.stderr.splitlines()[-2:]) == (
        1, ["error[KP604]: No space left on device", HINT + ": free space, raise the limit or "
            "give a shorter path"])


def test_a_file_size_limit_keeps_the_output_file(tmp_path: Path) -> None:
    out = tmp_path / "diff.json"
    out.write_text("old\n", encoding="utf-8")
    result = kprules("diff", "kpcs_2003", "state_actors", "--format", "json", "-o", str(out),
                     limit=4096)
    assert result.returncode == 1 and "error[KP604]: File too large" in result.stderr
    assert out.read_text(encoding="utf-8") == "old\n"


def test_a_path_too_long_is_kp100(tmp_path: Path) -> None:
    result = kprules("check", "a" * 5000 + ".kpr", cwd=tmp_path)
    first = result.stderr.splitlines()[0]
    assert result.returncode == 1 and first.startswith("error[KP100]: `aaa")
    assert first.endswith("aaa.kpr`: File name too long") and len(first) < 300


def test_a_nul_in_a_project_file_is_kp105(tmp_path: Path) -> None:
    (tmp_path / "kprules.toml").write_text('policies = "a\\u0000b"\n', encoding="utf-8")
    result = kprules("check", ".", cwd=tmp_path)
    assert result.returncode == 1 and "KP900" not in result.stdout + result.stderr
    assert ('error[KP105]: the project file `kprules.toml` lists "a\\u0000b" in `policies`, '
            "which cannot name a folder") in result.stdout
