"""Which `.kpr` files the language server knows about: one small function, to be swapped for the
project-file workspace model when there is one.

The server checks an open file the way `kprules check FILE` does (the file, and the modules it
`reads` and `amends` found nearby, see kprules.syntax.loader). To find the files that depend on
it (a proposal amending an edited base) and the references to a name, it also needs the files
around it: those are the `.kpr` files under the folder of each open file, searched breadth first
(hidden and tool folders skipped, links to folders not followed) and at most `MAX_ENTRIES` folder
entries deep, so that a file opened in a huge folder (a home folder) costs little.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

from kprules.syntax.search import EXTENSION

MAX_ENTRIES = 20_000
_SKIP = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})


def discover(path: Path) -> list[Path]:
    """The `.kpr` files under the folder of `path`, in a stable order."""
    found: list[Path] = []
    queue = deque([path.parent])
    left = MAX_ENTRIES
    while queue and left > 0:
        folder = queue.popleft()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        left -= len(entries)
        for entry in entries:
            if entry.name.startswith(".") or entry.name in _SKIP:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    queue.append(Path(entry.path))
                elif entry.name.endswith(EXTENSION) and entry.is_file():
                    found.append(Path(entry.path).resolve())
            except OSError:
                continue
    return found
