"""The repository stands on its own: no tracked file names a path outside it.

Every file git tracks (or, outside a git checkout, every file under the root but caches and
environments) is read; an absolute path under a machine-specific folder (a home, a scratch or
a mount folder, `/tmp`, `/opt`, ...) or a reference to a `shared` folder beside the repository
fails the test, with the file and line. System paths a tool or a test legitimately needs are
allowed by name, one by one, in ALLOWED.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Top-level folders of an absolute path that can only be one machine's (or a user's) layout.
_MACHINE_ROOTS = ("work", "root", "home", "Users", "opt", "tmp", "mnt", "srv", "media", "scratch",
                  "data", "var", "etc", "usr", "dev", "proc", "sys", "nix", "private")
# A path starts a word: not inside a URL's path or a relative path (`a/tmp/b`, `~/.cache`).
_ABSOLUTE = re.compile(r"(?<![\w.~/:-])/(?:" + "|".join(_MACHINE_ROOTS)
                       + r")(?![\w.-])(?:/[^\s`'\"()\[\]{}<>,;]*)?")
_SHARED = re.compile(r"\.\./+shared\b|\bshared/+bench\b")

# Paths a file may name: fixed system locations, never data of this project.
ALLOWED = frozenset({
    "/usr/bin/env",  # shebang lines
    "/usr/bin/chromium",  # Debian's browser, driven by the HTML report's browser test
    "/dev/null",  # output thrown away
    "/dev/zero",  # files that are not regular files, in the readers' tests
    "/dev/stdout",  # a device an output may be written to as a stream
    "/dev/fd/N", "/dev/fd/1", "/dev/fd/",  # a descriptor an output may name, as a stream
    "/proc/self/fd/1",  # what `/dev/stdout` links to
    "/dev/urandom",
    "/dev/full",  # a device every write to fails (ENOSPC), in the tests of a full disk
    "/proc/self/status",  # a process's peak memory, in bench_compare.py
})

# This file: its examples are the paths it forbids.
_EXAMPLES = Path(__file__).resolve()
_SKIP_PARTS = frozenset({".git", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache",
                         ".pytest_cache", ".hypothesis", "build", "dist"})


def tracked_files(root: Path) -> list[Path]:
    """The files git tracks under root; outside a git checkout, every file but caches."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return sorted(p for p in root.rglob("*")
                      if p.is_file() and not _SKIP_PARTS.intersection(p.relative_to(root).parts))
    return [root / name for name in out.decode().split("\0") if name]


def outside_paths(text: str) -> list[tuple[int, str]]:
    """(line number, path) of each path outside the repository that the text names."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in _ABSOLUTE.finditer(line):
            path = match.group(0).rstrip(".:")  # the end of a sentence
            if path not in ALLOWED:
                found.append((number, path))
        found.extend((number, match.group(0)) for match in _SHARED.finditer(line))
    return found


def test_no_tracked_file_names_a_path_outside_the_repository() -> None:
    files = tracked_files(ROOT)
    assert len(files) > 50, "the repository's files were not found"
    problems = []
    for path in files:
        if path.resolve() == _EXAMPLES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary files, or files deleted but not yet committed
        rel = path.relative_to(ROOT)
        problems += [f"{rel}:{line}: {found}" for line, found in outside_paths(text)]
    assert problems == []


# Example paths built from parts, so that this file itself names no path outside the repository.
WORK = "/" + "work"
SHARED = "sha" + "red"


@pytest.mark.parametrize(("text", "found"), [
    (f"run {WORK}/venv/bin/python benchmarks/bench.py", [f"{WORK}/venv/bin/python"]),
    (f"from the facts file (`{WORK}/{SHARED}/domain/facts.md`)",
     [f"{WORK}/{SHARED}/domain/facts.md"]),
    ("cd /root && ls", ["/root"]),
    ('Path("/home/alice/data.csv")', ["/home/alice/data.csv"]),
    ("write it to /tmp/out.json first", ["/tmp/out.json"]),
    ("/opt/python/bin/python3 -m kprules", ["/opt/python/bin/python3"]),
    (f"read ../{SHARED}/bench/workload.py", [f"../{SHARED}"]),
    (f"the workload in {SHARED}/bench/workload.py.", [f"{SHARED}/bench"]),
    ("see /usr/local/lib/python3.11/site-packages, then /dev/sda1.", [
        "/usr/local/lib/python3.11/site-packages", "/dev/sda1"]),
    (f'HERE.parent / "{SHARED}/bench"', [f"{SHARED}/bench"]),
])
def test_a_path_outside_the_repository_is_found(text: str, found: list[str]) -> None:
    assert [path for _, path in outside_paths(text)] == found


@pytest.mark.parametrize("text", [
    "#!/usr/bin/env bash",
    "fc-list 2>/dev/null | grep -q .",
    'read_text(Path("/dev/zero"), "/dev/zero")',
    "Debian's headless Chromium (`/usr/bin/chromium`)",
    f"https://www.kimberleyprocess.com/en/home{WORK}/tmp/page",
    "benchmarks/workload/kpcs.kpr and tests/tmp/x and ~/.cache/kprules",
    "a shared machine; the shared benchmark folder; 2 CPUs shared with other jobs",
    ".venv/bin/python benchmarks/bench_evaluate.py",
    "amounts in USD/tonne; a date/time; and/or; see /workload/ and /optional",
])
def test_legitimate_text_is_not_flagged(text: str) -> None:
    assert outside_paths(text) == []
