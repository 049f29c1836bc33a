"""`kprules eval` over a data file: the stream through Python (`--engine python`), or DuckDB's
one pass (with a kept plan when there is one: kprules.cli.plan_cache) and robust path, or Spark
(kprules.cli.eval_sql); the output file judged and written whole; invalid records reported.

Effects only: reading, writing, reporting. Bulk data is read, evaluated and written one record
at a time on the Python path, so memory does not grow with the file.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
from attrs import frozen

from kprules.cli.common import emit
from kprules.cli.inputs import checked_output, fail, report
from kprules.core.files import OutputError, atomic_output, display_name
from kprules.core.shared_repr import SharedRepr
from kprules.core.wording import plural

if TYPE_CHECKING:
    from kprules.api import Library
    from kprules.cases.bulk import BadRecord, Record
    from kprules.cli.eval_sql import Prepared
    from kprules.cli.eval_write import Writer
    from kprules.cli.plan_cache import PlanKey
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.progress import Progress
    from kprules.core.source import Source
    from kprules.eval.evaluate import Evaluator
    from kprules.sql.progress import QueryProgress


@frozen(repr=False)
class StreamOptions(SharedRepr):
    as_of: dt.date | None
    skip_invalid: bool
    max_errors: int
    quiet: bool = False


@frozen(repr=False)
class Tally(SharedRepr):
    records: int
    invalid: int
    first_invalid: int | None
    stopped: bool


def eval_stream(items: Iterable[Record | BadRecord], ev: Evaluator, writer: Writer,
                options: StreamOptions, lib: Library, file: str,
                progress: Progress | None = None,
                where: Callable[[int], str] | None = None) -> Tally:
    """Evaluate records as they are read, writing each result at once; report bad records
    (unless skipped; the progress line erased first) and stop after `max_errors` of them.
    `where`: where record N is, for a record without a line (Parquet: its row group and row);
    else `of FILE`."""
    from kprules.cases.bulk import BadRecord
    from kprules.cli.eval_write import Item, located, run

    records = invalid = 0
    first: int | None = None
    writer.start()
    dated_by = ev.vocabulary.dated_by
    for item in items:
        records += 1
        sources: Mapping[str, Source]
        if isinstance(item, BadRecord):
            problems, sources = item.diagnostics, item.sources
        else:
            date = item.facts.get(dated_by, options.as_of) if dated_by else options.as_of
            values = run(ev, item.facts, date)
            if isinstance(values, tuple):
                writer.item(Item(item.label, None, file, item.line, date, values, item.number,
                                 item.id))
                continue
            problems, sources = (located(values, _record(item, file, where)),), lib.sources
        invalid += 1
        first = item.number if first is None else first
        if options.skip_invalid:
            continue
        if progress is not None:
            progress.clear()
        emit("\n" if invalid > 1 else "", err=True)
        report(problems, sources)
        if invalid >= options.max_errors:
            writer.end()
            return Tally(records, invalid, first, True)
    writer.end()
    return Tally(records, invalid, first, False)


def _record(item: Record, file: str, where: Callable[[int], str] | None) -> str:
    """Where a record is, for its diagnostics: `record N (FILE:LINE)`, else with `where`."""
    if item.line:
        return f"record {item.number} ({file}:{item.line})"
    return f"record {item.number}" + (where(item.number) if where else f" of {file}")


def summary(tally: Tally, options: StreamOptions) -> None:
    from kprules.core.diagnostics import Diagnostic

    if tally.stopped:
        emit("\n", err=True)
        report([Diagnostic("KP425", f"stopped after {tally.invalid} invalid records", None,
                           hint="fix them, raise --max-errors, or pass --skip-invalid to "
                           "evaluate the valid records only")], {})
        return
    done = tally.records - tally.invalid
    line = f"evaluated {plural(done, 'record')}"
    if tally.invalid:
        word = "skipped" if options.skip_invalid else "not evaluated"
        line += (f"; {tally.invalid:,} invalid ({word}; the first is record "
                 f"{tally.first_invalid})")
    emit(line + "\n", err=True)


def bulk(path: Path, ev: Evaluator, fmt: str, options: StreamOptions, lib: Library,
         engine: str, output: Path | None, keep_as: PlanKey | None = None) -> int:
    from kprules.cases.bulk import data_format
    from kprules.cli.eval_sql import WrongHeader, choose_engine, one_pass, prepare

    if engine == "spark" and data_format(path) != "parquet":
        raise click.UsageError("--engine spark reads Parquet files (convert the data, or use "
                               "--engine duckdb)")
    chosen = choose_engine(engine, path)  # asks the file's size (auto): once
    wrong_header = False  # a header the Python path reports (and writes its output for)
    if chosen in ("duckdb", "spark"):
        optimistic = output is not None and fmt != "text"
        with _sql_progress(path, options, output, chosen) as watch:
            if output is not None and fmt != "text" and chosen == "duckdb":
                written = one_pass(path, ev, options.as_of, output, fmt, watch, keep_as,
                                   lib.workspace)
                if written is not None:  # every record valid: read, evaluated, written at once
                    summary(Tally(written, 0, None, False), options)
                    return 0
            try:
                prepared = prepare(path, ev, options.as_of, chosen, optimistic, watch)
            except WrongHeader:  # the Python path reports it, as --engine python does
                prepared, wrong_header = None, True
            if isinstance(prepared, int):
                return prepared
            if prepared is not None:
                status = _guarded(prepared, ev, fmt, options, lib, output, watch)
                if status is not None:
                    return status
        if engine != "auto" and path.is_file() and not wrong_header:
            emit(f"{engine} cannot read the file as a whole; reading it record by record\n",
                 err=True)
    if fmt == "parquet":
        assert output is not None, "eval_cmd asks for --output"
        return _bulk_parquet(path, ev, options, lib, output)
    if output is None:
        return _bulk_python(path, ev, fmt, options, lib, sys.stdout)
    with atomic_output(output, data=True) as out:
        return _bulk_python(path, ev, fmt, options, lib, out)


def writable(output: Path, inputs: Sequence[Path]) -> Path:
    """The file `--output` writes, as `inputs.checked_output` says; an existing data file that is
    not an input is replaced (the outputs are data files)."""
    return checked_output(output, inputs, data=True)


def plan_for(policies: Sequence[str], path: Path, output: Path | None, engine: str, fmt: str,
             as_of: dt.date | None, terms: Sequence[str], no_seeds: bool,
             seeds: Sequence[Path], folders: Sequence[Path]) -> PlanKey | None:
    """The key of the kept plan that may stand for this command (kprules.cli.plan_cache):
    a data file evaluated by DuckDB's one pass into `output`; else None."""
    from kprules.cli import eval_sql

    if output is None or not eval_sql.ONE_PASS or not path.is_file() or \
            eval_sql.choose_engine(engine, path) != "duckdb":
        return None
    from kprules.cli.plan_cache import plan_key

    return plan_key(policies, path, as_of, terms, fmt, no_seeds, seeds, folders)


