"""Explanations: whole text and JSON renderings (goldens), and the properties they rest on.

The golden cases (policies in tests/golden/explain/policies) cover a decision with rules,
exceptions and date intervals (in force, not in force, no date), a parameter, an amendment that
reads `base.`, facts not given, a short-circuited clause, the `fired` marks, and the citations
with their quotations. Rewrite with `pytest --update-goldens` and read the diff.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import kprules
from kprules.eval.evaluate import Evaluator
from kprules.explain.nodes import Unknowns
from kprules.explain.tree import Explanation, expr_text

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "explain"
POLICIES = GOLDEN / "policies"

CASES: dict[str, tuple[str, list[str] | None, dict[str, Any], dt.date | None]] = {
    # name: (policy, terms, facts, as_of)
    "rebel-sale": ("kpcs", ["export"], {
        "rough": True, "beneficiary": "rebel_movement", "finances_conflict": True,
        "mined_in": "SL", "exported_on": "2010-06-01"}, None),
    "car-compliant-zone": ("kpcs", ["export"], {
        "rough": True, "beneficiary": "private_company", "mined_in": "CF",
        "exported_on": "2016-03-01", "zone_compliant": True}, None),
    "car-before-suspension": ("kpcs", ["export"], {
        "rough": True, "beneficiary": "private_company", "finances_conflict": False,
        "mined_in": "CF", "exported_on": "2012-11-01", "weight": "2 ct",
        "origins": ["CF"]}, None),
    "before-the-kpcs": ("kpcs", ["export"], {
        "rough": True, "beneficiary": "rebel_ally", "finances_conflict": True,
        "exported_on": "2002-05-01"}, None),
    "no-date": ("kpcs", ["export", "threshold"], {
        "rough": True, "beneficiary": "private_company", "mined_in": "CF"}, None),
    "russian-stones": ("kpcs", ["export", "threshold"], {
        "rough": True, "beneficiary": "state_owned_enterprise", "finances_conflict": True,
        "mined_in": "RU", "weight": 0.7, "origins": ["RU", "AE"]}, dt.date(2024, 9, 15)),
    "facts-not-given": ("kpcs", ["conflict_diamond"], {
        "beneficiary": "rebel_movement"}, dt.date(2020, 1, 1)),
    "state-actors": ("state_actors", ["conflict_diamond", "export"], {
        "rough": True, "beneficiary": "state_owned_enterprise", "finances_conflict": True,
        "mined_in": "RU", "exported_on": "2023-06-01"}, None),
}


@pytest.fixture(scope="module")
def library() -> kprules.Library:
    # Loaded from its own folder, so that locations read `kpcs.kpr:12:3`, whatever the cwd.
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(POLICIES)
        return kprules.load("shipment.kpr", "kpcs.kpr", "state_actors.kpr")


def explanation(lib: kprules.Library, name: str) -> Explanation:
    policy, terms, facts, as_of = CASES[name]
    return lib[policy].explain(facts, as_of=as_of, terms=terms)


@pytest.mark.parametrize("name", sorted(CASES))
def test_explanation_text(library: kprules.Library, golden: Any, name: str) -> None:
    golden(GOLDEN / f"{name}.txt", explanation(library, name).text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_explanation_json(library: kprules.Library, golden: Any, name: str) -> None:
    data = explanation(library, name).to_json()
    golden(GOLDEN / f"{name}.json", json.dumps(data, indent=2) + "\n")


def test_the_fast_explaining_function_gives_the_same_explanation(
        library: kprules.Library) -> None:
    """`Evaluator.function(explain=True)` (the bulk path) explains as `Policy.explain` does
    (given the sources, for line numbers)."""
    for name, (policy, terms, facts, as_of) in CASES.items():
        names = terms or list(library[policy].terms)
        ev = Evaluator([(library[policy].checked, t) for t in names], library.sources)
        typed = library[policy].validate(facts)
        got = ev.function(validate_input=False, as_of=as_of, explain=True)(typed)
        want = explanation(library, name)
        assert got.values == tuple(library[policy].evaluate(facts, as_of=as_of,
                                                            terms=names).values[t]
                                   for t in names), name
        assert got.explanation.to_json() == want.to_json(), name


def test_unknown_terms_say_which_facts_were_missing(library: kprules.Library) -> None:
    ex = explanation(library, "no-date")
    nodes = {n.label: n for n in ex.terms()}
    # The CAR rule reads `exported_on` (not given) and is in force only on some dates (none
    # given), and its exception reads `zone_compliant` (not given either: with the rule
    # unknown, the exception's other outcome keeps the decision unknown); the conflict
    # diamond definition is false whatever `finances_conflict` is.
    assert {label: n.unknown for label, n in nodes.items()} == {
        "kpcs.export": Unknowns(facts=("exported_on", "zone_compliant"), no_date=True),
        "kpcs.threshold": Unknowns(no_date=True),
        "kpcs.conflict_diamond": None,
    }
    ex = explanation(library, "facts-not-given")
    assert [n.unknown for n in ex.terms()] == [Unknowns(facts=("finances_conflict", "rough"))]


def test_known_terms_have_no_unknown_summary(library: kprules.Library) -> None:
    for name in CASES:
        for node in explanation(library, name).terms():
            assert (node.unknown is None) == (node.value is not None), (name, node.label)


@pytest.mark.parametrize(("source", "text"), [
    ("a * b / c", "a * b / c"),
    ("a / (b * c)", "a / (b * c)"),
    ("(a + b) * c", "(a + b) * c"),
    ("a - (b - c)", "a - (b - c)"),
    ("a + b * c", "a + b * c"),
    ("-(a + b)", "-(a + b)"),
    ("not (p and q) or r", "not (p and q) or r"),
    ("p and (q or r)", "p and (q or r)"),
])
def test_clause_text_has_only_the_parentheses_it_needs(source: str, text: str) -> None:
    vocab = ("facts v\nfact a: integer\nfact b: integer\nfact c: integer\n"
             "fact p: bool\nfact q: bool\nfact r: bool\n")
    lib = kprules.loads(vocab, f"policy x\n  status current\n  reads v\ndefine d = {source}\n")
    term = lib["x"].checked.terms["d"]
    assert expr_text(term.body) == text  # type: ignore[union-attr]


QUOTING_VOCABULARY = """facts f
fact name: text
"""
QUOTING = r'''policy p "p"
  status current
  reads f

define named "the \"named\" one"
  cite src "Art. \"1\"" "He said \"no\" and \\ left"
  = name = "Tom"
'''


def test_quotes_and_backslashes_keep_their_escapes() -> None:
    """A locator or quotation with `\"` or `\\` in it is shown as written, in the explanation
    and in the compare reports' trees, so that it reads back as the policy wrote it."""
    from kprules.explain.render import node_json
    from kprules.report.blocks import tree_lines

    lib = kprules.loads(QUOTING_VOCABULARY, QUOTING)
    ex = lib["p"].evaluate({"name": "Tom"}, explain=True).explanation
    text = ex.text()
    assert 'cite src "Art. \\"1\\""' in text
    assert '"He said \\"no\\" and \\\\ left"' in text
    tree = "\n".join(tree_lines(node_json(next(iter(ex.terms())), ex), 100))
    assert 'cite src "Art. \\"1\\""' in tree and '"He said \\"no\\" and \\\\ left"' in tree


