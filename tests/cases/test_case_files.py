"""The case loader on valid files: whole parsed `Case` objects, the lines of their keys, suites."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from case_support import FIXTURES, LEDGER, SHIPMENT, both, rendered, shipment

import kprules
from kprules import ir
from kprules.cases.files import load_suite, read_suite, read_texts
from kprules.cases.model import Case, CaseError, Expectation
from kprules.cases.values import expected_value as read_expected
from kprules.core.files import display_name

CASES = FIXTURES / "cases"


def _name(file: str) -> str:
    return display_name(CASES / file)


CAR_2014 = Case(
    id="car-2014",
    title="Rough from the Central African Republic sold by a rebel group, 2014",
    sources=("core", "KP statistics 2014"),
    date=dt.date(2014, 6, 1),
    contested="whether the seller was a rebel movement or a militia",
    notes="a fixture for the case-file tests",
    facts={"rough": True, "beneficiary": "rebel_movement", "finances_conflict": True,
           "mined_in": "CF", "exported_on": dt.date(2014, 5, 20), "weight": Decimal("0.8"),
           "value": 24000, "stones": 12, "purity": Decimal("0.35"),
           "exporter": "Bangui Comptoir", "transit": frozenset({"CM", "AE"}),
           "finishes": frozenset({"uncut"})},
    raw_facts={"rough": True, "beneficiary": "rebel_movement", "finances_conflict": True,
               "mined_in": "CF", "exported_on": dt.date(2014, 5, 20), "weight": "0.8 ct",
               "value": 24000, "stones": 12, "purity": Decimal("0.35"),
               "exporter": "Bangui Comptoir", "transit": ["CM", "AE"], "finishes": ["uncut"]},
    expect=(
        Expectation("kpcs", "conflict_diamond", True),
        Expectation("kpcs", "export", "prohibited"),
        Expectation("proposal", "conflict_diamond", True),
        Expectation("kpcs", "threshold", kprules.UNKNOWN),
        Expectation("kpcs", "value_per_stone", Decimal("2000")),
        Expectation("kpcs", "gem_lot", False),
        Expectation("kpcs", "review", "routine"),
    ),
    vocabulary="shipment",
    file=_name("car-2014.toml"),
)

RU_FACTS = {"rough": True, "beneficiary": "state_owned_enterprise", "finances_conflict": False,
            "mined_in": "RU", "transit": frozenset({"RU", "BE"})}
RU_RAW = {**RU_FACTS, "transit": ["RU", "BE"]}

RU_SMALL = Case(
    id="ru-2024-small-stones",
    title="Stones of 0.3 ct, October 2024",
    sources=("measure",),
    date=None,
    contested=None,
    notes="the threshold falls from 1.0 ct to 0.5 ct on 2024-09-01",
    facts={**RU_FACTS, "weight": Decimal("0.3"), "exported_on": dt.date(2024, 10, 1)},
    raw_facts={**RU_RAW, "weight": Decimal("0.3"), "exported_on": dt.date(2024, 10, 1)},
    expect=(
        Expectation("kpcs", "conflict_diamond", False),
        Expectation("proposal", "conflict_diamond", False),
        Expectation("kpcs", "export", "permitted"),
        Expectation("kpcs", "threshold", Decimal("0.5")),
    ),
    vocabulary="shipment",
    file=_name("ru-lots.toml"),
    family="ru-lots",
)

RU_LARGE = Case(
    id="ru-2024-large-stones",
    title="Stones of 0.7 ct, before and after the threshold falls",
    sources=("measure", "KP statistics 2024"),
    date=dt.date(2024, 9, 15),
    contested=None,
    notes="the threshold falls from 1.0 ct to 0.5 ct on 2024-09-01",
    facts={**RU_FACTS, "weight": Decimal("0.7"), "exported_on": dt.date(2024, 8, 15),
           "transit": frozenset({"RU"})},
    raw_facts={**RU_RAW, "weight": Decimal("0.7"), "exported_on": dt.date(2024, 8, 15),
               "transit": ["RU"]},
    expect=(
        Expectation("kpcs", "conflict_diamond", False),
        Expectation("proposal", "conflict_diamond", False),
        Expectation("kpcs", "export", "prohibited"),
        Expectation("kpcs", "threshold", Decimal("0.5")),
    ),
    vocabulary="shipment",
    file=_name("ru-lots.toml"),
    family="ru-lots",
)


def test_a_folder_is_a_suite_of_every_case_in_file_order() -> None:
    suite = read_suite([CASES], shipment())
    assert rendered(suite) == ""
    assert suite.cases == (CAR_2014, RU_SMALL, RU_LARGE)
    assert sorted(suite.sources) == [_name("car-2014.toml"), _name("ru-lots.toml")]


def test_a_single_file() -> None:
    suite = load_suite([CASES / "car-2014.toml"], shipment())
    assert suite.cases == (CAR_2014,)


def test_every_key_has_its_line() -> None:
    suite = read_suite([CASES], shipment())
    car, small, large = suite.cases
    assert dict(car.lines) == {
        "": 2, "id": 3, "title": 4, "sources": 5, "date": 6, "contested": 7, "notes": 8,
        "facts.rough": 11, "facts.beneficiary": 12, "facts.finances_conflict": 13,
        "facts.mined_in": 14, "facts.exported_on": 15, "facts.weight": 16, "facts.value": 17,
        "facts.stones": 18, "facts.purity": 19, "facts.exporter": 20, "facts.transit": 21,
        "facts.finishes": 22,
        "expect.kpcs.conflict_diamond": 25, "expect.kpcs.export": 26,
        "expect.proposal.conflict_diamond": 27, "expect.kpcs.threshold": 28,
        "expect.kpcs.value_per_stone": 29, "expect.kpcs.gem_lot": 30, "expect.kpcs.review": 31}
    # a family's keys point into the family; a case's own keys into the case
    assert dict(small.lines) == {
        "": 20, "id": 21, "title": 22, "sources": 5, "notes": 6,
        "facts.rough": 9, "facts.beneficiary": 10, "facts.finances_conflict": 11,
        "facts.mined_in": 12, "facts.transit": 13, "facts.weight": 23, "facts.exported_on": 23,
        "expect.kpcs.conflict_diamond": 16, "expect.proposal.conflict_diamond": 17,
        "expect.kpcs.export": 18, "expect.kpcs.threshold": 24}
    assert (large.line, large.lines["date"], large.lines["sources"]) == (26, 29, 30)
    assert (large.lines["facts.transit"], large.lines["expect.kpcs.export"]) == (35, 38)
    source = suite.sources[car.file]
    assert source.snippet(car.span) == "case"
    assert source.snippet(car.spans["facts.weight"]) == "weight"
    assert suite.sources[small.file].snippet(small.spans["expect.kpcs.threshold"]) == \
        '"kpcs.threshold"'


def test_the_evaluation_date() -> None:
    suite = read_suite([CASES], shipment())
    car, small, large = suite.cases
    assert car.as_of("exported_on") == dt.date(2014, 6, 1)  # the case's date wins
    assert small.as_of("exported_on") == dt.date(2024, 10, 1)  # then the dated-by fact
    assert small.as_of(None, dt.date(2020, 1, 1)) == dt.date(2020, 1, 1)  # then --as-of
    assert large.as_of("exported_on") == dt.date(2024, 9, 15)


def test_texts_are_read_like_files() -> None:
    text = (CASES / "car-2014.toml").read_text(encoding="utf-8")
    suite = read_texts([(CAR_2014.file, text)], shipment())
    assert suite.cases == (CAR_2014,)


def test_the_suite_takes_a_check_result_too() -> None:
    suite = read_suite([CASES], shipment().result)
    assert suite.cases == (CAR_2014, RU_SMALL, RU_LARGE)


def test_by_id() -> None:
    suite = read_suite([CASES], shipment())
    assert suite.by_id("ru-2024-small-stones") is suite.cases[1]
    with pytest.raises(KeyError, match="did you mean `car-2014`"):
        suite.by_id("car-2041")


def test_load_suite_raises_with_every_diagnostic_and_the_sources(tmp_path: Path) -> None:
    path = tmp_path / "case.toml"
    path.write_text('[case]\nid = "a"\ntitle = "A"\nsources = ["s"]\n[facts]\nrough = 1\n'
                    'mined_in = 2\n', encoding="utf-8")
    with pytest.raises(CaseError) as info:
        load_suite([path], shipment())
    assert [(d.code, d.message) for d in info.value.diagnostics] == [
        ("KP408", "fact `rough`: expected true or false, found 1"),
        ("KP408", 'fact `mined_in`: expected a country code such as "CF", found 2')]
    assert list(info.value.sources) == [display_name(path)]


def test_unloaded_policies_can_be_left_out() -> None:
    text = ('[case]\nid = "a"\ntitle = "A"\nsources = ["s"]\n[facts]\nrough = true\n'
            '[expect]\nkpcs.conflict_diamond = "unknown"\neu_russia.import = "prohibited"\n')
    strict = read_texts([("a.toml", text)], shipment())
    assert [d.code for d in strict.diagnostics] == ["KP411"]
    lenient = read_texts([("a.toml", text)], shipment(), allow_unloaded=True)
    assert lenient.diagnostics == ()
    assert lenient.cases[0].expect == (Expectation("kpcs", "conflict_diamond", kprules.UNKNOWN),)


def test_the_vocabulary_comes_from_the_expectations_or_the_facts() -> None:
    base = '[case]\nid = "a"\ntitle = "A"\nsources = ["s"]\n'
    by_expect = read_texts([("a.toml", base + "[expect]\nledger_rules.large_rough = true\n")],
                           both())
    assert by_expect.cases[0].vocabulary == "ledger"
    by_facts = read_texts([("a.toml", base + "[facts]\namount = 5\n")], both())
    assert by_facts.cases[0].vocabulary == "ledger"
    assert by_facts.cases[0].facts == {"amount": 5}
    ambiguous = read_texts([("a.toml", base + "[facts]\nrough = true\n")], both())
    assert [d.code for d in ambiguous.diagnostics] == ["KP414"]


def _term(policy: str, name: str) -> ir.Term:
    return shipment()[policy].checked.terms[name]


@pytest.mark.parametrize(("term", "written", "value"), [
    ("conflict_diamond", True, True),
    ("conflict_diamond", "unknown", kprules.UNKNOWN),
    ("export", "permitted_with_vigilance", "permitted_with_vigilance"),
    ("export", "unknown", kprules.UNKNOWN),
    ("threshold", Decimal("0.5"), Decimal("0.5")),
    ("threshold", "1.0 ct", Decimal("1.0")),
    ("threshold", 1, 1),
    ("value_per_stone", "1200 usd", Decimal("1200")),
])
def test_expected_values_are_read_by_the_term_type(term: str, written: object,
                                                   value: object) -> None:
    assert read_expected(written, _term("kpcs", term)) == value


def test_fixture_policies_exist() -> None:
    assert sorted(p.name for p in SHIPMENT.glob("*.kpr")) == ["facts.kpr", "kpcs.kpr",
                                                              "proposal.kpr"]
    assert sorted(p.name for p in LEDGER.glob("*.kpr")) == ["facts.kpr", "rules.kpr"]


UNKNOWN_FAMILY = """
[family]
id = "fam"
title = "A family that gives every fact"
sources = ["core"]

