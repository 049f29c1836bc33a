"""Read and parse kprules files into a workspace (the front end's only reader of files).

Input: paths (files or folders) as a user gives them. Output: a `Workspace`: the sources by name,
the parsed modules by module name, and the diagnostics of reading and parsing every file (all
files are read, so all their syntax errors are reported together).

A module that a given file `reads` or `amends` but that is not among the given files is looked for
in the policy folders of the project (`kprules.toml`, see kprules.syntax.project: found upward
from the working folder and from the folder of the file that needs it, never beside it), then in
the bundled Kimberley library; never in other folders. The search reads only the header of each
candidate file, so broken files elsewhere do not matter, and it is bounded (see
kprules.syntax.search.find_module).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from attrs import define, field

from kprules.core.diagnostics import Diagnostic, PolicyError, Related
from kprules.core.files import (
    MAX_BYTES,
    SourceError,
    display_name,
    expand_paths,
    read_source,
    too_large,
)
from kprules.core.limits import MAX_FILES
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source
from kprules.syntax import nodes as n
from kprules.syntax.invisible import invisible_characters
from kprules.syntax.parse import parse
from kprules.syntax.search import EXTENSION, find_in, find_module


def expand(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Files as given, and every `*.kpr` file under each folder, in a stable order."""
    return expand_paths(paths, EXTENSION, _no_policy_files, resolve=True)


def _no_policy_files(name: str) -> Diagnostic:
    return Diagnostic("KP104", f"`{name}` holds no `{EXTENSION}` files", None)


@define(repr=False)
class Workspace(SharedRepr):
    """Everything read: sources by display name, modules by module name, and diagnostics."""

    sources: dict[str, Source] = field(factory=dict)
    modules: dict[str, n.Module] = field(factory=dict)
    paths: dict[str, Path] = field(factory=dict)
    given: list[str] = field(factory=list)
    diagnostics: list[Diagnostic] = field(factory=list)
    # each module found by searching: (its name, the folder the search started from, the
    # file found), in the order found (kprules.cli.plan_cache asks the search again)
    searched: list[tuple[str, Path, Path]] = field(factory=list)

    def add_file(self, path: Path) -> n.Module | None:
        name = display_name(path)
        if name in self.sources:
            return None
        try:
            source = read_source(path, name)
            self.sources[name] = source
            module = parse(source)
        except PolicyError as err:
            if isinstance(err, SourceError) and err.source is not None:
                self.sources[name] = err.source
            self.diagnostics.extend(err.diagnostics)
            return None
        self.diagnostics.extend(invisible_characters(source))
        self._add_module(module, path)
        return module

    def add_source(self, source: Source) -> n.Module | None:
        self.sources[source.name] = source
        try:
            if len(source.text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
                raise PolicyError([too_large(source.name, "more than "
                                              f"{MAX_BYTES:,} bytes", MAX_BYTES)])
            module = parse(source)
        except PolicyError as err:
            self.diagnostics.extend(err.diagnostics)
            return None
        self.diagnostics.extend(invisible_characters(source))
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


def load(paths: Sequence[Path], *, search: bool = True, folders: Sequence[Path] = ()
         ) -> Workspace:
    """Read and parse the given files and folders, then the modules they need: from `folders`
    (the --policies options), the project's policy folders, then the bundled library."""
    ws = Workspace()
    files, problems = expand(paths)
    ws.diagnostics.extend(problems)
    if len(files) > MAX_FILES:
        ws.diagnostics.append(Diagnostic(
            "KP191", f"{len(files):,} policy files to read; the limit is {MAX_FILES:,}", None,
            hint="check fewer folders at once (docs/limits.md)"))
        return ws
    for path in files:
        module = ws.add_file(path)
        if module is not None:
            ws.given.append(module.name)
    if search:
        _resolve_nearby(ws, folders)
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


def _resolve_nearby(ws: Workspace, folders: Sequence[Path] = ()) -> None:
    tried: set[str] = set()
    while True:
        wanted = {k: v for k, v in _wanted(ws).items() if k not in tried}
        if not wanted:
            return
        for name, needed_by in wanted.items():
            tried.add(name)
            if len(ws.paths) >= MAX_FILES:
                return
            found = find_in(name, folders) or find_module(name, needed_by.parent)
            if found is not None:
                ws.searched.append((name, needed_by.parent, found))
                ws.add_file(found)
