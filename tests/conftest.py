"""Shared test configuration: the golden-file update flag and the hypothesis profiles.

Golden files hold whole rendered outputs; `pytest --update-goldens` rewrites them, and the
reviewer reads the diff. Hypothesis runs 50 examples per property locally and 300 on CI
(`CI=true`), derandomized on CI so that a run is reproducible.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _no_kept_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test keeps or runs plans of `kprules eval` (kprules.cli.plan_cache) unless it asks:
    tests/sql/test_plan_cache.py turns them on, in a folder of its own."""
    monkeypatch.setenv("KPRULES_NO_CACHE", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite golden files with the current output")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def golden(update_goldens: bool):  # type: ignore[no-untyped-def]
    """golden(path, actual): compare with the file, or rewrite it under --update-goldens."""

    def check(path: Path, actual: str) -> None:
        if update_goldens or not path.exists():
            if not update_goldens:
                pytest.fail(f"golden file {path} is missing; run pytest --update-goldens")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"output differs from {path} (pytest --update-goldens)"

    return check