def kept_run(name: str, path: Path, output: Path, options: StreamOptions,
             folders: Sequence[Path]) -> int | None:
    """The exit status of the one pass of the plan kept under `name`; None when there is
    none, or when it stops (nothing is written then, and the command goes on without it)."""
    from kprules.cli.eval_sql import run_plan
    from kprules.cli.plan_cache import kept

    plan = kept(name, folders)
    if plan is None:
        return None
    with _sql_progress(path, options, output, "duckdb") as watch:
        try:
            written = run_plan(plan, path, [], output, watch)
        except OutputError as err:
            fail("KP604", str(err))
    if written is None:
        return None
    summary(Tally(written, 0, None, False), options)
    return 0


def _sql_progress(path: Path, options: StreamOptions, output: Path | None,
                  engine: str) -> QueryProgress:
    """The progress of DuckDB's statements or Spark's jobs (none while the values go to a
    terminal: they show how far it is, and the line would mix with them)."""
    from kprules.cli.progress import in_duckdb
    from kprules.core.files import display_name
    from kprules.core.progress import on_terminal

    quiet = options.quiet or (output is None and on_terminal(sys.stdout))
    return in_duckdb(f"evaluating {display_name(path)}", quiet,
                     "Spark" if engine == "spark" else "DuckDB")


