"""Which `.kpr` files the language server knows about: one small function, to be swapped for the
project-file workspace model when there is one.

The server checks an open file the way `kprules check FILE` does (the file, and the modules it
`reads` and `amends` found nearby, see kprules.loader). To find the files that depend on it (a
proposal amending an edited base) and the references to a name, it also needs the files around
it: those are the `.kpr` files under the folder of each open file.
"""

from __future__ import annotations

from pathlib import Path

from kprules.syntax.loader import EXTENSION

MAX_FILES = 2000  # a folder with more `.kpr` files is searched only this far


def discover(path: Path) -> list[Path]:
    """The `.kpr` files under the folder of `path` (hidden and tool folders skipped), sorted."""
    found: list[Path] = []
    for candidate in sorted(path.parent.rglob(f"*{EXTENSION}")):
        parts = candidate.relative_to(path.parent).parts[:-1]
        if any(p.startswith(".") or p in ("node_modules", "__pycache__") for p in parts):
            continue
        if candidate.is_file():
            found.append(candidate.resolve())
        if len(found) >= MAX_FILES:
            break
    return found
