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
- Digests are of the texts as the loader reads them (kprules.core.files.read_source), and a
  plan is kept only if the texts the loader read are those the name was made from, and the
  found modules' digests are of the texts read: a file changed while the command ran makes no
  plan, rather than a plan named by one text and made from another.
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

from attrs import frozen

from kprules.core import private_cache
from kprules.core.diagnostics import PolicyError
from kprules.core.shared_repr import SharedRepr

if TYPE_CHECKING:
    from kprules.sql.fast import Plan
    from kprules.syntax.loader import Workspace

KIND = "plan"
OUTPUTS = ("csv", "json", "parquet")


@frozen(repr=False)
class PlanKey(SharedRepr):
    """A plan's name, and the policy files given with the digests the name was made from."""

    name: str
    files: tuple[tuple[Path, str], ...]


def plan_key(policies: Sequence[str], data: Path, as_of: dt.date | None,
             terms: Sequence[str], fmt: str, no_seeds: bool, seeds: Sequence[Path],
             folders: Sequence[Path]) -> PlanKey | None:
    """The key of this command's plan, or None when no plan may stand for it."""
    from kprules.core.files import DATA_FORMATS

    data_fmt = DATA_FORMATS.get(data.suffix.lower())
    paths = [Path(p) for p in policies]
    if (data_fmt in (None, "csv") or fmt not in OUTPUTS or private_cache.folder() is None
            or not all(p.exists() for p in paths)):
        return None
    try:
        files = _policy_files(paths)
        projects = _projects([Path.cwd(), *paths])
    except (OSError, PolicyError):
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
        "policies": [[str(f), d] for f, d in files], "projects": projects,
        "cwd": str(Path.cwd()),
        "options": [as_of.isoformat() if as_of else None, list(terms), fmt, data_fmt,
                    no_seeds, [str(s) for s in seeds], [str(f) for f in folders]],
    }
    if not no_seeds:
        from kprules.syntax.project import bundled

        made_of["seeds"] = _tree(bundled().seeds)
    text = json.dumps(made_of, sort_keys=True).encode("utf-8")
    return PlanKey(f"{KIND}-{hashlib.sha256(text).hexdigest()}", tuple(files))


def loaded_as_named(key: PlanKey, ws: Workspace) -> bool:
    """Whether the loader read each policy file given as it was when the plan was named."""
    from kprules.core.files import display_name

    for path, digest in key.files:
        source = ws.sources.get(display_name(path))
        if source is None or text_digest(source.text) != digest:
            return False
    return True


def _policy_files(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """(path, digest of its text) of each `.kpr` file given or under a folder given."""
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.files import expand_paths

    files, problems = expand_paths(paths, ".kpr", lambda n: Diagnostic("KP104", n, None),
                                   resolve=True)
    if problems:
        raise OSError("a policy path the loader reports")
    return [(f, _digest(f)) for f in files]


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
    try:
        return found is not None and str(found) == path and _digest(found) == digest
    except PolicyError:  # no longer a policy file that reads: not the same
        return False


def keep(key: PlanKey, plan: Plan, ws: Workspace) -> None:
    """Keep `plan` under `key`, with the modules the workspace found by searching (name, where
    the search started, the file found, the digest of the text read)."""
    from kprules.core.files import display_name
    from kprules.sql.plan_json import to_doc

    found = []
    for module, start, path in ws.searched:
        source = ws.sources.get(display_name(path))
        if source is None:
            return
        found.append([module, str(start), str(path), text_digest(source.text)])
    doc = {"format": KEPT, "searched": found, "plan": to_doc(plan)}
    private_cache.put(key.name, json.dumps(doc, ensure_ascii=False, sort_keys=True).encode())


def text_digest(text: str) -> str:
    """The SHA-256 of a text read by the loader (UTF-8, a leading byte-order mark dropped)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(path: Path) -> str:
    """The digest of a file's text as the loader reads it (`SourceError` if it cannot)."""
    from kprules.core.files import read_source

    return text_digest(read_source(path).text)
