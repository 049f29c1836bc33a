"""`kprules eval`: evaluate policies on case files or bulk data, and print the values.

Effects only: reading (through kprules.cases.files and kprules.cases.bulk), evaluating
(kprules.eval.evaluate), writing (kprules.cli.eval_write; data files: kprules.cli.eval_data).
Case files are validated as a whole before anything is evaluated.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kprules.cli.common import emit
from kprules.cli.eval_data import StreamOptions, bulk, kept_run, plan_for, writable
from kprules.cli.inputs import (
    CASES,
    DATE,
    check_case_path,
    evaluator,
    fail,
    given_policies,
    load_cases,
    one_data_file,
    open_library,
    policies_option,
    resolve_terms,
    seeds_options,
)
from kprules.cli.plan_cache import loaded_as_named
from kprules.core.files import OutputError
from kprules.core.wording import plural

if TYPE_CHECKING:
    from kprules.api import Library
    from kprules.eval.evaluate import Evaluator


# ----------------------------------------------------------------------------- the command


EVAL_HELP = """Evaluate policies on cases, and print the value of every term.

\b
POLICY: `.kpr` files or folders (searched recursively), or names of policies in the --policies
folders, the project's (`kprules.toml`) or the bundled library (docs/cli.md), where the
vocabulary and base policies they need are found too.
Every term of each policy given is evaluated, or only the --term names.

\b
--cases is a case file or a folder of them (`.toml`, see docs/cases.md; `@library`: the
bundled case library; given more than once, merged), or one data file
read and written as a stream: JSON Lines (`.jsonl`, `.ndjson`), CSV (`.csv`), or Parquet
(`.parquet`, when pyarrow is installed). An unknown value is shown as `unknown` (text), null
(JSON) or an empty cell (CSV). Expectations in case files are not checked here (that is
`kprules test`); those of a policy that is not loaded are ignored if a `.kpr` file of the
project's policy folders or of the bundled library declares it.

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
or more when it is installed. --format parquet needs --output, and DuckDB: it writes the values
of any engine, in the same columns. With --output, DuckDB writes csv, json (JSON Lines) or
parquet straight to the file, and keeps its plan, so that the same command on the same policies
starts sooner next time (the same values; KPRULES_NO_CACHE=1 turns it off; docs/sql.md, "Kept
plans").
The output is never an input of the run, a policy or a case file (KP604). `spark` (pip install
'kprules[spark]', and Java) runs the same SQL on a Spark session (local, or the one
spark-submit gives) over a Parquet file (a dataset folder: from Python, docs/scale.md).

\b
Examples:
  kprules eval policies/kpcs_2003.kpr policies/proposals/ --cases policies/cases/
  kprules eval kpcs_2003 --cases policies/data/kp_production_2019_2024.jsonl \\
      --term conflict_diamond --format csv

Exit status: 0 when every case or record was evaluated (or skipped with --skip-invalid); 1 on
errors in policies, case files or data; 2 on usage errors.
"""


@click.command("eval", help=EVAL_HELP)
@click.argument("policies", nargs=-1, required=True, metavar="POLICY...")
@click.option("--cases", "case_paths", required=True, multiple=True, type=CASES,
              metavar="PATH", help="A case file or folder (.toml; repeatable, merged), or one "
              "data file (.jsonl, .ndjson, .csv, .parquet).")
@click.option("--as-of", type=DATE, help="The evaluation date of cases that give none.")
@click.option("--term", "terms", multiple=True, metavar="NAME",
              help="Evaluate only this term (`term` or `policy.term`); repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "parquet"]),
              default="text", show_default=True, help="text: one block per case; json: a "
              "document (JSON Lines for data files); csv: one row per case, one column per "
              "policy.term; parquet: data files, with --output.")
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
def eval_command(policies: tuple[str, ...], case_paths: tuple[Path, ...],
                 as_of: dt.date | None,
                 terms: tuple[str, ...], fmt: str, engine: str, output: Path | None,
                 quiet: bool, skip_invalid: bool, max_errors: int, seeds_dir: tuple[Path, ...],
                 no_seeds: bool, policy_dirs: tuple[Path, ...]) -> None:
    data = one_data_file(case_paths, "evaluated")
    cases_path = case_paths[0]
    options = StreamOptions(as_of, skip_invalid, max_errors, quiet)
    if output is not None:  # never an input of this run, a policy or a case file (issue 14)
        output = writable(output, [*case_paths, *map(Path, policies)])
    key = plan_for(policies, cases_path, output, engine, fmt, as_of, terms, no_seeds,
                   seeds_dir, policy_dirs)
    if key is not None and output is not None:
        status = kept_run(key.name, cases_path, output, options, policy_dirs)
        if status is not None:
            sys.exit(status)
    lib = open_library(policies, seeds_dir, no_seeds, policy_dirs)
    if key is not None and not loaded_as_named(key, lib.workspace):
        key = None  # a policy file changed since the plan was named: no plan kept
    ev = evaluator(lib, resolve_terms(lib, given_policies(lib), terms))
    try:
        if data:
            if fmt == "parquet" and output is None:
                raise click.UsageError("--format parquet writes a file: give --output FILE")
            sys.exit(bulk(cases_path, ev, fmt, options, lib, engine, output, key))
        if fmt == "parquet" or output is not None:
            raise click.UsageError("--format parquet and --output are for data files")
        sys.exit(_cases(case_paths, ev, fmt, as_of, lib))
    except OutputError as err:
        fail("KP604", str(err))
    except BrokenPipeError:  # the reader stopped reading (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def _cases(paths: Sequence[Path], ev: Evaluator, fmt: str, as_of: dt.date | None,
           lib: Library) -> int:
    from kprules.cli.eval_write import eval_suite, make_writer

    for path in paths:
        check_case_path(path)
    suite = load_cases(paths, lib)
    failed = eval_suite(suite, ev, make_writer(fmt, False, sys.stdout, ev), as_of, lib)
    done = len(suite.cases) - failed
    emit(f"evaluated {plural(done, 'case')}"
         + (f"; {failed} failed" if failed else "") + "\n", err=True)
    return 1 if failed else 0

