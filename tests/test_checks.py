"""Check cases as data: chunk files under tests/checks/ (the starlark-go style).

Format of a chunk file `tests/checks/*.kpr`:

- Cases are separated by a line that is exactly `---`. A file holds many small cases.
- A case is one or more modules. Its first module is named `chunk.kpr`; a line
  `--- file: NAME.kpr` starts another module of the same case, named NAME.kpr. (`---` alone
  separates cases; `--- file:` separates the modules of one case.) Comments before the first
  module line describe the case; when they are all there is before `--- file:`, no `chunk.kpr`
  is made.
- The diagnostics a case must produce are written on the line their span starts on, as a
  comment: `## KP200`; several: `## KP200 KP301` (a code twice means two diagnostics); a code may
  be followed by a regular expression in double quotes that its message or its hint must match
  (`re.search`): `## KP200 "undefined name .incom."`, `## KP304 "did you mean .stop."`.
- The harness checks every case and fails on missing diagnostics and on unexpected ones (code and
  line). A case without expectations must be clean: no error and no warning.
- Directives, on lines starting with `#!` (anywhere in the file; they apply to all its cases):
  `#! prelude: NAME.kpr`   check every case together with tests/checks/NAME.kpr, a vocabulary the
                           cases read. Warnings located in the prelude are ignored (it declares
                           more facts than one case reads); an error located there fails the case.
  `#! ignore: KP211 KP216` drop these codes: this file does not test them (cases about types need
                           not cite sources). Annotating an ignored code is a mistake in the file.
- Citations are checked against the small seeds folder tests/checks/seeds/.

Reading errors that concern files rather than text (KP100-KP104) cannot be written as chunks;
tests/test_diagnostics_golden.py covers them. `test_every_code_has_a_case` keeps the chunks
complete.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from attrs import frozen

from kprules.checker import check
from kprules.core.diagnostics import CODES, Diagnostic
from kprules.core.render import render_all
from kprules.syntax.loader import load_texts
from kprules.syntax.seeds import Seed, load_seeds

CHECKS = Path(__file__).resolve().parent / "checks"
FIRST_MODULE = "chunk.kpr"
# Codes about files, not text: no chunk can produce them (golden tests cover them).
NOT_IN_CHUNKS = frozenset({"KP100", "KP101", "KP102", "KP103", "KP104", "KP105"})
# Size limits whose inputs are large (a thousand elements, files, pieces, rules, policies):
# tests/test_limits.py and their golden files cover them.
NOT_IN_CHUNKS |= {"KP190", "KP191", "KP290", "KP291", "KP292", "KP293"}

_CASE_BREAK = re.compile(r"^---[ \t]*$")
_MODULE_BREAK = re.compile(r"^--- file: *(\S+\.kpr) *$")
_DIRECTIVE = re.compile(r"^#!\s*(prelude|ignore):(.*)$")
_ANNOTATION = re.compile(r"##\s*(KP\d{3}.*)$")
_EXPECT = re.compile(r'\s*(KP\d{3})(?:\s+"((?:[^"\\]|\\.)*)")?')


@frozen
class Expect:
    code: str
    pattern: str | None

    def matches(self, d: Diagnostic) -> bool:
        if d.code != self.code:
            return False
        texts = [d.message, d.hint or ""]
        return self.pattern is None or any(re.search(self.pattern, t) for t in texts)

    def __str__(self) -> str:
        return self.code + (f' "{self.pattern}"' if self.pattern else "")


@frozen
class Module:
    name: str
    text: str
    first_line: int  # line of the chunk file where the module's first line is


@frozen
class Case:
    path: Path
    line: int
    modules: tuple[Module, ...]
    prelude: str | None
    ignore: frozenset[str]

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


# ----------------------------------------------------------------------------- reading chunks


def read_cases(path: Path) -> list[Case]:
    lines = path.read_text(encoding="utf-8").split("\n")
    prelude, ignore = _directives(lines)
    cases: list[Case] = []
    start = 0
    for i, line in enumerate([*lines, "---"]):
        if _CASE_BREAK.match(line):
            modules = _modules(lines[start:i], start + 1)
            if modules:
                cases.append(Case(path, start + 1, modules, prelude, ignore))
            start = i + 1
    return cases


def _directives(lines: list[str]) -> tuple[str | None, frozenset[str]]:
    prelude: str | None = None
    ignore: set[str] = set()
    for line in lines:
        m = _DIRECTIVE.match(line)
        if m and m.group(1) == "prelude":
            prelude = m.group(2).strip()
        elif m:
            ignore.update(m.group(2).split())
    return prelude, frozenset(ignore)


def _modules(lines: list[str], first_line: int) -> tuple[Module, ...]:
    """The modules of one case; a case of comments and blank lines only is no case."""
    out: list[Module] = []
    name, start = FIRST_MODULE, 0
    for i, line in enumerate([*lines, "--- file: end.kpr"]):
        m = _MODULE_BREAK.match(line)
        if m:
            text = "\n".join(lines[start:i]) + "\n"
            if _has_code(text) or name != FIRST_MODULE:
                out.append(Module(name, text, first_line + start))
            elif expectations(text):
                raise ValueError(f"line {first_line + start}: an annotation outside any module")
            name, start = m.group(1), i + 1
    return tuple(out)


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.split("\n"))


def expectations(text: str) -> dict[int, list[Expect]]:
    """The annotations of a module: line -> expected diagnostics."""
    out: dict[int, list[Expect]] = {}
    for number, line in enumerate(text.split("\n"), 1):
        m = _ANNOTATION.search(line)
        if m is None:
            continue
        found = list(_EXPECT.finditer(m.group(1)))
        rest = _EXPECT.sub("", m.group(1)).strip()
        if rest:
            raise ValueError(f"line {number}: cannot read the annotation `{m.group(0)}`")
        out[number] = [Expect(x.group(1), x.group(2)) for x in found]
    return out


# ----------------------------------------------------------------------------- checking


def run_case(case: Case, seeds: Mapping[str, Seed]) -> tuple[list[str], str]:
    """Check a case; return the problems (missing or unexpected diagnostics) and the rendered
    diagnostics (for the failure message)."""
    texts = [(m.name, m.text) for m in case.modules]
    if case.prelude:
        texts.insert(0, (case.prelude, (CHECKS / case.prelude).read_text(encoding="utf-8")))
    ws = load_texts(texts)
    result = check(ws, seeds)
    diags = [d for d in result.diagnostics if d.code not in case.ignore
             and not (d.span and d.span.source == case.prelude and not d.is_error)]
    return compare(case, diags, ws.sources), render_all(diags, ws.sources, "text")


def compare(case: Case, diags: list[Diagnostic], sources: Mapping[str, object]) -> list[str]:
    """Missing and unexpected diagnostics, as lines naming the chunk file's line."""
    problems: list[str] = []
    actual: dict[tuple[str, int], list[Diagnostic]] = {}
    for d in diags:
        actual.setdefault(_place(d, sources), []).append(d)
    first_lines = {m.name: m.first_line for m in case.modules}
    for m in case.modules:
        for line, wanted in expectations(m.text).items():
            got = actual.pop((m.name, line), [])
            where = f"{case.path.name}:{m.first_line + line - 1}"
            problems.extend(_match(wanted, got, where, case.ignore))
    for (name, line), rest in sorted(actual.items()):
        where = f"{case.path.name}:{first_lines.get(name, 0) + line - 1}" \
            if name in first_lines else f"{name}:{line}"
        problems.extend(f"unexpected at {where}: {d.code} {d.message}" for d in rest)
    return problems


