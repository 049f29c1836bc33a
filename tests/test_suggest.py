"""Did-you-mean: the edit distance, the choice of close names, and the hint sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kprules.core.suggest import closest, did_you_mean, distance

NAMES = ["conflict_diamond", "rough", "natural", "beneficiary", "rebel_movement", "rebel_ally",
         "weight", "exported_on", "mined_in"]


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("", "", 0),
    ("abc", "abc", 0),
    ("abc", "abd", 1),  # substitution
    ("abc", "ab", 1),  # deletion
    ("ab", "abc", 1),  # insertion
    ("abcd", "abdc", 1),  # transposition of neighbours counts once
    ("rough", "rouhg", 1),
    ("kitten", "sitting", 3),
])
def test_distance(a: str, b: str, expected: int) -> None:
    assert distance(a, b, limit=10) == expected


def test_distance_stops_above_the_limit() -> None:
    assert distance("conflict", "rough", limit=2) == 3
    assert distance("a", "abcdef", limit=2) == 3


@given(st.text("abc_", max_size=8), st.text("abc_", max_size=8))
def test_distance_is_symmetric_and_bounded(a: str, b: str) -> None:
    d = distance(a, b, limit=20)
    assert d == distance(b, a, limit=20)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert (d == 0) == (a == b)


@given(st.text("abc", max_size=7), st.text("abc", max_size=7), st.integers(0, 4))
def test_the_limit_never_changes_a_distance_within_it(a: str, b: str, limit: int) -> None:
    full = distance(a, b, limit=20)
    bounded = distance(a, b, limit=limit)
    assert bounded == full if full <= limit else bounded > limit


@pytest.mark.parametrize(("name", "expected"), [
    ("rouhg", ("rough",)),
    ("benificiary", ("beneficiary",)),
    ("Rough", ("rough",)),  # case only
    ("minedin", ("mined_in",)),  # underscores only
    ("conflict", ("conflict_diamond",)),  # a prefix of 4 letters or more
    ("rebel", ("rebel_ally", "rebel_movement")),  # the start of two names
    ("reb", ()),  # too short to be taken for a prefix
    ("xyz", ()),
    ("weight", ()),  # the name itself is not suggested
])
def test_closest(name: str, expected: tuple[str, ...]) -> None:
    assert closest(name, NAMES) == expected


def test_closest_ranks_by_distance_then_name() -> None:
    assert closest("cat", ["bat", "cart", "cat_", "act", "dog"]) == ("cat_", "act", "bat")


def test_closest_keeps_at_most_three() -> None:
    assert len(closest("ab", ["aa", "ac", "ad", "ae", "af"])) == 3


def test_closest_ignores_duplicate_candidates() -> None:
    assert closest("rouhg", ["rough", "rough"]) == ("rough",)


@pytest.mark.parametrize(("name", "candidates", "hint"), [
    ("rouhg", NAMES, "did you mean `rough`?"),
    ("rebel", NAMES, "did you mean `rebel_ally` or `rebel_movement`?"),
    ("RX", ["RU", "RO", "RS", "RW"], "did you mean `RO`, `RS` or `RU`?"),
    ("xyz", NAMES, None),
    ("x", [], None),
])
def test_did_you_mean(name: str, candidates: list[str], hint: str | None) -> None:
    assert did_you_mean(name, candidates) == hint


@pytest.mark.parametrize(("command", "extra"), [
    ("eval", ["--cases", "policies/cases/ru-alrosa.toml"]),
    ("explain", ["--case", "policies/cases/ru-alrosa.toml"]),
])
def test_a_misspelt_policy_name_on_the_command_line(command: str, extra: list[str],
                                                    tmp_path: Path) -> None:
    """`eval kpcs_2030` is a usage error naming the closest policy, as `compare` and `diff`
    say it (it was KP100, "'kpcs_2030' does not exist", exit 1, no suggestion)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-m", "kprules", command, "kpcs_2030", *extra],
                         cwd=root, capture_output=True, text=True, check=False)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (
        "error[KP602]: no policy `kpcs_2030`: no file or folder of that name, and no policy "
        "file of the project or the bundled library declares it; did you mean `kpcs_2003`?\n")