[family.facts]
rough = true
beneficiary = "rebel_movement"
finances_conflict = true
mined_in = "CF"
exported_on = 2014-05-20
weight = 0.8
value = 24000
stones = 12
purity = 0.35
exporter = "Bangui Comptoir"
transit = ["CM"]
finishes = ["uncut"]

[family.expect]
kpcs.conflict_diamond = true

[[case]]
id = "all-given"
title = "Every fact as the family gives it"

[[case]]
id = "some-unknown"
title = "Facts of every type made unknown"
expect = { "kpcs.conflict_diamond" = "unknown" }

[case.facts]
rough = "unknown"
beneficiary = "unknown"
mined_in = "unknown"
exported_on = "unknown"
weight = "unknown"
value = "unknown"
stones = "unknown"
purity = "unknown"
transit = "unknown"
finishes = "unknown"
exporter = "unknown"
"""


def test_any_fact_can_be_made_unknown() -> None:
    """`fact = "unknown"` makes a fact unknown, whatever its type, over the family's value;
    for a text fact, "unknown" is the text itself."""
    suite = read_texts([("fam.toml", UNKNOWN_FAMILY)], shipment())
    assert suite.ok, rendered(suite)
    given, unknown = suite.cases
    assert set(given.facts) == set(given.raw_facts)
    assert set(unknown.facts) == {"finances_conflict", "exporter"}
    assert unknown.facts["exporter"] == "unknown"
    results = kprules.load(SHIPMENT, seeds=FIXTURES / "seeds")["kpcs"].evaluate(unknown.facts)
    assert results["conflict_diamond"] is kprules.UNKNOWN


def test_an_id_among_a_case_s_facts_is_no_fact() -> None:
    text = UNKNOWN_FAMILY.replace("rough = true\n", "rough = true\nid = \"x\"\n")
    suite = read_texts([("fam.toml", text)], shipment())
    assert not suite.ok and "KP407" in rendered(suite)
