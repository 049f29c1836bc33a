"""Read and parse kprules files into a workspace (the front end's only reader of files).

Input: paths (files or folders) as a user gives them. Output: a `Workspace`: the sources by name,
the parsed modules by module name, and the diagnostics of reading and parsing every file (all
files are read, so all their syntax errors are reported together).

A module that a given file `reads` or `amends` but that is not among the given files is looked for
nearby: in the folder of the file that needs it, then in each parent folder's tree, stopping at the
project root (a folder holding `pyproject.toml` or `.git`). The nearest match wins.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from attrs import define, field

from kprules import nodes as n
from kprules.diagnostics import Diagnostic, PolicyError, Related
from kprules.parse import parse
from kprules.source import Source

EXTENSION = ".kpr"
MAX_BYTES = 4 * 1024 * 1024
_HEADER = re.compile(r"\A(?:\s*#[^\n]*\n|\s+)*(facts|policy)\s+([A-Za-z_][A-Za-z0-9_]*)")
_ROOT_MARKERS = ("pyproject.toml", ".git")
_MAX_LEVELS = 6


def display_name(path: Path) -> str:
    """How a path is shown in messages: relative to the working folder when it is inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def read_text(path: Path, name: str, max_bytes: int = MAX_BYTES) -> Source:
    """Read a UTF-8 text file as a Source; problems become KP100-KP103 diagnostics."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise PolicyError([Diagnostic(
                "KP102", f"`{name}` is {size:,} bytes; the limit is {max_bytes:,}", None,
                hint="split it into several files")])
        data = path.read_bytes()
    except PolicyError:
        raise
    except FileNotFoundError:
        raise PolicyError([Diagnostic("KP100", f"`{name}` does not exist", None)]) from None
    except IsADirectoryError:
        raise PolicyError([Diagnostic("KP100", f"`{name}` is a folder", None)]) from None
    except OSError as err:
        raise PolicyError([Diagnostic("KP100", f"cannot read `{name}`: {err.strerror}",
                                      None)]) from None
    return decode(data, name)


def decode(data: bytes, name: str) -> Source:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise PolicyError([Diagnostic(
            "KP101", f"`{name}` is not valid UTF-8 (byte {err.start + 1}, line {line})", None,
            hint="save the file as UTF-8")]) from None
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        src = Source(name, text)
        raise PolicyError([Diagnostic("KP103", "a NUL byte in the text", src.span(nul, nul + 1),
                                      hint="this looks like a binary file")])
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
            problems.append(Diagnostic("KP100", f"`{name}` does not exist", None))
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
            self.diagnostics.extend(err.diagnostics)
            return None
        self._add_module(module, path)
        return module

    def add_source(self, source: Source) -> n.Module | None:
        self.sources[source.name] = source
        try:
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


def find_module(name: str, start: Path) -> Path | None:
    """The nearest `.kpr` file declaring module `name`, searching outwards from `start`."""
    searched: Path | None = None
    folder = start.resolve()
    for _ in range(_MAX_LEVELS):
        for path in sorted(_kpr_files(folder, skip=searched)):
            if _declares(path, name):
                return path
        if any((folder / m).exists() for m in _ROOT_MARKERS) or folder.parent == folder:
            return None
        searched, folder = folder, folder.parent
    return None


def _kpr_files(folder: Path, skip: Path | None) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and Path(root, d) != skip]
        yield from (Path(root, f) for f in files if f.endswith(EXTENSION))


def _declares(path: Path, name: str) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    match = _HEADER.match(head)
    return match is not None and match.group(2) == name
