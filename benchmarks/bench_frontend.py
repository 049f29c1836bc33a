"""The front end's speed: start-up of the command, `kprules check`, and parse+check throughput.

    python benchmarks/bench_frontend.py              # 15 runs of each command
    python benchmarks/bench_frontend.py --runs 5 --lines 5000

Measures, with the interpreter running this script:

1. the baseline: `python -c pass` (the interpreter's own start-up);
2. `kprules --help` and `kprules check <folder>` as subprocesses (the folder: policies/ when it
   holds `.kpr` files, else tests/robustness/fixtures/), median and best wall time of N runs
   and the median CPU time (the parser comes from the tables shipped in the package; there is
   no cache to warm); and, in process, what building the parser from the grammar would cost;
3. parse+check throughput on a generated policy of about 5,000 lines (a vocabulary, definitions
   with citations, a decision with rules and exceptions, parameters), in process: `load_texts`
   (parse) and `check` (all passes, quotations matched against seeds/), best of N, in lines/s
   of wall time and of CPU time.

Targets (issue 2): `--help` and `check` under 0.3 s each; throughput at least 5,000 lines/s.
Exit status 1 when a target is missed. The machine is often shared, so CPU times are shown
beside wall times.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.3
TARGET_LINES_PER_SECOND = 5_000


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(argv: Sequence[str], runs: int, env: dict[str, str] | None = None,
                 cwd: Path = ROOT) -> tuple[float, float, float]:
    """(median wall, best wall, median CPU) seconds of `runs` runs of a command."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu0, wall0 = _child_cpu(), time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - wall0)
        cpus.append(_child_cpu() - cpu0)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def kprules_command() -> list[str]:
    script = Path(sys.executable).parent / "kprules"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kprules"]


def parser_build_seconds() -> float:
    """Seconds to build the LALR parser from the grammar (what the shipped tables save)."""
    from kprules.syntax.grammar import build_parser
    start = time.perf_counter()
    build_parser()
    return time.perf_counter() - start


def tables_seconds() -> tuple[float, float, float]:
    """Seconds to load the parser from the shipped tables (best of 5, as a table row)."""
    from kprules.syntax.grammar import grammar_text, load_tables, tables_path
    text, encoded = grammar_text(), tables_path().read_text(encoding="utf-8")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        load_tables(encoded, text)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), statistics.median(times)


def policy_folder() -> Path:
    policies = ROOT / "policies"
    if any(policies.rglob("*.kpr")):
        return policies
    return ROOT / "tests" / "robustness" / "fixtures"


# ----------------------------------------------------------------------------- the workload

VOCABULARY = """\
facts bench "a generated vocabulary"
  dated by exported_on

enum actor "who receives the proceeds" {
  rebel_movement "an organised armed group fighting a government"
  rebel_ally
  state_owned_enterprise "a company the state owns"
  private_company
}

fact rough: bool "unworked diamonds"
fact certified: bool "a certificate accompanies the shipment"
fact beneficiary: actor "who receives the proceeds"
fact weight: carats "the weight of the parcel"
fact stones: integer "how many stones"
fact mined_in: country "where the stones were mined"
fact origins: set of country "every declared origin"
fact exported_on: date "the day of export"
"""

QUOTE = ('"CONFLICT DIAMONDS means rough diamonds used by rebel movements or their allies\n'
         '     to finance conflict aimed at undermining legitimate governments"')
CITE = f'  cite kpcs_core_document "Section I"\n    {QUOTE}\n'


def _define(i: int) -> str:
    other = f"term_{i // 2}" if i >= 2 else "rough"
    return (f'define term_{i} "generated term {i}"\n{CITE}'
            f"  = rough and (weight >= {i % 9}.5 ct or mined_in in {{CF, RU, BW}})\n"
            f"    and beneficiary != private_company and ({other} or not certified)\n\n")


def _rule(i: int) -> str:
    outcome = ("prohibited", "permitted_with_vigilance")[i % 2]
    limit = f"limit_{i // 20 * 20}" if i >= 20 else "threshold"
    return (f"  {outcome} when term_{i} and stones + {i} > {i % 13} * 2\n"
            f"    and exported_on in 2003-01-01 .. 2030-12-31\n"
            f"  {CITE}"
            f"    except permitted when certified and CF not in origins and weight < {limit}\n"
            f"    {CITE}")


def _parameter(i: int) -> str:
    pieces = "".join(f"  from {2003 + k}-01-01 = {k}.{i % 10} ct\n  {CITE}" for k in range(5))
    return f'parameter limit_{i}: carats "a generated limit"\n{pieces}\n'


