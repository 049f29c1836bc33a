"""Bad input never gets through: mutated case files give located diagnostics, or exactly the data
they say; never a traceback.

Mutations of the two valid fixture files (one case, one family): a value of the wrong type, a
misspelt key, a string where a date belongs and a date where a string belongs, a quoted date,
invalid TOML, truncation at any point, a line deleted or duplicated. For each mutated text the
loader (the code path of `kprules eval` and `explain`, without the file reading) must:
- never raise: every problem is a diagnostic with a catalogued code, a span inside the file (so
  a line), and a rendering;
- report an error for the mutations that cannot be right (wrong types, misspellings, a string for
  a date, a date for a string, invalid TOML);
- when it reports no error, give exactly the data the text holds: every case's id, title,
  sources, date, notes, facts and expectations equal what tomllib reads from the mutated text,
  merged (family, then case) and typed independently here.
A second property runs the command itself on mutated files: exit status 1 with located
diagnostics, or 0; never a traceback (exit 3).
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from case_support import FIXTURES, shipment
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kprules.cases.files import read_texts
from kprules.cases.model import Case, Suite
from kprules.cases.values import expected_value
from kprules.cli import cli
from kprules.core.diagnostics import CODES
from kprules.core.render import render_all
from kprules.eval.evaluate import validate

BASES = {name: (FIXTURES / "cases" / name).read_text(encoding="utf-8")
         for name in ("car-2014.toml", "ru-lots.toml")}
KEY_LINE = re.compile(r'^(\s*)("[^"]+"|[A-Za-z0-9_.-]+)(\s*=\s*)(.*)$')
PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]+")
KINDS = {"bool": "true", "int": "42", "float": "1.5", "string": '"zzz"',
         "date": "2021-02-03", "array": "[1, 2]", "table": "{ a = 1 }"}
# The kinds of value each key of the fixtures accepts (from the pool above; "zzz" is no enum
# value, no country and no date, and [1, 2] no list of text). Any other kind is an error.
VALID: dict[str, set[str]] = {
    "id": {"string"}, "title": {"string"}, "contested": {"string"}, "notes": {"string"},
    "sources": {"array"}, "date": {"date"}, "rough": {"bool"}, "finances_conflict": {"bool"},
    "exported_on": {"date"}, "weight": {"int", "float"}, "value": {"int", "float"},
    "stones": {"int"}, "purity": {"int", "float"}, "exporter": {"string"},
    "kpcs.conflict_diamond": {"bool"}, "proposal.conflict_diamond": {"bool"},
    "kpcs.threshold": {"int", "float"}, "kpcs.value_per_stone": {"int", "float"},
    "kpcs.gem_lot": {"bool"},
}
ALL_KEYS = {m.group(2).strip('"') for text in BASES.values() for line in text.splitlines()
            if (m := KEY_LINE.match(line))} | {"case", "facts", "expect", "family"}


def key_lines(text: str) -> list[tuple[int, re.Match[str]]]:
    return [(i, m) for i, line in enumerate(text.split("\n")) if (m := KEY_LINE.match(line))]


def replace_line(text: str, index: int, new: str) -> str:
    lines = text.split("\n")
    lines[index] = new
    return "\n".join(lines)


Mutation = tuple[str, bool, str]  # (text, must be an error, what was done)


@st.composite
def wrong_type(draw: st.DrawFn) -> Mutation:
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    index, m = draw(st.sampled_from(key_lines(text)))
    key = m.group(2).strip('"')
    kind = draw(st.sampled_from(sorted(set(KINDS) - VALID.get(key, set()))))
    new = m.group(1) + m.group(2) + m.group(3) + KINDS[kind]
    return replace_line(text, index, new), True, f"{name}: {key} = {kind}"


@st.composite
def misspelt_key(draw: st.DrawFn) -> Mutation:
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    index, m = draw(st.sampled_from(key_lines(text)))
    key = m.group(2)
    letters = [i for i, c in enumerate(key) if c.isalpha()]
    at = draw(st.sampled_from(letters))
    how = draw(st.sampled_from(["drop", "double", "swap", "change"]))
    if how == "drop":
        wrong = key[:at] + key[at + 1:]
    elif how == "double":
        wrong = key[:at] + key[at] + key[at:]
    elif how == "swap" and at + 1 < len(key) and key[at + 1].isalpha():
        wrong = key[:at] + key[at + 1] + key[at] + key[at + 2:]
    else:
        wrong = key[:at] + ("q" if key[at] != "q" else "x") + key[at + 1:]
    if wrong.strip('"') in ALL_KEYS or wrong == key or not wrong.strip('"').strip("."):
        wrong = key + "x" if not key.endswith('"') else key[:-1] + 'x"'
    return replace_line(text, index, m.group(1) + wrong + m.group(3) + m.group(4)), True, \
        f"{name}: {key} -> {wrong}"


def _header_line(text: str) -> set[int]:
    return {i for i, line in enumerate(text.split("\n")) if line.startswith("[")}


@st.composite
def string_for_date(draw: st.DrawFn) -> Mutation:
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    dated = [(i, m) for i, m in key_lines(text) if re.fullmatch(r"\d{4}-\d\d-\d\d", m.group(4))]
    index, m = draw(st.sampled_from(dated))
    word = draw(st.sampled_from(['"June 2014"', '"yesterday"', '"2014-13-01"', '""']))
    return replace_line(text, index, m.group(1) + m.group(2) + m.group(3) + word), True, \
        f"{name}: {m.group(2)} = {word}"


@st.composite
def quoted_date(draw: st.DrawFn) -> Mutation:
    """A date in quotes: an error for the case's `date`; for a date fact the same date."""
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    dated = [(i, m) for i, m in key_lines(text) if re.fullmatch(r"\d{4}-\d\d-\d\d", m.group(4))]
    index, m = draw(st.sampled_from(dated))
    new = m.group(1) + m.group(2) + m.group(3) + f'"{m.group(4)}"'
    return replace_line(text, index, new), m.group(2) == "date", f"{name}: quoted {m.group(2)}"


