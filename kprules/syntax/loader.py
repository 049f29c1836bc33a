"""Read and parse kprules files into a workspace (the front end's only reader of files).

Input: paths (files or folders) as a user gives them. Output: a `Workspace`: the sources by name,
the parsed modules by module name, and the diagnostics of reading and parsing every file (all
files are read, so all their syntax errors are reported together).

A module that a given file `reads` or `amends` but that is not among the given files is looked for
nearby: in the folder of the file that needs it, then in each parent folder's tree, stopping at the
project root (a folder holding `pyproject.toml` or `.git`). The nearest match wins. The search
reads only the header of each candidate file, so broken files elsewhere do not matter, and it is
bounded (see `find_module`).
"""

from __future__ import annotations

import os
import re
import stat
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path

from attrs import define, field

from kprules.core.diagnostics import Diagnostic, PolicyError, Related
from kprules.core.source import Source
from kprules.syntax import nodes as n
from kprules.syntax.parse import parse

EXTENSION = ".kpr"
MAX_BYTES = 4 * 1024 * 1024
_HEADER = re.compile(r"\A(?:\s*#[^\n]*\n|\s+)*(facts|policy)\s+([A-Za-z_][A-Za-z0-9_]*)")
MAX_SEARCH_ENTRIES = 20_000
_ROOT_MARKERS = ("pyproject.toml", ".git")
_SKIP_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})


def display_name(path: Path) -> str:
    """How a path is shown in messages: relative to the working folder when it is inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


class SourceError(PolicyError):
    """A file that could not be read as text; `source` (if any) lets the diagnostic show a line."""

    def __init__(self, diagnostics: Sequence[Diagnostic], source: Source | None = None) -> None:
        super().__init__(diagnostics)
        self.source = source


def read_text(path: Path, name: str, max_bytes: int = MAX_BYTES) -> Source:
    """Read a UTF-8 text file as a Source; problems become KP100-KP103 diagnostics.

    Only regular files are opened (a named pipe or a device would block or never end), and at
    most `max_bytes + 1` bytes are read whatever the file claims its size is.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise SourceError([Diagnostic("KP100", f"`{name}` is {what}", None)])
        if info.st_size > max_bytes:
            raise SourceError([_too_large(name, f"{info.st_size:,} bytes", max_bytes)])
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except PolicyError:
        raise
    except FileNotFoundError:
        what = "is a link to a missing file" if path.is_symlink() else "does not exist"
        raise SourceError([Diagnostic("KP100", f"`{name}` {what}", None)]) from None
    except OSError as err:
        raise SourceError([Diagnostic("KP100", f"cannot read `{name}`: {err.strerror}",
                                      None)]) from None
    if len(data) > max_bytes:
        raise SourceError([_too_large(name, f"more than {max_bytes:,} bytes", max_bytes)])
    return decode(data, name)


def _too_large(name: str, size: str, max_bytes: int) -> Diagnostic:
    return Diagnostic("KP102", f"`{name}` is {size}; the limit is {max_bytes:,}", None,
                      hint="split it into several files")


