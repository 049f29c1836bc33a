"""docs/compare.md and docs/report-schema.md stay true: the Python example runs, the excerpts of
outputs are parts of the golden outputs, and every field of the JSON report is documented."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GOLDEN = ROOT / "tests" / "golden" / "reports"


def blocks(path: Path, lang: str) -> list[str]:
    """The fenced blocks of a Markdown file whose info string is `lang` ("" for none)."""
    out: list[str] = []
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("```") and current is None:
            current = [] if line[3:].strip() == lang else None
            if current is None:
                current = ["<other>"]
        elif line.startswith("```") and current is not None:
            if current[:1] != ["<other>"]:
                out.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return out


def test_the_python_example_runs(monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    (code,) = blocks(DOCS / "compare.md", "python")
    exec(compile(code, "docs/compare.md", "exec"), {"__name__": "compare_md"})
    assert capsys.readouterr().out.splitlines()[:2] == [
        "conflict_diamond state_actors false -> true state_actors.conflict_diamond",
        "('state_actors', 'conflict_diamond') False True"]


def test_the_output_excerpts_are_real() -> None:
    """Each excerpt (`...` marks a cut) is, piece by piece, in the golden outputs."""
    outputs = "".join(p.read_text(encoding="utf-8") for p in sorted(GOLDEN.rglob("*.txt")))
    for block in blocks(DOCS / "compare.md", "")[1:]:
        if block.startswith(("kprules ", "PATH")):
            continue
        pieces = [p for p in re.split(r"^\s*\.\.\.\n", block, flags=re.M) if p.strip()]
        for piece in pieces:
            assert piece in outputs, piece


def keys(obj: Any, dynamic: bool = False) -> Iterator[str]:
    """Every key of a JSON value, except the names of terms, policies and facts used as keys."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not dynamic:
                yield k
            yield from keys(v, dynamic=k in ("values", "weights") or (dynamic and k != "x"))
    elif isinstance(obj, list):
        for item in obj:
            yield from keys(item)


def test_every_json_field_is_documented() -> None:
    doc = json.loads((GOLDEN / "fixtures" / "compare.json").read_text(encoding="utf-8"))
    schema = (DOCS / "report-schema.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", schema))
    assert sorted(set(keys(doc)) - documented) == []
    assert doc["schema_version"] in schema