@st.composite
def date_for_string(draw: st.DrawFn) -> Mutation:
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    strings = [(i, m) for i, m in key_lines(text) if m.group(4).startswith('"')]
    index, m = draw(st.sampled_from(strings))
    return replace_line(text, index, m.group(1) + m.group(2) + m.group(3) + "2014-06-01"), \
        True, f"{name}: {m.group(2)} = a date"


@st.composite
def invalid_toml(draw: st.DrawFn) -> Mutation:
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    lines = text.split("\n")
    at = draw(st.integers(0, len(lines) - 1))
    junk = draw(st.sampled_from(["= 1", "[unclosed", 'x = "open', "x =", "x = tru",
                                 "x = 1 2", "[[case]", "x = [1, ", "x = {a = 1", "'x' = '''"]))
    return "\n".join([*lines[:at], junk, *lines[at:]]), True, f"{name}: line {at + 1}: {junk}"


@st.composite
def truncated(draw: st.DrawFn) -> Mutation:
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    at = draw(st.integers(0, len(text)))
    return text[:at], False, f"{name}: cut at {at}"


@st.composite
def line_deleted_or_doubled(draw: st.DrawFn) -> Mutation:
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    lines = text.split("\n")
    at = draw(st.integers(0, len(lines) - 1))
    if draw(st.booleans()):
        return "\n".join(lines[:at] + lines[at + 1:]), False, f"{name}: line {at + 1} deleted"
    doubled = lines[at]
    # doubling a `key = value` line or a `[table]` header is always a TOML error
    must = bool(KEY_LINE.match(doubled)) or (doubled.startswith("[") and \
        not doubled.startswith("[["))
    return "\n".join([*lines[: at + 1], doubled, *lines[at + 1:]]), must, \
        f"{name}: line {at + 1} doubled"


@st.composite
def harmless(draw: st.DrawFn) -> Mutation:
    """A comment, a blank line or spaces added: the same data (the oracle is checked)."""
    name, text = draw(st.sampled_from(sorted(BASES.items())))
    lines = text.split("\n")
    at = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["comment", "blank", "spaces"]))
    if how == "spaces":
        lines[at] = lines[at].replace(" = ", "  =   ", 1).rstrip() + "   "
    else:
        lines.insert(at, "" if how == "blank" else "# a comment = [not, a, key]")
    return "\n".join(lines), False, f"{name}: {how} at line {at + 1}"


