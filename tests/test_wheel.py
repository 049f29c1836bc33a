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


def test_wheel_carries_the_grammar_the_library_and_nothing_else(
        installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "kprules/_grammar/kprules.lark" in names
    assert "kprules/py.typed" in names
    assert "kprules/syntax/parser_tables.json" in names
    bundled = sorted(n.removeprefix("kprules/_library/") for n in names
                     if n.startswith("kprules/_library/"))
    in_checkout = sorted(str(p.relative_to(ROOT)) for top in ("policies", "seeds")
                         for p in (ROOT / top).rglob("*") if p.is_file())
    assert bundled == in_checkout
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


# ------------------------------------------------------------ a drafter's folder, with no copying

MY_SEED = """\
+++
id = "my_draft"
title = "A drafter's proposal (invented for the test)"
+++

Conflict diamonds means rough diamonds used by rebel movements, their allies or criminal
networks to finance conflict aimed at undermining legitimate governments.
"""

MY_PROPOSAL = """\
policy criminal_networks "kpcs_2003, with criminal networks counted among rebels' allies"
  status proposed
  amends kpcs_2003

redefine rebels_or_their_allies: set of actor
  "rebel movements, their allies, and criminal networks"
  cite my_draft "Proposed wording"
    "used by rebel movements, their allies or criminal networks"
  cite kpcs_core_document "Section I, CONFLICT DIAMONDS"
    "rough diamonds used by rebel movements or their allies"
  = {rebel_movement, rebel_ally_state, rebel_ally_group, criminal_network}
"""


def test_a_drafters_folder_uses_the_bundled_library_by_name(installed: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    """The acceptance test of issue 11: an empty folder, `kprules init`, a proposal amending
    `kpcs_2003` with its own seed; check, test, explain and compare against the bundled library,
    with nothing copied from it (its seed `kpcs_core_document` is cited from the bundle)."""
    _, venv = installed
    kprules = venv / "bin" / "kprules"
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    work = tmp_path / "drafts"
    work.mkdir()
    init = _run([kprules, "init"], work, env)
    assert init.returncode == 0, init.stderr
    assert sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file()) == [
        "cases/militia.toml", "kprules.toml", "policies/my_proposal.kpr",
        "seeds/my_proposal_text.md"]
    (work / "policies" / "criminal_networks.kpr").write_text(MY_PROPOSAL, encoding="utf-8")
    (work / "seeds" / "my_draft.md").write_text(MY_SEED, encoding="utf-8")
    assert not list(work.rglob("kpcs_2003*")) and not (work / "seeds" / "kpcs_core_document.md"
                                                       ).exists()

    check = _run([kprules, "check", "--strict", "policies"], work, env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "note: `kpcs_2003` is read from " in check.stderr
    assert "_library/policies/kpcs_2003.kpr (the bundled library; " in check.stderr
    assert check.stderr.endswith("checked 4 files: 0 errors, 0 warnings\n")

    test = _run([kprules, "test", "--coverage"], work, env)
    assert test.returncode == 0, test.stdout + test.stderr
    assert "1 case, 2 expectations: 2 passed, 0 failed" in test.stdout
    assert "  my_proposal (policies/my_proposal.kpr): 50.0% (8 of 16)\n" in test.stdout

    explain = _run([kprules, "explain", "policies/criminal_networks.kpr", "--case",
                    "cases/militia.toml", "--term", "rebels_or_their_allies"], work, env)
    assert explain.returncode == 0, explain.stderr
    assert "criminal_networks.rebels_or_their_allies = {criminal_network, rebel_ally_group, " \
        "rebel_ally_state,\n    rebel_movement}\n" in explain.stdout

    compare = _run([kprules, "compare", "kpcs_2003", "policies/criminal_networks.kpr",
                    "adpa_2025", "--cases", "@library", "--quiet"], work, env)
    assert compare.returncode == 0, compare.stderr
    assert compare.stdout.startswith("kprules compare: kpcs_2003 against 2 policies, over ")
    assert "criminal_networks: " in compare.stdout and "adpa_2025: " in compare.stdout
