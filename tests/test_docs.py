"""The documentation's examples run: language.md's `kpr` blocks check, library.md's Python runs."""

from __future__ import annotations

import re
from pathlib import Path

from kprules.checker import check
from kprules.core.render import render_all
from kprules.syntax.loader import load_texts
from kprules.syntax.seeds import load_seeds

ROOT = Path(__file__).resolve().parent.parent

DOCS = ROOT / "docs"


def blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_language_examples_check_cleanly() -> None:
    texts = blocks(DOCS / "language.md", "kpr")
    assert len(texts) >= 6
    ws = load_texts((f"language.md block {i}", t) for i, t in enumerate(texts, 1))
    result = check(ws, load_seeds(ROOT / "seeds"))
    assert not result.diagnostics, render_all(result.diagnostics, ws.sources, "text")
    assert set(result.policies) >= {"kpcs_2003_example", "state_actors_example"}


def test_library_examples_run(capsys: object) -> None:
    code = blocks(DOCS / "library.md", "python")
    assert len(code) >= 8
    namespace: dict[str, object] = {"__name__": "library_md"}
    for i, block in enumerate(code, 1):
        exec(compile(block, f"docs/library.md block {i}", "exec"), namespace)
