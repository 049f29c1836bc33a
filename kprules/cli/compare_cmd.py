"""`kprules compare`: a base policy against others, over cases; a report of what changes and why.

Effects only: resolve the policy arguments (names, files, folders), read the cases (a case
library in TOML, or a JSON Lines / CSV / Parquet data file, streamed), and write the report
(kprules.report) to standard output or atomically to `--output`. Errors are one line each
(KP6xx, or the diagnostics of the policies, cases or data), with a non-zero exit and no output
file left behind.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from kprules.cli.common import colour_enabled, emit, print_diagnostics
from kprules.cli.inputs import (
    CASES,
    DATE,
    Stop,
    check_case_path,
    fail,
    no_case_files,
    one_data_file,
    resolve,
)
from kprules.core.wording import plural

if TYPE_CHECKING:
    from kprules.compare import CaseInput, Comparison
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.source import Source
    from kprules.report import CaseSource, ReportOptions
    from kprules.report.model import Detail, Matrix

# The --format choices: the keys of kprules.report.WRITERS (tests/compare checks they agree).
FORMAT_NAMES = ("text", "md", "json", "jsonl", "junit", "html")
BULK_EXPLAIN = 10  # explanations per transition over bulk data, by default


@click.command("compare")
@click.argument("base")
@click.argument("others", nargs=-1, required=True)
@click.option("--cases", "case_paths", required=True, multiple=True, type=CASES,
              metavar="PATH", help="A case file or folder (TOML; repeatable, merged: "
              "`--cases @library --cases cases/`), or one data file (.jsonl, .csv, .parquet).")
@click.option("--as-of", "as_of", type=DATE, metavar="DATE",
              help="The evaluation date of the cases that give none (no `date` key, no "
              "dated-by fact).")
@click.option("--term", "terms", multiple=True, metavar="NAME",
              help="A term to compare (repeatable) [default: the terms an amendment changes, "
              "and those that depend on them].")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="text: for a terminal; md: Markdown; json: one document "
              "(docs/report-schema.md); jsonl: JSON Lines, written as a stream; junit: JUnit "
              "XML; html: one self-contained page.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Write the report to this file (atomically) instead of standard output.")
@click.option("--fail-on-difference", is_flag=True,
              help="Exit with status 1 when any case differs (JUnit: differences are failures).")
@click.option("--policies", "policy_dirs", multiple=True,
              type=click.Path(path_type=Path), metavar="PATH",
              help="Where to find the policies named (repeatable) [default: the folders of the "
              "policy files given, else `policies/`].")
@click.option("--explain", "explain_limit", type=click.IntRange(min=0), metavar="N",
              help="Explain at most N cases of each transition [default: all for case files, "
              f"{BULK_EXPLAIN} for data files].")
@click.option("--engine", type=click.Choice(["auto", "python", "duckdb"]), default="auto",
              show_default=True, help="Data files: duckdb computes the bulk summary in SQL "
              "(records and measures per transition; text or json) instead of the full report; "
              "python writes the full report; auto: duckdb for a data file of 8 MiB or more "
              "in text or json when DuckDB is installed, else python.")
@click.option("--group-by", "group_by", multiple=True, metavar="FACT[:year|:month]",
              help="Break the SQL summary down by this fact, or by the year or month of a date "
              "fact (shipment_date:year); repeatable. Under --engine auto it takes the SQL "
              "summary whatever the file's size.")
@click.option("--matrix", type=click.Choice(["all", "differences", "none"]),
              help="Rows of the outcome matrix [default: all for case files, differences for "
              "data files; none in the text report's summary].")
@click.option("--detail", type=click.Choice(["summary", "all"]), default="summary",
              show_default=True, help="The text report: the summary (per policy, the "
              "transitions, their provisions and the cases they move), or all (also the outcome "
              "matrix and every difference explained).")
@click.option("--list", "listed", type=click.IntRange(min=0), default=10, show_default=True,
              metavar="N", help="Cases listed under each transition (0: all).")
@click.option("--no-symbolic", "no_symbolic", is_flag=True,
              help="Leave out the symbolic difference (each policy's verdict and the regions "
              "where it disagrees with BASE over every fact set, as `kprules diff` finds it).")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress line (cases or records read, rate, share done and time "
              "left; drawn on standard error when it is a terminal, after a second).")
def compare_command(base: str, others: tuple[str, ...], case_paths: tuple[Path, ...],
                    as_of: dt.date | None, terms: tuple[str, ...], fmt: str,
                    output: Path | None, fail_on_difference: bool,
                    policy_dirs: tuple[Path, ...], explain_limit: int | None,
                    matrix: str | None, detail: str, listed: int, no_symbolic: bool,
                    quiet: bool, engine: str, group_by: tuple[str, ...]) -> None:
    """Compare BASE with each OTHER policy over the same cases: what changes, and why.

    BASE and OTHER are policy names, `.kpr` files, or folders (every policy in it). The text
    report is a first screen: cases that differ per policy and term, each policy's verdict per
    term over every fact set (the symbolic difference, as `kprules diff` finds it; not with
    `--no-symbolic`), then per policy the
    verdict, the share of carats and value reclassified, and each provision that causes
    transitions (`false -> true, 4 cases`) with the cases it moves, one line each. `--detail all`
    adds the outcome of every case under every policy and each difference with the two
    explanations aligned where the texts part, quoting both (as the other formats do).

    Exit status: 0 done; 1 differences (with --fail-on-difference), or errors in the policies,
    cases, data or output; 2 usage errors (an unknown policy or term, policies over different
    vocabularies).
    """
    from kprules.compare import CompareError, Comparison
    from kprules.report import ReportOptions

    try:
        library, base_name, other_names = resolve(base, others, policy_dirs)
        comparison = Comparison(library, base_name, other_names, terms or None, as_of)
    except CompareError as err:
        fail(err.code, str(err), 2)
    except Stop as err:
        fail(err.code, err.message, err.status)
    bulk = one_data_file(case_paths, "compared")
    for path in case_paths if not bulk else ():
        check_case_path(path)  # KP420 for notes.txt, as `eval` says, not its TOML errors
    cases_path = case_paths[0]
    if engine == "python" and group_by:
        raise click.UsageError("--group-by breaks down the summary in SQL: give it without "
                               "--engine python (or with --engine duckdb)")
    chosen = engine == "auto" and not group_by  # a full report will do if SQL cannot read
    if engine == "auto":
        engine = _auto_engine(cases_path, bulk, fmt)
    if engine == "duckdb" or group_by:
        sql_differing = _sql_summary(comparison, cases_path, bulk, fmt, output,
                                     list(group_by), quiet, chosen)
        if sql_differing is not None:
            if fail_on_difference and sql_differing:
                sys.exit(1)
            return
    summary = fmt == "text" and detail == "summary"
    options = ReportOptions(
        fail_on_difference, _matrix(matrix, bulk, summary),
        explain_limit if explain_limit is not None or not bulk else BULK_EXPLAIN,
        colour=fmt == "text" and output is None and colour_enabled(),
        detail=_detail(detail) if fmt == "text" else "all", listed=listed or None,
        symbolic=not no_symbolic)
    differing = _report(comparison, case_paths, bulk, fmt, output, options, quiet)
    if fail_on_difference and differing:
        sys.exit(1)


def _auto_engine(path: Path, bulk: bool, fmt: str) -> str:
    """`--engine auto`: the SQL summary for a big data file in a format it writes (a full
    report over millions of records would take minutes and explain only a few of them)."""
    from kprules.cli.eval_sql import choose_engine

    if not bulk or fmt not in ("text", "json"):
        return "python"
    return choose_engine("auto", path)


def _matrix(chosen: str | None, bulk: bool, summary: bool) -> Matrix:
    """The rows of the outcome matrix chosen (`--matrix`), else none in the text report's
    summary, all for case files and the differences for data files."""
    if chosen == "none" or (chosen is None and summary):
        return "none"
    if chosen == "all" or (chosen is None and not bulk):
        return "all"
    return "differences"


def _detail(chosen: str) -> Detail:
    return "summary" if chosen == "summary" else "all"


def _sql_summary(comparison: Comparison, cases_path: Path, bulk: bool, fmt: str,
                 output: Path | None, group_by: list[str], quiet: bool = False,
                 fallback: bool = False) -> int | None:
    """The bulk summary computed in SQL (kprules.cli.compare_sql); the records that differ.
    When DuckDB cannot read the file as a whole: KP100, or, with `fallback` (the engine was
    chosen by `--engine auto`), None with nothing written: the Python path's report then."""
    from kprules.cli.compare_sql import NoRecords, Refused
    from kprules.core.files import OutputError, atomic_output, display_name

    if not bulk or fmt not in ("text", "json"):
        raise click.UsageError("--engine duckdb (and --group-by) summarise a data file (.jsonl, "
                               ".csv, .parquet) as text or json")
    for group in group_by:
        _check_group(group, comparison)
    try:
        with atomic_output(output) as out:
            text, differing = _summarised(comparison, cases_path, group_by, fmt, quiet)
            out.write(text)
            return differing
    except OutputError as err:
        fail("KP604", str(err))
    except Refused as err:
        print_diagnostics(err.diagnostics, err.sources, "text", err=True)
        sys.exit(1)
    except NoRecords:
        fail("KP603", f"no records to compare in `{display_name(cases_path)}`")
    except Exception as err:  # DuckDB cannot read the file as a whole (ReadError included)
        if type(err).__module__.split(".")[0] not in ("duckdb", "_duckdb", "kprules"):
            raise
        if not fallback:
            _first_bad_record(comparison, cases_path)
            reason = (str(err).strip() or type(err).__name__).splitlines()[0]
            fail("KP100", f"cannot read `{display_name(cases_path)}` with DuckDB: {reason} "
                 "(--engine python reads it record by record)")
    if not quiet:
        print("duckdb cannot read the file as a whole; comparing record by record",
              file=sys.stderr)
    return None