def _place(d: Diagnostic, sources: Mapping[str, object]) -> tuple[str, int]:
    source = sources.get(d.span.source) if d.span else None
    if d.span is None or source is None:
        return ("<no place>", 0)
    line, _ = source.line_col(d.span.start)  # type: ignore[attr-defined]
    return (d.span.source, line)


def _match(wanted: list[Expect], got: list[Diagnostic], where: str,
           ignore: frozenset[str]) -> Iterator[str]:
    left = list(got)
    for expect in wanted:
        if expect.code in ignore:
            yield f"annotation of ignored code at {where}: {expect}"
            continue
        hit = next((d for d in left if expect.matches(d)), None)
        if hit is None:
            yield f"missing at {where}: {expect}"
        else:
            left.remove(hit)
    yield from (f"unexpected at {where}: {d.code} {d.message}" for d in left)


# ----------------------------------------------------------------------------- tests


def all_cases() -> list[Case]:
    return [case for path in sorted(CHECKS.glob("*.kpr")) if path.name != "prelude.kpr"
            for case in read_cases(path)]


@pytest.fixture(scope="module")
def seeds() -> dict[str, Seed]:
    return load_seeds(CHECKS / "seeds")


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.id)
def test_case(case: Case, seeds: dict[str, Seed]) -> None:
    problems, rendered = run_case(case, seeds)
    assert not problems, "\n".join([*problems, "", "diagnostics:", rendered])


