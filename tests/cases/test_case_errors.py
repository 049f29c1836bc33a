"""Golden files: the whole output of `kprules eval` (or `explain`) on bad case and data files.

Inputs are in tests/golden/cases/errors/ (a file, or a folder for problems across files); the
output of each is `<input>.err`: the command, its standard output, its standard error, its exit
status. Inputs that cannot sit in the repository as they are (an empty folder, invalid UTF-8, a
missing file, Parquet without pyarrow) are made by `GENERATED`. Every command runs in a temporary
folder holding a copy of the fixture policies (tests/cases/fixtures/) and the input, so that the
paths shown are short. `pytest --update-goldens` rewrites the outputs, and the examples of the
section "Case and data files (KP4xx)" of docs/diagnostics.md, which must be the stderr of the
golden named in `DOC_EXAMPLES`, word for word.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from case_support import FIXTURES, GOLDEN
from click.testing import CliRunner

import kprules
from kprules.cases.files import read_suite
from kprules.cli import cli
from kprules.core import limits
from kprules.core.diagnostics import CODES
from kprules.core.render import render_all

ERRORS = GOLDEN / "errors"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"
Golden = Callable[[Path, str], None]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("shipment", "ledger", "seeds"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    (tmp_path / "kprules.toml").write_text('policies = ["."]\nseeds = ["seeds"]\n',
                                           encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def run(command: str, policies: list[str], cases: str, args: list[str]) -> str:
    """The command line, its stdout, its stderr and its exit status."""
    option = "--case" if command == "explain" else "--cases"
    argv = [command, *policies, option, cases, *args]
    result = CliRunner().invoke(cli, argv, prog_name="kprules")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return (f"$ kprules {' '.join(argv)}\n{result.stdout}--- stderr\n{result.stderr}"
            f"--- exit {result.exit_code}\n")


# input -> (command, policies, extra arguments); anything not listed: eval shipment, no extras
SPECIAL: dict[str, tuple[str, list[str], list[str]]] = {
    "KP414.toml": ("explain", ["shipment", "ledger"], []),
    "KP414-facts.toml": ("explain", ["shipment", "ledger"], []),
    "KP425.jsonl": ("eval", ["shipment"], ["--max-errors", "2", "--format", "csv"]),
    "KP408.jsonl": ("eval", ["shipment"], ["--format", "csv", "--term", "export"]),
    "KP408.csv": ("eval", ["shipment"], ["--format", "csv", "--term", "export"]),
    "KP421.jsonl": ("eval", ["shipment"], ["--format", "json", "--term", "kpcs.export"]),
    "KP500.jsonl": ("eval", ["shipment"], ["--term", "value_per_stone"]),
}
# other runs of a written input: golden name -> (input, command, policies, arguments)
MORE: dict[str, tuple[str, str, list[str], list[str]]] = {
    "KP408.jsonl-skip-invalid": ("KP408.jsonl", "eval", ["shipment"],
                                 ["--skip-invalid", "--format", "csv", "--term", "export"]),
    "KP414-policies": ("KP414.toml", "eval", ["shipment", "ledger"], []),
    "KP490.jsonl-skip-invalid": ("KP490.jsonl", "eval", ["shipment"],
                                 ["--skip-invalid", "--format", "csv", "--term", "export"]),
    "KP490.csv-skip-invalid": ("KP490.csv", "eval", ["shipment"],
                               ["--skip-invalid", "--format", "csv", "--term", "export"]),
    "KP421-surrogate-compare": ("KP421-surrogate.jsonl", "compare", ["kpcs", "shipment"],
                                ["--format", "json"]),
    "KP411-eval": ("KP411", "eval", ["shipment"], ["--term", "kpcs.export"]),
}
# inputs whose problems only the library reports (the commands that only evaluate leave out
# expectations of policies that are not loaded): read with `read_suite`, rendered as text
LIBRARY = ("KP411",)


def inputs() -> list[str]:
    return sorted(p.name for p in ERRORS.iterdir() if p.name not in LIBRARY and (
        p.is_dir() or p.suffix in (".toml", ".jsonl", ".csv", ".txt")))


def _copy(name: str, into: Path) -> None:
    source = ERRORS / name
    if source.is_dir():
        shutil.copytree(source, into / name)
    else:
        shutil.copy(source, into / name)


@pytest.mark.parametrize("name", inputs())
def test_written(name: str, workdir: Path, golden: Golden) -> None:
    _copy(name, workdir)
    command, policies, args = SPECIAL.get(name, ("eval", ["shipment"], []))
    golden(ERRORS / f"{name}.err", run(command, policies, name, args))


@pytest.mark.parametrize("name", sorted(MORE))
def test_more(name: str, workdir: Path, golden: Golden) -> None:
    source, command, policies, args = MORE[name]
    _copy(source, workdir)
    golden(ERRORS / f"{name}.err", run(command, policies, source, args))


@pytest.mark.parametrize("name", LIBRARY)
def test_library(name: str, workdir: Path, golden: Golden) -> None:
    _copy(name, workdir)
    suite = read_suite([Path(name)], kprules.load("shipment"))
    golden(ERRORS / f"{name}.err", f"$ read_suite([{name!r}], kprules.load('shipment'))\n"
           f"--- diagnostics\n{render_all(suite.diagnostics, suite.sources, 'text')}--- end\n")


def _empty_folder(folder: Path) -> str:
    (folder / "cases").mkdir()
    (folder / "cases" / "README.md").write_text("no cases yet\n", encoding="utf-8")
    return "cases"


def _latin1_toml(folder: Path) -> str:
    (folder / "latin1.toml").write_bytes(
        b'[case]\nid = "civ-2005"\ntitle = "C\xf4te d\'Ivoire, 2005"\nsources = ["core"]\n')
    return "latin1.toml"


def _latin1_jsonl(folder: Path) -> str:
    (folder / "latin1.jsonl").write_bytes(
        b'{"id": "lot-1", "rough": true}\n{"id": "lot-2", "exporter": "C\xf4te"}\n')
    return "latin1.jsonl"


def _missing(folder: Path) -> str:
    return "nowhere.toml"


def _parquet(folder: Path) -> str:
    (folder / "lots.parquet").write_bytes(b"PAR1 not really\n")
    return "lots.parquet"


def _overlong_line(folder: Path) -> str:
    """A record longer than the limit (a file with no line break, such as /dev/zero)."""
    with (folder / "long.jsonl").open("wb") as fh:
        fh.write(b'{"id": "lot-1", "rough": true}\n{"id": "lot-2", "exporter": "')
        fh.write(b"x" * limits.MAX_RECORD_BYTES)
        fh.write(b'"}\n{"id": "lot-3", "rough": false}\n')
    return "long.jsonl"


def _overlong_csv(folder: Path) -> str:
    (folder / "long.csv").write_bytes(b"id,rough\nlot-1,true\nlot-2," + b"\0" * (
        limits.MAX_RECORD_BYTES + 10))
    return "long.csv"


def _control_cell(folder: Path) -> str:
    """An integer cell ending in a control character (Python's `int` refuses U+001F)."""
    (folder / "control.csv").write_bytes(b"id,stones,exporter\nlot-1,12\x1f,Ste\x1b[2J\n"
                                         b"lot-2,3,Ste\n")
    return "control.csv"


GENERATED: dict[str, Callable[[Path], str]] = {
    "KP491.jsonl": _overlong_line,
    "KP491.csv": _overlong_csv,
    "KP408-control.csv": _control_cell,
    "KP400": _empty_folder,
    "KP101.toml": _latin1_toml,
    "KP101.jsonl": _latin1_jsonl,
    "KP100.toml": _missing,
    "KP424": _parquet,
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated(name: str, workdir: Path, golden: Golden,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    cases = GENERATED[name](workdir)
    golden(ERRORS / f"{name}.err", run("eval", ["shipment"], cases, []))


# ----------------------------------------------------------------------------- the catalogue

OURS = sorted(c for c in CODES if c.startswith("KP4"))
# code -> the golden whose stderr is the example in docs/diagnostics.md
DOC_EXAMPLES = {
    "KP400": "KP400", "KP401": "KP401.toml", "KP402": "KP402.toml", "KP403": "KP403.toml",
    "KP404": "KP404.toml", "KP405": "KP405.toml", "KP406": "KP406", "KP407": "KP407.toml",
    "KP408": "KP408.toml", "KP409": "KP409.toml", "KP410": "KP410.toml", "KP411": "KP411",
    "KP412": "KP412.toml", "KP413": "KP413.toml", "KP414": "KP414.toml",
    "KP415": "KP415.toml", "KP420": "KP420.txt", "KP421": "KP421.jsonl",
    "KP422": "KP422.csv", "KP423": "KP423.csv", "KP424": "KP424", "KP425": "KP425.jsonl",
    "KP490": "KP490.jsonl", "KP491": "KP491.jsonl",
}
SECTION = re.compile(r"^## Case and data files \(KP4xx\)\n(.*?)(?=^## )", re.M | re.S)
HEADING = re.compile(r"^### (KP4\d\d): (.*)$", re.M)
EXAMPLE = re.compile(r"```text\n(.*?)```\n", re.S)


def doc_example(code: str) -> str:
    """The diagnostics a code's golden prints, without the summary line."""
    text = (ERRORS / f"{DOC_EXAMPLES[code]}.err").read_text(encoding="utf-8")
    stderr = re.split(r"--- (?:stderr|diagnostics)\n", text, maxsplit=1)[1]
    stderr = re.split(r"--- (?:exit \d+|end)\n", stderr, maxsplit=1)[0]
    lines = [line for line in stderr.splitlines(keepends=True)
             if not line.startswith("evaluated ")]
    return "".join(lines).rstrip("\n") + "\n"


def test_every_code_has_a_golden_that_shows_it() -> None:
    assert sorted(DOC_EXAMPLES) == OURS
    missing = [c for c in OURS if not (ERRORS / f"{DOC_EXAMPLES[c]}.err").exists()
               or f"[{c}]" not in doc_example(c)]
    assert missing == []


def test_the_docs_list_every_code_with_its_golden_example(update_goldens: bool) -> None:
    text = DOCS.read_text(encoding="utf-8")
    found = SECTION.search(text)
    assert found is not None, "docs/diagnostics.md has no section `Case and data files (KP4xx)`"
    section = found.group(1)
    heads = list(HEADING.finditer(section))
    assert [(m.group(1), m.group(2)) for m in heads] == [(c, CODES[c]) for c in OURS]
    ends = [m.start() for m in heads[1:]] + [len(section)]
    new = section
    for head, end in reversed(list(zip(heads, ends, strict=True))):
        example = EXAMPLE.search(section, head.end(), end)
        assert example is not None, head.group(1)
        new = new[: example.start(1)] + doc_example(head.group(1)) + new[example.end(1):]
    if update_goldens:
        DOCS.write_text(text[: found.start(1)] + new + text[found.end(1):], encoding="utf-8")
    else:
        assert new == section, "docs examples differ from the goldens (pytest --update-goldens)"
