"""`kprules check`: read and check policies, print every diagnostic."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kprules.cli.common import FORMATS, emit, load_and_check, print_diagnostics
from kprules.core.wording import plural


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: source lines with the problem underlined; gnu: file:line:col "
              "one-liners; json: machine-readable.")
@click.option("--seeds", "seeds_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The folder of source documents citations name [default: the nearest "
              "`seeds/` folder above the first path].")
@click.option("--no-seeds", is_flag=True, help="Do not check citations against source documents.")
def check_command(paths: tuple[Path, ...], strict: bool, fmt: str, seeds_dir: Path | None,
                  no_seeds: bool) -> None:
    """Check policies and vocabularies: syntax, names, types, amendments, citations.

    PATHS are `.kpr` files or folders (searched recursively). A vocabulary or base policy that a
    file needs but that is not given is looked for in nearby folders. Every problem is reported
    with its code (see docs/diagnostics.md), file:line:col, the text underlined and a hint.

    Exit status: 0 when there are no errors (and, with --strict, no warnings); 1 otherwise.
    """
    ws, result = load_and_check(list(paths), seeds_dir, use_seeds=not no_seeds)
    print_diagnostics(result.diagnostics, ws.sources, fmt)
    errors = sum(1 for d in result.diagnostics if d.is_error)
    warnings = len(result.diagnostics) - errors
    if fmt == "text":
        files = len(ws.sources)
        emit(f"checked {plural(files, 'file')}: {plural(errors, 'error')}, "
             f"{plural(warnings, 'warning')}\n", err=True)
    if errors or (strict and warnings):
        sys.exit(1)
