"""The cost of a comparison: three policies over 25,000, 50,000 and 100,000 generated cases.

    .venv/bin/python benchmarks/bench_compare.py                 # 25k, 50k, 100k cases
    .venv/bin/python benchmarks/bench_compare.py --cases 100000  # one size

Three policies over one term (`conflict_diamond`): workload_kpcs_2003 (the base),
workload_proposal and workload_state_actors (two amendments; benchmarks/workload/*.kpr). The
cases are JSON Lines records of the benchmark workload (benchmarks/workload.py), written to a
temporary file. Each measurement runs in a fresh child process, which reports its own CPU time
(`resource.getrusage(RUSAGE_SELF)`) and peak resident memory (`VmHWM` in /proc/self/status):

- `evaluate`: read the records (kprules.cases.bulk), and evaluate the three policies on each with
  their compiled functions: what evaluating the three policies alone costs;
- `compare`: `kprules compare workload_kpcs_2003 workload_proposal workload_state_actors
  --policies benchmarks/workload --cases records.jsonl --format json --output report.json`, run
  in the child through the command line's entry point (reading, evaluating, finding and
  attributing every difference, explaining the first 10 of each transition, the summary, and
  the JSON report written to a file, atomically).

Both children import kprules and load and compile the policies, so the ratio compares like with
like. The JSON report's summary is then checked against plain-Python versions of the three
definitions (the number of cases, and of differing cases per policy): a mismatch fails the
benchmark (exit 1), and so do the targets missed: the comparison at most 3x the CPU time of
evaluating alone, and a peak memory that does not grow with the number of cases (the largest
run's peak within 10% of the smallest's).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import STATE_SELLERS, kpcs2003, proposed, records  # noqa: E402

BASE, OTHERS = "workload_kpcs_2003", ("workload_proposal", "workload_state_actors")
SIZES = (25_000, 50_000, 100_000)
MAX_RATIO = 3.0
MAX_GROWTH = 1.10


def write_records(path: Path, n: int) -> dict[str, int]:
    """Write n records (with an `id`); return the differences a correct comparison finds."""
    diffs = {name: 0 for name in OTHERS}
    with path.open("w", encoding="utf-8") as fh:
        for i, r in enumerate(records(n)):
            fh.write(json.dumps({"id": f"r{i}", **r}) + "\n")
            a, b = kpcs2003(r), proposed(r)
            c = a or (r["rough"] and r["seller_kind"] in STATE_SELLERS  # the state-actor rule
                      and r["proceeds_finance_aggression_against_another_state"])
            diffs["workload_proposal"] += a != b
            diffs["workload_state_actors"] += a != c
    return diffs


# ---------------------------------------------------------------------------- the children


def child_evaluate(data: Path) -> int:
    import kprules
    from kprules.cases.bulk import BadRecord, read_data

    lib = kprules.load(HERE / "workload")
    policies = [lib[name] for name in (BASE, *OTHERS)]
    functions = [p.function(["conflict_diamond"], validate_input=False) for p in policies]
    true = 0
    for record in read_data(data, policies[0].vocabulary):
        assert not isinstance(record, BadRecord)
        for f in functions:
            true += f(record.facts)[0] is True
    return true


def child_compare(data: Path, report: Path) -> int:
    from kprules.cli import cli

    try:
        cli.main(["compare", BASE, *OTHERS, "--policies", str(HERE / "workload"), "--cases",
                  str(data), "--format", "json", "--output", str(report)],
                 prog_name="kprules", standalone_mode=False)
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def run_child(mode: str, data: Path, report: Path) -> dict[str, float]:
    """Run one measurement in a fresh process; its CPU seconds, wall seconds and peak MB."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(data), str(report)],
                         check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    return {**json.loads(out.strip().splitlines()[-1]), "wall": wall}


def child_main(mode: str, data: Path, report: Path) -> None:
    if mode == "evaluate":
        child_evaluate(data)
    else:
        child_compare(data, report)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "peak_mb": peak_mb()}))


def peak_mb() -> float:
    """This process's peak resident memory: VmHWM (Linux). Not `ru_maxrss`, which after `exec`
    still counts the parent's memory at the time of the fork."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------- the benchmark


def check_report(report: Path, n: int, expected: dict[str, int]) -> list[str]:
    doc = json.loads(report.read_text(encoding="utf-8"))
    summary = doc["summary"]
    found = {d["other"]: d["cases"] for d in summary["differences"]}
    problems = []
    if summary["cases"] != n:
        problems.append(f"the report counts {summary['cases']} cases, not {n}")
    if found != expected:
        problems.append(f"differences {found}, expected {expected}")
    return problems


def measure(n: int, folder: Path) -> tuple[dict[str, Any], list[str]]:
    data, report = folder / f"records-{n}.jsonl", folder / f"report-{n}.json"
    expected = write_records(data, n)
    evaluate = run_child("evaluate", data, report)
    compare = run_child("compare", data, report)
    problems = check_report(report, n, expected)
    row = {"cases": n, "evaluate": evaluate, "compare": compare,
           "ratio": compare["cpu"] / evaluate["cpu"],
           "report_mb": report.stat().st_size / 2**20, "differences": expected}
    return row, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, action="append",
                        help="a number of cases (repeatable) [default: 25000 50000 100000]")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    sizes = tuple(args.cases or SIZES)
    rows, problems = [], []
    with tempfile.TemporaryDirectory(prefix="kprules-bench-compare-") as tmp:
        for n in sizes:
            row, found = measure(n, Path(tmp))
            rows.append(row)
            problems.extend(found)
            print(f"{n:>9,} cases  evaluate {row['evaluate']['cpu']:6.2f} s CPU "
                  f"{row['evaluate']['peak_mb']:6.1f} MB  |  compare + JSON report "
                  f"{row['compare']['cpu']:6.2f} s CPU {row['compare']['peak_mb']:6.1f} MB "
                  f"(wall {row['compare']['wall']:.1f} s, report {row['report_mb']:.1f} MB)  "
                  f"ratio {row['ratio']:.2f}x", flush=True)
    worst = max(r["ratio"] for r in rows)
    if worst > MAX_RATIO:
        problems.append(f"the comparison costs {worst:.2f}x evaluating alone (target {MAX_RATIO}x)")
    peaks = [r["compare"]["peak_mb"] for r in rows]
    if len(peaks) > 1 and max(peaks) > MAX_GROWTH * min(peaks):
        problems.append(f"peak memory grows with the cases: {', '.join(f'{p:.1f}' for p in peaks)}"
                        " MB")
    for p in problems:
        print(f"FAILED: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
