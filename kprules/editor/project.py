"""The language server's model of the files: open buffers over the disk, parsed once per text,
and each file checked the way `kprules check FILE` checks it.

`Project` holds the state of one server (no global state): the texts of open documents, the last
parse of every known file (re-parsed only when its text changes), the seeds folders, and the
result of the last check of each file. Checking a file builds the same workspace as
`kprules.syntax.loader.load([file])` (the file, then the modules it needs found nearby), but
reads open documents from their buffers, so that the diagnostics are those `kprules check FILE
--format json` would print if the buffers were saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from attrs import define, field, frozen

from kprules import ir
from kprules.checker import CheckResult, check
from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.files import MAX_BYTES, SourceError, display_name, read_source, too_large
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source
from kprules.editor.workspace import discover
from kprules.syntax import nodes as n
from kprules.syntax.loader import Workspace
from kprules.syntax.parse import parse
from kprules.syntax.project import bundled, find_project_file, seed_folders, seed_home
from kprules.syntax.search import EXTENSION, find_module
from kprules.syntax.seeds import Seed, find_seeds_folder, merge_seeds


@frozen(repr=False)
class Parsed(SharedRepr):
    """One file's text and what parsing it gave: a module, or the diagnostics."""

    text: str | None  # None: the file could not be read
    source: Source | None
    module: n.Module | None
    diagnostics: tuple[Diagnostic, ...]


@frozen(repr=False)
class Analysis(SharedRepr):
    """The last check of one file: the workspace built for it and the checker's result."""

    path: Path
    name: str  # the file's display name, as spans and diagnostics name it
    workspace: Workspace
    result: CheckResult

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.result.diagnostics


@define(repr=False)
class _Loading(Workspace):
    """A loader workspace that reads files through the project (buffers, parse cache)."""

    project: Project | None = None

    def add_file(self, path: Path) -> n.Module | None:
        name = display_name(path)
        if name in self.sources or self.project is None:
            return None
        parsed = self.project.parsed(path.resolve())
        if parsed.source is not None:
            self.sources[name] = parsed.source
        if parsed.module is None:
            self.diagnostics.extend(parsed.diagnostics)
            return None
        self._add_module(parsed.module, path)
        return parsed.module


@define(repr=False)
class Project(SharedRepr):
    """Open documents, known files, parses and checks."""

    find: Callable[[Path], list[Path]] = discover
    buffers: dict[Path, str] = field(factory=dict)
    known: dict[Path, None] = field(factory=dict)
    analyses: dict[Path, Analysis] = field(factory=dict)
    _parsed: dict[Path, Parsed] = field(factory=dict)
    _good: dict[Path, n.Module] = field(factory=dict)  # the last module that parsed
    _typed: dict[Path, Analysis] = field(factory=dict)  # the last check that typed the file
    _found: dict[tuple[str, Path], Path | None] = field(factory=dict)  # find_module's answers
    _seeds: dict[Path, Mapping[str, Seed]] = field(factory=dict)

    # ------------------------------------------------------------------ documents

    def open(self, path: Path, text: str) -> None:
        if path not in self.known:
            self._found.clear()
            self.known.update(dict.fromkeys(self.find(path)))
        self.known[path] = None
        self.buffers[path] = text

    def change(self, path: Path, text: str) -> None:
        self.buffers[path] = text

    def close(self, path: Path) -> None:
        self.buffers.pop(path, None)
        self._parsed.pop(path, None)
        self._good.pop(path, None)
        self._typed.pop(path, None)

    def forget(self, path: Path) -> None:
        """A file changed, appeared or disappeared on disk: read it again when next needed."""
        self._parsed.pop(path, None)
        self._found.clear()
        if path.is_file() and path.suffix == EXTENSION:
            self.known[path] = None
        else:
            self.known.pop(path, None)
            self.analyses.pop(path, None)

    # ------------------------------------------------------------------ parsing

    def parsed(self, path: Path) -> Parsed:
        """The parse of a file's current text (its buffer when open), computed once per text."""
        text = self.buffers.get(path)
        old = self._parsed.get(path)
        if old is not None and (text is None or old.text == text):
            return old
        new = _parse(path, text)
        self._parsed[path] = new
        if new.module is not None:
            self._good[path] = new.module
        return new

    def last_module(self, path: Path) -> n.Module | None:
        """The module of the file's current text, else of its last text that parsed."""
        return self.parsed(path).module or self._good.get(path)

    def modules(self) -> dict[str, tuple[Path, n.Module]]:
        """Every module of the known files by name (the first file declaring a name wins); a
        file that does not parse now counts with its last text that did."""
        out: dict[str, tuple[Path, n.Module]] = {}
        for path in self.known:
            module = self.last_module(path)
            if module is not None:
                out.setdefault(module.name, (path, module))
        return out

    # ------------------------------------------------------------------ checking

    def check(self, path: Path) -> Analysis:
        """Check a file as `kprules check FILE` does, and keep the result."""
        ws = _Loading(project=self)
        module = ws.add_file(path)
        if module is not None:
            ws.given.append(module.name)
        _resolve_nearby(ws, self.find_module)
        result = check(ws, self.seeds(path))
        analysis = Analysis(path, display_name(path), ws, result)
        self.analyses[path] = analysis
        if result.policies or result.vocabularies:
            self._typed[path] = analysis
        return analysis

    def typed(self, path: Path) -> Mapping[str, ir.CheckedPolicy]:
        """The checked policies of the last check of the file that got as far as types (a
        file being typed often does not parse: its names keep their last known types)."""
        last = self._typed.get(path)
        return last.result.policies if last is not None else {}

    def find_module(self, name: str, start: Path) -> Path | None:
        """kprules.syntax.loader.find_module, remembered until a file is opened, saved, created
        or deleted (each search reads the headers of the files around)."""
        key = (name, start)
        if key not in self._found:
            self._found[key] = find_module(name, start)
        return self._found[key]

    def current(self, path: Path) -> Analysis:
        """The check of the file's current text: the last one, or a new one if it is stale."""
        last = self.analyses.get(path)
        if last is not None:
            source = last.workspace.sources.get(last.name)
            if source is not None and source.text == self.parsed(path).text:
                return last
        return self.check(path)

    def seeds(self, path: Path) -> Mapping[str, Seed]:
        """The seeds a check of the file quotes, as `kprules check` run in its folder reads
        them: the project's seeds folders, then the bundled library's; with no project file,
        the nearest `seeds/` folder first."""
        folder = path.parent
        if folder not in self._seeds:
            self._seeds[folder] = _seeds_of(folder)
        return self._seeds[folder]

    def dependents(self, path: Path) -> list[Path]:
        """The known files whose module reads or amends (perhaps through others) the module of
        `path`, in a stable order."""
        module = self.parsed(path).module
        if module is None:
            return []
        needs = {name: set(_needs(m)) for name, (_, m) in self.modules().items()}
        reached = {module.name}
        changed = True
        while changed:
            changed = False
            for name, wanted in needs.items():
                if name not in reached and wanted & reached:
                    reached.add(name)
                    changed = True
        reached.discard(module.name)
        paths = {name: p for name, (p, _) in self.modules().items()}
        return sorted(paths[name] for name in reached)


