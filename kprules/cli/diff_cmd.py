"""`kprules diff`: the complete region where BASE and each OTHER policy disagree.

Effects only: resolve the policy arguments (as `compare` does), compute the symbolic difference
(kprules.analysis.symbolic), write it to standard output or atomically to `--output`, and the
witnesses as case files under `--write-witnesses`. Errors are one line each (KP6xx).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kprules.cli.inputs import DATE, Stop, fail, max_nodes_option, resolve, shared_terms

if TYPE_CHECKING:
    from kprules.analysis.symbolic.model import DiffReport

FORMAT_NAMES = ("text", "md", "json", "html")


@click.command("diff")
@click.argument("base")
@click.argument("others", nargs=-1, required=True)
@click.option("--term", "terms", multiple=True, metavar="NAME",
              help="A term to compare (repeatable) [default: the terms an amendment changes, "
              "and those that depend on them].")
@click.option("--as-of", "as_of", type=DATE, metavar="DATE",
              help="Compare on this date only [default: each fact set on its own date, the "
              "vocabulary's `dated by` fact, which is then part of the region].")
@click.option("--over-time", is_flag=True,
              help="One difference per period between the dates where either text changes "
              "(in-force intervals, dated rules and parameters).")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="text: for a terminal; md: Markdown; json: one document "
              "(docs/symbolic.md); html: one self-contained page.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Write the report to this file (atomically) instead of standard output.")
@click.option("--write-witnesses", "witness_dir", type=click.Path(path_type=Path),
              metavar="DIR", help="Write each disjunct's witness to DIR as a case file (facts "
              "only; the expectations are left for you to fill in). A new run rewrites the "
              "files it wrote; a file edited by hand is kept, and stops it.")
@click.option("--unknowns", is_flag=True,
              help="Also list the region where one text decides and the other is unknown.")
@click.option("--policies", "policy_dirs", multiple=True,
              type=click.Path(path_type=Path), metavar="PATH",
              help="Where to find the policies named (repeatable) [default: the folders of the "
              "policy files given, else `policies/`].")
@max_nodes_option
def diff_command(base: str, others: tuple[str, ...], terms: tuple[str, ...],
                 as_of: dt.date | None, over_time: bool, fmt: str, output: Path | None,
                 witness_dir: Path | None, unknowns: bool,
                 policy_dirs: tuple[Path, ...], max_nodes: int) -> None:
    """Show where BASE and each OTHER policy disagree: every case, not only those written.

    For each term both policies have: a verdict (equivalent, narrower, broader, overlapping),
    then the complete regions where they disagree ("only under BASE", "only under OTHER", or
    per pair of decision outcomes), each a short condition over the facts with one witness fact
    set and the provisions that cause it. Booleans and enums are exact; numbers, quantities
    and dates are cut at every constant either text uses, so the answer is complete; a region
    found by search is marked "not exhaustive" (docs/symbolic.md).

    Exit status: 0 done; 1 errors in the policies or the output; 2 usage errors (an unknown
    policy or term, policies over different vocabularies, --as-of with --over-time).
    """
    from kprules.analysis.symbolic.render import WRITERS

    if as_of is not None and over_time:
        raise click.UsageError("--as-of and --over-time exclude each other")
    from kprules.compare import CompareError

    try:
        report = _report(base, others, terms, as_of, over_time, unknowns, policy_dirs,
                         max_nodes)
    except CompareError as err:
        fail(err.code, str(err), 2)
    except Stop as err:
        fail(err.code, err.message, err.status)
    _write(WRITERS[fmt](report), output)
    if witness_dir is not None:
        _witnesses(report, witness_dir)


def _report(base: str, others: tuple[str, ...], terms: tuple[str, ...], as_of: dt.date | None,
            over_time: bool, unknowns: bool, policy_dirs: tuple[Path, ...],
            max_nodes: int) -> DiffReport:
    from kprules.analysis.symbolic.engine import diff_pair
    from kprules.analysis.symbolic.model import DiffReport

    library, base_name, other_names = resolve(base, others, policy_dirs)
    pairs = []
    b = library[base_name].checked
    for name in other_names:
        o = library[name].checked
        chosen = shared_terms(b, o, terms)
        pairs.append(diff_pair(b, o, chosen, as_of=as_of,
                               over_time=over_time, sources=library.sources,
                               unknowns=unknowns, max_nodes=max_nodes))
    return DiffReport(base_name, tuple(pairs), as_of, b.vocabulary.dated_by, over_time)


def _write(text: str, output: Path | None) -> None:
    from kprules.core.files import OutputError, atomic_output

    try:
        with atomic_output(output) as out:
            out.write(text)
    except OutputError as err:
        fail("KP604", str(err))


def _witnesses(report: DiffReport, folder: Path) -> None:
    from kprules.analysis.symbolic.witnesses import witness_files
    from kprules.core.files import OutputError, write_generated

    try:
        write_generated(folder, list(witness_files(report)))
    except (OSError, OutputError) as err:
        fail("KP604", f"cannot write witnesses to `{folder}`: {err}")
