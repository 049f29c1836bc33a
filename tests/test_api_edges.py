"""The library at its edges, as callers meet them: numpy's float64 (a float whose repr is not a
number), explanations pickled to and from worker processes, floats in explanations, the line
numbers of an evaluator's explanation, facts that are not a mapping, a term name given as one
text, names that are not texts, targets given as a generator."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path
from typing import Any

import pytest

import kprules

ROOT = Path(__file__).resolve().parents[1]
LIB = kprules.load(ROOT / "policies")
EU = LIB["eu_russia_diamonds"]
FACTS: dict[str, Any] = {
    "form": "polished", "natural": True, "industrial": False, "mined_in": "RU",
    "processed_in": "IN", "exported_from": "IN", "also_mined_in": frozenset(),
    "transit_countries": frozenset(), "carats_per_stone": 0.7, "personal_use": False,
    "outside_russia_since": dt.date(2024, 5, 1), "shipment_date": dt.date(2024, 10, 1)}


class Float64(float):
    """As numpy >= 2 writes its float64: `np.float64(0.7)`."""

    def __repr__(self) -> str:
        return f"np.float64({float.__repr__(self)})"


def test_a_float_subclass_reads_as_its_value() -> None:
    given = dict(FACTS, carats_per_stone=Float64(0.7))
    assert EU.evaluate(given).values == EU.evaluate(FACTS).values
    assert EU.validate(given)["carats_per_stone"] == EU.validate(FACTS)["carats_per_stone"]


def test_an_explanation_survives_pickling() -> None:
    result = EU.evaluate(FACTS, terms=["import_into_union"], explain=True)
    again = pickle.loads(pickle.dumps(result))
    assert again.explanation.text() == result.explanation.text()
    assert "NOT_EVALUATED" not in again.explanation.text()


def test_a_float_is_explained_as_a_decimal_on_every_path() -> None:
    small = dict(FACTS, carats_per_stone=1e-05)
    explained = EU.function(["import_into_union"], explain=True)(small).explanation
    assert explained.text() == EU.explain(small, terms=["import_into_union"]).text()
    assert "0.00001 ct" in explained.text() and "1e-05" not in explained.text()


def test_an_evaluators_explanation_gives_lines() -> None:
    ev = LIB.evaluator([("eu_russia_diamonds", "import_into_union")])
    text = ev.evaluate(FACTS, explain=True).explanation.text()
    assert text == ev.function(explain=True)(FACTS).explanation.text()
    assert "eu_russia.kpr:" in text


@pytest.mark.parametrize("facts", [None, [("form", "rough")], "form"])
def test_facts_that_are_not_a_mapping_are_a_type_error(facts: Any) -> None:
    message = f"facts are a mapping of fact names to values (such as a dict), not " \
              f"{type(facts).__name__}"
    for call in (lambda: EU.evaluate(facts), lambda: EU.validate(facts),
                 lambda: EU.function()(facts),
                 lambda: LIB.evaluator([("kpcs_2003", "conflict_diamond")]).evaluate(facts)):
        with pytest.raises(TypeError, match=r"facts are a mapping") as err:
            call()
        assert str(err.value) == message
    with pytest.raises(TypeError, match="not str"):  # one record where a list is wanted
        list(EU.evaluate_many(FACTS))


def test_names_that_are_not_as_expected() -> None:
    with pytest.raises(TypeError, match=r"give \['import_into_union'\]"):
        EU.evaluate(FACTS, terms="import_into_union")
    assert LIB.get(None) is None and [] not in LIB and 1 not in LIB
    pairs = (x for x in [("kpcs_2003", "conflict_diamond")])
    assert LIB.evaluator(pairs).keys == (("kpcs_2003", "conflict_diamond"),)


def test_results_hash_by_their_values() -> None:
    """A `Result` is frozen and compares by value, so equal results hash alike (a set keeps one
    of them), an explained one too; set values (frozensets) hash."""
    policy = LIB["kpcs_2003"]
    one, two = policy.evaluate({"natural": True}), policy.evaluate({"natural": True})
    assert one == two and hash(one) == hash(two) and len({one, two}) == 1
    explained = policy.evaluate({"natural": True}, explain=True)
    assert hash(explained) == hash(one)
    assert len({EU.evaluate(FACTS), EU.evaluate(FACTS)}) == 1
    assert EU.evaluate(FACTS) != EU.evaluate(dict(FACTS, mined_in="CA"))
