"""The library's way in: a Library is a read-only mapping, unknown names suggest the close ones,
FactProblem carries the CLI's hints, and an `id` field names a record."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

import kprules

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def library() -> kprules.Library:
    return kprules.load(ROOT / "policies")


def test_a_library_is_a_read_only_mapping(library: kprules.Library) -> None:
    assert isinstance(library, Mapping)
    assert len(library) == len(list(library)) >= 10
    assert "kpcs_2003" in library and library.get("nothing") is None
    assert all(isinstance(p, kprules.Policy) and p.name == n for n, p in library.items())
    with pytest.raises(TypeError):
        library["x"] = library["kpcs_2003"]  # type: ignore[index]


def test_unknown_names_suggest(library: kprules.Library) -> None:
    with pytest.raises(kprules.UnknownName) as err:
        library["kpcs_2030"]
    assert err.value.suggestions == ("kpcs_2003",)
    assert str(err.value) == "no policy `kpcs_2030`; did you mean `kpcs_2003`?"
    with pytest.raises(KeyError, match="did you mean `conflict_diamond`") as term:
        library["kpcs_2003"].evaluate({}, terms=["conflict_diamnd"])
    assert isinstance(term.value, kprules.UnknownName) and term.value.kind == "term"
    with pytest.raises(kprules.UnknownName, match=r"no term `nothing_like_it`$"):
        library["kpcs_2003"].evaluate({})["nothing_like_it"]


def test_fact_problems_carry_the_cli_hints(library: kprules.Library) -> None:
    with pytest.raises(kprules.FactsError) as err:
        library["kpcs_2003"].evaluate({"natural": "yes", "shipment_date": "01/06/2023"})
    hints = {p.name: p.hint for p in err.value.problems}
    assert hints == {"natural": "write true or false, without quotes",
                     "shipment_date": "write a date such as 2024-03-01"}


def test_an_id_field_names_the_record(library: kprules.Library) -> None:
    policy = library["kpcs_2003"]
    facts = {"natural": True, "shipment_date": "2023-06-01"}
    with_id = policy.evaluate({"id": "shipment-7", **facts})
    assert with_id.values == policy.evaluate(facts).values
    assert policy.function(["conflict_diamond"])({"id": "x", **facts}) == \
        policy.function(["conflict_diamond"])(facts)