def _guarded(prepared: Prepared, ev: Evaluator, fmt: str, options: StreamOptions,
             lib: Library, output: Path | None, watch: QueryProgress | None = None,
             ) -> int | None:
    """The SQL engine's run; None when the engine fails before writing to standard output
    (a value SQL cannot hold, such as an integer beyond 64 bits): the Python path then runs."""
    from kprules.cli.eval_sql import engine_error
    from kprules.sql.files import ReadError

    try:
        return _bulk_duckdb(prepared, ev, fmt, options, lib, output, watch)
    except ReadError:  # a record Python accepts holds a value SQL cannot
        return None
    except Exception as err:  # the engines' own errors (duckdb.Error, Spark's)
        if not engine_error(err):
            raise
        return None


def _bulk_duckdb(prepared: Prepared, ev: Evaluator, fmt: str, options: StreamOptions,
                 lib: Library, output: Path | None, watch: QueryProgress | None = None) -> int:
    """Write the values of a file evaluated in DuckDB; report its invalid records."""
    from kprules.cli.eval_sql import complete
    from kprules.cli.eval_write import located, make_writer, run
    from kprules.sql.files import SqlFile

    file = prepared.file
    if fmt != "csv" and isinstance(file, SqlFile):  # text and JSON Lines give each line
        file.check_lines()  # ReadError: the Python path numbers them
    if output is not None and fmt != "text" and isinstance(file, SqlFile):
        written = file.copy(prepared.query, ev.layout, output, fmt)
        if not prepared.complete and written + len(prepared.failed) != prepared.records:
            prepared = complete(prepared, ev, options.as_of)  # some records were refused
            if file.fixed:  # and Python fixed some: they go in the output too
                file.copy(prepared.query, ev.layout, output, fmt)
    elif output is not None and fmt == "parquet":  # Spark's values, written by DuckDB
        status = _to_parquet(output, ev, lambda writer: _write_sql(prepared, ev, writer))
        if status:
            return status
    elif output is not None:
        with atomic_output(output, data=True) as out:
            _write_sql(prepared, ev, make_writer(fmt, True, out, ev))
    else:
        _write_sql(prepared, ev, make_writer(fmt, True, sys.stdout, ev))
    if watch is not None:
        watch.close()  # the long statements are done: erase the line before the reports
    name, dated_by = prepared.name, ev.vocabulary.dated_by or ""
    failed: list[tuple[int, tuple[Any, ...] | Diagnostic]] = []
    for n, line, facts in prepared.failed:
        values = run(ev, facts, facts.get(dated_by, options.as_of))
        failed.append((n, values if isinstance(values, tuple) else located(
            values, f"record {n} ({name}:{line})" if line else f"record {n}{prepared.where(n)}")))
    problems: list[tuple[int, Any]] = sorted(
        [(b.number, b) for b in prepared.bad] + [(n, d) for n, d in failed
                                                 if not isinstance(d, tuple)],
        key=lambda x: int(x[0]))
    _report_some(problems, options, lib)
    summary(Tally(prepared.records, len(problems), problems[0][0] if problems else None,
                  False), options)
    return 1 if problems and not options.skip_invalid else 0


def _write_sql(prepared: Prepared, ev: Evaluator, writer: Writer) -> int:
    import itertools

    from kprules.cli.eval_write import Item, Unwritable
    from kprules.ir.values import public

    results = prepared.file.results(prepared.query, ev.layout)
    first = list(itertools.islice(results, 1))  # the query runs (and may fail) before output
    writer.start()
    try:
        for r in itertools.chain(first, results):
            label = r.id if r.id is not None else str(r.number)
            writer.item(Item(label, None, prepared.name, r.line, r.as_of,
                             tuple(public(v) for v in r.values), r.number, r.id))
    except (Unwritable, BrokenPipeError):  # the output's own failure, or `| head` stopped
        raise
    except Exception as err:  # too late to start again: the output has begun
        raise RuntimeError(f"the SQL engine failed after writing part of the output: {err}") \
            from err
    writer.end()
    return 0


