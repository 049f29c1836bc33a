"""Fuzz targets: each turns one generated input into a run of kprules and says how it went.

Outcomes: "ok" (accepted), "diagnosed" (refused with located diagnostics: exit 1 or 2, or a
`PolicyError`), and "internal" (anything else: what the command line reports as KP900, exit 3).
Inputs are drawn by hypothesis strategies: mutations of the repository's own policies, case
files and data records (text spliced with tokens chosen to reach limits and corner cases), and,
for the evaluator, the generator of well-typed random policies of tests/evaluator.

Targets:
- `policy`: a mutated policy, with the vocabulary and base it reads: parse and check
  (`kprules.loads`); when it parses, `fmt` twice: the result parses and is a fixed point;
- `cases`: a mutated TOML case file, through `kprules eval`;
- `data`: a batch of mutated JSON Lines or CSV records, through `kprules eval --skip-invalid`
  in text, CSV and JSON (each record counts as one input);
- `evaluator`: generated policies and fact sets, the compiled code against the interpreter;
- `report`: a batch of mutated records through `kprules compare` in every report format (each
  record counts as one input).
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from attrs import frozen
from click.testing import CliRunner
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "cases" / "fixtures"
POLICIES = ROOT / "tests" / "robustness" / "fixtures"

# Tokens spliced into texts: keywords, operators, literals at and past the limits, characters
# that matter to readers (bidi overrides, separators, NUL, surrogate escapes, quotes).
TOKENS = [
    "define", "redefine", "decision", "parameter", "policy", "facts", "fact", "enum", "amends",
    "reads", "cite", "from", "until", "when", "except", "default", "if", "then", "else", "and",
    "or", "not", "in", "base.", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "..", ",",
    "{", "}", "(", ")", ":", '"', '\\"', "\\", "#", "\n", "\t", " ", "0", "1", "-1", "0.5",
    "1 ct", "2.5 g", "10 usd", "9" * 31, "9" * 5000, "1e999999999", "1e-999999", "0.0",
    "2024-02-30", "9999-12-31", "0001-01-01", "2024-03-01", "true", "false", "null", "[]",
    "{}", "RU", "ZZ", "rebel_movement", "\u202e", "\u2028", "\x00", "\x1b[2J", "\\ud800",
    "\ufeff", "(" * 120, "not " * 120, "a" * 200, "=HYPERLINK()", "@x", "'",
]


def _mutations() -> st.SearchStrategy[list[tuple[int, int, str]]]:
    token = st.one_of(st.sampled_from(TOKENS), st.text(max_size=8))
    return st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 12), token),
                    min_size=1, max_size=6)


def mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for at, cut, insert in edits:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + cut:]
    return text


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@frozen
class Target:
    name: str
    strategy: st.SearchStrategy[Any]
    run: Callable[[Any], tuple[str, int]]  # (outcome, inputs counted)


# ----------------------------------------------------------------------------- policy + fmt

def _policy_texts() -> list[str]:
    return [_read(p) for p in sorted(POLICIES.rglob("*.kpr"))]


def _policy_inputs() -> st.SearchStrategy[tuple[str, str]]:
    return st.tuples(st.sampled_from(_policy_texts()), _mutations()).map(
        lambda t: (t[0], mutate(t[0], t[1])))


def run_policy(pair: tuple[str, str]) -> tuple[str, int]:
    import kprules
    from kprules.core.diagnostics import PolicyError
    from kprules.core.source import Source
    from kprules.syntax.canonical import canonical_text

    original, text = pair
    others = [t for t in _policy_texts() if t != original]
    outcome = "ok"
    try:
        kprules.loads(text, *others)
    except PolicyError:
        outcome = "diagnosed"
    # fmt: parse, print, parse again to the same module, comments kept, a fixed point; a
    # FormatBug is an internal error
    with contextlib.suppress(PolicyError):
        canonical_text(Source("fuzz.kpr", text))
    return outcome, 1


# ----------------------------------------------------------------------------- the commands

def _invoke(argv: list[str], folder: Path) -> str:
    from kprules.cli import cli

    result = CliRunner().invoke(cli, argv, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if result.exit_code not in (0, 1, 2):
        raise AssertionError(f"exit {result.exit_code}: {result.output[-500:]}")
    return "ok" if result.exit_code == 0 else "diagnosed"


class _Work:
    """A temporary folder holding the fixture policies, made once per process."""

    folder: Path | None = None

    @classmethod
    def get(cls) -> Path:
        if cls.folder is None:
            import shutil

            cls.folder = Path(tempfile.mkdtemp(prefix="kprules-fuzz-"))
            for name in ("shipment", "seeds"):
                shutil.copytree(FIXTURES / name, cls.folder / name)
            (cls.folder / "pyproject.toml").write_text("\n", encoding="utf-8")
        return cls.folder


def _in_work(name: str, data: str) -> Path:
    folder = _Work.get()
    path = folder / name
    path.write_bytes(data.encode("utf-8", "surrogatepass"))
    return path


def _case_inputs() -> st.SearchStrategy[str]:
    texts = [_read(p) for p in sorted((FIXTURES / "cases").rglob("*.toml"))]
    return st.tuples(st.sampled_from(texts), _mutations()).map(lambda t: mutate(*t))


def run_cases(text: str) -> tuple[str, int]:
    import os

    path = _in_work("fuzz.toml", text)
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        return _invoke(["eval", "shipment", "--cases", path.name], path.parent), 1
    finally:
        os.chdir(here)


RECORDS = [
    {"id": "lot-1", "rough": True, "beneficiary": "rebel_movement", "finances_conflict": True,
     "mined_in": "CF", "exported_on": "2024-03-01", "weight": "0.5", "stones": 3},
    {"id": "lot-2", "rough": True, "beneficiary": "state_owned_enterprise",
     "finances_conflict": True, "transit": ["RU", "BY"], "value": 1200, "purity": 0.25},
    {"id": "lot-3", "rough": False, "exporter": "Ste", "finishes": ["sawn"],
     "zone_compliant": True},
]


def _record_lines(fmt: str) -> st.SearchStrategy[list[str]]:
    if fmt == "jsonl":
        base = [json.dumps(r) for r in RECORDS]
    else:
        keys = sorted({k for r in RECORDS for k in r})
        base = [",".join(keys)] + [",".join(str(r.get(k, "")).replace(", ", ";")
                                            .replace("[", "").replace("]", "").replace("'", "")
                                            for k in keys) for r in RECORDS]
    line = st.tuples(st.sampled_from(base), st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 6), st.sampled_from(TOKENS)),
        max_size=3)).map(lambda t: mutate(*t).replace("\n", " "))
    lines = st.lists(line, min_size=100, max_size=300)
    return lines.map(lambda ls: [base[0], *ls] if fmt == "csv" else ls)


def _data_inputs() -> st.SearchStrategy[tuple[str, list[str], str]]:
    return st.sampled_from(["jsonl", "csv"]).flatmap(
        lambda fmt: st.tuples(st.just(fmt), _record_lines(fmt),
                              st.sampled_from(["text", "csv", "json"])))


def _records_file(fmt: str, lines: list[str]) -> Path:
    return _in_work(f"fuzz.{fmt}", "\n".join(lines) + "\n")


def run_data(item: tuple[str, list[str], str]) -> tuple[str, int]:
    import os

    fmt, lines, out = item
    path = _records_file(fmt, lines)
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        outcome = _invoke(["eval", "shipment", "--cases", path.name, "--skip-invalid",
                           "--format", out], path.parent)
    finally:
        os.chdir(here)
    return outcome, len(lines) - (fmt == "csv")


def _report_inputs() -> st.SearchStrategy[tuple[str, list[str], str]]:
    return st.sampled_from(["jsonl", "csv"]).flatmap(
        lambda fmt: st.tuples(st.just(fmt), _record_lines(fmt),
                              st.sampled_from(["text", "md", "json", "html", "junit"])))


def run_report(item: tuple[str, list[str], str]) -> tuple[str, int]:
    import os

    fmt, lines, out = item
    # compare stops at the first invalid record: keep the valid ones (the data target reads
    # the invalid ones), then compare them in every format
    from kprules.cases.bulk import BadRecord, read_data
    from kprules.core.files import read_source  # noqa: F401  (the one safe reader)

    path = _records_file(fmt, lines)
    import kprules

    lib = kprules.load(_Work.get() / "shipment")
    vocab = lib["kpcs"].vocabulary
    good = [i for i, item in enumerate(read_data(path, vocab)) if not isinstance(item, BadRecord)]
    kept = [lines[0]] + [lines[i + 1] for i in good] if fmt == "csv" else \
        [line for line in lines if line.strip()]
    if fmt == "jsonl":
        kept = [kept[i] for i in good] if kept else []
    path = _records_file(fmt, kept)
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        outcome = _invoke(["compare", "kpcs", "shipment", "--cases", path.name, "--format",
                           out], path.parent)
    finally:
        os.chdir(here)
    return outcome, len(good)


# ----------------------------------------------------------------------------- evaluator

def _evaluator_inputs() -> st.SearchStrategy[Any]:
    sys.path.insert(0, str(ROOT))
    from tests.evaluator.test_differential import scenarios

    return scenarios()


def run_evaluator(scenario: Any) -> tuple[str, int]:
    from tests.evaluator.test_differential import test_compiled_code_agrees_with_the_interpreter

    inner = test_compiled_code_agrees_with_the_interpreter.hypothesis.inner_test  # type: ignore
    inner(scenario)
    return "ok", len(scenario[3])


def targets() -> dict[str, Target]:
    return {
        "policy": Target("policy", _policy_inputs(), run_policy),
        "cases": Target("cases", _case_inputs(), run_cases),
        "data": Target("data", _data_inputs(), run_data),
        "evaluator": Target("evaluator", _evaluator_inputs(), run_evaluator),
        "report": Target("report", _report_inputs(), run_report),
    }


def shuffle_seed() -> int:
    return random.randrange(1 << 30)
