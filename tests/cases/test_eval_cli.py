"""`kprules eval` and `kprules explain`: golden files of their whole output on the fixtures.

Each run is made in tests/cases/fixtures/ (so that paths are short); its golden file in
tests/golden/cases/output/<name>.out holds the command line, the standard output, the standard
error and the exit status. `pytest --update-goldens` rewrites them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from case_support import FIXTURES, GOLDEN
from click.testing import CliRunner

from kprules.cli import cli

OUTPUT = GOLDEN / "output"
Golden = Callable[[Path, str], None]

RUNS: dict[str, list[str]] = {
    # case files
    "eval-text": ["eval", "shipment", "--cases", "cases"],
    "eval-json": ["eval", "shipment", "--cases", "cases", "--format", "json"],
    "eval-csv": ["eval", "shipment", "--cases", "cases", "--format", "csv"],
    "eval-terms": ["eval", "shipment/proposal.kpr", "--cases", "cases/ru-lots.toml",
                   "--term", "export", "--term", "proposal.threshold"],
    "eval-by-name": ["eval", "proposal", "--cases", "cases/car-2014.toml", "--term",
                     "conflict_diamond"],
    # bulk data, with --as-of for the record that has no date
    "eval-jsonl-text": ["eval", "shipment", "--cases", "data/shipments.jsonl", "--as-of",
                        "2024-09-15", "--term", "kpcs.export", "--term", "threshold"],
    "eval-jsonl-json": ["eval", "shipment", "--cases", "data/shipments.jsonl", "--format",
                        "json", "--term", "export", "--term", "value_per_stone"],
    "eval-jsonl-csv": ["eval", "shipment", "--cases", "data/shipments.jsonl", "--format", "csv"],
    "eval-csv-csv": ["eval", "shipment", "--cases", "data/shipments.csv", "--format", "csv",
                     "--term", "conflict_diamond", "--term", "kpcs.export"],
    # explanations
    "explain-text": ["explain", "shipment", "--case", "cases/car-2014.toml", "--term", "export"],
    "explain-family": ["explain", "shipment/kpcs.kpr", "--case", "cases", "--case-id",
                       "ru-2024-large-stones", "--term", "export", "--term", "threshold"],
    "explain-json": ["explain", "shipment/proposal.kpr", "--case", "cases/car-2014.toml",
                     "--term", "conflict_diamond", "--format", "json"],
    # explain reads case files: a data file was "neither a case file nor a data file"
    "error-explain-data-file": ["explain", "shipment", "--case", "data/shipments.jsonl"],
    # usage errors (exit 2)
    "usage-term": ["eval", "shipment", "--cases", "cases", "--term", "conflict_diamnd"],
    "usage-date": ["eval", "shipment", "--cases", "cases", "--as-of", "2024-13-01"],
    "usage-vocabulary-only": ["eval", "shipment/facts.kpr", "--cases", "cases"],
    "usage-which-case": ["explain", "shipment", "--case", "cases/ru-lots.toml"],
    "usage-case-id": ["explain", "shipment", "--case", "cases", "--case-id", "car-2041"],
    "usage-no-cases": ["eval", "shipment"],
    # errors in the policies (exit 1)
    "policy-missing": ["eval", "nowhere.kpr", "--cases", "cases"],
    # help
    "help-eval": ["eval", "--help"],
    "help-explain": ["explain", "--help"],
}


def run(argv: list[str]) -> tuple[str, int, str]:
    result = CliRunner().invoke(cli, argv, prog_name="kprules", terminal_width=100)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    text = (f"$ kprules {' '.join(argv)}\n{result.stdout}--- stderr\n{result.stderr}"
            f"--- exit {result.exit_code}\n")
    return text, result.exit_code, result.stdout


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)


@pytest.mark.usefixtures("in_fixtures")
@pytest.mark.parametrize("name", sorted(RUNS))
def test_output(name: str, golden: Golden) -> None:
    text, code, _ = run(RUNS[name])
    golden(OUTPUT / f"{name}.out", text)
    want = 2 if name.startswith("usage") else 1 if name.startswith(("policy", "error")) else 0
    assert code == want


@pytest.mark.usefixtures("in_fixtures")
def test_json_outputs_are_json() -> None:
    doc = json.loads(run(RUNS["eval-json"])[2])
    assert [c["id"] for c in doc["cases"]] == ["car-2014", "ru-2024-small-stones",
                                               "ru-2024-large-stones"]
    assert doc["cases"][0]["values"]["kpcs.export"] == "prohibited"
    lines = run(RUNS["eval-jsonl-json"])[2].splitlines()
    assert [json.loads(x)["record"] for x in lines] == [1, 2, 3, 4]
    tree = json.loads(run(RUNS["explain-json"])[2])
    assert tree["policies"][0]["terms"][0]["text"] == "proposal.conflict_diamond"


@pytest.mark.usefixtures("in_fixtures")
def test_text_output_fits_in_100_columns() -> None:
    for name in ("eval-text", "eval-jsonl-text", "help-eval", "help-explain"):
        assert max(len(line) for line in run(RUNS[name])[2].splitlines()) <= 100, name
