"""The packaging: the built wheel, installed (not editable) in a fresh virtual environment, checks
a policy from a folder outside the repository, with the grammar it carries.

Slow (it builds a wheel and installs the dependencies from the package index), and it runs in CI
like every other test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "robustness" / "fixtures"

pytestmark = pytest.mark.slow


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "NO_COLOR")}
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=clean | (env or {}),
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the venv it is installed in)."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, ROOT],
                 cwd=base)
    assert built.returncode == 0, built.stderr
    [wheel] = dist.glob("kprules-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=base)
    pip = _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet",
                "--disable-pip-version-check", wheel], cwd=base)
    assert pip.returncode == 0, pip.stderr
    return wheel, venv


def test_wheel_carries_the_grammar_and_nothing_else(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "kprules/_grammar/kprules.lark" in names
    assert "kprules/py.typed" in names
    assert "kprules/syntax/parser_tables.json" in names
    assert not [n for n in names if n.startswith(("tests/", "policies/", "seeds/", "grammar/"))]
    inside = zipfile.ZipFile(wheel).read("kprules/_grammar/kprules.lark").decode()
    assert inside == (ROOT / "grammar" / "kprules.lark").read_text(encoding="utf-8")


def test_installed_kprules_checks_a_policy_outside_the_repository(
        installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = installed
    shutil.copytree(FIXTURES, tmp_path / "policies")
    (tmp_path / "seeds").mkdir()
    shutil.copy(ROOT / "seeds" / "kpcs_core_document.md", tmp_path / "seeds")
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    run = _run([venv / "bin" / "kprules", "check", "--strict", "policies"], tmp_path, env)
    assert (run.returncode, run.stdout, run.stderr) == (
        0, "", "checked 3 files: 0 errors, 0 warnings\n")
    assert not cache.exists(), "nothing is written to the user's cache folder"
    again = _run([venv / "bin" / "kprules", "check", "--strict", "policies"], tmp_path, env)
    assert again.returncode == 0

    (tmp_path / "policies" / "core.kpr").write_text("policy broken reads (")
    broken = _run([venv / "bin" / "kprules", "check", "policies"], tmp_path, env)
    assert broken.returncode == 1
    assert broken.stdout.startswith("error[KP111]: unexpected `(`\n --> policies/core.kpr:1:21\n")


def test_python_m_kprules_help(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = installed
    run = _run([venv / "bin" / "python", "-m", "kprules", "--help"], tmp_path)
    assert run.returncode == 0
    assert run.stdout.startswith("Usage: kprules [OPTIONS] COMMAND [ARGS]...\n")
    assert "  check " in run.stdout


def test_grammar_and_code_come_from_site_packages(installed: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    _, venv = installed
    probe = ("import kprules, kprules.syntax.grammar as g; print(kprules.__file__); "
             "print(g.grammar_origin()); print(g.tables_path()); "
             "print(g.load_tables(g.tables_path().read_text(), g.grammar_text()) is not None)")
    run = _run([venv / "bin" / "python", "-c", probe], tmp_path,
               {"XDG_CACHE_HOME": str(tmp_path / "cache")})
    package, grammar_file, tables, loaded = run.stdout.splitlines()
    site = Path(package).parent.parent
    assert site.name == "site-packages" and venv in site.parents
    assert Path(grammar_file) == site / "kprules" / "_grammar" / "kprules.lark"
    assert Path(tables) == site / "kprules" / "syntax" / "parser_tables.json"
    assert loaded == "True", "the shipped tables match the installed grammar"
    assert not list(site.rglob("*.pickle")), "no pickled parser anywhere"
    assert not (tmp_path / "cache").exists()
