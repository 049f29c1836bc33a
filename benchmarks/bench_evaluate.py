"""The evaluator against hand-written Python, on the benchmark workload (issue 3, Performance).

    .venv/bin/python benchmarks/bench_evaluate.py                  # 1,000,000 records
    .venv/bin/python benchmarks/bench_evaluate.py --records 100000

Workload: the three rules of benchmarks/workload.py (A: the KPCS 2003 definition, B: a reformed
definition, C: an export restriction), written in kprules in benchmarks/workload/*.kpr, over the
records of workload.generate; the hand-written functions are workload.reference.

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

    .venv/bin/python benchmarks/bench_evaluate.py --validating 100000

(also `bench_sql.py --in-process 100000`) times the validating entry points instead (issue 10):
the validating `function()` (target 2x), a reused evaluator's `evaluate()` (3x) and
`evaluate_many` (3x), `Policy.evaluate` of `workload_kpcs_2003`, one call per record (10x), and
for information the compiled function without validation and with the reference `validate`.
Each path's CPU time (`time.process_time`: steadier than wall time on a machine shared with
other jobs) over all the records, interleaved, `--rounds` times (7); the best round counts. Every
path's values are first checked against the hand-written functions on every record. The last
column is the CPU time the cyclic garbage collector took in that round (`gc.callbacks`): the
paths that keep an `Evaluation` per record (tracked objects) pay for its scans.
"""

from __future__ import annotations

import argparse
import collections
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import kprules

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import Record, generate, reference  # noqa: E402

TARGETS = [("workload_kpcs_2003", "conflict_diamond"),
           ("workload_proposal", "conflict_diamond"),
           ("workload_restriction", "export_blocked")]
FAST_TARGET, EXPLAIN_TARGET = 1.25, 10.0

Reference = Callable[[Record], tuple[Any, Any, Any]]


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


# ----------------------------------------------------------------------------- validating paths


Batch = Callable[[list[Record]], Sequence[Any]]


def validating_paths(lib: kprules.Library) -> dict[str, tuple[Batch, Callable[[Any], Any],
                                                          float | None]]:
    """The validating entry points, each over a list of records; how to read the three values
    from one of its results; its target."""
    from kprules.eval.evaluate import validate

    ev = lib.evaluator(TARGETS)
    vocab = ev.vocabulary
    fast, validating = ev.function(validate_input=False), ev.function()
    policy = lib["workload_kpcs_2003"]

    def same(x: Any) -> Any:
        return tuple(x)

    def row(x: Any) -> Any:
        return tuple(x.values.values())

    def first(x: Any) -> Any:
        return x["conflict_diamond"]

    return {
        "hand-written Python": (lambda rs: [reference(r) for r in rs], same, None),
        "function(validate_input=False)": (lambda rs: [fast(r) for r in rs], same, None),
        "function() (validating)": (lambda rs: [validating(r) for r in rs], same, 2.0),
        "function() with the reference validate": (
            lambda rs: [fast(validate(r, vocab)) for r in rs], same, None),
        "a reused evaluator: evaluate()": (lambda rs: [ev.evaluate(r) for r in rs], row, 3.0),
        "evaluate_many": (lambda rs: list(ev.evaluate_many(rs)), row, 3.0),
        "evaluate_many, streamed (each result dropped)": (
            lambda rs: collections.deque(ev.evaluate_many(rs), maxlen=1), row, None),
        "Policy.evaluate, one call per record": (
            lambda rs: [policy.evaluate(r) for r in rs], first, 10.0),
    }


def validating(n: int, rounds: int = 7, seed: int = 2003) -> int:
    """Time the validating entry points on n records against hand-written Python (CPU time,
    interleaved, best of `rounds`); 1 when a path's values differ from the reference."""
    records = generate(n, seed)
    lib = kprules.load(*sorted((HERE / "workload").glob("*.kpr")))
    paths = validating_paths(lib)
    want = [tuple(reference(r)) for r in records]
    for name, (fn, read, _) in paths.items():
        got = [read(x) for x in fn(records)]
        expected = [w[0] for w in want] if "Policy" in name else want
        expected = expected[-len(got):]  # a streamed path keeps its last result
        if got != expected or not all(type(v) is bool for g in got for v in
                                      (g if isinstance(g, tuple) else (g,))):
            print(f"MISMATCH: {name} differs from the hand-written functions")
            return 1
    times: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    pauses = Pauses()
    gc.callbacks.append(pauses)
    try:
        for i in range(rounds):
            order = list(paths.items())
            for name, (fn, _, _) in order[i % 2:] + order[:i % 2]:
                gc.collect()
                pauses.total = 0.0
                start = time.process_time()
                fn(records)
                times[name].append((time.process_time() - start, pauses.total))
    finally:
        gc.callbacks.remove(pauses)
    base = min(times["hand-written Python"])[0]
    print(f"\n| in process, {n:,} records, CPU time, best of {rounds} | time | per record "
          "| vs hand-written | target | of which the collector |")
    print("|---|---|---|---|---|---|")
    for name, (_, _, target) in paths.items():
        t, collector = min(times[name])
        verdict = "" if target is None else \
            f"{target:g}x: {'met' if t / base <= target else 'MISSED'}"
        print(f"| {name} | {t:.3f} s | {t / n * 1e6:.2f} us | {t / base:.2f}x | {verdict} "
              f"| {collector:.3f} s ({collector / t:.0%}) |")
    return 0


class Pauses:
    """A `gc.callbacks` entry adding up the CPU time the cyclic garbage collector runs:
    results that stay tracked (a tuple subclass holding its record) make it scan more, and
    more often, where the hand-written functions' tuples of booleans are untracked at their
    first collection."""

    def __init__(self) -> None:
        self.total, self.started = 0.0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.process_time()
        else:
            self.total += time.process_time() - self.started


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
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of every path (5; with --validating, 7)")
    parser.add_argument("--full-records", type=int, default=100_000,
                        help="records for the validating Policy.evaluate path (slow)")
    parser.add_argument("--seed", type=int, default=2003)
    parser.add_argument("--validating", type=int, default=0, metavar="N",
                        help="time the validating entry points instead, over N records")
    args = parser.parse_args(argv)
    if args.validating:
        return validating(args.validating, args.rounds or 7, args.seed)
    args.rounds = args.rounds or 5
    full_records = min(args.full_records, args.records)

    records = generate(args.records, args.seed)
    lib = kprules.load(*sorted((HERE / "workload").glob("*.kpr")))
    paths = kprules_paths(lib)

    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{args.records:,} records (seed {args.seed}), {args.rounds} rounds, interleaved")
    print("hand-written functions: benchmarks/workload.py")
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
