"""Any text at all gives a check result whose diagnostics are well formed (library level).

The invariant is `robust_support.assert_well_formed`: catalogued codes, spans inside the text,
renderings that work; and a result without errors has checked every module. Any exception other
than an assertion of that invariant fails the test, so "never a traceback" is what is tested.
Inputs: random text; random text after a valid header; texts generated from the real grammar
(`hypothesis.extra.lark.from_lark`), with and without spaces between tokens; the fixture
policies mutated by deleting, duplicating and swapping tokens; and the fixtures truncated at
every token boundary and at random characters.
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from robust_support import FIXTURE_FILES, check_texts, fixture_texts, tokens

from kprules.syntax.grammar import build_parser

VOCAB = fixture_texts()[0]
HEADER = "policy fuzz \"a policy under test\"\n  status proposed\n  reads shipments\n"
# Names that the fixtures declare (so generated texts often reach the later checker passes),
# keywords (so they are sometimes misused as names), and a few unknown ones.
NAMES = st.sampled_from([
    "rough", "certified", "beneficiary", "weight", "stones", "mined_in", "origins",
    "exported_on", "rebel_movement", "rebel_ally", "state_owned_enterprise", "shipments",
    "core_2003", "fuzz", "conflict_diamond", "threshold", "export", "permitted", "prohibited",
    "CF", "RU", "XX", "current", "proposed", "x", "base", "define", "if", "and", "in",
])
EXPLICIT = {
    "NAME": NAMES,
    "DATE": st.sampled_from(["2024-03-01", "2003-01-01", "2024-13-45", "2023-02-29"]),
    "NUMBER": st.sampled_from(["0", "1", "2.5", "10", "9" * 40]),
    "QUANTITY": st.sampled_from(["1 ct", "0.5ct", "2 g", "100 usd", "1.0 ct"]),
    "STRING": st.sampled_from(['"x"', '"Section I"', '"a \\" quote"', '"bad \\q escape"',
                               '"CONFLICT DIAMONDS means"', '"two\n lines"']),
    "COMMENT": st.sampled_from(["# a comment\n", "#\n"]),
}
POLICY_CHARS = st.sampled_from(list("abcdefinorstw_ \n\t(){},.:=<>!+-*/\"'#&|0123456789CF"))


@cache
def _lark_strategies() -> tuple[st.SearchStrategy[str], st.SearchStrategy[str]]:
    """Raw generated texts, and the same with every token surrounded by spaces."""
    lark = build_parser()
    raw = from_lark(lark, explicit=EXPLICIT)
    spaced_terms = dict(EXPLICIT)
    for term in lark.terminals:
        if term.pattern.type == "str":
            spaced_terms[term.name] = st.just(term.pattern.value)
    spaced = {k: v.map(lambda s: f" {s} ") for k, v in spaced_terms.items()}
    return raw, from_lark(lark, explicit=spaced)


@given(st.text())
def test_random_text(text: str) -> None:
    check_texts([VOCAB, ("fuzz.kpr", text)])


@given(st.text(POLICY_CHARS, max_size=200))
def test_random_text_after_a_valid_header(text: str) -> None:
    check_texts([VOCAB, ("fuzz.kpr", HEADER + text)])


@given(st.data())
def test_grammar_generated_text(data: st.DataObject) -> None:
    raw, _ = _lark_strategies()
    check_texts([VOCAB, ("fuzz.kpr", data.draw(raw))])


@given(st.data())
def test_grammar_generated_text_with_spaces(data: st.DataObject) -> None:
    _, spaced = _lark_strategies()
    check_texts([VOCAB, ("fuzz.kpr", data.draw(spaced))])


@given(st.data())
def test_generated_text_as_the_only_file(data: st.DataObject) -> None:
    _, spaced = _lark_strategies()
    check_texts([("alone.kpr", data.draw(spaced))])


def _mutate(toks: list[str], data: st.DataObject) -> list[str]:
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        if not toks:
            break
        i = data.draw(st.integers(0, len(toks) - 1), label="at")
        edit = data.draw(st.sampled_from(["delete", "duplicate", "swap", "truncate"]))
        if edit == "delete":
            del toks[i]
        elif edit == "duplicate":
            toks.insert(i, toks[i])
        elif edit == "swap":
            j = data.draw(st.integers(0, len(toks) - 1), label="with")
            toks[i], toks[j] = toks[j], toks[i]
        else:
            toks = toks[:i]
    return toks


@given(st.sampled_from(range(len(FIXTURE_FILES))), st.data())
def test_mutated_fixture(which: int, data: st.DataObject) -> None:
    texts = fixture_texts()
    name, text = texts[which]
    texts[which] = (name, "".join(_mutate(tokens(text), data)))
    check_texts(texts)


@given(st.sampled_from(range(len(FIXTURE_FILES))), st.data())
def test_fixture_truncated_at_any_character(which: int, data: st.DataObject) -> None:
    texts = fixture_texts()
    name, text = texts[which]
    cut = data.draw(st.integers(0, len(text)))
    texts[which] = (name, text[:cut])
    check_texts(texts)


@pytest.mark.parametrize("which", range(len(FIXTURE_FILES)), ids=FIXTURE_FILES)
def test_fixture_truncated_at_every_token(which: int) -> None:
    texts = fixture_texts()
    name, text = texts[which]
    toks = tokens(text)
    results = []
    for end in range(len(toks) + 1):
        texts[which] = (name, "".join(toks[:end]))
        results.append(check_texts(texts).ok)
    assert results[-1], "the whole fixture must check cleanly"
    assert not all(results), "some truncation must be an error"


def test_fixtures_are_clean() -> None:
    """The mutation tests start from valid policies: no error, no warning."""
    result = check_texts(fixture_texts())
    assert result.diagnostics == ()
    assert set(result.policies) == {"core_2003", "state_actors"}