def _report_some(problems: list[tuple[int, Any]], options: StreamOptions,
                 lib: Library) -> None:
    """The first --max-errors problems (none with --skip-invalid), in record order."""
    from kprules.cases.bulk import BadRecord

    if options.skip_invalid:
        return
    for i, (_, p) in enumerate(problems[:options.max_errors]):
        emit("\n" if i else "", err=True)
        if isinstance(p, BadRecord):
            report(p.diagnostics, p.sources)
        else:
            report([p], lib.sources)
    more = len(problems) - options.max_errors
    if more > 0:
        emit(f"\n... and {more:,} more invalid record{'s' if more != 1 else ''} "
             "(raise --max-errors to see them)\n", err=True)


def _bulk_parquet(path: Path, ev: Evaluator, options: StreamOptions, lib: Library,
                  output: Path) -> int:
    """The Python path writing Parquet (kprules.cli.eval_parquet): the SQL engines' columns."""
    return _to_parquet(output, ev, lambda writer: _bulk_python(
        path, ev, "parquet", options, lib, None, writer))


def _to_parquet(output: Path, ev: Evaluator, run: Callable[[Writer], int]) -> int:
    """`run`'s status, its values written as Parquet into `output` (kprules.cli.eval_parquet)
    when it ends, whatever its status (as the CSV writer's file is), or KP604 and the output as
    it was: a value Parquet's types cannot hold, or no DuckDB to write it."""
    from kprules.cli.eval_write import Unwritable
    from kprules.core.diagnostics import Diagnostic

    shown = display_name(output)
    try:
        from kprules.cli.eval_parquet import parquet_writer
    except ImportError:  # duckdb, which writes the file, is an optional extra
        report([Diagnostic("KP604", f"cannot write `{shown}` as Parquet: DuckDB is not "
                           "installed", None, hint="pip install 'kprules[duckdb]', or write "
                           "--format csv or json")], {})
        return 1
    writer = parquet_writer(ev, output)
    try:
        status = run(writer)
        writer.end()
        return status
    except Unwritable as err:  # nothing written: the output is as it was
        report([Diagnostic("KP604", f"cannot write `{shown}` as Parquet: {err}", None,
                           hint="write --format csv or json, which keep every digit")], {})
        return 1
    finally:
        writer.close()


def _bulk_python(path: Path, ev: Evaluator, fmt: str, options: StreamOptions, lib: Library,
                 out: TextIO | None, writer: Writer | None = None) -> int:
    from kprules.cases.bulk import DataError, data_format, read_data
    from kprules.cases.parquet import file_row_groups, locator
    from kprules.cli.eval_write import make_writer
    from kprules.cli.progress import measured
    from kprules.core.files import display_name
    from kprules.core.progress import Progress, on_terminal

    name = display_name(path)
    # not over the values themselves: they show how far it is, and the line would mix with them
    progress = Progress(name, "records",
                        quiet=options.quiet or (out is not None and on_terminal(out)))
    where = locator(name, lambda: file_row_groups(path)) \
        if data_format(path) == "parquet" else None
    try:
        items = progress.over(read_data(path, ev.vocabulary, name, measured(progress, path)))
        if writer is None:
            assert out is not None
            writer = make_writer(fmt, True, out, ev)
        tally = eval_stream(items, ev, writer, options, lib, name, progress, where)
    except DataError as err:
        report(err.diagnostics, err.sources)
        return 1
    finally:
        progress.close()
    summary(tally, options)
    return 1 if tally.stopped or (tally.invalid and not options.skip_invalid) else 0


