"""Run the fuzz targets for a time budget and report what happened.

    python fuzz/run.py --seconds 60                 # every target, the budget shared evenly
    python fuzz/run.py --seconds 30 --target data   # one target
    python fuzz/run.py --seconds 600 --json out.json

Each target draws inputs with hypothesis (fuzz/targets.py) and runs them through kprules. The
report gives, per target: runs, inputs (a batch of data records counts each record), how many
were accepted, refused with diagnostics, and internal errors (what the command line reports as
KP900 with exit status 3), the slowest run, and the peak memory of the process. An internal
error is printed with its input (and saved under fuzz/crashes/) and the run goes on.

Exit status: 0 when no target had an internal error and no run took 10 s or more; 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.setrecursionlimit(10_000)

from fuzz.targets import Target, targets  # noqa: E402

SLOW_SECONDS = 10.0
CRASHES = Path(__file__).resolve().parent / "crashes"


class _Budget(Exception):
    """The target's time is up."""


def run_target(target: Target, seconds: float) -> dict[str, Any]:
    stats: Counter[str] = Counter()
    slowest = [0.0]
    deadline = time.monotonic() + seconds

    @settings(max_examples=10**9, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(target.strategy)
    def one(item: Any) -> None:
        if time.monotonic() > deadline:
            raise _Budget
        started = time.monotonic()
        try:
            outcome, inputs = target.run(item)
        except Exception as err:  # an internal error: record it, go on
            outcome, inputs = "internal", 1
            _save(target.name, item, err)
        slowest[0] = max(slowest[0], time.monotonic() - started)
        stats["runs"] += 1
        stats["inputs"] += inputs
        stats[outcome] += 1

    with contextlib.suppress(_Budget):
        one()
    return {"target": target.name, "seconds": seconds, "runs": stats["runs"],
            "inputs": stats["inputs"], "ok": stats["ok"], "diagnosed": stats["diagnosed"],
            "internal": stats["internal"], "slowest_s": round(slowest[0], 3)}


def _save(name: str, item: Any, err: Exception) -> None:
    CRASHES.mkdir(exist_ok=True)
    stamp = f"{name}-{int(time.time() * 1000)}"
    text = f"{type(err).__name__}: {err}\n\n{''.join(traceback.format_exception(err))}\n" \
           f"input:\n{item!r}\n"
    (CRASHES / f"{stamp}.txt").write_text(text, encoding="utf-8", errors="backslashreplace")
    print(f"internal error in {name}: {type(err).__name__}: {str(err)[:200]}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="the whole budget")
    parser.add_argument("--target", action="append", help="a target (repeatable); default all")
    parser.add_argument("--json", type=Path, help="also write the report as JSON")
    opts = parser.parse_args(argv)
    chosen = targets()
    names = opts.target or list(chosen)
    share = opts.seconds / len(names)
    rows = []
    for name in names:
        row = run_target(chosen[name], share)
        rows.append(row)
        print(f"{name:10} {row['runs']:>7,} runs {row['inputs']:>9,} inputs  "
              f"ok {row['ok']:>7,}  diagnosed {row['diagnosed']:>7,}  "
              f"internal {row['internal']:>3}  slowest {row['slowest_s']:.2f} s", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(r["inputs"] for r in rows)
    internal = sum(r["internal"] for r in rows)
    slow = max((r["slowest_s"] for r in rows), default=0.0)
    print(f"total: {total:,} inputs, {internal} internal errors, slowest run {slow:.2f} s, "
          f"peak memory {peak:.0f} MB")
    if opts.json:
        opts.json.write_text(json.dumps({"targets": rows, "inputs": total, "internal": internal,
                                         "peak_mb": round(peak)}, indent=2) + "\n")
    return 1 if internal or slow >= SLOW_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
