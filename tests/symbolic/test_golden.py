"""Golden outputs of `kprules diff` on the bundled library: kpcs_2003 against the eight
proposals, in every format; and one --over-time run. Goldens under tests/golden/symbolic/;
`pytest --update-goldens` rewrites them (read the diff).

Besides the exact text: text lines fit 100 columns, JSON parses with every pair and term, HTML
is one page, and every witness was verified by the compiled evaluator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "symbolic"
PROPOSALS = ["policies/proposals/"]
SUFFIX = {"text": "txt", "md": "md", "json": "json", "html": "html"}
Golden = Callable[[Path, str], None]


def run(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output, result.exit_code


@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_bundled_proposals(fmt: str, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["diff", "kpcs_2003", *PROPOSALS, "--format", fmt], monkeypatch)
    assert code == 0
    golden(GOLDEN / f"bundled.{SUFFIX[fmt]}", out)
    if fmt == "text":
        assert [line for line in out.splitlines() if len(line) > 100] == []
    if fmt == "html":
        assert out.startswith("<!DOCTYPE html>") and out.count("<html") == 1
    if fmt == "json":
        doc = json.loads(out)
        assert len(doc["pairs"]) == 8
        witnesses = [x["witness"] for p in doc["pairs"] for t in p["terms"]
                     for r in t["regions"] for x in r["disjuncts"]]
        assert witnesses and all(w["verified"] for w in witnesses)


def test_over_time(golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    out, code = run(["diff", "kpcs_2003", "state_actors", "--over-time", "--term",
                     "rough_trade"], monkeypatch)
    assert code == 0
    golden(GOLDEN / "over_time.txt", out)
    assert "before 2003-01-01" in out and "from 2003-01-01" in out
