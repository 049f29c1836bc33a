"""Stream JSON Lines records through `kprules eval --format csv`: wall time and peak memory.

    /work/venv/bin/python benchmarks/bench_stream.py              # 1,000,000 records
    /work/venv/bin/python benchmarks/bench_stream.py --records 100000

The records follow the distribution of the benchmark workload (shared/bench/workload.py: the
same fields, probabilities, countries and weights; carats lognormal, rounded to 0.01), written by
the generator below (no numpy) to a temporary `.jsonl` file. The command evaluates the three
workload policies (benchmarks/workload/*.kpr) in a child process, its CSV output going to a
temporary file; the child's peak memory is its maximum resident set size
(`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`); its CPU time is reported too, since wall time
on a shared machine measures the neighbours as well. The output is then checked, row by row,
against plain-Python versions of the three rules: any mismatch is a failure (exit 1), and so is
a peak above the target (200 MB).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POLICIES = [HERE / "workload" / f for f in ("kpcs.kpr", "proposal.kpr", "restriction.kpr")]
TARGET_MB = 200.0

SELLER_KINDS = ("state", "state_owned_enterprise", "rebel_movement",
                "armed_group_allied_to_rebels", "private_company", "artisanal_miner")
REBELS = frozenset({"rebel_movement", "armed_group_allied_to_rebels"})
STATES = frozenset({"state", "state_owned_enterprise"})
COUNTRIES = ("RU", "CF", "BW", "CA", "ZW", "AO", "SL", "CD", "VE", "ZA",
             "NA", "LS", "LR", "CI", "AU", "IN", "AE", "BE", "CN", "TZ")
WEIGHTS = (4, 4) + (1,) * 18


def records(n: int, seed: int = 2003) -> Iterator[dict[str, Any]]:
    """n workload records, lazily and deterministically."""
    rnd = random.Random(seed)
    rand = rnd.random
    for _ in range(n):
        yield {
            "rough": rand() < 0.8,
            "seller_kind": rnd.choice(SELLER_KINDS),
            "proceeds_finance_armed_conflict": rand() < 0.5,
            "conflict_aims_to_undermine_legitimate_government": rand() < 0.5,
            "proceeds_finance_aggression_against_another_state": rand() < 0.3,
            "systematic_human_rights_abuses_at_mine": rand() < 0.1,
            "un_security_council_sanction": rand() < 0.05,
            "origin_country": rnd.choices(COUNTRIES, WEIGHTS)[0],
            "carats": round(rnd.lognormvariate(-0.7, 1.0), 2),
            "export_year": rnd.randint(2000, 2025),
            "kp_participant_compliant": rand() < 0.9,
            "origin_zone_compliant": rand() < 0.5,
        }


def reference(r: dict[str, Any]) -> tuple[bool, bool, bool]:
    """The three workload rules in plain Python (the semantics of shared/bench/workload.py)."""
    rebel = (r["seller_kind"] in REBELS and r["proceeds_finance_armed_conflict"]
             and r["conflict_aims_to_undermine_legitimate_government"])
    a = r["rough"] and rebel
    b = r["rough"] and (rebel
                        or (r["seller_kind"] in STATES
                            and r["proceeds_finance_aggression_against_another_state"])
                        or r["systematic_human_rights_abuses_at_mine"]
                        or r["un_security_council_sanction"])
    y = r["export_year"]
    c = ((r["origin_country"] == "CF" and 2013 <= y <= 2024
          and (y < 2015 or not r["origin_zone_compliant"]))
         or (r["origin_country"] == "RU" and y >= 2024 and r["carats"] >= 0.5)
         or not r["kp_participant_compliant"])
    return bool(a), bool(b), bool(c)


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