def _parse(path: Path, text: str | None) -> Parsed:
    """Parse a buffer's text, or the file's when `text` is None, as `kprules check` would read
    the file (a text over the size limit is refused with the same KP102)."""
    name = display_name(path)
    try:
        if text is None:
            source = read_source(path, name)
        else:
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > MAX_BYTES:
                return Parsed(text, None, None, (too_large(name, f"{size:,} bytes", MAX_BYTES),))
            source = Source(name, text)
    except SourceError as err:
        return Parsed(None, err.source, None, err.diagnostics)
    try:
        return Parsed(source.text, source, parse(source), ())
    except PolicyError as err:
        return Parsed(source.text, source, None, err.diagnostics)


def _needs(module: n.Module) -> list[str]:
    """The modules a module names in `reads` and `amends`, in that order."""
    if isinstance(module, n.FactsModule):
        return []
    return [ref.name for ref in (module.reads, module.amends) if ref is not None]


def _resolve_nearby(ws: Workspace, find: Callable[[str, Path], Path | None]) -> None:
    """Add the modules that the workspace's modules need and lack, found as the loader finds
    them (kprules.syntax.loader.find_module), until nothing more is found."""
    tried: set[str] = set()
    while True:
        wanted: dict[str, Path] = {}
        for name, module in ws.modules.items():
            for ref in _needs(module):
                if ref not in ws.modules and ref not in tried and name in ws.paths:
                    wanted.setdefault(ref, ws.paths[name])
        if not wanted:
            return
        for ref, needed_by in wanted.items():
            tried.add(ref)
            found = find(ref, needed_by.parent)
            if found is not None:
                ws.add_file(found)


def module_map(project: Project, analysis: Analysis | None) -> Mapping[str, n.Module]:
    """The modules a file's names resolve against: those of its last check (what it reads and
    amends, as the checker saw them), then every other known module."""
    out = {name: m for name, (_, m) in project.modules().items()}
    if analysis is not None:
        out.update(analysis.workspace.modules)
    return out


def _seeds_of(folder: Path) -> Mapping[str, Seed]:
    try:
        found = seed_folders([folder])
    except PolicyError:  # a malformed project file: its own check says so
        found = [bundled().seeds]
    nearest = find_seeds_folder(folder) if find_project_file(folder) is None else None
    if nearest is not None:  # no project file: the nearest seeds/ folder first
        found = list(dict.fromkeys([nearest, *found]))
    return merge_seeds(found, seed_home(found))
