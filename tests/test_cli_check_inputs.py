"""`kprules check` on case files and data files: validated with located errors, never parsed as
policy text (a subprocess, as a user runs it, in a project folder of its own)."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "errors"
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
from robust_support import kprules  # noqa: E402

Golden = Callable[[Path, str], None]

CASE = """\
[family]
id = "ru-lots"
title = "Russian rough"
sources = ["eu_reg_833_2014_art_3p"]

[family.facts]
used_by = "state_owned_enterprise"
form = "rough"
natural = "yes"
mined_in = "RU"
violence = "unknown"

[family.expect]
kpcs_2003.conflict_diamond = false

[[case]]
id = "ru-lots-march"
title = "March"
facts = { shipment_date = "01/06/2023" }
"""

DATA = '{"id": "a", "natural": true}\n{"id": "b", "natural": "yes", "mined_in": "XX"}\n'


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "kprules.toml").write_text('policies = ["policies"]\n', encoding="utf-8")
    shutil.copytree(ROOT / "policies", tmp_path / "policies",
                    ignore=shutil.ignore_patterns("cases"))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "lots.toml").write_text(CASE, encoding="utf-8")
    (tmp_path / "mine" / "lots.jsonl").write_text(DATA, encoding="utf-8")
    return tmp_path


def test_a_case_file_alone(work: Path, golden: Golden) -> None:
    """The policies its expectations name are found in the project; every bad value located;
    `"unknown"` is accepted for a fact of any type."""
    run = kprules("check", "mine/lots.toml", cwd=work)
    assert run.code == 1
    assert "KP1" not in run.out  # not read as policy text
    golden(GOLDEN / "check-case-file.err", run.out + run.err)


def test_a_case_file_and_a_data_file_with_their_policies(work: Path, golden: Golden) -> None:
    run = kprules("check", "--no-seeds", "policies", "mine/lots.toml", "mine/lots.jsonl",
                  cwd=work)
    assert run.code == 1
    assert run.out.count("error[") == 4
    policies = len(list((work / "policies").rglob("*.kpr")))
    assert run.err == f"checked {policies + 2} files: 4 errors, 0 warnings\n"
    golden(GOLDEN / "check-case-and-data.err", run.out)


def test_every_bad_record_of_a_data_file_is_shown_on_its_own_lines(work: Path,
                                                                  golden: Golden) -> None:
    """Each bad record's diagnostic points into that record, on its line of the file: every
    record's text bore the file's name, and all were shown on the last one's lines."""
    (work / "mine" / "many.jsonl").write_text(
        '{"id": "a", "mined_in": "XX"}\n\n{"id": "b", "natural": true}\n'
        '{"id": "c", "natural": "no", "form": "cut"}\n', encoding="utf-8")
    (work / "mine" / "many.csv").write_text(
        'id,form,mined_in\na,cut,RU\n"b\nb",rough,ZZ\nc,rough,CF\n\nd,raw,CF\n',
        encoding="utf-8")
    run = kprules("check", "--no-seeds", "policies", "mine/many.jsonl", "mine/many.csv",
                  cwd=work)
    assert run.code == 1
    golden(GOLDEN / "check-data-records.err", run.out)


def test_invalid_records_beyond_those_shown_are_counted_not_coded(work: Path) -> None:
    """A data file with more invalid records than are shown: the others are counted among the
    errors and named on a line of their own (they were a KP400, a code that means an empty
    case folder, counted as one error); JSON gives them per file."""
    lines = [f'{{"id": "r{i}", "natural": "yes"}}\n' for i in range(25)]
    (work / "mine" / "bad.jsonl").write_text("".join(lines), encoding="utf-8")
    run = kprules("check", "--no-seeds", "policies", "mine/bad.jsonl", cwd=work)
    assert run.code == 1 and "KP400" not in run.both
    assert run.out.count("error[KP408]") == 20
    files = run.err.splitlines()[-1].split()[1]
    assert run.err.splitlines()[-2:] == [
        "... and 5 more invalid records in mine/bad.jsonl (the first 20 of a data file are "
        "shown)", f"checked {files} files: 25 errors, 0 warnings"]
    doc = json.loads(kprules("check", "--no-seeds", "--format", "json", "policies",
                             "mine/bad.jsonl", cwd=work).out)
    assert len(doc["diagnostics"]) == 20
    assert doc["invalid_records_not_shown"] == {"mine/bad.jsonl": 5}


