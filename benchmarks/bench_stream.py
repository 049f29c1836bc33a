"""Stream JSON Lines records through `kprules eval --format csv`: wall time and peak memory.

    .venv/bin/python benchmarks/bench_stream.py              # 1,000,000 records
    .venv/bin/python benchmarks/bench_stream.py --records 100000
    .venv/bin/python benchmarks/bench_stream.py --engine python --terminal --repeat 3

`--engine` is passed to the command (auto: DuckDB for a file this big, when installed).
`--terminal` gives the child a pseudo-terminal as standard error, so that it draws its progress
line (kprules.core.progress), and runs it again with `--quiet` (no line): the ratio of the two
is the cost of the progress line; `--repeat` runs each that many times (the best is kept).

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
import os
import pty
import resource
import subprocess
import sys
import tempfile
import threading
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


def run_eval(data: Path, out: Path, engine: str = "auto", terminal: bool = False,
             quiet: bool = False) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak RSS in MB of the child, and its stderr (as drawn on
    the pseudo-terminal with `terminal`)."""
    cmd = [sys.executable, "-m", "kprules", "eval", *map(str, POLICIES), "--cases", str(data),
           "--format", "csv", "--no-seeds", "--engine", engine, *(["--quiet"] if quiet else [])]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with out.open("w", encoding="utf-8") as fh:
        if terminal:
            code, stderr = _on_terminal(cmd, fh)
        else:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, text=True, check=False)
            code, stderr = proc.returncode, proc.stderr
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        sys.exit(f"kprules eval failed (exit {code}):\n{stderr}")
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, stderr


def _on_terminal(cmd: list[str], out: object) -> tuple[int, str]:
    """Run `cmd` with standard error on a pseudo-terminal, read as it is written."""
    main, child = pty.openpty()
    drawn: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                return
            if not chunk:
                return
            drawn.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run(cmd, stdout=out, stderr=child, check=False)  # type: ignore[arg-type]
    os.close(child)
    reader.join(timeout=5)
    os.close(main)
    return proc.returncode, b"".join(drawn).decode("utf-8", "replace").replace("\r\n", "\n")


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
    parser.add_argument("--engine", choices=["auto", "python", "duckdb"], default="auto")
    parser.add_argument("--terminal", action="store_true",
                        help="standard error on a pseudo-terminal, against --quiet")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kprules-bench-") as tmp:
        data, out = Path(tmp) / "records.jsonl", Path(tmp) / "out.csv"
        start = time.perf_counter()
        write_records(data, args.records)
        size_mb = data.stat().st_size / 1e6
        print(f"generated {args.records:,} records ({size_mb:,.0f} MB) in "
              f"{time.perf_counter() - start:.1f} s")
        peak, problem = 0.0, None
        runs = [(True, False), (True, True)] if args.terminal else [(False, False)]
        best: dict[bool, float] = {}
        for _ in range(args.repeat):
            for terminal, quiet in runs:
                wall, cpu, peak, stderr = run_eval(data, out, args.engine, terminal, quiet)
                best[quiet] = min(best.get(quiet, wall), wall)
                what = " on a terminal" + (" --quiet" if quiet else "") if terminal else ""
                lines = max(stderr.count("\r") - 2, 0)  # each line drawn, and the erasing
                print(f"kprules eval --format csv --engine {args.engine}{what}: {wall:.1f} s "
                      f"wall ({args.records / wall:,.0f} records/s), {cpu:.1f} s CPU "
                      f"({args.records / cpu:,.0f} records/s), peak RSS {peak:.0f} MB (target "
                      f"< {TARGET_MB:.0f} MB); {lines} progress lines; "
                      f"{stderr.split(chr(13))[-1].strip()}")
                problem = problem or check_output(out, args.records)
        if args.terminal:
            print(f"best of {args.repeat}: drawn {best[False]:.2f} s, --quiet "
                  f"{best[True]:.2f} s: ratio {best[False] / best[True]:.3f}")
    print("output: every row agrees with the reference" if problem is None
          else f"output MISMATCH: {problem}")
    if problem is not None or peak >= TARGET_MB:
        sys.exit(1)


if __name__ == "__main__":
    main()