def _first_bad_record(comparison: Comparison, path: Path) -> None:
    """When DuckDB cannot read a data file as a whole, the Python reader looks for what the
    Python path would report (the first bad record, a wrong header, no record): reported,
    exit 1. Returns when the Python reader reads the file (DuckDB alone cannot: KP100)."""
    from kprules.core.files import display_name

    try:
        empty = True
        for _ in _records(comparison, path):
            empty = False
    except _Diagnosed as err:
        print_diagnostics(err.diagnostics, err.sources, "text", err=True)
        sys.exit(1)
    if empty:
        fail("KP603", f"no records to compare in `{display_name(path)}`")


def _check_group(group: str, comparison: Comparison) -> None:
    """A usage error unless `group` is a fact, or `FACT:year` or `FACT:month` of a date fact."""
    from kprules.ir.types import DATE
    from kprules.sql.summary import DATE_PARTS, group_fact

    fact, part = group_fact(group)
    info = comparison.vocabulary.facts.get(fact)
    if info is None:
        raise click.UsageError(f"--group-by: the vocabulary has no fact `{fact}`")
    if part is not None and info.type != DATE:
        raise click.UsageError(f"--group-by `{group}`: `{fact}` is a {info.type} fact, not a "
                               "date; only a date fact has a year or a month")
    if part is not None and part not in DATE_PARTS:
        raise click.UsageError(f"--group-by `{group}`: a date fact is grouped by "
                               f"{' or '.join(f'`{fact}:{p}`' for p in DATE_PARTS)}")


