"""What the commands read, shared by all of them: dates, policies, seeds and case files,
and the one-line failure.

Effects only at the edges (reading files, printing a failure and exiting); every command module
imports these helpers from here and never from another command.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kprules.cli.common import emit, load_and_check

if TYPE_CHECKING:
    from kprules.api import Library
    from kprules.cases.files import Suite
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.source import Source
    from kprules.eval.evaluate import Evaluator

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DateParam(click.ParamType[dt.date]):
    """A date written 2024-03-01, and only so: as case files read dates (Python's `fromisoformat`
    also reads `20240301` and week dates such as `2024-W10-1`)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        from kprules.ir.types import DATE as DATE_TYPE
        from kprules.ir.values import FactError, coerce

        try:
            date: dt.date = coerce(str(value), DATE_TYPE, from_text=True)
            return date
        except FactError:
            self.fail(f"{value!r} is not a date such as 2024-03-01", param, ctx)


DATE = DateParam()


def seeds_options(f: Any) -> Any:
    f = click.option("--no-seeds", is_flag=True,
                     help="Do not check citations against source documents.")(f)
    return click.option("--seeds", "seeds_dir", type=click.Path(file_okay=False, path_type=Path),
                        help="The folder of source documents citations name [default: the "
                        "nearest `seeds/` folder above the first policy].")(f)


# ----------------------------------------------------------------------------- shared helpers


def report(diags: Sequence[Diagnostic], sources: Mapping[str, Source]) -> None:
    """Diagnostics in the standard text rendering, on stderr."""
    from kprules.core.render import render_all

    if diags:
        emit(render_all(diags, sources, "text"), err=True)


def policy_paths(args: Sequence[str]) -> list[Path]:
    """POLICY arguments as paths: a file or folder, or the name of a policy declared in a
    `.kpr` file near the working folder."""
    from kprules.syntax.loader import find_module

    out = []
    for arg in args:
        path = Path(arg)
        if not path.exists() and _NAME.fullmatch(arg):
            path = find_module(arg, Path.cwd()) or path
        out.append(path)
    return out


def open_library(args: Sequence[str], seeds_dir: Path | None, no_seeds: bool) -> Library:
    """Read and check the policies; on errors print them and exit 1 (warnings are for
    `kprules check`)."""
    from kprules.api import Library

    ws, result = load_and_check(policy_paths(args), seeds_dir, use_seeds=not no_seeds)
    if not result.ok:
        report(result.errors, ws.sources)
        sys.exit(1)
    return Library(ws, result)


def given_policies(lib: Library) -> list[str]:
    """The policies named on the command line (not the bases and vocabularies found nearby)."""
    names = [n for n in lib.workspace.given if n in lib.result.policies]
    if not names:
        raise click.UsageError("no policy among the files given (only vocabularies?); "
                               "give a policy file or folder")
    return names


def resolve_terms(lib: Library, policies: Sequence[str],
                  terms: Sequence[str]) -> list[tuple[str, str]]:
    """(policy, term) targets, policy by policy: every term of each policy, or the --term
    names, each `term` (in every policy that has it) or `policy.term`."""
    if not terms:
        return [(p, t) for p in policies for t in lib[p].terms]
    from kprules.core.suggest import did_you_mean

    found: dict[str, list[tuple[str, str]]] = {}
    for name in terms:
        policy, _, term = name.rpartition(".")
        found[name] = [(p, term) for p in policies
                       if (not policy or p == policy) and term in lib[p].checked.terms]
        if not found[name]:
            known = {t for p in policies for t in lib[p].terms} | {
                f"{p}.{t}" for p in policies for t in lib[p].terms}
            hint = did_you_mean(name, known)
            raise click.UsageError(f"no policy given ({', '.join(policies)}) has a term "
                                   f"`{name}`" + (f"; {hint}" if hint else ""))
    ordered = [target for p in policies for name in terms for target in found[name]
               if target[0] == p]
    return list(dict.fromkeys(ordered))


def evaluator(lib: Library, targets: Sequence[tuple[str, str]]) -> Evaluator:
    """The compiled evaluator of the targets; exit 1 if they read different vocabularies."""
    from kprules.core.diagnostics import Diagnostic

    vocabularies: dict[str, set[str]] = {}
    for p, _ in targets:
        vocabularies.setdefault(lib[p].vocabulary.name, set()).add(p)
    if len(vocabularies) > 1:
        listed = "; ".join(f"`{v}` ({', '.join(sorted(ps))})"
                           for v, ps in sorted(vocabularies.items()))
        report([Diagnostic("KP414", f"the policies read different vocabularies: {listed}",
                           None, hint="evaluate the policies of one vocabulary at a time")], {})
        sys.exit(1)
    return lib.evaluator(list(targets))


def load_cases(path: Path, lib: Library) -> Suite:
    """Read and validate case files; print every problem and exit 1 if there is any."""
    from kprules.cases.files import read_suite

    suite = read_suite([path], lib, allow_unloaded=True)
    if not suite.ok:
        report(suite.diagnostics, suite.sources)
        sys.exit(1)
    return suite


def check_case_path(path: Path) -> None:
    """Exit 1 (KP420) for a file that is neither a case file nor a data file."""
    from kprules.cases.bulk import FORMATS
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.files import display_name

    if path.is_file() and path.suffix.lower() != ".toml":
        listed = ", ".join(f"`{e}`" for e in FORMATS)
        report([Diagnostic("KP420", f"`{display_name(path)}` is neither a case file nor a "
                           "data file", None,
                           hint=f"case files end in `.toml`, data files in {listed}")], {})
        sys.exit(1)


class Stop(Exception):
    """A problem already worth one line: its code, message and exit status."""

    def __init__(self, code: str, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def fail(code: str, message: str, status: int = 1) -> NoReturn:
    emit(f"error[{code}]: {message}\n", err=True)
    sys.exit(status)


def no_case_files(path: Path) -> bool:
    """A folder without any `*.toml` file in it (at any depth)."""
    return path.is_dir() and next(path.rglob("*.toml"), None) is None