def generated_policy(lines: int) -> str:
    """A policy of about `lines` lines (whole blocks, never fewer lines than asked)."""
    head = ('policy bench_policy "a generated policy"\n  status current\n'
            "  in force from 2003-01-01\n  reads bench\n\n"
            "parameter threshold: carats\n  from 2003-01-01 = 1 ct\n" + CITE + "\n")
    defines: list[str] = []
    rules: list[str] = []
    params: list[str] = []

    def size() -> int:
        text = head + "".join(defines) + "".join(params) + "".join(rules)
        return text.count("\n") + 4

    i = 0
    while size() < lines:
        i += 1
        defines.append(_define(i))
        rules.append(_rule(i))
        if i % 20 == 0:
            params.append(_parameter(i))
    decision = ("decision export: {permitted, permitted_with_vigilance, prohibited}\n"
                "  default permitted\n" + "".join(rules))
    return head + "".join(defines) + "".join(params) + decision


# ----------------------------------------------------------------------------- measuring


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """The best wall time and the best CPU time of `runs` calls of `work`."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def throughput(lines: int, runs: int) -> dict[str, float]:
    from kprules.checker import check
    from kprules.syntax.grammar import parser
    from kprules.syntax.loader import load_texts
    from kprules.syntax.seeds import load_seeds

    text = generated_policy(lines)
    count = text.count("\n")
    texts = [("bench_vocab.kpr", VOCABULARY), ("bench_policy.kpr", text)]
    seeds = load_seeds(ROOT / "seeds")
    parser()  # built or loaded once, as in any command
    result = check(load_texts(texts), seeds)
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors, errors[:3]
    parse_s, parse_cpu = best_of(runs, lambda: load_texts(texts))
    both_s, both_cpu = best_of(runs, lambda: check(load_texts(texts), seeds))
    return {"lines": count, "parse_s": parse_s, "both_s": both_s, "parse_cpu": parse_cpu,
            "both_cpu": both_cpu, "parse_lps": count / parse_s, "both_lps": count / both_s,
            "both_cpu_lps": count / both_cpu, "warnings": len(result.diagnostics)}


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args.add_argument("--lines", type=int, default=5_000, help="size of the generated policy")
    opts = args.parse_args(argv)
    runs = opts.runs
    # Python caches compiled modules as a user's machine does (a sandbox may switch that off with
    # PYTHONDONTWRITEBYTECODE, which would make every start compile kprules from source).
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "PYTHONDONTWRITEBYTECODE")}
    cmd = kprules_command()
    folder = policy_folder()
    files = sum(1 for _ in folder.rglob("*.kpr"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"command: {' '.join(cmd)}; policy folder: {folder.relative_to(ROOT)} ({files} files)")
    base = time_command([sys.executable, "-c", "pass"], runs, env)
    help_t = time_command([*cmd, "--help"], runs, env)
    check_t = time_command([*cmd, "check", str(folder)], runs, env)
    built_t = parser_build_seconds()
    rows = [("python -c pass (baseline)", base), ("kprules --help", help_t),
            (f"kprules check {folder.relative_to(ROOT)}", check_t),
            ("  parser built from grammar, in process", (built_t, built_t, built_t)),
            ("  parser from shipped tables, in process", tables_seconds())]
    print(f"\n{'':40} {'median':>8} {'best':>8} {'CPU':>8} {'x base':>7}")
    for label, (median, best, cpu) in rows:
        print(f"{label:40} {median:7.3f}s {best:7.3f}s {cpu:7.3f}s {median / base[0]:7.1f}")
    tp = throughput(opts.lines, max(3, runs // 3))
    print(f"\ngenerated policy: {tp['lines']:,} lines (+ a {VOCABULARY.count(chr(10))}-line "
          f"vocabulary), {tp['warnings']:.0f} warnings")
    print(f"  parse:        {tp['parse_s']:.3f}s  {tp['parse_lps']:>9,.0f} lines/s"
          f"   (CPU {tp['parse_cpu']:.3f}s)")
    print(f"  parse+check:  {tp['both_s']:.3f}s  {tp['both_lps']:>9,.0f} lines/s"
          f"   (CPU {tp['both_cpu']:.3f}s, {tp['both_cpu_lps']:,.0f} lines/s)")
    missed = [name for name, ok in (
        ("--help", help_t[0] < TARGET_SECONDS), ("check", check_t[0] < TARGET_SECONDS),
        ("throughput", tp["both_lps"] >= TARGET_LINES_PER_SECOND)) if not ok]
    print("\ntargets: --help < 0.3 s, check < 0.3 s, parse+check >= 5,000 lines/s: "
          + ("all met" if not missed else "MISSED " + ", ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
