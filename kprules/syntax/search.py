"""Where a module that is needed but not given is found: the `.kpr` file declaring it in the
project's policy folders or the bundled library (kprules.syntax.loader reads it).

Effects: lists folders and reads the header of candidate files (never parses them): the lines
up to the first that is neither blank nor a comment, and 4 KB after, at most MAX_POLICY_BYTES
(a larger file is refused when read anyway, KP102). Light on purpose (no parser, no syntax
tree): `kprules eval` asks it, before anything is loaded, whether a kept plan's modules are
still where they were (kprules.cli.plan_cache).
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from attrs import define

from kprules.core.diagnostics import PolicyError
from kprules.core.limits import MAX_POLICY_BYTES
from kprules.core.shared_repr import SharedRepr

EXTENSION = ".kpr"
# The white space of the grammar (common.WS); a header's keyword and name, at the start of
# the first line that is neither blank nor a comment. No nested quantifier: matching is linear.
_SPACE = " \t\f\r\n"
_HEADER = re.compile(r"(facts|policy)[ \t\f\r\n]+([A-Za-z_][A-Za-z0-9_]*)")
_AFTER_HEADER = 4096  # bytes read after the header's first line (the name may follow it)
MAX_SEARCH_ENTRIES = 20_000
_SKIP_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})


def find_module(name: str, start: Path, budget: int = MAX_SEARCH_ENTRIES) -> Path | None:
    """The `.kpr` file declaring module `name` in the policy folders of the project found
    upward from `start` (the folder of the file that needs it), then of the working folder's
    project, then the bundled library (`kprules.syntax.project.policy_folders`): a folder of
    policies with its own project file means the same from any working folder.

    Each folder is searched breadth first (its own files before its subfolders' files, names in
    sorted order, hidden and tool folders skipped, links to folders not followed); the first
    folder holding one wins. The search gives up after looking at `budget` folder entries in
    all, so that it stays fast in a huge tree.
    """
    from kprules.syntax.project import bundled, policy_folders

    try:
        folders = policy_folders([start, Path.cwd()])
    except PolicyError:  # a malformed project file: `load_and_check` reports it (KP105)
        folders = [bundled().policies]
    return find_in(name, folders, budget)


def find_in(name: str, folders: Sequence[Path],
            budget: int = MAX_SEARCH_ENTRIES) -> Path | None:
    """The first `.kpr` file declaring module `name` in the trees of `folders`, in order."""
    left = Budget(budget)
    for folder in folders:
        found = _search_tree(folder, name, None, left)
        if found is not None or left.entries <= 0:
            return found
    return None


@define(repr=False)
class Budget(SharedRepr):
    """The folder entries a search may still look at (shared by the trees it searches)."""

    entries: int


def kpr_files(top: Path, left: Budget, skip: Path | None = None) -> Iterator[os.DirEntry[str]]:
    """The `.kpr` files in the tree of `top`, breadth first (a folder's own files before its
    subfolders' files, names in sorted order, hidden and tool folders and `skip` left out,
    links to folders not followed), while `left` has entries to look at."""
    queue = deque([top])
    while queue and left.entries > 0:
        folder = queue.popleft()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        left.entries -= len(entries)
        yield from (e for e in entries if e.name.endswith(EXTENSION) and _is_file(e))
        queue.extend(Path(e.path) for e in entries if _is_folder(e)
                     and Path(e.path) != skip)


def _search_tree(top: Path, name: str, skip: Path | None, left: Budget) -> Path | None:
    return next((Path(e.path) for e in kpr_files(top, left, skip) if _declares(e, name)), None)


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_folder(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith(".") or entry.name in _SKIP_FOLDERS:
        return False
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _declares(entry: os.DirEntry[str], name: str) -> bool:
    return declared(entry.path) == name


def declared(path: str | os.PathLike[str]) -> str | None:
    """The name of the module a `.kpr` file declares, from its header (None: unreadable, or no
    `facts NAME` / `policy NAME` header)."""
    try:
        with open(path, "rb") as fh:
            head = _header_text(fh)
    except OSError:
        return None
    match = _HEADER.match(head)
    return match.group(2) if match is not None else None


def _header_text(fh: BinaryIO) -> str:
    """The text of an open file from its first line that is neither blank nor a comment (a
    byte-order mark dropped), with the 4 KB after it; "" if none starts in its first
    MAX_POLICY_BYTES bytes. Reads a line at a time: no backtracking, nothing past the header."""
    left = MAX_POLICY_BYTES
    first = True
    while left > 0:
        raw = fh.readline(left)
        if not raw:
            return ""
        left -= len(raw)
        line = raw.decode("utf-8", errors="replace")
        if first:
            line, first = line.removeprefix("\ufeff"), False
        code = line.lstrip(_SPACE)
        if code and not code.startswith("#"):
            rest = fh.read(min(left, _AFTER_HEADER)).decode("utf-8", errors="replace")
            return code + rest
    return ""
