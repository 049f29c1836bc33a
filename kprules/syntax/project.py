"""Where policies, seeds and cases are looked for: the project file and the bundled library.

A project file, `kprules.toml`, names the folders of a project, relative to itself:

    policies = ["policies"]      # where the bases and vocabularies a file needs are looked for
    seeds = ["seeds"]            # source documents citations name (any number, merged)
    cases = ["cases"]            # the case files `kprules test` runs when given none

It is found upward from a starting folder (the working folder, or the folder of a file): the
first `kprules.toml` met is the project, and nothing above or beside it is read. Without one,
only the paths given are read, plus the bundled Kimberley library, which is always available by
name: its policies (`kpcs_2003`, the proposals, readings and restrictions), cases and seeds
ship inside the wheel (`kprules/_library`, hatch's force-include) and are read from the
checkout's `policies/` and `seeds/` when running from a source tree.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from kprules.core.diagnostics import Diagnostic
from kprules.core.files import SourceError, display_name
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source

PROJECT_FILE = "kprules.toml"
_KEYS = ("policies", "seeds", "cases")


@frozen(repr=False)
class Project(SharedRepr):
    """A project file and the folders it names (absolute, in the order written)."""

    file: Path
    policies: tuple[Path, ...] = ()
    seeds: tuple[Path, ...] = ()
    cases: tuple[Path, ...] = ()


@frozen(repr=False)
class Library(SharedRepr):
    """The bundled library's folders: policies (with cases/ and data/ inside) and seeds."""

    policies: Path
    seeds: Path

    @property
    def cases(self) -> Path:
        return self.policies / "cases"


def bundled() -> Library:
    """The bundled Kimberley library: the installed package's copy, else the checkout's."""
    packaged = Path(str(importlib.resources.files("kprules").joinpath("_library")))
    root = packaged if (packaged / "policies").is_dir() else Path(__file__).resolve().parents[2]
    return Library(root / "policies", root / "seeds")


def find_project_file(start: Path) -> Path | None:
    """The first `kprules.toml` at or above `start` (a folder or a file), else None."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate / PROJECT_FILE
    return None


def find_project(start: Path) -> Project | None:
    """The project at or above `start`; a malformed project file raises SourceError (KP105)."""
    file = find_project_file(start)
    return read_project(file) if file is not None else None


def read_project(file: Path) -> Project:
    """A project file's folders; KP105 (a `SourceError`, located when it can be) if malformed."""
    import tomllib  # here: most runs have no project file (3 ms of the start otherwise)

    from kprules.core.files import display_name, read_source

    source = read_source(file, display_name(file))
    try:
        data = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as err:
        where = re.search(r"line (\d+), column (\d+)", str(err))
        at = _offset(source, int(where[1]), int(where[2])) if where else 0
        raise _bad(source, at, f"is not valid TOML: {str(err).split(' (at')[0]}") from None
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise _bad(source, _key_at(source, unknown[0]), f"has an unknown key `{unknown[0]}`")
    folders: dict[str, tuple[Path, ...]] = {}
    for key in _KEYS:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(source, _key_at(source, key), f"`{key}` must be a list of folders")
        for written in value:
            if "\0" in written:  # no folder has such a name
                raise _bad(source, _key_at(source, key), f"lists {_shown(written)} in `{key}`, "
                           "which cannot name a folder")
        folders[key] = tuple((file.parent / v).resolve() for v in value)
        for written, folder in zip(value, folders[key], strict=True):
            if folder.exists() and not folder.is_dir():  # a folder yet to be made reads empty
                at = _value_at(source, key, written)
                raise _bad(source, at, f"lists `{written}` in `{key}`, which is a file, not a "
                           "folder", at + len(written) + 2 if at != _key_at(source, key) else None)
    return Project(file.resolve(), **folders)


def _shown(value: str) -> str:
    """A listed value as a TOML string, control characters escaped."""
    import json

    return json.dumps(value)


def _value_at(source: Source, key: str, value: str) -> int:
    """Where `value` is written after `key =` (the key itself when it cannot be found)."""
    at = _key_at(source, key)
    for quote in ('"', "'"):
        found = source.text.find(f"{quote}{value}{quote}", at)
        if found >= 0:
            return found
    return at


def _offset(source: Source, line: int, column: int) -> int:
    lines = source.text.splitlines(keepends=True)
    return min(sum(len(x) for x in lines[: line - 1]) + column - 1, len(source.text))


def _key_at(source: Source, key: str) -> int:
    """Where `key` is written: bare or quoted before `=` (`key =`, `"key" =`), or as a table
    (`[key]`, `[key.sub]`, `[[key]]`); the start of the file when it cannot be found."""
    name = re.escape(key)
    found = re.search(rf"^[ \t]*(?:{name}|\"{name}\"|'{name}')[ \t]*[=.]"
                      rf"|^[ \t]*\[\[?[ \t]*(?:{name}|\"{name}\"|'{name}')[ \t]*[\].]",
                      source.text, re.M)
    return found.start() + len(found[0]) - len(found[0].lstrip()) if found else 0


def _bad(source: Source, at: int, problem: str, end: int | None = None) -> SourceError:
    """KP105 at `at`, underlined to `end` (else to the end of its line)."""
    if end is None:
        line_end = source.text.find("\n", at)
        end = line_end if line_end >= 0 else len(source.text)
    span = source.span(at, max(at + 1, end))
    return SourceError([Diagnostic(
        "KP105", f"the project file `{source.name}` {problem}", span,
        hint="a project file lists folders: policies = [\"policies\"], seeds = [\"seeds\"], "
        "cases = [\"cases\"]")], source)


def projects(starts: Sequence[Path]) -> list[Project]:
    """The distinct projects found upward from each start, in order."""
    found: dict[Path, Project] = {}
    for start in starts:
        project = find_project(start)
        if project is not None:
            found.setdefault(project.file, project)
    return list(found.values())


def policy_folders(starts: Sequence[Path]) -> list[Path]:
    """Where a module that is needed but not given is looked for: the policy folders of the
    projects found upward from `starts`, then the bundled library."""
    folders = [f for p in projects(starts) for f in p.policies]
    return list(dict.fromkeys([*folders, bundled().policies]))


def seed_folders(starts: Sequence[Path], given: Sequence[Path] = ()) -> list[Path]:
    """The seeds folders, merged in this order: those given, the projects', the bundled one."""
    folders = [*(g.resolve() for g in given), *(f for p in projects(starts) for f in p.seeds)]
    return list(dict.fromkeys([*folders, bundled().seeds]))


def seed_home(folders: Sequence[Path]) -> Path | None:
    """Where a hint tells a drafter to add a seed: the first seeds folder (given, or the
    project's), whether it exists yet or not; the bundled library's only when it is under the
    working folder (a checkout of kprules), not inside an installed package."""
    first = folders[0] if folders else None
    if first is None or (first == bundled().seeds and Path(display_name(first)).is_absolute()):
        return None
    return first


def is_bundled(path: Path) -> bool:
    """Whether a file belongs to the bundled library."""
    return path.resolve().is_relative_to(bundled().policies.resolve())
