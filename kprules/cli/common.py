"""Helpers shared by the commands: reading and checking policies, printing diagnostics,
colour only on a terminal, and atomic file writes."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kprules.core.diagnostics import PolicyError
from kprules.core.files import SourceError

if TYPE_CHECKING:
    from kprules.checker import CheckResult
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.source import Source
    from kprules.syntax.loader import Workspace

FORMATS = ("text", "gnu", "json")
_HEAD = re.compile(r"^(error|warning|internal error)(\[KP\d+\])", re.M)


def colour_enabled(stream: object = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def colourize(text: str) -> str:
    def paint(m: re.Match[str]) -> str:
        colour = "yellow" if m.group(1) == "warning" else "red"
        return click.style(m.group(1) + m.group(2), fg=colour, bold=True)

    return _HEAD.sub(paint, text)


def emit(text: str, err: bool = False) -> None:
    """Print text, coloured when the stream is a terminal."""
    from kprules.core.escape import terminal

    stream = sys.stderr if err else sys.stdout
    text = terminal(text)  # a case title must not clear the screen (issue 14)
    click.echo(colourize(text) if colour_enabled(stream) else text, nl=False, err=err)


def print_diagnostics(diags: Sequence[Diagnostic], sources: Mapping[str, Source], fmt: str,
                      err: bool = False) -> None:
    from kprules.core.render import render_all

    if fmt == "json" or diags:
        emit(render_all(diags, sources, fmt), err=err)


def load_and_check(paths: Sequence[Path], seeds: Sequence[Path] | Path | None = None,
                   use_seeds: bool = True, folders: Sequence[Path] = ()
                   ) -> tuple[Workspace, CheckResult]:
    """Read the policies (and the bases and vocabularies they need, from the project's policy
    folders and the bundled library), and check them with the seeds: those given, the
    project's and the bundled library's, merged."""
    from kprules.checker import check
    from kprules.syntax.loader import load
    from kprules.syntax.project import projects, seed_folders, seed_home
    from kprules.syntax.seeds import merge_seeds

    ws = load(paths, folders=folders)
    try:
        projects([Path.cwd(), *paths])
        found = seed_folders([Path.cwd(), *paths], _listed(seeds))
        merged = merge_seeds(found, seed_home(found)) if use_seeds else None
    except PolicyError as err:  # a malformed project file
        ws.diagnostics.extend(err.diagnostics)
        if isinstance(err, SourceError) and err.source is not None:
            ws.sources[err.source.name] = err.source
        merged = None
    return ws, check(ws, merged)


def _listed(seeds: Sequence[Path] | Path | None) -> list[Path]:
    return [seeds] if isinstance(seeds, Path) else list(seeds or ())
