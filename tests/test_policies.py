"""The bundled policy library: it checks with --strict, and every case expectation holds."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kprules.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def test_policies_check_strict() -> None:
    result = CliRunner().invoke(cli, ["check", "--strict", str(ROOT / "policies")])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_policies_are_in_canonical_form() -> None:
    result = CliRunner().invoke(cli, ["fmt", "--check", str(ROOT / "policies")])
    assert result.exit_code == 0, result.output


def test_every_cut_off_of_the_library_is_exercised_from_both_sides() -> None:
    """Issue 4's acceptance: every cut-off date and threshold is exercised from both sides by a
    case, and every expectation holds."""
    result = CliRunner().invoke(cli, ["test", str(ROOT / "policies"), "--boundaries-strict"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("passed, 0 failed")
    assert lines[1].startswith("boundary coverage: 100.0% ")


def test_the_state_actor_proposal_flips_russian_state_sales_and_keeps_the_rebel_cases() -> None:
    """Issue 4's acceptance: comparing kpcs_2003 with the Western state-actor proposal, the
    Russian state sales become conflict diamonds and the classic rebel cases do not change."""
    import kprules
    from kprules.cases.files import read_suite
    from kprules.compare import Comparison, from_case

    library = kprules.load(ROOT / "policies")
    suite = read_suite([ROOT / "policies" / "cases"], library)
    comparison = Comparison(library, "kpcs_2003", ["state_actors"], ["conflict_diamond"])
    rows = {row.case.id: row for row in comparison.rows(from_case(c) for c in suite.cases)}

    def values(case_id: str) -> tuple[object, object]:
        v = rows[case_id].values
        return v[("kpcs_2003", "conflict_diamond")], v[("state_actors", "conflict_diamond")]

    for russian in ("ru-alrosa-2022", "ru-alrosa-2023", "ru-alrosa-2024"):
        assert values(russian) == (False, True), russian
        (difference,) = rows[russian].differences
        assert difference.cause.label == "state_actors.conflict_diamond"
    for rebel in ("sl-ruf-1999", "ao-unita-1998", "ci-forces-nouvelles-2006", "cd-rebels-2000",
                  "lr-taylor-2001"):
        assert values(rebel) == (True, True), rebel
        assert not rows[rebel].differences


def test_every_case_states_the_un_measure_the_un_embargo_policy_has_on_its_date() -> None:
    """Issue 12: the UN-anchored reading cannot read un_diamond_embargoes (a policy reads only the
    policy it amends), so it reads the per-case fact `unsc_measure`. One source of truth is kept
    by checking the fact against the dated policy: a case says a UN diamond ban covers its stones
    exactly when un_diamond_embargoes bans them (as rough, with the case's own certificate), on the
    case's date."""
    import kprules
    from kprules.cases.files import read_suite

    library = kprules.load(ROOT / "policies")
    embargoes = library["un_diamond_embargoes"]
    suite = read_suite([ROOT / "policies" / "cases"], library)
    mismatches = []
    for case in suite.cases:
        facts = {**case.facts, "form": "rough", "natural": True}
        banned = embargoes.evaluate(facts, terms=["un_import"])["un_import"] == "prohibited"
        stated = case.facts["unsc_measure"] == "unsc_diamond_embargo"
        if banned != stated:
            mismatches.append(case.id)
    assert len(suite.cases) > 200
    assert mismatches == []


def test_the_production_dataset_is_valid_and_sums_to_the_seeds_world_totals() -> None:
    """Issue 12, item 5 (data): every record of the bundled KP production dataset is valid, each
    year has its `others` record, the carats of each year add up to the world total chosen in
    seeds/kp_production_2019_2024.md, and the proposals that reach state actors reclassify exactly
    Russia's production from 2022 on (the 2003 text, none)."""
    import csv
    import io
    import json

    data = ROOT / "policies" / "data" / "kp_production_2019_2024.jsonl"
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    world = {2019: 138_200_000, 2020: 107_070_000, 2021: 120_040_000, 2022: 121_471_000,
             2023: 111_523_000, 2024: 116_625_000}
    seed = (ROOT / "seeds" / "kp_production_2019_2024.md").read_text(encoding="utf-8")
    for year, total in world.items():
        rows = [r for r in records if r["shipment_date"].startswith(str(year))]
        assert f"others-{year}" in {r["id"] for r in rows}
        assert sum(r["shipment_carats"] for r in rows) == total
        assert f"| {year} | {total:,} " in seed
    policies = [str(ROOT / "policies" / "kpcs_2003.kpr"),
                str(ROOT / "policies" / "proposals" / "state_actors.kpr")]
    result = CliRunner().invoke(cli, ["eval", *policies, "--cases", str(data),
                                      "--term", "conflict_diamond", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if not line.startswith("evaluated ")]
    table = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert len(table) == len(records)
    assert {r["case"] for r in table if r["kpcs_2003.conflict_diamond"] == "true"} == set()
    assert {r["case"] for r in table if r["state_actors.conflict_diamond"] == "true"} == {
        "RU-2022", "RU-2023", "RU-2024"}


def test_what_the_library_says_of_interval_inheritance_is_true() -> None:
    """An amendment without `in force` inherits its base's interval (docs/language.md), and the
    bundled files' comments and docs/policies.md say so, not the opposite."""
    import kprules

    lib = kprules.loads('facts f\nfact x: bool\n',
                        'policy b "b"\n  status current\n  in force from 2003-01-01\n  reads f\n'
                        'define t = x\n',
                        'policy a "a"\n  amends b\nredefine t = not x\n')
    assert lib["a"].checked.in_force == lib["b"].checked.in_force
    texts = [p.read_text(encoding="utf-8") for p in ROOT.glob("policies/**/*.kpr")]
    texts.append((ROOT / "docs" / "policies.md").read_text(encoding="utf-8"))
    assert not [t for t in texts if "does not inherit" in t]


def test_seeds_readme_gives_the_severity_check_gives() -> None:
    """seeds/README.md on KP213 (a misquote) and KP212 (an unknown source) says what `check`
    does: a warning and an error."""
    readme = " ".join((ROOT / "seeds" / "README.md").read_text(encoding="utf-8").split())
    assert "is a warning (KP213" in readme and "is an error (KP212)" in readme
    lint = (ROOT / "kprules" / "checker" / "lint.py").read_text(encoding="utf-8")
    assert 'sink.warning("KP213"' in lint and 'sink.error("KP212"' in lint