def decode(data: bytes, name: str) -> Source:
    """The text of a file's bytes; invalid UTF-8 (KP101) and NUL bytes (KP103) are located.

    On such an error the `SourceError` carries the text (each byte that is not UTF-8 replaced by
    U+FFFD), so that the diagnostic can show the line.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        src = Source(name, data.decode("utf-8", errors="replace").removeprefix("\ufeff"))
        at = len(data[: err.start].decode("utf-8").removeprefix("\ufeff"))
        raise SourceError([Diagnostic(
            "KP101", f"`{name}` is not valid UTF-8 (byte {err.start + 1}, line {line})",
            src.span(at, at + 1), hint="save the file as UTF-8")], src) from None
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        src = Source(name, text)
        raise SourceError([Diagnostic("KP103", "a NUL byte in the text", src.span(nul, nul + 1),
                                      hint="this looks like a binary file")], src)
    return Source(name, text)


def expand(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Files as given, and every `*.kpr` file under each folder, in a stable order."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        name = display_name(path)
        if path.is_dir():
            found = sorted(p for p in path.rglob(f"*{EXTENSION}") if p.is_file())
            if not found:
                problems.append(Diagnostic("KP104", f"`{name}` holds no `{EXTENSION}` files",
                                           None))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            what = "is a link to a missing file" if path.is_symlink() else "does not exist"
            problems.append(Diagnostic("KP100", f"`{name}` {what}", None))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, problems


@define
class Workspace:
    """Everything read: sources by display name, modules by module name, and diagnostics."""

    sources: dict[str, Source] = field(factory=dict)
    modules: dict[str, n.Module] = field(factory=dict)
    paths: dict[str, Path] = field(factory=dict)
    given: list[str] = field(factory=list)
    diagnostics: list[Diagnostic] = field(factory=list)

    def add_file(self, path: Path) -> n.Module | None:
        name = display_name(path)
        if name in self.sources:
            return None
        try:
            source = read_text(path, name)
            self.sources[name] = source
            module = parse(source)
        except PolicyError as err:
            if isinstance(err, SourceError) and err.source is not None:
                self.sources[name] = err.source
            self.diagnostics.extend(err.diagnostics)
            return None
        self._add_module(module, path)
        return module

    def add_source(self, source: Source) -> n.Module | None:
        self.sources[source.name] = source
        try:
            if len(source.text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
                raise PolicyError([_too_large(source.name, "more than "
                                              f"{MAX_BYTES:,} bytes", MAX_BYTES)])
            module = parse(source)
        except PolicyError as err:
            self.diagnostics.extend(err.diagnostics)
            return None
        self._add_module(module, None)
        return module

    def _add_module(self, module: n.Module, path: Path | None) -> None:
        other = self.modules.get(module.name)
        if other is not None:
            self.diagnostics.append(Diagnostic(
                "KP210", f"`{module.name}` is declared by two files", module.ident.span,
                related=(Related(other.ident.span, "also declared here"),),
                hint="module names must be unique; rename one of them"))
            return
        self.modules[module.name] = module
        if path is not None:
            self.paths[module.name] = path


def load(paths: Sequence[Path], *, search: bool = True) -> Workspace:
    """Read and parse the given files and folders, then the modules they need from nearby."""
    ws = Workspace()
    files, problems = expand(paths)
    ws.diagnostics.extend(problems)
    for path in files:
        module = ws.add_file(path)
        if module is not None:
            ws.given.append(module.name)
    if search:
        _resolve_nearby(ws)
    return ws


def load_texts(texts: Iterable[tuple[str, str]]) -> Workspace:
    """A workspace from (name, text) pairs, as the library API and tests use."""
    ws = Workspace()
    for name, text in texts:
        module = ws.add_source(Source(name, text))
        if module is not None:
            ws.given.append(module.name)
    return ws


def _wanted(ws: Workspace) -> dict[str, Path]:
    """Module names referenced but missing, each with the file of a module that needs it."""
    out: dict[str, Path] = {}
    for name, module in ws.modules.items():
        refs = (module.reads, module.amends) if isinstance(module, n.PolicyModule) else ()
        for ref in refs:
            if ref is not None and ref.name not in ws.modules and name in ws.paths:
                out.setdefault(ref.name, ws.paths[name])
    return out


def _resolve_nearby(ws: Workspace) -> None:
    tried: set[str] = set()
    while True:
        wanted = {k: v for k, v in _wanted(ws).items() if k not in tried}
        if not wanted:
            return
        for name, needed_by in wanted.items():
            tried.add(name)
            found = find_module(name, needed_by.parent)
            if found is not None:
                ws.add_file(found)


def find_module(name: str, start: Path, budget: int = MAX_SEARCH_ENTRIES) -> Path | None:
    """The nearest `.kpr` file declaring module `name`, searching outwards from `start`.

    Each folder of `search_folders(start)` is searched breadth first (its own files before its
    subfolders' files, names in sorted order, hidden and tool folders skipped, links to folders
    not followed), skipping the subfolder searched just before. The search gives up after looking
    at `budget` folder entries in all, so that it stays fast in a huge tree.
    """
    left = _Budget(budget)
    searched: Path | None = None
    for folder in search_folders(start):
        found = _search_tree(folder, name, searched, left)
        if found is not None or left.entries <= 0:
            return found
        searched = folder
    return None


def search_folders(start: Path) -> list[Path]:
    """`start` and its parents up to the project root (a folder with `pyproject.toml` or `.git`).

    Without a project root above `start`, only `start` and its parent, and never the file
    system root or the home folder (their trees can be arbitrarily large).
    """
    folder = start.resolve()
    chain = [folder, *folder.parents]
    for i, candidate in enumerate(chain):
        if any((candidate / m).exists() for m in _ROOT_MARKERS):
            return chain[: i + 1]
    try:
        home: Path | None = Path.home().resolve()
    except RuntimeError:
        home = None
    return [f for f in chain[:2] if f.parent != f and f != home]


@define
class _Budget:
    entries: int


def _search_tree(top: Path, name: str, skip: Path | None, left: _Budget) -> Path | None:
    queue = deque([top])
    while queue and left.entries > 0:
        folder = queue.popleft()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        left.entries -= len(entries)
        for entry in entries:
            if entry.name.endswith(EXTENSION) and _is_file(entry) and _declares(entry, name):
                return Path(entry.path)
        queue.extend(Path(e.path) for e in entries if _is_folder(e)
                     and Path(e.path) != skip)
    return None


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
    try:
        with open(entry.path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    match = _HEADER.match(head)
    return match is not None and match.group(2) == name
