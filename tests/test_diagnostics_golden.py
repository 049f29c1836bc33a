"""Golden files: the whole output of `kprules check` for one small example of every code.

Layout of tests/golden/errors/:
- `KPnnn.kpr` (one file) or `KPnnn/` (a folder of modules, for codes about several modules): the
  input, checked as `kprules check KPnnn.kpr` or `kprules check KPnnn` from that folder (so paths
  in the output are short, and the citations find tests/golden/errors/seeds/);
- inputs that cannot sit in the repository as they are (a missing file, invalid UTF-8, a NUL
  byte, a file over the size limit, a folder without policies) are made by `GENERATED` below in a
  temporary folder, and checked from there;
- `KPnnn.err`: what the command prints (standard output, then the summary on standard error),
  then a last line `exit: N`; `KPnnn.gnu.err` and `KPnnn.json.err` the same in the other formats,
  for the codes in `OTHER_FORMATS`.
KP500 (an evaluation error) is shown as the library raises it, rendered as text (no exit line).
`pytest --update-goldens` rewrites the outputs; review them as diffs. tests/test_codes.py checks
that every code has its golden file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import kprules
from kprules.cli import cli, main
from kprules.core import limits
from kprules.core.render import render_text
from kprules.syntax import loader

GOLDEN = Path(__file__).resolve().parent / "golden" / "errors"
Golden = Callable[[Path, str], None]


def _missing_file(folder: Path) -> list[str]:
    return ["kpcs_2003.kpr"]


def _invalid_utf8(folder: Path) -> list[str]:
    (folder / "latin1.kpr").write_bytes(b'facts kimberley "pi\xe8ces"\nfact rough: bool\n')
    return ["latin1.kpr"]


def _too_large(folder: Path) -> list[str]:
    (folder / "huge.kpr").write_bytes(b"#" * (loader.MAX_BYTES + 1))
    return ["huge.kpr"]


def _nul_byte(folder: Path) -> list[str]:
    (folder / "binary.kpr").write_bytes(b"facts kimberley\nfact rough: bool\x00\n")
    return ["binary.kpr"]


def _no_policies(folder: Path) -> list[str]:
    (folder / "policies").mkdir()
    (folder / "policies" / "notes.txt").write_text("not a policy\n", encoding="utf-8")
    return ["policies"]


_FACTS = """facts kimberley "what a shipment case records"
fact weight: carats "the weight of the parcel"
fact stones: integer "how many stones the parcel holds"
fact exported_on: date "the day of export"
"""
_HEAD = 'policy {name} "{name}"\n  status current\n  reads kimberley\n\n'
_CITE = '  cite kpcs_core "Section I" "CONFLICT DIAMONDS means rough diamonds"\n'


def _limit_folder(folder: Path, text: str) -> list[str]:
    (folder / "limits").mkdir()
    (folder / "limits" / "facts.kpr").write_text(_FACTS, encoding="utf-8")
    (folder / "limits" / "policy.kpr").write_text(text, encoding="utf-8")
    return ["--no-seeds", "limits"]


def _too_many_files(folder: Path) -> list[str]:
    (folder / "many").mkdir()
    for i in range(limits.MAX_FILES + 1):
        (folder / "many" / f"v{i}.kpr").write_text(f"facts v{i}\n", encoding="utf-8")
    return ["many"]


def _too_many_pieces(folder: Path) -> list[str]:
    pieces = "".join(f"  from {2000 + i // 12:04}-{i % 12 + 1:02}-01 = {i} ct\n" + _CITE
                     for i in range(limits.MAX_PIECES + 1))
    return _limit_folder(folder, _HEAD.format(name="kpcs_2003")
                         + 'parameter threshold: carats "the threshold"\n' + pieces
                         + "define heavy\n" + _CITE + "  = weight > threshold\n")


def _too_many_rules(folder: Path) -> list[str]:
    rules = "".join(f"  prohibited when stones = {i}\n" + _CITE
                    for i in range(limits.MAX_RULES + 1))
    return _limit_folder(folder, _HEAD.format(name="kpcs_2003")
                         + "decision trade: {permitted, prohibited}\n  default permitted\n"
                         + rules)


def _too_deep_amendments(folder: Path) -> list[str]:
    (folder / "chain").mkdir()
    (folder / "chain" / "facts.kpr").write_text(_FACTS, encoding="utf-8")
    (folder / "chain" / "p0.kpr").write_text(
        _HEAD.format(name="p0") + "define heavy\n" + _CITE + "  = weight > 1 ct\n",
        encoding="utf-8")
    for i in range(1, limits.MAX_AMENDMENT_DEPTH + 1):
        (folder / "chain" / f"p{i}.kpr").write_text(
            f'policy p{i} "p{i}"\n  status proposed\n  amends p{i - 1}\n', encoding="utf-8")
    return ["--no-seeds", "chain"]


def _too_many_clauses(folder: Path) -> list[str]:
    per_term = 50
    terms = limits.MAX_CLAUSES // (2 * per_term + 1) + 1
    defines = "".join(f"define d{i}\n" + _CITE + "  = " + " or ".join(
        f"stones = {j}" for j in range(per_term)) + "\n" for i in range(terms))
    return _limit_folder(folder, _HEAD.format(name="kpcs_2003") + defines)


def _bad_project(folder: Path) -> list[str]:
    (folder / "kprules.toml").write_text('seeds = "seeds"\npolicy = ["policies"]\n',
                                         encoding="utf-8")
    (folder / "v.kpr").write_text('facts kimberley "k"\n  fact rough: bool\n', encoding="utf-8")
    return ["v.kpr"]


GENERATED: dict[str, Callable[[Path], list[str]]] = {
    "KP100": _missing_file,
    "KP101": _invalid_utf8,
    "KP102": _too_large,
    "KP103": _nul_byte,
    "KP104": _no_policies,
    "KP191": _too_many_files,
    "KP290": _too_many_pieces,
    "KP291": _too_many_rules,
    "KP292": _too_deep_amendments,
    "KP293": _too_many_clauses,
    "KP105": _bad_project,
}
# Codes whose golden is also kept in the gnu and json formats: a hint, related spans in one and
# in two files, no place at all.
OTHER_FORMATS = ("KP100", "KP200", "KP201", "KP205", "KP207")


def written_inputs() -> list[str]:
    """Codes with an input in the golden folder (a `.kpr` file or a folder)."""
    names = {p.stem for p in GOLDEN.glob("KP*.kpr")} | {p.name for p in GOLDEN.glob("KP*")
                                                         if p.is_dir()}
    return sorted(names)


def run_check(args: list[str], fmt: str) -> str:
    """`kprules check --format FMT ARGS` in the current folder: its output and exit status."""
    result = CliRunner().invoke(cli, ["check", "--format", fmt, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output + f"exit: {result.exit_code}\n"


def _formats(code: str) -> list[str]:
    return ["text", "gnu", "json"] if code in OTHER_FORMATS else ["text"]


def _golden_path(code: str, fmt: str) -> Path:
    return GOLDEN / (f"{code}.err" if fmt == "text" else f"{code}.{fmt}.err")


def _cases(codes: list[str]) -> list[tuple[str, str]]:
    return [(code, fmt) for code in codes for fmt in _formats(code)]


@pytest.mark.parametrize(("code", "fmt"), _cases(written_inputs()))
def test_written(code: str, fmt: str, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    arg = f"{code}.kpr" if (GOLDEN / f"{code}.kpr").is_file() else code
    golden(_golden_path(code, fmt), run_check([arg], fmt))


@pytest.mark.parametrize(("code", "fmt"), _cases(sorted(GENERATED)))
def test_generated(code: str, fmt: str, golden: Golden, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = GENERATED[code](tmp_path)
    golden(_golden_path(code, fmt), run_check(args, fmt))


def test_internal_error(golden: Golden, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """KP900: a bug in kprules is reported as one, with exit status 3 and no traceback."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a checker pass failed")

    monkeypatch.chdir(GOLDEN)
    monkeypatch.setattr("kprules.checker.check", broken)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "KP200"])
    out = capsys.readouterr()
    golden(GOLDEN / "KP900.err", out.out + out.err + f"exit: {exit_info.value.code}\n")


def test_no_input_is_both_written_and_generated() -> None:
    assert not set(written_inputs()) & set(GENERATED)


def test_evaluation_error(golden: Golden) -> None:
    """KP500, raised by the evaluator (library API), rendered like every other diagnostic."""
    library = kprules.loads("facts kimberley\nfact weight: carats\nfact stones: integer\n",
                            "policy kpcs_2003 reads kimberley\n"
                            "define large_stones = weight / stones >= 1 ct\n")
    with pytest.raises(kprules.EvalError) as info:
        library["kpcs_2003"].evaluate({"weight": "2 ct", "stones": 0})
    golden(GOLDEN / "KP500.err", render_text(info.value.diagnostic, library.sources))
