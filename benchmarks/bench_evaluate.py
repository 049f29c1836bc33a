"""The evaluator against hand-written Python, on the benchmark workload (issue 3, Performance).

    /work/venv/bin/python benchmarks/bench_evaluate.py                  # 1,000,000 records
    /work/venv/bin/python benchmarks/bench_evaluate.py --records 100000

Workload: the three rules of shared/bench/workload.py (A: the KPCS 2003 definition, B: a reformed
definition, C: an export restriction), written in kprules in benchmarks/workload/*.kpr, over
records from the generator below (the distribution of workload.py: the same fields, draws and
seed, hence the same records). The hand-written functions are workload.py's own when it can be
imported (it needs numpy), else the transcription below.

Every record is checked: the fast path and the explaining path must give exactly the three values
of the hand-written functions (and the validating `Policy.evaluate` path too, on the records it
is timed on); any mismatch is a failure (exit 1). Then, interleaved, each path runs over all the
records, `--rounds` times (the median counts):

- hand-written: `(kpcs2003(r), proposed(r), export_blocked(r))`;
- kprules fast path: `Library.evaluator(TARGETS).function(validate_input=False)`, the compiled
  strict code;
- kprules with explanations: `.function(validate_input=False, explain=True)`, the compiled
  three-valued code recording every clause's value; each result can build its explanation;
- kprules `Policy.evaluate` (for information): validation, then evaluation, three calls per
  record, on the first `--full-records` records.

Targets: the fast path within 1.25x of the hand-written functions, explanations within 10x.
"""

from __future__ import annotations

import argparse
import collections
import gc
import importlib.util
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kprules

HERE = Path(__file__).resolve().parent
WORKLOAD_SPEC = HERE.parent.parent / "shared" / "bench" / "workload.py"
TARGETS = [("workload_kpcs_2003", "conflict_diamond"),
           ("workload_proposal", "conflict_diamond"),
           ("workload_restriction", "export_blocked")]
FAST_TARGET, EXPLAIN_TARGET = 1.25, 10.0

SELLERS = ("state", "state_owned_enterprise", "rebel_movement", "armed_group_allied_to_rebels",
           "private_company", "artisanal_miner")
REBEL_SIDE = frozenset(SELLERS[2:4])
STATE_SIDE = frozenset(SELLERS[:2])
ORIGINS = ("RU", "CF", "BW", "CA", "ZW", "AO", "SL", "CD", "VE", "ZA",
           "NA", "LS", "LR", "CI", "AU", "IN", "AE", "BE", "CN", "TZ")
ORIGIN_WEIGHTS = [4, 4, *[1] * 18]  # CF and RU weigh more, so that rule C's branches all occur

Record = dict[str, Any]
Reference = Callable[[Record], tuple[Any, Any, Any]]


# ----------------------------------------------------------------------------- workload


def generate(n: int, seed: int = 2003) -> list[Record]:
    """n records: booleans with the workload's probabilities, a seller kind, a weighted origin,
    a lognormal weight rounded to 0.01 ct (median about 0.5 ct), a year in 2000..2025."""
    rnd = random.Random(seed)
    origins = rnd.choices(ORIGINS, ORIGIN_WEIGHTS, k=n)
    return [_record(rnd, origin) for origin in origins]


def _record(rnd: random.Random, origin: str) -> Record:
    def chance(p: float) -> bool:
        return rnd.random() < p

    # The draws are made in this order (the order of workload.py), so the records are its own.
    record: Record = {"rough": chance(0.8), "seller_kind": rnd.choice(SELLERS)}
    for name, p in (("proceeds_finance_armed_conflict", 0.5),
                    ("conflict_aims_to_undermine_legitimate_government", 0.5),
                    ("proceeds_finance_aggression_against_another_state", 0.3),
                    ("systematic_human_rights_abuses_at_mine", 0.1),
                    ("un_security_council_sanction", 0.05)):
        record[name] = chance(p)
    record["origin_country"] = origin
    record["carats"] = round(rnd.lognormvariate(-0.7, 1.0), 2)
    record["export_year"] = rnd.randint(2000, 2025)
    record["kp_participant_compliant"] = chance(0.9)
    record["origin_zone_compliant"] = chance(0.5)
    return record


# The hand-written rules (transcribed from workload.py, used when it cannot be imported).

def rule_a(r: Record) -> Any:
    return (r["rough"] and r["seller_kind"] in REBEL_SIDE
            and r["proceeds_finance_armed_conflict"]
            and r["conflict_aims_to_undermine_legitimate_government"])


def rule_b(r: Record) -> Any:
    return r["rough"] and (
        (r["seller_kind"] in REBEL_SIDE and r["proceeds_finance_armed_conflict"]
         and r["conflict_aims_to_undermine_legitimate_government"])
        or (r["seller_kind"] in STATE_SIDE
            and r["proceeds_finance_aggression_against_another_state"])
        or r["systematic_human_rights_abuses_at_mine"]
        or r["un_security_council_sanction"])


