"""`kprules check`: read and check policies, print every diagnostic."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kprules.cli.check_inputs import MAX_BAD_RECORDS, check_case_files, check_data_files
from kprules.cli.common import FORMATS, emit, load_and_check, print_diagnostics
from kprules.cli.inputs import (
    max_nodes_option,
    modules_read,
    note_origins,
    policies_option,
    seeds_options,
)
from kprules.core.wording import plural

if TYPE_CHECKING:
    from kprules.api import Library
    from kprules.checker import CheckResult
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.source import Source
    from kprules.syntax.loader import Workspace


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: source lines with the problem underlined; gnu: file:line:col "
              "one-liners; json: machine-readable.")
@seeds_options
@policies_option
@click.option("--prove", is_flag=True, help="Also prove each `assert`, or print a counterexample "
              "as a case file (docs/symbolic.md).")
@click.option("--decisions", is_flag=True, help="Also analyse each decision: where only the "
              "default applies, rules with different outcomes that can both apply, rules that "
              "never apply; each with a witness (docs/symbolic.md).")
@max_nodes_option
@click.option("-q", "--quiet", is_flag=True,
              help="Data files: no progress line (records read, rate, share done and time left; "
              "drawn on standard error when it is a terminal, after a second).")
def check_command(paths: tuple[Path, ...], strict: bool, fmt: str, seeds_dir: tuple[Path, ...],
                  no_seeds: bool, policy_dirs: tuple[Path, ...], prove: bool,
                  decisions: bool, max_nodes: int, quiet: bool) -> None:
    """Check policies and vocabularies: syntax, names, types, amendments, citations.

    PATHS are `.kpr` files or folders (searched recursively). A vocabulary or base policy that a
    file needs but that is not given is looked for in the --policies folders, the project's
    policy folders (`kprules.toml`) and the bundled library, and noted with the file it came
    from (docs/cli.md). Case files (`.toml`) are validated against the policies given, else
    those their expectations name (from the project or the bundled library); data files
    (`.jsonl`, `.ndjson`, `.csv`, `.parquet`) record by record against the vocabulary of the
    policies given. Every problem is reported with its code (see
    docs/diagnostics.md), file:line:col, the text underlined and a hint.

    Exit status: 0 when there are no errors (and, with --strict, no warnings, and with --prove,
    every assertion proved); 1 otherwise.
    """
    from kprules.cli.check_inputs import is_case_file, is_data_file

    cases = [p for p in paths if is_case_file(p)]
    data = [p for p in paths if is_data_file(p)]
    policies = [p for p in paths if p not in cases and p not in data]
    diagnostics: list[Diagnostic] = []
    sources: dict[str, Source] = {}
    library = None
    read: list[dict[str, object]] = []
    if policies:
        ws, result = load_and_check(policies, seeds_dir, use_seeds=not no_seeds,
                                    folders=policy_dirs)
        diagnostics.extend(result.diagnostics)
        sources.update(ws.sources)
        library = _library(ws, result)
        read = modules_read(ws)
    files = len(sources)
    hidden: dict[str, int] = {}  # invalid records not shown, per data file
    for paths_of, check in ((cases, check_case_files),
                            (data, partial(check_data_files, quiet=quiet))):
        if paths_of:
            found, more, n, unshown = check(paths_of, library)
            diagnostics.extend(found)
            sources.update(more)
            files += n
            hidden.update(unshown)
    if fmt == "json":
        _print_json(diagnostics, sources, read, hidden)
    else:
        print_diagnostics(diagnostics, sources, fmt)
    errors = sum(1 for d in diagnostics if d.is_error) + sum(hidden.values())
    warnings = len(diagnostics) - sum(1 for d in diagnostics if d.is_error)
    if fmt == "text":
        for name, n in hidden.items():
            emit(f"... and {plural(n, 'more invalid record')} in {name} (the first "
                 f"{MAX_BAD_RECORDS} of a data file are shown)\n", err=True)
        note_origins(read)
        emit(f"checked {plural(files, 'file')}: {plural(errors, 'error')}, "
             f"{plural(warnings, 'warning')}\n", err=True)
    if errors or (strict and warnings):
        sys.exit(1)
    if decisions and library is not None:
        from kprules.cli.prove_out import report_decisions

        report_decisions(library.result, max_nodes)
    if prove and library is not None:
        from kprules.cli.prove_out import report_proofs

        if report_proofs(library.result, max_nodes):
            sys.exit(1)


def _library(ws: Workspace, result: CheckResult) -> Library | None:
    """The checked policies, to validate case and data files against (None with errors)."""
    from kprules.api import Library

    return Library(ws, result) if result.ok else None


def _print_json(diagnostics: list[Diagnostic], sources: dict[str, Source],
                read: list[dict[str, object]], hidden: dict[str, int]) -> None:
    """The JSON diagnostics document, with `modules`: where each policy came from, and
    `invalid_records_not_shown`: per data file, the invalid records beyond those reported."""
    import json

    from kprules.core.render import render_json

    doc = json.loads(render_json(diagnostics, sources))
    doc["modules"] = read
    if hidden:
        doc["invalid_records_not_shown"] = hidden
    emit(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
