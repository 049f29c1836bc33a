"""The state of reading one case file: its diagnostics as they are found (`CaseFile`), what
every case of a reading shares (`ReadContext`: the checked policies, where nearby policies
are), and one level of a case's keys (`Layer`: a family's part, or the case's own).

Stage: shared by kprules.cases.files (a file's structure, a case's header) and
kprules.cases.case_checks (its facts and expectations). A `CaseFile` collects; nothing here
reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import define, field, frozen

from kprules.cases.toml_locate import KeyPath, Place
from kprules.cases.values import found
from kprules.checker import CheckResult
from kprules.core.diagnostics import Diagnostic, Related
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span
from kprules.syntax.search import find_module


@define(repr=False)
class CaseFile(SharedRepr):
    """The diagnostics of one case file as they are found, and the places to attach them to."""

    source: Source
    path: Path | None
    places: dict[KeyPath, Place] = field(factory=dict)
    diagnostics: list[Diagnostic] = field(factory=list)
    reported: int = 0  # problems found, counting those a family's keys give every case
    ids: list[tuple[str, Span]] = field(factory=list)  # every case id, valid case or not
    seen: set[Diagnostic] = field(factory=set)  # the diagnostics above, for a linear check

    def where(self, path: KeyPath, value: bool = False) -> Span:
        """The span of a key (or of its value), else of the nearest enclosing key, else the
        file's first line."""
        for n in range(len(path), 0, -1):
            place = self.places.get(path[:n])
            if place is not None:
                return place.value if value and n == len(path) else place.key
        return self.source.span(0, 0)

    def error(self, code: str, message: str, path: KeyPath, *, value: bool = False,
              hint: str | None = None, related: tuple[Related, ...] = ()) -> None:
        self.reported += 1
        diag = Diagnostic(code, message, self.where(path, value), hint=hint, related=related)
        if diag not in self.seen:  # a family's problem is found once per case
            self.seen.add(diag)
            self.diagnostics.append(diag)


@frozen(repr=False)
class ReadContext(SharedRepr):
    result: CheckResult
    allow_unloaded: bool
    declared: dict[tuple[str, Path], Path | None]  # where nearby policies are (searched once)

    def find(self, name: str, f: CaseFile) -> Path | None:
        """The `.kpr` file near a case file that declares the policy `name`, if any."""
        if f.path is None:
            return None
        key = (name, f.path.parent)
        if key not in self.declared:
            self.declared[key] = find_module(name, f.path.parent)
        return self.declared[key]


@frozen(repr=False)
class Layer(SharedRepr):
    """One level of a case's keys: the family's part, or the case's own."""

    table: Mapping[str, Any]
    path: KeyPath


def table_of(layer: Layer, key: str, f: CaseFile) -> Mapping[str, Any]:
    table = layer.table.get(key, {})
    if isinstance(table, dict):
        return table
    f.error("KP404", f"`{key}` must be a table, found {found(table)}", (*layer.path, key),
            value=True, hint=f"write [{key}] on its own line (or `{key} = {{ ... }}` in a "
            "[[case]]), then one `name = value` per entry")
    return {}