def test_enough_cases() -> None:
    assert len(all_cases()) >= 150


def test_every_code_has_a_case() -> None:
    """Every code of the reading, name and type stages (but those about files) is annotated in
    some chunk, so each checker path is exercised."""
    annotated = {e.code for case in all_cases() for m in case.modules
                 for wanted in expectations(m.text).values() for e in wanted}
    stage_codes = {c for c in CODES if c[2] in "123"}
    assert sorted(stage_codes - NOT_IN_CHUNKS - annotated) == []


def test_every_diagnostic_reads_well(seeds: dict[str, Seed]) -> None:
    """Across all cases: messages start in lower case and end without a period (an ellipsis is
    fine); every diagnostic has a hint (the fix), and hints are written the same way."""
    badly_written = []
    for case in all_cases():
        texts = [(m.name, m.text) for m in case.modules]
        texts.insert(0, ("prelude.kpr", (CHECKS / "prelude.kpr").read_text(encoding="utf-8")))
        for d in check(load_texts(texts), seeds).diagnostics:
            for text in (d.message, d.hint):
                period = text is not None and text.endswith(".") and not text.endswith("...")
                if not text or text[0].isupper() or period:
                    badly_written.append(f"{case.id} {d.code}: {d.message} / {d.hint}")
    assert badly_written == []


# ----------------------------------------------------------------------------- the harness


def _synthetic(text: str, ignore: frozenset[str] = frozenset()) -> Case:
    prelude = "prelude.kpr"
    return Case(Path("synthetic.kpr"), 1, (Module(FIRST_MODULE, text, 1),), prelude, ignore)


def test_harness_reports_missing_and_unexpected(seeds: dict[str, Seed]) -> None:
    case = _synthetic("policy p\n  reads v\ndefine x = incom  ## KP302\n", frozenset({"KP211"}))
    problems, _ = run_case(case, seeds)
    assert problems == ["missing at synthetic.kpr:3: KP302",
                        "unexpected at synthetic.kpr:3: KP200 undefined name `incom`"]


def test_harness_checks_message_patterns(seeds: dict[str, Seed]) -> None:
    case = _synthetic('policy p\n  reads v\ndefine x = incom  ## KP200 "undefined name .x."\n',
                      frozenset({"KP211"}))
    problems, _ = run_case(case, seeds)
    assert problems == ['missing at synthetic.kpr:3: KP200 "undefined name .x."',
                        "unexpected at synthetic.kpr:3: KP200 undefined name `incom`"]


def test_harness_reports_warnings_in_clean_cases(seeds: dict[str, Seed]) -> None:
    problems, _ = run_case(_synthetic("policy p\n  reads v\ndefine x = rough\n"), seeds)
    assert problems == ["unexpected at synthetic.kpr:3: KP211 this definition of `x` cites "
                        "no source"]


def test_harness_reads_modules_and_annotations(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.kpr"
    path.write_text("#! ignore: KP211\n# comment only\n---\npolicy p  ## KP200 KP301 \"a b\"\n"
                    "--- file: x.kpr\nfacts x\n---\n", encoding="utf-8")
    (case,) = read_cases(path)
    assert case.ignore == frozenset({"KP211"})
    assert [(m.name, m.first_line) for m in case.modules] == [("chunk.kpr", 4), ("x.kpr", 6)]
    assert expectations(case.modules[0].text) == {
        1: [Expect("KP200", None), Expect("KP301", "a b")]}


def test_harness_refuses_unreadable_annotations(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read the annotation"):
        expectations("define a = b  ## KP200 because\n")
    path = tmp_path / "lost.kpr"
    path.write_text("# ## KP200\n--- file: a.kpr\nfacts a\n", encoding="utf-8")
    with pytest.raises(ValueError, match="an annotation outside any module"):
        read_cases(path)
