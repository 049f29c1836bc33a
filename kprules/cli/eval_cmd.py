"""`kprules eval`: evaluate policies on case files or bulk data, and print the values.

Effects only: reading (through kprules.cases.files and kprules.cases.bulk), evaluating
(kprules.eval.evaluate),
writing. Case files are validated as a whole before anything is evaluated; bulk data is read,
evaluated and written one record at a time, so memory does not grow with the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs
import click
from attrs import frozen

from kprules.cli.common import emit
from kprules.cli.inputs import (
    CASES,
    DATE,
    check_case_path,
    evaluator,
    fail,
    given_policies,
    load_cases,
    open_library,
    policies_option,
    report,
    resolve_terms,
    seeds_options,
)
from kprules.core.escape import csv_safe, terminal
from kprules.core.files import OutputError, atomic_output, output_target
from kprules.core.shared_repr import SharedRepr
from kprules.core.wording import plural

if TYPE_CHECKING:
    from kprules.api import Library
    from kprules.cases.bulk import BadRecord, Record
    from kprules.cases.files import Suite
    from kprules.cli.eval_sql import Prepared
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.progress import Progress
    from kprules.core.source import Source
    from kprules.eval.evaluate import Evaluator
    from kprules.ir.types import Type
    from kprules.sql.progress import QueryProgress

WIDTH = 100
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def where(file: str, line: int | None, as_of: dt.date | None) -> str:
    place = f"{file}:{line}" if line else file
    return f"({place}; " + (f"as of {as_of})" if as_of else "no evaluation date)")


# ----------------------------------------------------------------------------- output


@frozen(repr=False)
class Item(SharedRepr):
    """One evaluated case or record, ready to print."""

    label: str
    title: str | None
    file: str
    line: int | None
    as_of: dt.date | None
    values: tuple[Any, ...]
    number: int | None = None  # a bulk record's number
    id: str | None = None


class Writer:
    """Writes items as they come; `columns` are the targets, `types` their types."""

    def __init__(self, out: TextIO, columns: Sequence[str], types: Sequence[Type]) -> None:
        self.out = out
        self.columns = columns
        self.types = types

    def start(self) -> None:
        return None

    def item(self, item: Item) -> None:
        raise NotImplementedError

    def end(self) -> None:
        return None


class TextWriter(Writer):
    """One block per item: a heading, then `policy.term  value` lines, aligned."""

    def __init__(self, out: TextIO, columns: Sequence[str], types: Sequence[Type]) -> None:
        super().__init__(out, columns, types)
        self.name_width = min(max((len(c) for c in columns), default=0), 60)
        self.first = True

    def item(self, item: Item) -> None:
        from kprules.ir.values import format_value

        if item.number is None:
            head = f"{item.label}: {item.title}"
        else:
            head = f"record {item.number}" + (f": {item.id}" if item.id is not None else "")
        lines = [] if self.first else [""]
        lines += [_cut(head, WIDTH), _cut("  " + where(item.file, item.line, item.as_of), WIDTH)]
        room = max(WIDTH - 4 - self.name_width, 20)
        pad = " " * (self.name_width + 4)
        for name, typ, value in zip(self.columns, self.types, item.values, strict=True):
            shown = textwrap.wrap(format_value(value, typ), room) or [""]
            lines.append(f"  {_cut(name, self.name_width):<{self.name_width}}  {shown[0]}".rstrip())
            lines.extend(pad + more for more in shown[1:])
        self.first = False
        self.out.write(terminal("\n".join(lines)) + "\n")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class CsvWriter(Writer):
    """A header `case,as_of,<policy.term>...`, then one row per item: unknown is an empty
    cell, a set is `BY;RU`, a quantity its number."""

    def start(self) -> None:
        self.csv = csv.writer(self.out, lineterminator="\n")
        self.csv.writerow(["case", "as_of", *self.columns])

    def item(self, item: Item) -> None:
        self.csv.writerow([csv_safe(item.label), item.as_of.isoformat() if item.as_of else "",
                           *(csv_safe(csv_cell(v)) for v in item.values)])


def csv_cell(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is str:
        return value
    if isinstance(value, frozenset):
        return ";".join(sorted(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None or str(value) == "unknown" else str(value)


def _json_values(columns: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    from kprules.ir.values import to_json

    return {c: to_json(v) for c, v in zip(columns, values, strict=True)}


class JsonWriter(Writer):
    """Case files: one JSON document `{"version": 1, "cases": [...]}` (docs/cases.md)."""

    def start(self) -> None:
        self.items: list[dict[str, Any]] = []

    def item(self, item: Item) -> None:
        self.items.append({"id": item.label, "title": item.title, "file": item.file,
                           "line": item.line,
                           "as_of": item.as_of.isoformat() if item.as_of else None,
                           "values": _json_values(self.columns, item.values)})

    def end(self) -> None:
        doc = {"version": 1, "cases": self.items}
        self.out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


class JsonLinesWriter(Writer):
    """Bulk data: one JSON object per record, on its own line (docs/cases.md)."""

    def item(self, item: Item) -> None:
        self.out.write(json.dumps({
            "record": item.number, "line": item.line, "id": item.id,
            "as_of": item.as_of.isoformat() if item.as_of else None,
            "values": _json_values(self.columns, item.values)}, ensure_ascii=False) + "\n")


def make_writer(fmt: str, bulk: bool, out: TextIO, ev: Evaluator) -> Writer:
    columns = [f"{p}.{t}" for p, t in ev.keys]
    types = [ev.layout.terms[k].term.type for k in ev.keys]
    kinds: dict[str, type[Writer]] = {"text": TextWriter, "csv": CsvWriter,
                                      "json": JsonLinesWriter if bulk else JsonWriter}
    return kinds[fmt](out, columns, types)


# ----------------------------------------------------------------------------- evaluating


def run(ev: Evaluator, facts: Mapping[str, Any], as_of: dt.date | None,
        what: str) -> tuple[Any, ...] | Diagnostic:
    """The public values of the targets, or the diagnostic of an evaluation error."""
    from kprules.ir.runtime import EvalError
    from kprules.ir.values import public

    try:
        values, _ = ev.run(facts, as_of)
    except EvalError as err:
        return attrs.evolve(err.diagnostic, message=f"{what}: {err.diagnostic.message}")
    return tuple(public(v) for v in values)


def eval_suite(suite: Suite, ev: Evaluator, writer: Writer, as_of: dt.date | None,
               lib: Library) -> int:
    """Evaluate every case; the number of cases that could not be evaluated."""
    failed: list[Diagnostic] = []
    writer.start()
    for case in suite.cases:
        date = case.as_of(ev.vocabulary.dated_by, as_of)
        values = run(ev, case.facts, date, f"case `{case.id}` ({case.file}:{case.line})")
        if isinstance(values, tuple):
            writer.item(Item(case.id, case.title, case.file, case.line, date, values))
        else:
            failed.append(values)
    writer.end()
    report(failed, lib.sources)
    return len(failed)


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
            values = run(ev, item.facts, date, f"record {item.number} ({file}:{item.line})"
                         if item.line else f"record {item.number}"
                         + (where(item.number) if where else f" of {file}"))
            if isinstance(values, tuple):
                writer.item(Item(item.label, None, file, item.line, date, values, item.number,
                                 item.id))
                continue
            problems, sources = (values,), lib.sources
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


def _bulk(path: Path, ev: Evaluator, fmt: str, options: StreamOptions, lib: Library,
          engine: str, output: Path | None, keep_as: str | None = None) -> int:
    from kprules.cases.bulk import data_format
    from kprules.cli.eval_sql import choose_engine, one_pass, prepare

    if engine == "spark" and data_format(path) != "parquet":
        raise click.UsageError("--engine spark reads Parquet files (convert the data, or use "
                               "--engine duckdb)")
    chosen = choose_engine(engine, path)  # asks the file's size (auto): once
    if chosen in ("duckdb", "spark"):
        optimistic = output is not None and fmt != "text"
        with _sql_progress(path, options, output, chosen) as watch:
            if output is not None and fmt != "text" and chosen == "duckdb":
                written = one_pass(path, ev, options.as_of, output, fmt, watch, keep_as,
                                   lib.workspace.searched)
                if written is not None:  # every record valid: read, evaluated, written at once
                    summary(Tally(written, 0, None, False), options)
                    return 0
            prepared = prepare(path, ev, options.as_of, chosen, optimistic, watch)
            if isinstance(prepared, int):
                return prepared
            if prepared is not None:
                status = _guarded(prepared, ev, fmt, options, lib, output, watch)
                if status is not None:
                    return status
        if engine != "auto" and path.is_file():
            emit(f"{engine} cannot read the file as a whole; reading it record by record\n",
                 err=True)
    if fmt == "parquet":
        raise click.UsageError("--format parquet needs --engine duckdb")
    if output is None:
        return _bulk_python(path, ev, fmt, options, lib, sys.stdout)
    with atomic_output(output, data=True) as out:
        return _bulk_python(path, ev, fmt, options, lib, out)


def _writable(output: Path, inputs: Sequence[Path]) -> Path:
    """The file `--output` writes (a link followed to its target); KP604 when it must not be
    written: a folder, a read-only file, an input of this run, a policy or a case file (an
    existing data file that is not an input is replaced: the outputs are data files)."""
    try:
        return output_target(output, inputs, data=True)
    except OutputError as err:
        fail("KP604", str(err))


def _plan_name(policies: Sequence[str], path: Path, output: Path | None, engine: str, fmt: str,
               as_of: dt.date | None, terms: Sequence[str], no_seeds: bool,
               seeds: Sequence[Path], folders: Sequence[Path]) -> str | None:
    """The name of the kept plan that may stand for this command (kprules.cli.plan_cache):
    a data file evaluated by DuckDB's one pass into `output`; else None."""
    from kprules.cli import eval_sql

    if output is None or not eval_sql.ONE_PASS or not path.is_file() or \
            eval_sql.choose_engine(engine, path) != "duckdb":
        return None
    from kprules.cli.plan_cache import plan_name

    return plan_name(policies, path, as_of, terms, fmt, no_seeds, seeds, folders)


