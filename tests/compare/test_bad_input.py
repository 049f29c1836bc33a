"""Bad input to `kprules compare` and `kprules test`: one clear line, a non-zero exit, and no
report file (not even a partial or temporary one) left behind.

The output of each KP6xx code is a golden file, tests/golden/errors/KP6nn.err (standard error,
then `exit: N`), which is also the example under that code in docs/diagnostics.md.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kprules.cli import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ERRORS = ROOT / "tests" / "golden" / "errors"
Golden = Callable[[Path, str], None]


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixtures in a temporary folder, which is the working folder."""
    shutil.copytree(FIXTURES, tmp_path / "fx")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(args: list[str]) -> tuple[str, int]:
    result = CliRunner().invoke(cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output, result.exit_code


def leftovers(folder: Path) -> list[str]:
    """Report files and temporary files in a folder (there must be none)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".report", "report")))


def one_error_line(out: str, code: str) -> None:
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error[{code}]: "), out


COMPARE = ["compare", "base_2003", "narrow", "--policies", "fx/policies"]
CASES = ["--cases", "fx/cases"]


def compare_error(args: list[str], code: str, status: int, work: Path,
                  golden: Golden) -> None:
    out, exit_code = run([*args, "--output", "report.json", "--format", "json"])
    assert exit_code == status
    one_error_line(out, code)
    assert leftovers(work) == []
    golden(ERRORS / f"{code}.err", out + f"exit: {exit_code}\n")


def test_different_vocabularies(work: Path, golden: Golden) -> None:
    args = ["compare", "fx/policies/base.kpr", "fx/elsewhere/parcels_rule.kpr",
            "--policies", "fx/elsewhere", *CASES]
    compare_error(args, "KP600", 2, work, golden)


def test_a_term_one_policy_lacks(work: Path, golden: Golden) -> None:
    compare_error([*COMPARE, "--term", "state_seller", *CASES], "KP601", 2, work, golden)


def test_a_misspelt_term(work: Path) -> None:
    out, code = run([*COMPARE, "--term", "conflit", *CASES])
    assert code == 2
    one_error_line(out, "KP601")
    assert "did you mean `conflict`?" in out


def test_a_missing_policy_name(work: Path, golden: Golden) -> None:
    compare_error(["compare", "base_2003", "narow", "--policies", "fx/policies", *CASES],
                  "KP602", 2, work, golden)


def test_an_empty_case_folder(work: Path, golden: Golden) -> None:
    (work / "empty").mkdir()
    compare_error([*COMPARE, "--cases", "empty"], "KP603", 1, work, golden)


def test_an_empty_data_file(work: Path) -> None:
    (work / "nothing.jsonl").write_text("\n", encoding="utf-8")
    out, code = run([*COMPARE, "--cases", "nothing.jsonl", "--output", "report.txt"])
    assert code == 1
    one_error_line(out, "KP603")
    assert leftovers(work) == []


def test_an_unwritable_output_path(work: Path, golden: Golden) -> None:
    out, code = run([*COMPARE, *CASES, "--output", "missing/report.txt"])
    assert code == 1
    one_error_line(out, "KP604")
    assert not (work / "missing").exists()
    golden(ERRORS / "KP604.err", out + f"exit: {code}\n")


def test_an_output_path_that_is_a_folder(work: Path) -> None:
    (work / "report.txt").mkdir()
    out, code = run([*COMPARE, *CASES, "--output", "report.txt"])
    assert code == 1
    one_error_line(out, "KP604")
    assert [p.name for p in work.iterdir() if p.name.startswith(".report")] == []


def test_no_term_in_common(work: Path, golden: Golden) -> None:
    args = ["compare", "base_2003", "fx/restriction/restriction.kpr", "--policies",
            "fx/policies", *CASES]
    compare_error(args, "KP605", 2, work, golden)


def test_a_base_that_is_several_policies(work: Path, golden: Golden) -> None:
    compare_error(["compare", "fx/policies", "narrow", *CASES], "KP606", 2, work, golden)


def test_coverage_below_the_minimum(work: Path, golden: Golden) -> None:
    out, code = run(["test", "fx/policies", "fx/cases", "--coverage-min", "95"])
    assert code == 1
    last = out.splitlines()[-1]
    assert last.startswith("error[KP607]: ")
    golden(ERRORS / "KP607.err", last + "\n" + f"exit: {code}\n")


def test_a_bad_record_leaves_no_partial_report(work: Path) -> None:
    """The error comes after rows were written: the temporary file is removed, nothing is left."""
    for fmt in ("jsonl", "text"):
        out, code = run([*COMPARE, "--cases", "fx/bulk/bad.jsonl", "--format", fmt,
                         "--output", "report.out"])
        assert code == 1
        assert out.startswith("error[KP409]: record 7: fact `seller`")
        assert leftovers(work) == []


def test_an_unknown_format_is_a_usage_error(work: Path) -> None:
    out, code = run([*COMPARE, *CASES, "--format", "pdf"])
    assert code == 2
    assert "Invalid value for '--format'" in out


def test_an_empty_test_folder(work: Path) -> None:
    (work / "nothing").mkdir()
    out, code = run(["test", "nothing"])
    assert code == 1
    one_error_line(out, "KP603")


TEST = ["test", "fx/policies", "fx/cases"]


@pytest.mark.parametrize(("extra", "code", "named"), [
    (["--cases", "typo_cases/"], "KP100", "`typo_cases` does not exist"),
    (["empty"], "KP603", "nothing to test in `empty/`"),
    (["--cases", "empty"], "KP603", "the folder holds no case files"),
    (["--cases", "fx/policies"], "KP603", "nothing to test in `fx/policies/`"),
    (["notes.txt"], "KP420", "`notes.txt` is neither a policy file (`.kpr`) nor a case file"),
    (["--cases", "lots.jsonl"], "KP420", "`lots.jsonl` is not a case file (`.toml`)"),
    (["--cases", "fx/policies/base.kpr"], "KP420", "give a policy file as a PATH"),
])
def test_test_says_what_it_cannot_read(work: Path, extra: list[str], code: str,
                                       named: str) -> None:
    """A path given to `kprules test` that holds nothing it reads is an error, as `eval` and
    `compare` make it, not left out while the rest passes."""
    (work / "empty").mkdir()
    (work / "notes.txt").write_text("notes\n", encoding="utf-8")
    (work / "lots.jsonl").write_text('{"rough": true}\n', encoding="utf-8")
    out, status = run([*TEST, *extra, "--junit", "report.xml"])
    assert status == 1, out
    assert out.startswith(f"error[{code}]: ") and named in out, out
    assert "passed" not in out and leftovers(work) == []


@pytest.mark.parametrize("cases", [["notes.txt"], ["fx/cases", "notes.txt"]])
def test_compare_says_a_text_file_is_not_a_case_file_as_eval_does(work: Path,
                                                                 cases: list[str]) -> None:
    """`--cases notes.txt` is KP420 (neither a case file nor a data file), as `eval` says,
    where `compare` read it as TOML and reported its syntax (KP401)."""
    (work / "notes.txt").write_text("hi\n", encoding="utf-8")
    said = {}
    for command in ([*COMPARE, "--output", "report.json"],
                    ["eval", "base_2003", "--policies", "fx/policies"]):
        out, status = run([*command, *(a for c in cases for a in ("--cases", c))])
        assert status == 1, out
        said[command[0]] = out
    assert said["compare"] == said["eval"] == (
        "error[KP420]: `notes.txt` is neither a case file nor a data file\n"
        "  = hint: case files end in `.toml`, data files in `.jsonl`, `.ndjson`, `.csv`, "
        "`.parquet`\n")
    assert leftovers(work) == []


@pytest.mark.parametrize(("junit", "said"), [
    ("missing/r.xml", "cannot write `missing/r.xml`: No such file or directory"),
    ("fx/cases/car.toml", "cannot write `fx/cases/car.toml`: it is a policy, case or data file"),
    ("fx", "cannot write `fx`: it is a folder"),
])
def test_test_checks_the_junit_path_before_running(work: Path, junit: str, said: str) -> None:
    """A --junit file that cannot be written is KP604 before any test runs (as docs/cli.md
    says of every output), where every test ran and printed its results first."""
    out, status = run([*TEST, "--junit", junit])
    assert (status, out) == (1, f"error[KP604]: {said}\n")


def test_test_names_every_path_it_cannot_read(work: Path) -> None:
    out, status = run([*TEST, "gone", "--cases", "typo/"])
    assert status == 1
    assert out.count("error[KP100]") == 2 and "`gone`" in out and "`typo`" in out


def test_the_format_choices_are_the_writers() -> None:
    from kprules.cli.compare_cmd import FORMAT_NAMES
    from kprules.report import WRITERS

    assert sorted(FORMAT_NAMES) == sorted(WRITERS)


# ---------------------------------------------------------------- --cases given more than once


def _json_report(args: list[str]) -> dict[str, object]:
    import json

    out, code = run([*args, "--format", "json"])
    assert code == 0, out
    report: dict[str, object] = json.loads(out)
    return report


def _placeless(row: Any) -> Any:
    """A report row without where its case file is (`location`)."""
    return {k: v for k, v in row.items() if k != "location"}


def test_case_folders_given_together_are_merged(work: Path) -> None:
    """The report over two folders is the report over one folder holding both's cases (the
    rows in the order of the folders given); only the cases' path and each row's location
    say which were given."""
    whole = _json_report([*COMPARE, *CASES])
    (work / "more").mkdir()
    for name in ("state-2022.toml", "car.toml"):
        (work / "fx" / "cases" / name).rename(work / "more" / name)
    merged = _json_report([*COMPARE, *CASES, "--cases", "more"])
    assert merged.pop("cases") == {"path": "fx/cases/, more/", "kind": "library"}
    assert whole.pop("cases") == {"path": "fx/cases/", "kind": "library"}
    rows, before = merged.pop("rows"), whole.pop("rows")
    assert isinstance(rows, list) and isinstance(before, list)
    folders = [r["location"].split("/")[0] for r in rows]
    assert folders == sorted(folders) and set(folders) == {"fx", "more"}
    assert sorted(map(_placeless, rows), key=str) == sorted(map(_placeless, before), key=str)
    assert merged == whole
    counts = [_json_report([*COMPARE, "--cases", f])["summary"]["cases"]  # type: ignore[index]
              for f in ("fx/cases", "more")]
    assert counts[0] + counts[1] == merged["summary"]["cases"] > counts[0] > 0  # type: ignore[index]


def test_a_case_id_in_two_folders_is_an_error(work: Path) -> None:
    (work / "more").mkdir()
    shutil.copy(work / "fx" / "cases" / "car.toml", work / "more" / "car.toml")
    out, code = run([*COMPARE, *CASES, "--cases", "more", "--output", "report.json"])
    assert code == 1 and "error[KP4" in out and "give each case its own id" in out
    assert leftovers(work) == []


def test_an_empty_folder_among_several_is_named(work: Path) -> None:
    (work / "empty").mkdir()
    out, code = run([*COMPARE, *CASES, "--cases", "empty", "--output", "report.json"])
    assert code == 1
    one_error_line(out, "KP603")
    assert "`empty/`" in out and leftovers(work) == []


def test_a_data_file_is_compared_alone(work: Path) -> None:
    (work / "lots.jsonl").write_text('{"rough": true}\n', encoding="utf-8")
    out, code = run([*COMPARE, *CASES, "--cases", "lots.jsonl", "--output", "report.json"])
    assert code == 2 and "a data file (lots.jsonl) is compared alone" in out
    assert leftovers(work) == []


def test_eval_merges_case_folders_given_together(work: Path) -> None:
    """`kprules eval --cases` repeated, as compare and test take it: the cases of both folders,
    as if in one; a data file is evaluated alone."""
    import json

    def values(*folders: str) -> list[str]:
        argv = ["eval", "fx/policies", "--format", "json"]
        for folder in folders:
            argv += ["--cases", folder]
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, result.output
        cases = json.loads(result.stdout)["cases"]
        return sorted(json.dumps({k: v for k, v in c.items() if k != "file"}) for c in cases)

    whole = values("fx/cases")
    (work / "more").mkdir()
    for name in ("state-2022.toml", "car.toml"):
        (work / "fx" / "cases" / name).rename(work / "more" / name)
    assert values("fx/cases", "more") == whole != values("fx/cases")
    (work / "lots.jsonl").write_text('{"rough": true}\n', encoding="utf-8")
    out, code = run(["eval", "fx/policies", "--cases", "fx/cases", "--cases", "lots.jsonl"])
    assert code == 2 and "a data file (lots.jsonl) is evaluated alone" in out


def test_policies_named_through_a_symbolic_link(work: Path) -> None:
    """A file or folder reached through a link names the policies of its target (it was
    KP606, "declares no policy": the path was matched by its text, not its target)."""
    (work / "link").symlink_to(work / "fx" / "policies", target_is_directory=True)
    (work / "mine.kpr").symlink_to(work / "fx" / "policies" / "narrow.kpr")
    reference, code = run([*COMPARE, *CASES, "-q", "--no-symbolic"])
    assert code == 0
    for other in ("link/narrow.kpr", "mine.kpr"):
        out, code = run(["compare", "base_2003", other, "--policies", "fx/policies", *CASES,
                         "-q", "--no-symbolic"])
        assert code == 0 and out == reference
    out, code = run(["compare", "base_2003", "link/", "--policies", "fx/policies", *CASES,
                     "-q", "--no-symbolic"])
    assert code == 0 and "against 2 policies" in out.splitlines()[0]
    out, code = run(["diff", "base_2003", "link/narrow.kpr", "--policies", "fx/policies",
                     "--term", "conflict"])
    assert code in (0, 1) and out.startswith("kprules diff: base_2003 against narrow")
