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

from pathlib import Path

from kprules.syntax.search import Budget, kpr_files

MAX_ENTRIES = 20_000


def discover(path: Path) -> list[Path]:
    """The `.kpr` files under the folder of `path` (hidden files aside), in a stable order."""
    return [Path(e.path).resolve() for e in kpr_files(path.parent, Budget(MAX_ENTRIES))
            if not e.name.startswith(".")]