def _kept(name: str, path: Path, output: Path, options: StreamOptions,
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
    from kprules.sql.files import ReadError

    try:
        return _bulk_duckdb(prepared, ev, fmt, options, lib, output, watch)
    except ReadError:  # a record Python accepts holds a value SQL cannot
        return None
    except Exception as err:  # the engines' own errors (duckdb.Error, Spark's)
        if type(err).__module__.split(".")[0] not in ("duckdb", "_duckdb", "pyspark", "py4j"):
            raise
        return None


def _bulk_duckdb(prepared: Prepared, ev: Evaluator, fmt: str, options: StreamOptions,
                 lib: Library, output: Path | None, watch: QueryProgress | None = None) -> int:
    """Write the values of a file evaluated in DuckDB; report its invalid records."""
    from kprules.cli.eval_sql import complete
    from kprules.sql.files import SqlFile

    file = prepared.file
    if output is not None and fmt != "text" and isinstance(file, SqlFile):
        written = file.copy(prepared.query, ev.layout, output, fmt)
        if not prepared.complete and written + len(prepared.failed) != prepared.records:
            prepared = complete(prepared, ev, options.as_of)  # some records were refused
            if file.fixed:  # and Python fixed some: they go in the output too
                file.copy(prepared.query, ev.layout, output, fmt)
    elif output is not None:
        with atomic_output(output, data=True) as out:
            _write_sql(prepared, ev, fmt, out)
    else:
        _write_sql(prepared, ev, fmt, sys.stdout)
    if watch is not None:
        watch.close()  # the long statements are done: erase the line before the reports
    name, dated_by = prepared.name, ev.vocabulary.dated_by or ""
    failed = [(n, run(ev, facts, facts.get(dated_by, options.as_of),
                      f"record {n} ({name}:{line})" if line else f"record {n}{prepared.where(n)}"))
              for n, line, facts in prepared.failed]
    problems: list[tuple[int, Any]] = sorted(
        [(b.number, b) for b in prepared.bad] + [(n, d) for n, d in failed
                                                 if not isinstance(d, tuple)],
        key=lambda x: int(x[0]))
    _report_some(problems, options, lib)
    summary(Tally(prepared.records, len(problems), problems[0][0] if problems else None,
                  False), options)
    return 1 if problems and not options.skip_invalid else 0


def _write_sql(prepared: Prepared, ev: Evaluator, fmt: str, out: TextIO) -> None:
    import itertools

    from kprules.ir.values import public

    writer = make_writer(fmt, True, out, ev)
    results = prepared.file.results(prepared.query, ev.layout)
    first = list(itertools.islice(results, 1))  # the query runs (and may fail) before output
    writer.start()
    try:
        for r in itertools.chain(first, results):
            label = r.id if r.id is not None else str(r.number)
            writer.item(Item(label, None, prepared.name, r.line, r.as_of,
                             tuple(public(v) for v in r.values), r.number, r.id))
    except Exception as err:  # too late to start again: the output has begun
        raise RuntimeError(f"the SQL engine failed after writing part of the output: {err}") \
            from err
    writer.end()


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


def _bulk_python(path: Path, ev: Evaluator, fmt: str, options: StreamOptions, lib: Library,
                 out: TextIO) -> int:
    from kprules.cases.bulk import DataError, data_format, read_data
    from kprules.cases.parquet import file_row_groups, locator
    from kprules.cli.progress import measured
    from kprules.core.files import display_name
    from kprules.core.progress import Progress, on_terminal

    name = display_name(path)
    # not over the values themselves: they show how far it is, and the line would mix with them
    progress = Progress(name, "records", quiet=options.quiet or on_terminal(out))
    where = locator(name, lambda: file_row_groups(path)) \
        if data_format(path) == "parquet" else None
    try:
        items = progress.over(read_data(path, ev.vocabulary, name, measured(progress, path)))
        tally = eval_stream(items, ev, make_writer(fmt, True, out, ev), options, lib, name,
                            progress, where)
    except DataError as err:
        report(err.diagnostics, err.sources)
        return 1
    finally:
        progress.close()
    summary(tally, options)
    return 1 if tally.stopped or (tally.invalid and not options.skip_invalid) else 0


# ----------------------------------------------------------------------------- the command


EVAL_HELP = """Evaluate policies on cases, and print the value of every term.

\b
POLICY: `.kpr` files or folders (searched recursively), or names of policies in the --policies
folders, the project's (`kprules.toml`) or the bundled library (docs/cli.md), where the
vocabulary and base policies they need are found too.
Every term of each policy given is evaluated, or only the --term names.

\b
--cases is a case file or a folder of them (`.toml`, see docs/cases.md; `@library`: the
bundled case library), or a data file
read and written as a stream: JSON Lines (`.jsonl`, `.ndjson`), CSV (`.csv`), or Parquet
(`.parquet`, when pyarrow is installed). An unknown value is shown as `unknown` (text), null
(JSON) or an empty cell (CSV). Expectations in case files are not checked here (that is
`kprules test`); those of a policy that is not loaded are ignored if a `.kpr` file near the
case file declares it.

\b
The evaluation date of a case is its `date`, else its vocabulary's `dated by` fact, else
--as-of; without any, dated rules and parameters are unknown.

\b
Case files are validated as a whole: any problem is reported (on stderr, with file, line and
key) and nothing is evaluated. In data files an invalid record is reported and not evaluated;
reading stops after --max-errors of them; with --skip-invalid they are counted, not reported.

\b
Engines for data files (--engine): `python` reads and evaluates one record at a time; `duckdb`
(pip install 'kprules[duckdb]') compiles the policies to SQL and lets DuckDB read, validate and
evaluate the whole file (docs/sql.md): the same values; every valid record is evaluated and the
first --max-errors invalid ones are reported. `auto` (the default) takes DuckDB for files of 8 MiB
or more when it is installed. With --output, DuckDB writes csv, json (JSON Lines) or parquet
straight to the file. `spark` (pip install 'kprules[spark]', and Java) runs the same SQL on a
Spark session (local, or the one spark-submit gives): Parquet files or folders (docs/scale.md).

\b
Examples:
  kprules eval policies/kpcs_2003.kpr policies/proposals/ --cases policies/cases/
  kprules eval kpcs_2003 --cases shipments.jsonl --term conflict_diamond --format csv

Exit status: 0 when every case or record was evaluated (or skipped with --skip-invalid); 1 on
errors in policies, case files or data; 2 on usage errors.
"""


@click.command("eval", help=EVAL_HELP)
@click.argument("policies", nargs=-1, required=True, metavar="POLICY...")
@click.option("--cases", "cases_path", required=True, type=CASES,
              help="A case file or folder (.toml), or a data file (.jsonl, .ndjson, .csv, "
              ".parquet).")
@click.option("--as-of", type=DATE, help="The evaluation date of cases that give none.")
@click.option("--term", "terms", multiple=True, metavar="NAME",
              help="Evaluate only this term (`term` or `policy.term`); repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "parquet"]),
              default="text", show_default=True, help="text: one block per case; json: a "
              "document (JSON Lines for data files); csv: one row per case, one column per "
              "policy.term; parquet: data files, with --engine duckdb and --output.")
@click.option("--engine", type=click.Choice(["auto", "python", "duckdb", "spark"]),
              default="auto", show_default=True, help="Data files: evaluate record by record "
              "in Python, or in SQL with DuckDB or Spark (Parquet); auto: DuckDB for files of 8 "
              "MiB or more, when installed.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Data files: write the values to this file instead of standard output.")
@click.option("--quiet", is_flag=True,
              help="Data files: no progress line (records read, rate, share done and "
              "time left; drawn on standard error when it is a terminal, after a second).")
@click.option("--skip-invalid", is_flag=True,
              help="Data files: evaluate the valid records, count the invalid ones, exit 0.")
@click.option("--max-errors", type=click.IntRange(min=1), default=20, show_default=True,
              help="Data files: stop after this many invalid records.")
@seeds_options
@policies_option
def eval_command(policies: tuple[str, ...], cases_path: Path, as_of: dt.date | None,
                 terms: tuple[str, ...], fmt: str, engine: str, output: Path | None,
                 quiet: bool, skip_invalid: bool, max_errors: int, seeds_dir: tuple[Path, ...],
                 no_seeds: bool, policy_dirs: tuple[Path, ...]) -> None:
    options = StreamOptions(as_of, skip_invalid, max_errors, quiet)
    if output is not None:  # never an input of this run, a policy or a case file (issue 14)
        output = _writable(output, [cases_path, *map(Path, policies)])
    name = _plan_name(policies, cases_path, output, engine, fmt, as_of, terms, no_seeds,
                      seeds_dir, policy_dirs)
    if name is not None and output is not None:
        status = _kept(name, cases_path, output, options, policy_dirs)
        if status is not None:
            sys.exit(status)
    from kprules.cases.bulk import data_format

    lib = open_library(policies, seeds_dir, no_seeds, policy_dirs)
    ev = evaluator(lib, resolve_terms(lib, given_policies(lib), terms))
    try:
        if not cases_path.is_dir() and data_format(cases_path) is not None:
            sys.exit(_bulk(cases_path, ev, fmt, options, lib, engine, output, name))
        if fmt == "parquet" or output is not None:
            raise click.UsageError("--format parquet and --output are for data files")
        sys.exit(_cases(cases_path, ev, fmt, as_of, lib))
    except OutputError as err:
        fail("KP604", str(err))
    except BrokenPipeError:  # the reader stopped reading (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def _cases(path: Path, ev: Evaluator, fmt: str, as_of: dt.date | None, lib: Library) -> int:
    check_case_path(path)
    suite = load_cases(path, lib)
    failed = eval_suite(suite, ev, make_writer(fmt, False, sys.stdout, ev), as_of, lib)
    done = len(suite.cases) - failed
    emit(f"evaluated {plural(done, 'case')}"
         + (f"; {failed} failed" if failed else "") + "\n", err=True)
    return 1 if failed else 0
