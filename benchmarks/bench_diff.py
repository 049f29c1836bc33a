"""The cost of a symbolic difference (`kprules diff`), start-up included.

    python benchmarks/bench_diff.py               # 5 runs of each command
    python benchmarks/bench_diff.py --runs 3      # a quicker run

Each measurement runs the command line in a child process (what a drafter waits for: start-up,
reading and checking the policies, the difference, the report) and reports its median wall time
and median CPU time (`resource.getrusage(RUSAGE_CHILDREN)`), next to the baseline of the same
run, `kprules check` of the same policies: reading and checking alone.

- `bundled`: `kprules diff kpcs_2003 policies/proposals/` (eight proposals; the terms each
  changes: conflict_diamond and rough_trade), target under 3 s in total;
- `prove`: `kprules check --prove policies/` (check the library, prove its six assertions),
  target under 5 s;
- `generated`: two policies over 40 boolean facts and 10 enums of 8 values, each a definition
  of 8 conjunctions of 2-4 tests (the second keeps 6 of the first's and adds 2), written to a
  temporary folder; `kprules diff p1 p2`, target under 10 s, for three seeds.

A target missed fails the benchmark (exit 1), measured on CPU time (the wall time on a shared
machine measures the neighbours too).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"bundled": 3.0, "prove": 5.0, "generated": 10.0}


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(argv: Sequence[str], runs: int, cwd: Path = ROOT) -> tuple[float, float]:
    """(median wall, median CPU) seconds of `runs` runs of a command, which must succeed."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu0, wall0 = _child_cpu(), time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - wall0)
        cpus.append(_child_cpu() - cpu0)
    return statistics.median(walls), statistics.median(cpus)


def kprules_command() -> list[str]:
    script = Path(sys.executable).parent / "kprules"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kprules"]


# ----------------------------------------------------------------------------- generated pair


def vocabulary(booleans: int, enums: int, values: int) -> str:
    lines = ["facts gen", ""]
    lines += [f"enum k{e} {{ " + ", ".join(f"v{e}_{i}" for i in range(values)) + " }"
              for e in range(enums)]
    lines += [f"fact b{b}: bool" for b in range(booleans)]
    lines += [f"fact e{e}: k{e}" for e in range(enums)]
    return "\n".join(lines) + "\n"


def _test(r: random.Random, booleans: int, enums: int, values: int) -> str:
    if r.random() < 0.6:
        b = r.randrange(booleans)
        return f"b{b}" if r.random() < 0.6 else f"not b{b}"
    e = r.randrange(enums)
    chosen = sorted(r.sample(range(values), r.randint(1, 3)))
    return f"e{e} in {{" + ", ".join(f"v{e}_{i}" for i in chosen) + "}"


def conjunctions(r: random.Random, count: int, shape: tuple[int, int, int]) -> list[str]:
    return ["(" + " and ".join(_test(r, *shape) for _ in range(r.randint(2, 4))) + ")"
            for _ in range(count)]


def write_pair(folder: Path, seed: int, shape: tuple[int, int, int] = (40, 10, 8)) -> None:
    r = random.Random(seed)
    first = conjunctions(r, 8, shape)
    second = first[:6] + conjunctions(r, 2, shape)
    (folder / "gen.kpr").write_text(vocabulary(*shape))
    for name, terms in (("p1", first), ("p2", second)):
        (folder / f"{name}.kpr").write_text(
            f"policy {name}\n  reads gen\n\ndefine d =\n  " + "\n  or ".join(terms) + "\n")


# ----------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    kp = kprules_command()
    rows = []
    base = time_command([*kp, "check", "policies/"], args.runs)
    rows.append(("bundled", base, time_command(
        [*kp, "diff", "kpcs_2003", "policies/proposals/"], args.runs)))
    rows.append(("prove", base, time_command([*kp, "check", "--prove", "policies/"], args.runs)))
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (1, 2, 3):
            folder = Path(tmp) / f"seed{seed}"
            folder.mkdir()
            write_pair(folder, seed)
            check = time_command([*kp, "check", str(folder)], args.runs)
            diff = time_command([*kp, "diff", "p1", "p2", "--policies", str(folder)], args.runs)
            rows.append((f"generated (seed {seed})", check, diff))
    print(f"{'workload':<22} {'check CPU':>10} {'diff wall':>10} {'diff CPU':>9} "
          f"{'ratio':>6} {'target':>7}")
    failed = False
    for name, (_, check_cpu), (wall, cpu) in rows:
        target = TARGETS[name.split(" ")[0]]
        failed = failed or cpu >= target
        print(f"{name:<22} {check_cpu:>9.2f}s {wall:>9.2f}s {cpu:>8.2f}s "
              f"{cpu / check_cpu:>5.1f}x {'<' + str(target) + 's':>7}")
    if failed:
        print("a target was missed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
