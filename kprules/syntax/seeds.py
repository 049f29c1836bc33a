"""Source documents in `seeds/`: what citations point to, and the check that quotations match.

A seed is `seeds/<id>.md`: TOML front matter between `+++` lines (title, date, origin, what is
verbatim), then Markdown. Citations name a seed by its id; a quotation must occur in the seed's
text, compared after folding white space, blockquote markers and typographic quotes and dashes.
A quotation may leave text out with `...`: each part must then occur, in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from kprules.core.files import SourceError, read_source
from kprules.core.shared_repr import SharedRepr

_FRONT = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n", re.S)
_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2013": "-", "\u2014": "-", "\u00a0": " "})


@frozen(repr=False)
class Seed(SharedRepr):
    id: str
    title: str
    meta: dict[str, Any]
    text: str  # normalised for quotation matching
    path: Path | None = None  # the file it was read from

    def contains(self, quote: str) -> bool:
        """Whether each part of a quotation occurs in the text, in order; a quotation of no
        part (`""`, `"..."`) is in no text."""
        parts = quote_parts(quote)
        at = 0
        for part in parts:
            found = self.text.find(part, at)
            if found < 0:
                return False
            at = found + len(part)
        return bool(parts)


def quote_parts(quote: str) -> list[str]:
    """The parts of a quotation around its gaps (`...`), normalised, without the punctuation
    at their ends; empty parts left out (none at all: the quotation quotes nothing)."""
    parts = (p.strip().strip(" ,;:[]") for p in re.split(r"\.\.\.|\u2026", normalise(quote)))
    return [p for p in parts if p]


def normalise(text: str) -> str:
    lines = (re.sub(r"^\s*>\s?", "", line) for line in text.splitlines())
    return " ".join(" ".join(lines).translate(_TYPOGRAPHY).split())


def read_seed(path: Path) -> Seed:
    """A seed file (a regular file of at most MAX_BYTES: `SourceError` otherwise). Front matter
    that is not TOML, or holds what Python cannot convert (an integer of more than 4,300
    digits), is ignored: the seed's text is what quotations are matched against."""
    text = read_source(path).text
    meta: dict[str, Any] = {}
    match = _FRONT.match(text)
    if match:
        try:
            import tomllib  # only for a seed's front matter (a check with --no-seeds needs none)

            meta = tomllib.loads(match.group(1))
        except (ValueError, RecursionError):  # TOMLDecodeError is a ValueError
            meta = {}
    title = str(meta.get("title", path.stem))
    return Seed(path.stem, title, meta, normalise(text), path)


class SeedFolder(Mapping[str, Seed]):
    """The seeds of a folder by id, each read when first asked for (a check reads only the
    seeds its policies cite). Unreadable files count as absent: `kprules check` says so."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.home: Path | None = folder  # where a new seed goes (a hint names it)
        self._ids = sorted(p.stem for p in folder.glob("*.md") if p.name.lower() != "readme.md")
        self._read: dict[str, Seed | None] = {}

    def _seed(self, key: str) -> Seed | None:
        if key not in self._read:
            try:
                self._read[key] = read_seed(self.folder / f"{key}.md") if key in self._ids \
                    else None
            except (OSError, SourceError):
                self._read[key] = None
        return self._read[key]

    def __getitem__(self, key: str) -> Seed:
        seed = self._seed(key)
        if seed is None:
            raise KeyError(key)
        return seed

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._seed(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class MergedSeeds(Mapping[str, Seed]):
    """The seeds of several folders by id; where two folders hold one id, the first wins.
    `home`: the folder a new seed goes to, if there is one to name (a hint names it)."""

    def __init__(self, folders: Sequence[Path], home: Path | None = None) -> None:
        self.folders = [SeedFolder(f) for f in folders]
        self.home = home

    def __getitem__(self, key: str) -> Seed:
        for folder in self.folders:
            if key in folder:
                return folder[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return any(key in folder for folder in self.folders)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({k for folder in self.folders for k in folder}))

    def __len__(self) -> int:
        return len({k for folder in self.folders for k in folder})


def merge_seeds(folders: Sequence[Path], home: Path | None = None) -> MergedSeeds:
    """Every seed of the folders (read lazily), the first folder's winning; `home`: where a
    new seed goes (a folder that does not exist yet included)."""
    return MergedSeeds([f for f in folders if f.is_dir()], home)


def load_seeds(folder: Path) -> SeedFolder:
    """Every seed in a folder, by id (read lazily)."""
    return SeedFolder(folder)


def find_seeds_folder(start: Path) -> Path | None:
    """The nearest `seeds/` folder at or above `start`."""
    folder = start.resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "seeds").is_dir():
            return candidate / "seeds"
    return None