DEFAULT_VOCAB = "facts f\nfact origin: country\nfact rough_uncertified: bool\n"
DEFAULT_POLICY = """policy p "x"
  status current
  reads f

decision export: { prohibited, permitted }
  default permitted
  prohibited when origin in {RU, BY}
  prohibited when rough_uncertified
"""


@pytest.mark.parametrize(("facts", "state", "value"), [
    ({"rough_uncertified": False}, "possible", None),  # rule 1 unknown: the walk may end
    ({"rough_uncertified": True}, "not used", "not evaluated"),  # rule 2 surely applies
    ({"origin": "FR", "rough_uncertified": False}, "used", True),
])
def test_the_default_of_an_unknown_decision_is_possible(facts: dict[str, Any], state: str,
                                                        value: Any) -> None:
    """docs/language.md, "Under unknowns": when the walk may reach the end, the default is one
    of the outcomes. The explanation said "not used" (JSON "not evaluated"), as for a default
    that a rule surely pre-empts."""
    from kprules.explain.render import node_json

    lib = kprules.loads(DEFAULT_VOCAB, DEFAULT_POLICY)
    ex = lib["p"].evaluate(facts, explain=True).explanation
    node = ex.term(("p", "export"))
    default = node.children[-1]
    assert default.kind == "default"
    assert node_json(default, ex)["value"] == value
    line = next(x for x in ex.text().splitlines() if "default permitted" in x).strip()
    expected = {"used": "default permitted  <- gives the outcome",
                "possible": "default permitted -> possible",
                "not used": "default permitted -> not used"}[state]
    assert line == expected
