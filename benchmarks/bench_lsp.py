"""The language server's speed, measured as an editor sees it: `kprules lsp` in a subprocess,
spoken to over stdio (the tests' client, tests/editor/client.py).

    python benchmarks/bench_lsp.py               # 20 of each
    python benchmarks/bench_lsp.py --runs 5

Measures, in the bundled library:

1. after an edit to policies/kpcs_2003.kpr (a comment added or removed, sent as a full-text
   change), the time until the diagnostics of kpcs_2003.kpr and of the eight proposals in
   policies/proposals/ that amend it have all arrived, with the server's default debounce
   (100 ms of quiet before checking, included in the figure);
2. hover on `base.conflict_diamond` in state_actors.kpr, and completion in an expression of it;
3. start-up: from starting the server to its answer to `initialize` (median of 3, no target);
4. two baselines in the same run: a hover over white space (the protocol's round trip, nothing
   to look up), and the same nine files checked in process, one `kprules check FILE` workspace
   each, without the server's caches (what the server would cost if it started from nothing).

Targets (issue 13): diagnostics within 300 ms; hover and completion within 50 ms (medians).
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.editor.client import Client  # noqa: E402

POLICIES = ROOT / "policies"
KPCS = POLICIES / "kpcs_2003.kpr"
STATE_ACTORS = POLICIES / "proposals" / "state_actors.kpr"
PROPOSALS = sorted((POLICIES / "proposals").glob("*.kpr"))
TARGET_DIAGNOSTICS = 0.300
TARGET_ANSWER = 0.050


def _spot(path: Path, needle: str, delta: int) -> dict[str, int]:
    text = path.read_text(encoding="utf-8")
    at = text.index(needle) + delta
    return {"line": text.count("\n", 0, at), "character": at - (text.rfind("\n", 0, at) + 1)}


def edit_latency(client: Client, runs: int) -> list[float]:
    """Seconds from an edit of kpcs_2003 to the diagnostics of it and its eight proposals."""
    text = KPCS.read_text(encoding="utf-8")
    uri = client.open(KPCS)
    wanted = [KPCS.as_uri(), *(p.as_uri() for p in PROPOSALS)]
    for u in wanted:  # opening publishes them too
        client.diagnostics(u)
    times = []
    for run in range(runs):
        client.notes.clear()
        start = time.perf_counter()
        client.change(uri, text + ("\n# edited\n" if run % 2 == 0 else ""), version=run + 2)
        for u in wanted:
            assert client.diagnostics(u) == [], u
        times.append(time.perf_counter() - start)
    client.change(uri, text, version=runs + 2)
    for u in wanted:
        client.diagnostics(u)
    return times


def answer_times(ask: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        assert ask() is not None
        times.append(time.perf_counter() - start)
    return times


def in_process_check() -> float:
    """The nine files checked as `kprules check FILE` checks each, in this process."""
    from kprules.cli.common import load_and_check

    start = time.perf_counter()
    for path in (KPCS, *PROPOSALS):
        load_and_check([path])
    return time.perf_counter() - start


def start_up(runs: int) -> list[float]:
    """Seconds from starting `kprules lsp` to its answer to `initialize`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client = Client(ROOT)
        try:
            client.initialize(ROOT)
            times.append(time.perf_counter() - start)
        finally:
            client.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; Python {platform.python_version()}; {runs} runs each")
    in_process_check()  # warm: the parser cache and imports
    baseline_check = statistics.median(in_process_check() for _ in range(5))
    starts = start_up(3)
    client = Client(ROOT)
    try:
        client.initialize(ROOT)
        edits = edit_latency(client, runs)
        uri = client.open(STATE_ACTORS)
        client.diagnostics(uri)
        doc = {"textDocument": {"uri": uri}}
        hover_at = _spot(STATE_ACTORS, "base.conflict_diamond", 5)
        blank = {"line": 0, "character": 0}
        complete_at = _spot(STATE_ACTORS, "= base.conflict_diamond", 2)
        rows = {
            "edit -> 9 files' diagnostics": edits,
            "hover `base.conflict_diamond`": answer_times(lambda: client.request(
                "textDocument/hover", {**doc, "position": hover_at}), runs),
            "completion in an expression": answer_times(lambda: client.request(
                "textDocument/completion", {**doc, "position": complete_at}), runs),
            "baseline: hover on a comment": answer_times(lambda: client.request(
                "textDocument/hover", {**doc, "position": blank}) or {}, runs),
        }
    finally:
        client.close()
    round_trip = statistics.median(rows["baseline: hover on a comment"])
    print(f"baseline: the 9 files checked in process, no caches: {baseline_check * 1000:.1f} ms")
    print(f"{'':32} {'median':>9} {'best':>9} {'worst':>9}  x check  x round trip")
    for name, times in rows.items():
        med = statistics.median(times)
        print(f"{name:32} {med * 1000:7.1f}ms {min(times) * 1000:7.1f}ms "
              f"{max(times) * 1000:7.1f}ms  {med / baseline_check:7.2f}  {med / round_trip:11.1f}")
    missed = [name for name, target in (("edit -> 9 files' diagnostics", TARGET_DIAGNOSTICS),
                                        ("hover `base.conflict_diamond`", TARGET_ANSWER),
                                        ("completion in an expression", TARGET_ANSWER))
              if statistics.median(rows[name]) > target]
    print(f"start-up to the answer to `initialize` (median of 3): "
          f"{statistics.median(starts) * 1000:.0f} ms (not a target; most of it is importing "
          "lsprotocol's types)")
    for name in missed:
        print(f"target missed: {name}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
