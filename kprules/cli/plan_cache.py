"""Kept plans for `kprules eval --output` over big data files: the second run of the same
policies with the same options skips reading, checking and compiling them.

Effects: reads the policy files, the project files and kprules' own files (their names,
sizes and times) to name the plan; the plans themselves are kept in kprules.core.private_cache
(private, authenticated). Decisions:

- A plan is named by a SHA-256 of what makes it: kprules' files, Python's and DuckDB's
  versions, the policy files given (paths and contents), the project files above them and the
  working folder (paths and contents), and the options that change the values (`--as-of`,
  `--term`, the formats, the seeds and `--policies` options). Change any and the name
  changes: the plan is made afresh.
- A module the policies read that is not among the files given was found by a search of
  folders (kprules.syntax.search), which the name cannot cover: the plan keeps each such
  search (the module, where it started, the file found and its digest), and is used only if
  every one, asked again, finds the same file, unchanged.
- Not kept: a POLICY given by name, seeds other than the bundled ones (`--seeds`, or a project
  file, without `--no-seeds`: a seeds folder's files are not covered), and CSV data files (their
  header is checked by the Python reader, with the checked vocabulary).
- A kept plan is run by the same one pass (kprules.sql.fast.run); when it stops (a record SQL
  does not accept), the command goes on as without a plan: it reads and checks the policies,
  and reports as always. So a plan changes how soon the values come, never which.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kprules.core import private_cache

if TYPE_CHECKING:
    from kprules.sql.fast import Plan

KIND = "plan"
DATA = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}  # kprules.cases.bulk
OUTPUTS = ("csv", "json", "parquet")


def plan_name(policies: Sequence[str], data: Path, as_of: dt.date | None,
              terms: Sequence[str], fmt: str, no_seeds: bool, seeds: Sequence[Path],
              folders: Sequence[Path]) -> str | None:
    """The name of this command's plan, or None when no plan may stand for it."""
    data_fmt = DATA.get(data.suffix.lower())
    paths = [Path(p) for p in policies]
    if (data_fmt is None or fmt not in OUTPUTS or private_cache.folder() is None
            or not all(p.exists() for p in paths)):
        return None
    try:
        files = _policy_files(paths)
        projects = _projects([Path.cwd(), *paths])
    except OSError:
        return None
    if not no_seeds and (seeds or projects):
        return None
    try:
        import duckdb
    except ImportError:
        return None

    import kprules

    made_of = {
        "kprules": _tree(Path(kprules.__file__).parent),
        "python": sys.version, "duckdb": duckdb.__version__,
        "policies": files, "projects": projects, "cwd": str(Path.cwd()),
        "options": [as_of.isoformat() if as_of else None, list(terms), fmt, data_fmt,
                    no_seeds, [str(s) for s in seeds], [str(f) for f in folders]],
    }
    if not no_seeds:
        from kprules.syntax.project import bundled

        made_of["seeds"] = _tree(bundled().seeds)
    text = json.dumps(made_of, sort_keys=True).encode("utf-8")
    return f"{KIND}-{hashlib.sha256(text).hexdigest()}"


def _policy_files(paths: Sequence[Path]) -> list[list[str]]:
    """[path, SHA-256 of its bytes] of each `.kpr` file given or under a folder given."""
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.files import expand_paths

    files, problems = expand_paths(paths, ".kpr", lambda n: Diagnostic("KP104", n, None),
                                   resolve=True)
    if problems:
        raise OSError("a policy path the loader reports")
    return [[str(f), _digest(f)] for f in files]


def _projects(starts: Sequence[Path]) -> list[list[str]]:
    from kprules.syntax.project import find_project_file

    found = dict.fromkeys(f for f in map(find_project_file, starts) if f is not None)
    return [[str(f), _digest(f)] for f in found]


def _tree(top: Path) -> list[tuple[str, int, int]]:
    """(path, size, modification time) of every file under `top`, compiled modules aside."""
    out = []
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(names):
            info = os.stat(os.path.join(folder, name))
            out.append((os.path.relpath(os.path.join(folder, name), top), info.st_size,
                        info.st_mtime_ns))
    return out


KEPT = "kprules-kept-plan-1"


def kept(name: str, folders: Sequence[Path]) -> Plan | None:
    """The plan kept under `name`, or None: none kept, or a module its policies read is no
    longer the file the search found then (`folders`: the --policies folders)."""
    from kprules.sql.plan_json import from_doc

    data = private_cache.get(name)
    if data is None:
        return None
    try:
        doc = json.loads(data.decode("utf-8"))
        searched = doc["searched"]
        if doc["format"] != KEPT or not all(_still(m, start, path, digest, folders)
                                            for m, start, path, digest in searched):
            return None
    except (ValueError, KeyError, TypeError, OSError):
        return None
    return from_doc(doc["plan"])


def _still(name: str, start: str, path: str, digest: str, folders: Sequence[Path]) -> bool:
    """Whether the search for module `name` from `start` finds the same file, unchanged."""
    from kprules.syntax.search import find_in, find_module

    found = find_in(name, folders) or find_module(name, Path(start))
    return found is not None and str(found) == path and _digest(found) == digest


def keep(name: str, plan: Plan, searched: Sequence[tuple[str, Path, Path]]) -> None:
    """Keep `plan` under `name`, with the modules its policies found by searching (name,
    where the search started, the file found) and their files' digests."""
    from kprules.sql.plan_json import to_doc

    try:
        found = [[m, str(start), str(path), _digest(path)] for m, start, path in searched]
    except OSError:
        return
    doc = {"format": KEPT, "searched": found, "plan": to_doc(plan)}
    private_cache.put(name, json.dumps(doc, ensure_ascii=False, sort_keys=True).encode())


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
