"""Shared helpers of the robustness tests: the fixtures, the invariant every check result must
satisfy, and running the real `kprules` command in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from kprules.checker import CheckResult, check
from kprules.core.diagnostics import CODES
from kprules.core.render import render_all
from kprules.syntax.loader import Workspace, load_texts

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# (name, text) of the fixture modules, vocabulary first.
FIXTURE_FILES = ("vocab.kpr", "core.kpr", "proposals/state_actors.kpr")
# Codes about a file as a whole: their diagnostics may have no span (the message names the file).
FILE_CODES = frozenset({"KP100", "KP101", "KP102", "KP103", "KP104"})
# A token of a kprules text: a string, white space, a word or number, or one other character.
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|\s+|[A-Za-z_0-9.]+|.', re.S)


def fixture_texts() -> list[tuple[str, str]]:
    return [(name, (FIXTURES / name).read_text(encoding="utf-8")) for name in FIXTURE_FILES]


def check_texts(texts: Sequence[tuple[str, str]]) -> CheckResult:
    """Load and check texts, then assert the invariant; return the result."""
    ws = load_texts(texts)
    result = check(ws)
    assert_well_formed(result, ws)
    return result


def assert_well_formed(result: CheckResult, ws: Workspace) -> None:
    """The invariant of any check result, whatever the input.

    Every diagnostic has a catalogued code and a message; a diagnostic about text is located in
    one of the given texts, inside it; every rendering works (and JSON parses); a result without
    errors has checked every module it was given.
    """
    sources = {name: src.text for name, src in ws.sources.items()}
    for diag in result.diagnostics:
        assert diag.code in CODES, diag
        assert diag.message and diag.message == diag.message.strip(), diag
        if diag.span is None:
            assert diag.code in FILE_CODES, diag
            continue
        assert diag.span.source in sources, diag
        assert 0 <= diag.span.start <= diag.span.end <= len(sources[diag.span.source]), diag
    for fmt in ("text", "gnu"):
        assert "Traceback" not in render_all(result.diagnostics, ws.sources, fmt)
    document = json.loads(render_all(result.diagnostics, ws.sources, "json"))
    assert len(document["diagnostics"]) == len(result.diagnostics)
    if result.ok:
        checked = set(result.vocabularies) | set(result.policies)
        assert checked == set(ws.modules), (checked, set(ws.modules))


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


@frozen
class Run:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def kprules(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 120) -> Run:
    """Run `python -m kprules ARGS` in `cwd`, as a user would, and capture everything."""
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "kprules", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_failure(run: Run) -> None:
    """Exit 1 with diagnostics and the summary line, and never a traceback or internal error."""
    assert run.code == 1, run
    assert "Traceback" not in run.both, run
    assert "KP900" not in run.both, run
