"""Source documents in `seeds/`: what citations point to, and the check that quotations match.

A seed is `seeds/<id>.md`: TOML front matter between `+++` lines (title, date, origin, what is
verbatim), then Markdown. Citations name a seed by its id; a quotation must occur in the seed's
text, compared after folding white space, blockquote markers and typographic quotes and dashes.
A quotation may leave text out with `...`: each part must then occur, in order.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from attrs import frozen

_FRONT = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n", re.S)
_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2013": "-", "\u2014": "-", "\u00a0": " "})


@frozen
class Seed:
    id: str
    title: str
    meta: dict[str, Any]
    text: str  # normalised for quotation matching

    def contains(self, quote: str) -> bool:
        parts = [p.strip() for p in re.split(r"\.\.\.|\u2026", normalise(quote))]
        at = 0
        for part in (p.strip(" ,;:[]") for p in parts):
            if not part:
                continue
            found = self.text.find(part, at)
            if found < 0:
                return False
            at = found + len(part)
        return True


def normalise(text: str) -> str:
    lines = (re.sub(r"^\s*>\s?", "", line) for line in text.splitlines())
    return " ".join(" ".join(lines).translate(_TYPOGRAPHY).split())


def read_seed(path: Path) -> Seed:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, Any] = {}
    match = _FRONT.match(text)
    if match:
        try:
            meta = tomllib.loads(match.group(1))
        except tomllib.TOMLDecodeError:
            meta = {}
    title = str(meta.get("title", path.stem))
    return Seed(path.stem, title, meta, normalise(text))


def load_seeds(folder: Path) -> dict[str, Seed]:
    """Every seed in a folder, by id (unreadable files are skipped: `kprules check` lints them)."""
    out: dict[str, Seed] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            out[path.stem] = read_seed(path)
        except (OSError, UnicodeDecodeError):
            continue
    return out


def find_seeds_folder(start: Path) -> Path | None:
    """The nearest `seeds/` folder at or above `start`."""
    folder = start.resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "seeds").is_dir():
            return candidate / "seeds"
    return None