def rule_c(r: Record) -> Any:
    year = r["export_year"]
    return ((r["origin_country"] == "CF" and 2013 <= year <= 2024
             and (year < 2015 or not r["origin_zone_compliant"]))
            or (r["origin_country"] == "RU" and year >= 2024 and r["carats"] >= 0.5)
            or not r["kp_participant_compliant"])


def transcribed(r: Record) -> tuple[Any, Any, Any]:
    return (rule_a(r), rule_b(r), rule_c(r))


def reference_functions(path: Path) -> tuple[Reference, str, Any]:
    """workload.py's `reference` (and the module), or the transcription when it cannot be
    imported."""
    try:
        spec = importlib.util.spec_from_file_location("kprules_bench_workload", path)
        if spec is None or spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as err:  # missing file, or numpy not installed
        return transcribed, f"transcribed here ({path} not importable: {err})", None
    return module.reference, f"imported from {path}", module


# ----------------------------------------------------------------------------- paths


def kprules_paths(lib: kprules.Library) -> dict[str, Callable[[Record], Any]]:
    ev = lib.evaluator(TARGETS)
    fast = ev.function(validate_input=False)
    explained = ev.function(validate_input=False, explain=True)
    policies = [(lib[p], [t]) for p, t in TARGETS]

    def full(r: Record) -> tuple[Any, ...]:
        return tuple(policy.evaluate(r, terms=terms)[terms[0]] for policy, terms in policies)

    return {"fast": fast, "explained": explained, "full": full}


def check(records: list[Record], reference: Reference,
          paths: dict[str, Callable[[Record], Any]], full_records: int) -> int:
    """The number of records on which a kprules path differs from the hand-written functions."""
    fast, explained, full = paths["fast"], paths["explained"], paths["full"]
    bad = 0
    for i, r in enumerate(records):
        want = tuple(reference(r))
        got = [tuple(fast(r)), tuple(explained(r).values)]
        if i < full_records:
            got.append(full(r))
        if any(g != want or not all(type(x) is bool for x in g) for g in got):
            if bad < 5:
                print(f"MISMATCH on record {i}: hand-written {want}, kprules {got}: {r}")
            bad += 1
    sample = explained(records[0]).explanation.text()
    assert sample.startswith("(no evaluation date)"), sample
    return bad


def timed(fn: Callable[[Record], Any], records: list[Record]) -> float:
    gc.collect()
    start = time.perf_counter()
    collections.deque(map(fn, records), maxlen=0)
    return time.perf_counter() - start


def run(records: list[Record], reference: Reference, paths: dict[str, Callable[[Record], Any]],
        rounds: int, full_records: int) -> dict[str, float]:
    """Median seconds per record of each path, the paths interleaved within each round."""
    runs: dict[str, list[float]] = collections.defaultdict(list)
    subset = records[:full_records]
    order = [("hand", reference, records), ("fast", paths["fast"], records),
             ("explained", paths["explained"], records), ("full", paths["full"], subset)]
    for i in range(rounds):
        for name, fn, data in order[i % 2:] + order[:i % 2]:  # alternate who goes first
            runs[name].append(timed(fn, data) / len(data))
    return {name: statistics.median(times) for name, times in runs.items()}


# ----------------------------------------------------------------------------- report


def report(per_record: dict[str, float], n: int, full_records: int) -> list[str]:
    base = per_record["hand"]
    rows = [("hand-written Python", "hand", n, None),
            ("kprules fast path (function)", "fast", n, FAST_TARGET),
            ("kprules with explanations (function, explain=True)", "explained", n,
             EXPLAIN_TARGET),
            ("kprules Policy.evaluate (validating, 3 calls)", "full", full_records, None)]
    lines = [f"{'path':<52} {'records':>9} {'records/s':>11} {'vs hand-written':>16}"]
    for label, key, count, target in rows:
        ratio = per_record[key] / base
        verdict = "" if target is None else (
            f"  target <= {target}x: {'met' if ratio <= target else 'MISSED'}")
        lines.append(f"{label:<52} {count:>9,} {1 / per_record[key]:>11,.0f} "
                     f"{ratio:>15.2f}x{verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--full-records", type=int, default=100_000,
                        help="records for the validating Policy.evaluate path (slow)")
    parser.add_argument("--seed", type=int, default=2003)
    parser.add_argument("--workload", type=Path, default=WORKLOAD_SPEC,
                        help="the workload specification (shared/bench/workload.py)")
    args = parser.parse_args(argv)
    full_records = min(args.full_records, args.records)

    reference, origin, module = reference_functions(args.workload)
    records = generate(args.records, args.seed)
    if module is not None and module.generate(2000, args.seed) != generate(2000, args.seed):
        print("FAILED: this generator's records differ from workload.generate()'s")
        return 1
    lib = kprules.load(*sorted((HERE / "workload").glob("*.kpr")))
    paths = kprules_paths(lib)

    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{args.records:,} records (seed {args.seed}), {args.rounds} rounds, interleaved")
    print(f"hand-written functions: {origin}")
    bad = check(records, reference, paths, full_records)
    print(f"checked: every record against the hand-written functions: {bad} mismatches")
    if bad:
        return 1
    for line in report(run(records, reference, paths, args.rounds, full_records),
                       args.records, full_records):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