def test_a_good_case_file_checks_clean(work: Path) -> None:
    good = CASE.replace('"yes"', "true").replace('"01/06/2023"', "2023-06-01")
    (work / "mine" / "lots.toml").write_text(good, encoding="utf-8")
    run = kprules("check", "mine/lots.toml", cwd=work)
    assert (run.code, run.out) == (0, "")
    assert run.err.startswith("checked 1 file: 0 errors")


def test_a_data_file_needs_its_policies(work: Path) -> None:
    run = kprules("check", "mine/lots.jsonl", cwd=work)
    assert run.code == 1
    assert run.out.startswith("error[KP603]: cannot check mine/lots.jsonl: a data file is read "
                              "against one vocabulary, and no policy was given")


def test_two_folders_declaring_one_policy(tmp_path: Path) -> None:
    """Two files declaring the same policy, in two folders: an error naming both files."""
    (tmp_path / ".git").mkdir()
    policy = 'policy p "p"\n  status current\n  reads f\n\ndefine t = x\n'
    for folder in ("mine", "theirs"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "p.kpr").write_text(policy, encoding="utf-8")
    (tmp_path / "mine" / "f.kpr").write_text("facts f\nfact x: bool\n", encoding="utf-8")
    run = kprules("check", "--no-seeds", "mine", "theirs", cwd=tmp_path)
    assert run.code == 1
    assert run.out.startswith("error[KP210]: `p` is declared by two files\n")
    assert " --> theirs/p.kpr:1:8" in run.out and " ::: mine/p.kpr:1:8" in run.out


def test_check_says_which_file_each_policy_came_from(tmp_path: Path) -> None:
    """A base found in the project's policy folders (not among the paths) is named with its
    file, in text and in JSON (`modules`)."""
    import json

    (tmp_path / "kprules.toml").write_text('policies = ["lib"]\n', encoding="utf-8")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "f.kpr").write_text("facts f\nfact x: bool\n", encoding="utf-8")
    (tmp_path / "lib" / "p.kpr").write_text(
        'policy p "p"\n  status current\n  reads f\n\ndefine t = x\n', encoding="utf-8")
    (tmp_path / "q.kpr").write_text('policy q "q"\n  amends p\n\nredefine t = not x\n',
                                    encoding="utf-8")
    run = kprules("check", "--no-seeds", "q.kpr", cwd=tmp_path)
    assert run.code == 0
    assert run.err.splitlines()[:2] == [
        "note: `p` is read from lib/p.kpr (the files given need it; it is not among them)",
        "note: `f` is read from lib/f.kpr (the files given need it; it is not among them)"]
    doc = json.loads(kprules("check", "--no-seeds", "--format", "json", "q.kpr",
                             cwd=tmp_path).out)
    assert doc["modules"] == [
        {"name": "q", "file": "q.kpr", "given": True, "bundled": False},
        {"name": "p", "file": "lib/p.kpr", "given": False, "bundled": False},
        {"name": "f", "file": "lib/f.kpr", "given": False, "bundled": False}]


def test_explain_reports_a_division_by_zero_as_eval_does(tmp_path: Path) -> None:
    """KP500, located, exit 1: not an internal error."""
    from click.testing import CliRunner

    from kprules.cli import cli

    (tmp_path / "v.kpr").write_text('facts v "v"\nfact n: integer "n"\n', encoding="utf-8")
    (tmp_path / "q.kpr").write_text('policy q "q"\n  reads v\n\ndefine inv = 1 / n\n',
                                    encoding="utf-8")
    (tmp_path / "z.toml").write_text('[case]\nid = "z"\ntitle = "t"\nsources = ["s"]\n'
                                     "[facts]\nn = 0\n", encoding="utf-8")
    args = [str(tmp_path / "q.kpr"), str(tmp_path / "v.kpr"), "--no-seeds"]
    explained = CliRunner().invoke(cli, ["explain", *args, "--case", str(tmp_path / "z.toml")])
    evaluated = CliRunner().invoke(cli, ["eval", *args, "--cases", str(tmp_path / "z.toml")])
    assert explained.exit_code == evaluated.exit_code == 1
    first = [line for line in evaluated.stderr.splitlines() if "error[KP500]" in line]
    assert first and first == [line for line in explained.stderr.splitlines()
                               if "error[KP500]" in line]
    assert "q.kpr:4:14" in explained.stderr
