"""Fixtures shared by the SQL engine's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """test_eval_engine's policies (every kind of fact, a division, a dated decision) in a
    project folder; the path of the policy file. (Imported here: test_eval_engine skips
    without DuckDB, which the other SQL tests do not need.)"""
    from .test_eval_engine import POLICY, VOCABULARY

    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    (tmp_path / "lots.kpr").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "rules.kpr").write_text(POLICY, encoding="utf-8")
    return tmp_path / "rules.kpr"