def _summarised(comparison: Comparison, cases_path: Path, group_by: list[str], fmt: str,
                quiet: bool) -> tuple[str, int]:
    """The summary's text, and the records that differ; with the progress of DuckDB's
    statements, erased before the summary is written."""
    import io

    from kprules.cli.compare_sql import summary_in_sql
    from kprules.cli.progress import in_duckdb
    from kprules.core.files import display_name
    from kprules.sql.duck import connect

    name = display_name(cases_path)
    buffer = io.StringIO()
    with in_duckdb(f"comparing over {name}", quiet) as watch:
        differing = summary_in_sql(comparison, cases_path, name, group_by, fmt, buffer,
                                   watch.watch(connect()))
    return buffer.getvalue(), differing


def _report(comparison: Comparison, case_paths: Sequence[Path], bulk: bool, fmt: str,
            output: Path | None, options: ReportOptions, quiet: bool = False) -> int:
    """Write the report (with a progress line on a terminal); the number of cases that differ."""
    from kprules.cli.progress import measured
    from kprules.core.files import OutputError, atomic_output, display_name
    from kprules.core.progress import Progress, on_terminal
    from kprules.report import WRITERS, CaseSource, RowStream

    writer = WRITERS[fmt]
    source = CaseSource(", ".join(display_name(p) + ("/" if p.is_dir() else "")
                                  for p in case_paths), "bulk" if bulk else "library")
    # the text report is written once the cases are read (and the line erased); the other
    # formats may write as they go: no line over them on a terminal
    quiet = quiet or (output is None and fmt != "text" and on_terminal(sys.stdout))
    progress = Progress("compared", "records" if bulk else "cases", quiet=quiet)
    try:
        cases = _records(comparison, case_paths[0], measured(progress, case_paths[0])) if bulk \
            else iter(_library_cases(comparison, case_paths))
        with atomic_output(output, inputs=list(case_paths)) as out, progress:
            stream = RowStream(comparison, _nonempty(progress.over(cases), source), source,
                               options)
            writer(out, stream, options)
    except OutputError as err:
        fail("KP604", str(err))
    except Stop as err:
        fail(err.code, err.message, err.status)
    except _Diagnosed as err:
        print_diagnostics(err.diagnostics, err.sources, "text", err=True)
        sys.exit(1)
    return stream.summary.differing_cases


