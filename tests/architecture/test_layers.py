"""The code's layering (docs/architecture.md) as tests: the import-linter contracts in
pyproject.toml hold, no two modules import each other even through a chain (imports inside
functions included), the command modules do not import one another, and the package keeps its
stages in packages."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import grimp

import kprules

ROOT = Path(__file__).resolve().parents[2]


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("kprules", cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_cycles() -> None:
    """Package __init__ modules that only re-export are part of their package, not a cycle."""
    assert _cycles(_graph()) == []


def test_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_commands_do_not_import_each_other() -> None:
    graph = _graph()
    commands = sorted(m for m in graph.modules if m.startswith("kprules.cli.")
                      and m.endswith("_cmd"))
    assert len(commands) >= 6
    crossing = [(a, b) for a in commands for b in graph.find_modules_directly_imported_by(a)
                if b in commands]
    assert crossing == []


def test_nothing_imports_the_cli_but_main() -> None:
    graph = _graph()
    importers = {m for m in graph.find_modules_that_directly_import("kprules.cli")
                 if not m.startswith("kprules.cli")}
    assert importers <= {"kprules.__main__"}


def test_at_most_eight_top_level_modules() -> None:
    top = [m.name for m in pkgutil.iter_modules(kprules.__path__) if not m.ispkg]
    assert len(top) <= 8, top


def test_layer_contracts_hold() -> None:
    exe = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
