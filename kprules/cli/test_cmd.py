"""`kprules test`: run the expectations of case files, with clause and boundary coverage.

Effects only: read the policies and cases under the paths, run every expectation
(kprules.analysis.testing), print the failures with their explanations, the totals and the coverage
(kprules.analysis.coverage), write JUnit XML atomically when asked. Exit 0 when everything passes
(and
coverage reaches --coverage-min), 1 on failures, errors or low coverage, 2 on usage errors.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kprules.cli.common import emit, print_diagnostics
from kprules.cli.inputs import cases_option, holds, policies_option
from kprules.core.wording import plural

if TYPE_CHECKING:
    from kprules.analysis.boundaries import Boundaries
    from kprules.analysis.coverage import Coverage
    from kprules.analysis.testing import Check
    from kprules.api import Library
    from kprules.cases.model import Suite
    from kprules.core.diagnostics import Diagnostic

WIDTH = 100


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@cases_option
@policies_option
@click.option("--junit", "junit_path", type=click.Path(path_type=Path),
              help="Also write the results as JUnit XML to this file (checked before the "
              "tests run: KP604 when it cannot be written).")
@click.option("--coverage", is_flag=True,
              help="Report clause coverage: what the cases exercised in each policy, and how.")
@click.option("--coverage-min", type=click.FloatRange(0, 100), metavar="N",
              help="Fail when the total clause coverage is below N percent (implies --coverage).")
@click.option("--boundaries", is_flag=True,
              help="Report boundary coverage: whether cases exercise every cut-off date and "
              "threshold of the policies from both sides.")
@click.option("--boundaries-strict", is_flag=True,
              help="Fail when a cut-off is not exercised from both sides (implies --boundaries).")
@click.option("--verbose", "-v", is_flag=True, help="List every expectation, not only failures.")
@click.option("--region-coverage", "regions", nargs=2, metavar="BASE OTHER",
              help="Report which disjuncts of the regions where BASE and OTHER (a policy or a "
              "folder) disagree some case reaches (docs/symbolic.md).")
@click.option("--region-witnesses", "region_dir", type=click.Path(path_type=Path),
              metavar="DIR", help="With --region-coverage: write a witness case file to DIR for "
              "each disjunct no case reaches (a new run rewrites the files it wrote; a file "
              "edited by hand is kept, and stops it).")
def test_command(paths: tuple[Path, ...], case_paths: tuple[Path, ...],
                 policy_dirs: tuple[Path, ...], junit_path: Path | None, coverage: bool,
                 coverage_min: float | None, boundaries: bool, boundaries_strict: bool,
                 verbose: bool, regions: tuple[str, str] | None, region_dir: Path | None) -> None:
    """Run the expectations of the case files under PATHS against the policies under PATHS.

    PATHS are folders or files: `.kpr` policies (and the bases and vocabularies they need, from
    the project's policy folders or the bundled library) and `.toml` case files, e.g. `kprules
    test policies/`; --cases adds case files and folders (`@library`: the bundled library's
    cases, whose policies are then read too). Without PATHS, the project file's (`kprules.toml`)
    policy and case folders. Each `[expect]` entry `policy.term =
    value` passes when evaluating the case gives that value; a failure shows the value found and
    why. With --coverage, each policy's definitions, rules, exceptions and clauses that the cases
    never made true, false, or gave an outcome (docs/compare.md, "Clause coverage"). With
    --boundaries, every cut-off date (where a policy, a rule or a parameter value starts or stops)
    and threshold (a comparison with a date, a number or a parameter) that no case exercises from
    both sides: the day before and the day of, just below and exactly at (docs/compare.md,
    "Boundary coverage").

    Example: kprules test policies/ --coverage --boundaries-strict

    Exit status: 0 every expectation passed (and coverage reached --coverage-min); 1 failures,
    errors in policies or cases, or coverage below the minimum; 2 usage errors.
    """
    from kprules.cli.inputs import checked_output, fail, no_case_files

    _check_given(paths, case_paths)
    policy_paths, case_paths = _with_project(paths, case_paths, policy_dirs)
    paths = tuple(dict.fromkeys([*policy_paths, *case_paths]))
    if junit_path is not None:
        checked_output(junit_path, paths)  # KP604 before any test runs
    folders = [p for p in paths if p.is_dir()]
    if folders and all(no_case_files(p) for p in folders) and not any(
            p.suffix == ".toml" for p in paths):
        shown = ", ".join(f"`{p}`" for p in paths)
        fail("KP603", f"no cases to test in {shown}: no case files (`*.toml`)")
    library = _library(policy_paths)
    suite = _suite(case_paths, library)
    if not suite.cases and suite.ok:
        shown = ", ".join(f"`{p}`" for p in paths)
        fail("KP603", f"no cases to test in {shown}: case files (`*.toml`) hold them")
    errors = [d for d in suite.diagnostics if d.is_error]
    if errors:
        print_diagnostics(errors, suite.sources, "text")
    bounds_wanted = boundaries or boundaries_strict
    checks, cover, bounds = _run(library, suite, coverage or coverage_min is not None,
                                 bounds_wanted)
    _print_checks(checks, verbose)
    _totals(suite, checks, len(errors))
    low = False
    if cover is not None:
        from kprules.analysis.coverage import coverage_lines, total_percent

        report = cover.report()
        emit("\n".join(coverage_lines(report, library.sources, WIDTH)) + "\n")
        if coverage_min is not None and total_percent(report) < coverage_min:
            emit(f"error[KP607]: clause coverage {total_percent(report):.1f}% is below the "
                 f"minimum of {coverage_min:g}%\n", err=True)
            low = True
    if bounds is not None:
        from kprules.analysis.boundaries import boundary_lines

        emit("\n".join(boundary_lines(bounds, library.sources, WIDTH)) + "\n")
        done, total = bounds.counts()
        if boundaries_strict and done < total:
            emit(f"error[KP608]: {plural(total - done, 'side')} of the "
                 "policies' cut-offs not exercised by any case\n", err=True)
            low = True
    if regions:
        from kprules.cli.region_cov import report_region_coverage

        report_region_coverage(library, suite, regions[0], regions[1], region_dir)
    if junit_path is not None:
        _junit(junit_path, checks, suite, paths)
    if errors or low or any(not c.passed for c in checks):
        sys.exit(1)


def _check_given(paths: Sequence[Path], case_paths: Sequence[Path]) -> None:
    """Exit 1, naming each, when a path given holds nothing `kprules test` reads."""
    from kprules.cli.inputs import report

    problems = [*_given_problems(paths, (".kpr", ".toml")),
                *_given_problems(case_paths, (".toml",))]
    if problems:
        report(problems, {})
        sys.exit(1)


def _given_problems(paths: Sequence[Path], suffixes: tuple[str, ...]) -> list[Diagnostic]:
    """What is wrong with the paths given (PATHS read `.kpr` and `.toml`, --cases `.toml`):
    one that does not exist (KP100), a folder without such a file (KP603), a file of another
    kind (KP420); as `eval` and `compare` say it, rather than testing what is left."""
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.files import display_name

    kinds = " or ".join(_KINDS[s][1] for s in suffixes)
    out = []
    for path in paths:
        name = display_name(path)
        if not path.exists():
            what = "is a link to a missing file" if path.is_symlink() else "does not exist"
            out.append(Diagnostic("KP100", f"`{name}` {what}", None))
        elif path.is_dir() and not any(holds(path, s) for s in suffixes):
            out.append(Diagnostic("KP603", f"nothing to test in `{name.rstrip('/')}/`: the "
                                  f"folder holds no {kinds}", None))
        elif not path.is_dir() and path.suffix.lower() not in suffixes:
            what = " nor ".join(_KINDS[s][0] for s in suffixes)
            what = ("neither " if len(suffixes) > 1 else "not ") + what
            out.append(Diagnostic("KP420", f"`{name}` is {what}", None,
                                  hint=_other_kind(path, suffixes)))
    return out


_KINDS = {".kpr": ("a policy file (`.kpr`)", "policy files (`*.kpr`)"),
          ".toml": ("a case file (`.toml`)", "case files (`*.toml`)")}


def _other_kind(path: Path, suffixes: tuple[str, ...]) -> str:
    from kprules.cases.bulk import data_format
    from kprules.core.files import display_name

    if data_format(path) is not None:
        return f"`kprules test` reads case files; evaluate a data file's records with " \
            f"`kprules eval POLICY --cases {display_name(path)}`"
    if path.suffix.lower() == ".kpr":
        return "give a policy file as a PATH; --cases names case files"
    return "case files end in `.toml`" + (", policies in `.kpr`" if ".kpr" in suffixes else "")


def _with_project(paths: Sequence[Path], case_paths: Sequence[Path],
                  policy_dirs: Sequence[Path]) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """(where the policies are, where the cases are): PATHS with --policies, and PATHS with
    --cases; without PATHS, the project's folders (its case folders only when no --cases is
    given); with the bundled library's cases, its policies too."""
    from kprules.cli.inputs import fail
    from kprules.core.files import SourceError
    from kprules.syntax.project import bundled, find_project

    policies, cases = [*paths, *policy_dirs], [*paths, *case_paths]
    if not paths:
        try:
            project = find_project(Path.cwd())
        except SourceError as err:
            sources = {err.source.name: err.source} if err.source is not None else {}
            print_diagnostics(err.diagnostics, sources, "text")
            sys.exit(1)
        if project is None:
            fail("KP603", "no policies to test: give the `.kpr` files or their folder, or run "
                 "in a project (`kprules.toml`, see `kprules init`)", 2)
        policies.extend(project.policies)
        cases.extend(() if case_paths else project.cases)
    library = bundled()
    if any(p.resolve().is_relative_to(library.cases.resolve()) for p in case_paths):
        policies.extend(_bundled_policies(policies))
    return tuple(dict.fromkeys(policies)), tuple(dict.fromkeys(cases))


def _bundled_policies(given: Sequence[Path]) -> list[Path]:
    """The bundled library's policy files, less those declaring a module that a policy given
    (or of the project) declares: the project's own `kpcs_2003` stands for the bundled one, as
    for eval and compare (both were read, KP210)."""
    from kprules.syntax.project import bundled
    from kprules.syntax.search import declared

    files = [f for p in given for f in (sorted(p.rglob("*.kpr")) if p.is_dir() else [p])
             if f.suffix == ".kpr"]
    mine = {declared(f) for f in files} - {None}
    return [f for f in sorted(bundled().policies.rglob("*.kpr")) if declared(f) not in mine]


def _library(paths: Sequence[Path]) -> Library:
    from kprules.api import Library
    from kprules.cli.common import load_and_check
    from kprules.cli.inputs import fail
    from kprules.core.diagnostics import PolicyError

    kpr = [p for p in paths if p.suffix == ".kpr"
           or holds(p, ".kpr")]
    if not kpr:
        fail("KP603", "no policies to test: give the `.kpr` files or their folder", 2)
    try:
        ws, result = load_and_check(kpr, use_seeds=False)
    except PolicyError as err:
        print_diagnostics(err.diagnostics, {}, "text")
        sys.exit(1)
    if not result.ok:
        print_diagnostics([d for d in result.diagnostics if d.is_error], ws.sources, "text")
        sys.exit(1)
    return Library(ws, result)


def _suite(paths: Sequence[Path], library: Library) -> Suite:
    from kprules.cases.files import read_suite

    cases = [p for p in paths if p.suffix == ".toml"
             or holds(p, ".toml")]
    return read_suite(cases, library)


def _run(library: Library, suite: Suite, coverage: bool,
         boundaries: bool) -> tuple[list[Check], Coverage | None, Boundaries | None]:
    from kprules.analysis.boundaries import Boundaries
    from kprules.analysis.coverage import Coverage
    from kprules.analysis.testing import Runner

    cover = Coverage.of(p.checked for p in library.values()) if coverage else None
    bounds = Boundaries.of(p.checked for p in library.values()) if boundaries else None
    checks: list[Check] = []
    for found, trace in Runner(library, suite).run(traces=coverage or boundaries):
        checks.extend(found)
        if trace is None:
            continue
        layout = trace.evaluator.layout
        if cover is not None:
            cover.add(layout, trace.slots, trace.facts, trace.as_of, trace.keys)
        if bounds is not None:
            case = found[0].case.id if found else ""
            bounds.add(layout, trace.slots, trace.facts, trace.as_of, trace.keys, case)
    return checks, cover, bounds


def _print_checks(checks: Sequence[Check], verbose: bool) -> None:
    from kprules.report.junit import failure_line, why_lines

    for c in checks:
        where = _where(c)
        key = f"{c.expectation.policy}.{c.expectation.term}"
        if c.passed:
            if verbose:
                emit(f"ok    {c.case.id}  {key} = {c.shown(c.got)}  ({where})\n")
            continue
        if c.error is not None:
            emit(f"ERROR {c.case.id}  {key}  ({where})\n  {c.error}\n")
            continue
        lines = [f"FAIL  {c.case.id}  {key}  ({where})", "  " + failure_line(c)]
        why = why_lines(c, WIDTH, "    ")
        if why:
            lines.append(f"  why {key} = {c.shown(c.got)}:")
            lines.extend(why)
        emit("\n".join(lines) + "\n")


def _where(c: Check) -> str:
    key = f"expect.{c.expectation.policy}.{c.expectation.term}"
    return f"{c.case.file}:{c.case.lines.get(key, c.case.line)}"


def _totals(suite: Suite, checks: Sequence[Check], file_errors: int) -> None:
    passed = sum(1 for c in checks if c.passed)
    errors = sum(1 for c in checks if c.error is not None) + file_errors
    failed = len(checks) - passed - sum(1 for c in checks if c.error is not None)
    cases = len({c.case.id for c in checks})
    parts = [f"{passed} passed", f"{failed} failed"] + (
        [plural(errors, "error")] if errors else [])
    emit(f"{plural(cases, 'case')}, {plural(len(checks), 'expectation')}: {', '.join(parts)}\n")


def _junit(path: Path, checks: Sequence[Check], suite: Suite,
           inputs: Sequence[Path] = ()) -> None:
    from kprules.cli.inputs import fail
    from kprules.core.files import OutputError, atomic_output
    from kprules.core.render import render_text
    from kprules.report.junit import test_lines

    errors = [(d.span.source if d.span else "case files", render_text(d, suite.sources))
              for d in suite.diagnostics if d.is_error]
    try:
        with atomic_output(path, inputs) as out:
            for line in test_lines(checks, errors):
                out.write(line + "\n")
    except OutputError as err:
        fail("KP604", str(err))
