"""Stream JSON Lines records through `kprules eval --format csv`: wall time and peak memory.

    .venv/bin/python benchmarks/bench_stream.py              # 1,000,000 records
    .venv/bin/python benchmarks/bench_stream.py --records 100000

The records of the benchmark workload (benchmarks/workload.py, generated one at a time) are
written to a temporary `.jsonl` file. The command evaluates the three workload policies
(benchmarks/workload/*.kpr) in a child process, its CSV output going to a temporary file; the
child's peak memory is its maximum resident set size
(`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`); its CPU time is reported too, since wall time
on a shared machine measures the neighbours as well. The output is then checked, row by row,
against the hand-written rules of workload.py: any mismatch is a failure (exit 1), and so is
a peak above the target (200 MB).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import records, reference  # noqa: E402

POLICIES = [HERE / "workload" / f for f in ("kpcs.kpr", "proposal.kpr", "restriction.kpr")]
TARGET_MB = 200.0


def write_records(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in records(n):
            fh.write(json.dumps(r) + "\n")


def run_eval(data: Path, out: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak RSS in MB of the child, and its stderr."""
    cmd = [sys.executable, "-m", "kprules", "eval", *map(str, POLICIES), "--cases", str(data),
           "--format", "csv", "--no-seeds"]
    start = time.perf_counter()
    with out.open("w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"kprules eval failed (exit {proc.returncode}):\n{proc.stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.stderr


def check_output(out: Path, n: int) -> str | None:
    """None when every row matches the reference, else the first mismatch."""
    columns = ["workload_kpcs_2003.conflict_diamond", "workload_proposal.conflict_diamond",
               "workload_restriction.export_blocked"]
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = 0
        for row, r in zip(reader, records(n), strict=False):
            rows += 1
            got = tuple(row[c] == "true" for c in columns)
            if got != reference(r) or row["case"] != str(rows):
                return f"record {rows}: got {got}, want {reference(r)}"
    return None if rows == n else f"{rows} rows for {n} records"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kprules-bench-") as tmp:
        data, out = Path(tmp) / "records.jsonl", Path(tmp) / "out.csv"
        start = time.perf_counter()
        write_records(data, args.records)
        size_mb = data.stat().st_size / 1e6
        print(f"generated {args.records:,} records ({size_mb:,.0f} MB) in "
              f"{time.perf_counter() - start:.1f} s")
        wall, cpu, peak, stderr = run_eval(data, out)
        print(f"kprules eval --format csv: {wall:.1f} s wall ({args.records / wall:,.0f} "
              f"records/s), {cpu:.1f} s CPU ({args.records / cpu:,.0f} records/s), "
              f"peak RSS {peak:.0f} MB (target < {TARGET_MB:.0f} MB); {stderr.strip()}")
        problem = check_output(out, args.records)
    print("output: every row agrees with the reference" if problem is None
          else f"output MISMATCH: {problem}")
    if problem is not None or peak >= TARGET_MB:
        sys.exit(1)


if __name__ == "__main__":
    main()