MUTATIONS = st.one_of(wrong_type(), misspelt_key(), string_for_date(), quoted_date(),
                      date_for_string(), invalid_toml(), truncated(), line_deleted_or_doubled(),
                      harmless())


# ----------------------------------------------------------------------------- the oracle


def _flat_expect(table: Any) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for key, value in (table or {}).items():
        if isinstance(value, dict):
            out.update({(key, term): v for term, v in value.items()})
        else:
            policy, _, term = key.partition(".")
            out[(policy, term)] = value
    return out


def _one(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """What a case holds, read from its tomllib tables (family first), typed here."""
    own = layers[-1]
    facts: dict[str, Any] = {}
    expect: dict[tuple[str, str], Any] = {}
    for layer in layers:
        facts.update(layer.get("facts", {}))
        expect.update(_flat_expect(layer.get("expect")))
    lib = shipment()
    pick = [layer.get(k) for layer in layers for k in ("date", "contested", "notes")]
    return {
        "id": own["id"], "title": own["title"],
        "sources": tuple(s for layer in layers for s in layer.get("sources", [])),
        "date": next((d for d in pick[0::3][::-1] if d is not None), None),
        "contested": next((c for c in pick[1::3][::-1] if c is not None), None),
        "notes": next((n for n in pick[2::3][::-1] if n is not None), None),
        "facts": validate(facts, lib["kpcs"].vocabulary),
        "expect": {k: expected_value(v, lib[k[0]].checked.terms[k[1]])
                   for k, v in expect.items()},
    }


def oracle(text: str) -> list[dict[str, Any]]:
    doc = tomllib.loads(text, parse_float=Decimal)
    if "family" in doc or isinstance(doc.get("case"), list):
        family = doc.get("family", {})
        return [_one([family, c] if family else [c]) for c in doc["case"]]
    return [_one([{**doc["case"], "facts": doc.get("facts", {}),
                   "expect": doc.get("expect", {})}])]


def as_read(case: Case) -> dict[str, Any]:
    return {"id": case.id, "title": case.title, "sources": case.sources, "date": case.date,
            "contested": case.contested, "notes": case.notes, "facts": dict(case.facts),
            "expect": {(e.policy, e.term): e.value for e in case.expect}}


def check_located(suite: Suite, text: str) -> None:
    for d in suite.diagnostics:
        assert d.code in CODES and d.code[:3] in ("KP1", "KP4"), d
        assert d.span is not None and d.span.source in suite.sources, d
        assert 0 <= d.span.start <= d.span.end <= len(text), d
        assert (d.message[:1].islower() or d.message[:1] == "`") and d.hint, d
    assert render_all(suite.diagnostics, suite.sources, "text").count("-->") == \
        len(suite.diagnostics)


@pytest.mark.parametrize("name", sorted(BASES))
def test_the_unmutated_files_hold_what_the_oracle_reads(name: str) -> None:
    suite = read_texts([(name, BASES[name])], shipment())
    assert suite.ok
    assert [as_read(c) for c in suite.cases] == oracle(BASES[name])


@given(MUTATIONS)
def test_mutated_case_files(mutation: Mutation) -> None:
    text, must_fail, what = mutation
    suite = read_texts([("mutated.toml", text)], shipment())
    check_located(suite, text)
    if must_fail:
        assert not suite.ok, f"no error for: {what}"
    if what.split(": ")[1].startswith(("comment", "blank", "spaces")):
        assert suite.ok, what
    if suite.ok:
        assert [as_read(c) for c in suite.cases] == oracle(text), what


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=MUTATIONS)
def test_the_command_on_mutated_files(mutation: Mutation, tmp_path: Path) -> None:
    text, must_fail, what = mutation
    (tmp_path / "mutated.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(FIXTURES / "shipment"), "--cases",
                                      str(tmp_path / "mutated.toml"), "--term", "export"])
    assert result.exit_code in (0, 1), (what, result.output)
    assert "Traceback" not in result.output
    if must_fail or result.exit_code == 1:
        assert result.exit_code == 1, what
        assert "mutated.toml:" in result.stderr and result.stdout == "", what
    else:
        assert result.stdout.count("kpcs.export") == len(oracle(text)), what
