"""The catalogue of diagnostic codes stays complete: used, listed, documented, shown.

- every code written anywhere in kprules/ (`KPnnn`) is in `CODES`;
- every code in `CODES` has a section `### KPnnn` in docs/diagnostics.md, and nothing else does;
- every code of the reading, name and type stages (KP1xx-KP3xx) has a golden file
  tests/golden/errors/KPnnn.err (see tests/test_diagnostics_golden.py);
- a code of a later stage (KP4xx and on) has a golden file there too, or is listed in
  `GOLDEN_ELSEWHERE` with the test file that shows its rendered output (that file must exist and
  mention the code). A stage that adds a code adds it to CODES, to the docs, and to one of these;
- the example under each code in docs/diagnostics.md is its golden output, word for word
  (`pytest --update-goldens` rewrites the examples from the golden files).
"""

from __future__ import annotations

import re
from pathlib import Path

from kprules.core.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "errors"
DOCS = ROOT / "docs" / "diagnostics.md"
CODE = re.compile(r"KP\d{3}")
SECTION = re.compile(r"^### (KP\d{3})\b.*$", re.M)
EXAMPLE = re.compile(r"```text\n(.*?)```\n", re.S)

# Codes of later stages whose golden test lives with that stage: code -> test file (from ROOT).
GOLDEN_ELSEWHERE: dict[str, str] = {
    **{code: "tests/cases/test_case_errors.py"  # KP4xx: case and data files
       for code in CODES if code.startswith("KP4")},
}


def codes_in_package() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "kprules").rglob("*.py"):
        found.update(CODE.findall(path.read_text(encoding="utf-8")))
    return found


def golden_example(code: str) -> str | None:
    """The diagnostics part of a code's golden output (without the summary and exit lines)."""
    path = GOLDEN / f"{code}.err"
    if not path.exists():
        return None
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(("checked ", "exit: "))]
    return "".join(kept).rstrip("\n") + "\n"


def doc_sections(text: str) -> dict[str, tuple[int, int]]:
    """Code -> (start, end) of its section in the docs."""
    heads = list(SECTION.finditer(text))
    ends = [m.start() for m in heads[1:]] + [len(text)]
    return {m.group(1): (m.start(), end) for m, end in zip(heads, ends, strict=True)}


def test_every_code_used_is_catalogued() -> None:
    assert sorted(codes_in_package() - set(CODES)) == []


def test_codes_are_well_formed() -> None:
    for code, description in CODES.items():
        assert CODE.fullmatch(code), code
        assert description and not description[0].isupper() and not description.endswith("."), code


def test_every_code_is_documented_once() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = [m.group(1) for m in SECTION.finditer(text)]
    assert sorted(documented) == sorted(CODES)
    assert len(documented) == len(set(documented))


def test_every_front_end_code_has_a_golden() -> None:
    front = [c for c in CODES if c[2] in "123"]
    assert [c for c in front if not (GOLDEN / f"{c}.err").exists()] == []


def test_every_later_code_has_a_golden_somewhere() -> None:
    missing = []
    for code in (c for c in CODES if c[2] not in "123"):
        if (GOLDEN / f"{code}.err").exists():
            continue
        where = GOLDEN_ELSEWHERE.get(code)
        if where is None or code not in (ROOT / where).read_text(encoding="utf-8"):
            missing.append(code)
    assert missing == []


def test_every_golden_is_of_a_code() -> None:
    stems = {p.name.split(".")[0] for p in GOLDEN.glob("KP*.err")}
    assert sorted(stems - set(CODES)) == []
    for code in stems:
        assert code in (GOLDEN / f"{code}.err").read_text(encoding="utf-8"), code


def test_docs_examples_are_the_goldens(update_goldens: bool) -> None:
    text = DOCS.read_text(encoding="utf-8")
    sections = doc_sections(text)
    wrong = []
    for code, (start, end) in sorted(sections.items(), key=lambda kv: -kv[1][0]):
        expected = golden_example(code)
        if expected is None:
            continue
        found = EXAMPLE.search(text, start, end)
        if found is None or found.group(1) != expected:
            wrong.append(code)
            if update_goldens and found is not None:
                text = text[: found.start(1)] + expected + text[found.end(1):]
    if update_goldens:
        DOCS.write_text(text, encoding="utf-8")
    else:
        assert sorted(wrong) == [], "docs examples differ from goldens (pytest --update-goldens)"
