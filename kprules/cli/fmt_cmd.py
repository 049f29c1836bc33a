"""`kprules fmt`: rewrite policies and vocabularies in canonical form (see kprules.syntax.pretty).

A file is rewritten only when it parses, when its canonical text differs, and when that text has
been verified: it parses again to an equal module (same nodes, same literal values), it holds the
same comments in the same order, and formatting it again changes nothing. A failed verification
is a bug in kprules: the file is left as it was and the command exits 3. Writes are atomic (a
temporary file renamed over the original, with the original's permissions).
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from attrs import define

from kprules.cli.common import emit
from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.files import OutputError, display_name, read_source, write_atomic
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source
from kprules.core.wording import plural
from kprules.syntax.canonical import FormatBug, canonical_text
from kprules.syntax.loader import expand

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def unified_diff(old: str, new: str, name: str) -> str:
    """A unified diff between two texts of the file `name`."""
    def lines(text: str) -> list[str]:
        return [x if x.endswith("\n") else x + "\n" for x in _LINE.findall(text)]

    return "".join(difflib.unified_diff(lines(old), lines(new), fromfile=name, tofile=name))


@define(repr=False)
class _Tally(SharedRepr):
    changed: list[str]
    unchanged: int = 0
    failed: int = 0
    bugs: int = 0


def _report(diags: Sequence[Diagnostic], sources: dict[str, Source]) -> None:
    from kprules.core.render import render_all

    emit(render_all(diags, sources, "text"), err=True)


def _bug(name: str, why: str) -> None:
    emit(f"internal error[KP900]: cannot format `{name}`: {why}\n"
         f"  = this is a bug in kprules; `{name}` is left unchanged (please report it with the "
         "file)\n", err=True)


def _format_file(path: Path, check_only: bool, show_diff: bool, tally: _Tally) -> None:
    name = display_name(path)
    try:
        source = read_source(path, name)
    except PolicyError as err:  # a SourceError's text shows where (a byte not UTF-8, a NUL)
        read = getattr(err, "source", None)
        _report(err.diagnostics, {read.name: read} if read is not None else {})
        tally.failed += 1
        return
    try:
        text = canonical_text(source)
    except PolicyError as err:
        _report(err.diagnostics, {name: source})
        tally.failed += 1
        return
    except FormatBug as err:
        _bug(name, str(err))
        tally.bugs += 1
        return
    if text == source.text:
        tally.unchanged += 1
        return
    tally.changed.append(name)
    if show_diff:
        click.echo(unified_diff(source.text, text, name), nl=False)
    if check_only or show_diff:
        return
    try:
        write_atomic(path, text, sources=True)
    except OutputError as err:
        _report([Diagnostic("KP100", str(err), None)], {})
        tally.changed.pop()
        tally.failed += 1
    except OSError as err:
        _report([Diagnostic("KP100", f"cannot write `{name}`: {err.strerror}", None)], {})
        tally.changed.pop()
        tally.failed += 1


def _summary(tally: _Tally, check_only: bool, show_diff: bool) -> str:
    files = len(tally.changed) + tally.unchanged + tally.failed + tally.bugs
    verb = "would be reformatted" if check_only or show_diff else "reformatted"
    parts = [f"{len(tally.changed)} {verb}", f"{tally.unchanged} already canonical"]
    if tally.failed:
        parts.append(f"{tally.failed} with errors (left unchanged)")
    if tally.bugs:
        parts.append(f"{tally.bugs} not formatted because of a bug")
    return f"{plural(files, 'file')}: {', '.join(parts)}\n"


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; list the files that are not in canonical form and exit 1 "
              "if there are any.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print what would change as a unified diff.")
def fmt_command(paths: tuple[Path, ...], check_only: bool, show_diff: bool) -> None:
    """Rewrite `.kpr` files in canonical form.

    PATHS are `.kpr` files or folders (searched recursively). The canonical form: 2-space
    indentation, lines of at most 100 characters where possible, the header lines in the order
    status, in force, reads, amends, one blank line between items, long conditions broken at
    `and`/`or` with the operator leading, long quotations wrapped, and the fewest parentheses.
    Comments are kept, in order: a comment stays above the construct it precedes or at the end of
    the line it ends; one inside a multi-line expression moves above that expression's line.

    A file that does not parse is reported and left untouched. A file is rewritten only if its
    canonical text differs, and only after checking that the new text means the same (it parses
    to the same policy) and keeps every comment; the rewrite is atomic.

    \b
    Examples:
      kprules fmt policies/             rewrite every policy under policies/
      kprules fmt --check policies/     in CI: fail if a file is not canonical
      kprules fmt --diff policy.kpr     show what would change

    Exit status: 0 when all went well (with --check: when every file is canonical); 1 when a file
    does not parse or cannot be read or written, or (with --check) when a file would change;
    3 when kprules found a bug in its own formatting (the file is left unchanged).
    """
    files, problems = expand(list(paths))
    if problems:
        _report(problems, {})
    tally = _Tally(changed=[])
    for path in files:
        _format_file(path, check_only, show_diff, tally)
    if check_only and not show_diff:
        for name in tally.changed:
            click.echo(name)
    if not check_only and not show_diff:
        for name in tally.changed:
            click.echo(f"formatted {name}")
    emit(_summary(tally, check_only, show_diff), err=True)
    if tally.bugs:
        sys.exit(3)
    if problems or tally.failed or (check_only and tally.changed):
        sys.exit(1)