# ---------------------------------------------------------------------------- policies


# ---------------------------------------------------------------------------- cases


class _Diagnosed(Exception):
    """Diagnostics (of case files or data) to print before exiting with status 1."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: Mapping[str, Source]) -> None:
        super().__init__("diagnostics")
        self.diagnostics = diagnostics
        self.sources = sources


def _library_cases(comparison: Comparison, paths: Sequence[Path]) -> list[CaseInput]:
    """The cases of every case file and folder given, merged (read_suite: an id given twice
    is an error); KP603 for a folder that holds no case file."""
    from kprules.cases.files import read_suite
    from kprules.compare import from_case
    from kprules.core.files import display_name

    for path in paths:
        if no_case_files(path):
            raise Stop("KP603", f"no cases to compare in `{display_name(path)}/`: the folder "
                       "holds no case files (`*.toml`)")
    suite = read_suite(list(paths), comparison.library, allow_unloaded=True)
    if not suite.ok:
        raise _Diagnosed([d for d in suite.diagnostics if d.is_error], suite.sources)
    vocab = comparison.vocabulary.name
    cases = [from_case(c) for c in suite.cases if c.vocabulary == vocab]
    skipped = len(suite.cases) - len(cases)
    if skipped:
        emit(f"note: {plural(skipped, 'case')} of another vocabulary than "
             f"`{vocab}` left out\n", err=True)
    return cases


def _records(comparison: Comparison, path: Path,
             opened: Callable[[IO[bytes]], None] | None = None) -> Iterator[CaseInput]:
    from kprules.cases.bulk import BadRecord, DataError, data_format, read_data
    from kprules.cases.parquet import file_row_groups, record_place
    from kprules.compare import from_record
    from kprules.core.files import display_name

    name = display_name(path)
    place = record_place(name, lambda: file_row_groups(path)) \
        if data_format(path) == "parquet" else None
    try:
        records = read_data(path, comparison.vocabulary, name, opened)
        for record in records:
            if isinstance(record, BadRecord):
                raise _Diagnosed(record.diagnostics, record.sources)
            yield from_record(record, name, place)
    except DataError as err:
        raise _Diagnosed(err.diagnostics, err.sources) from None


def _nonempty(cases: Iterator[CaseInput], source: CaseSource) -> Iterator[CaseInput]:
    empty = True
    for case in cases:
        empty = False
        yield case
    if empty:
        what = "records" if source.kind == "bulk" else "cases"
        raise Stop("KP603", f"no {what} to compare in `{source.path}`")
