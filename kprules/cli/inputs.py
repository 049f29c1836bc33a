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

from kprules.cli.common import emit, load_and_check, print_diagnostics

if TYPE_CHECKING:
    from kprules import ir
    from kprules.api import Library
    from kprules.cases.model import Suite
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.source import Source
    from kprules.eval.evaluate import Evaluator
    from kprules.syntax.loader import Workspace

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


LIBRARY = "@library"


class CasesParam(click.ParamType[Path]):
    """A case file or folder, a data file, or `@library` (the bundled library's cases;
    `@library/FILE` one of them)."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Path:
        return case_path(str(value))


CASES = CasesParam()


def case_path(value: str) -> Path:
    """A --cases value as a path: `@library` and `@library/...` name the bundled cases."""
    if value == LIBRARY or value.startswith(LIBRARY + "/"):
        from kprules.syntax.project import bundled

        rest = value[len(LIBRARY):].lstrip("/")
        return bundled().cases / rest if rest else bundled().cases
    return Path(value)


def one_data_file(paths: Sequence[Path], done: str) -> bool:
    """Whether the --cases given are a data file (by its extension); a usage error when one is
    given with other paths: case files and folders merge, a data file is `done` alone."""
    from kprules.core.files import DATA_FORMATS, display_name

    data = [p for p in paths if not p.is_dir() and p.suffix.lower() in DATA_FORMATS]
    if data and len(paths) > 1:
        raise click.UsageError(f"--cases: a data file ({display_name(data[0])}) is {done} "
                               "alone; case files and folders may be given together")
    return bool(data)


def seeds_options(f: Any) -> Any:
    """--seeds DIR (repeatable, merged with the project's and the bundled seeds), --no-seeds."""
    f = click.option("--no-seeds", is_flag=True,
                     help="Do not check citations against source documents.")(f)
    return click.option("--seeds", "seeds_dir", multiple=True, metavar="DIR",
                        type=click.Path(file_okay=False, path_type=Path),
                        help="A folder of source documents citations name (repeatable); "
                        "merged with the project's seeds folders and the bundled library's "
                        "seeds, the first holding a seed winning.")(f)


def policies_option(f: Any) -> Any:
    """--policies DIR (repeatable): where policies named and the bases needed are looked for."""
    return click.option("--policies", "policy_dirs", multiple=True, metavar="DIR",
                        type=click.Path(file_okay=False, path_type=Path),
                        help="A folder where the policies named and the bases and vocabularies "
                        "they need are looked for (repeatable), before the project's policy "
                        "folders and the bundled library.")(f)


# The symbolic bound's default, kprules.analysis.symbolic.mdd.MAX_NODES, written here so that
# the commands' options do not import the analysis (a test keeps the two equal).
DEFAULT_NODES = 200_000


def max_nodes_option(f: Any) -> Any:
    """--max-nodes N: the decision-diagram nodes one symbolic question may build."""
    return click.option(
        "--max-nodes", type=click.IntRange(min=1_000), default=DEFAULT_NODES, show_default=True,
        metavar="N", help="The decision-diagram nodes one term's comparison, proof or decision "
        "analysis may build (and five times as many steps); past them it is `too_large`, not "
        "decided. More takes longer and more memory, about 0.4 KB a node: 2,000,000 took up "
        "to 18 s and 0.9 GB (docs/symbolic.md, Limits).")(f)


def cases_option(f: Any) -> Any:
    """--cases PATH (repeatable, merged)."""
    return click.option("--cases", "case_paths", multiple=True, type=CASES, metavar="PATH",
                        help="Case files (.toml) or folders of them (repeatable, merged); "
                        "`@library` is the bundled library's cases.")(f)


# ----------------------------------------------------------------------------- shared helpers


def report(diags: Sequence[Diagnostic], sources: Mapping[str, Source]) -> None:
    """Diagnostics in the standard text rendering, on stderr."""
    from kprules.core.render import render_all

    if diags:
        emit(render_all(diags, sources, "text"), err=True)


def policy_paths(args: Sequence[str], folders: Sequence[Path] = ()) -> list[Path]:
    """POLICY arguments as paths: a file or folder, or the name of a policy declared in a
    `.kpr` file of `folders`, the project's policy folders or the bundled library."""
    from kprules.syntax.search import find_in, find_module

    out = []
    for arg in args:
        path = Path(arg)
        if _NAME.fullmatch(arg) and not (path.is_file() or holds(path, ".kpr")):
            # a name, unless a folder here holds policies (an empty one does not hide it)
            found = find_in(arg, folders) or find_module(arg, Path.cwd())
            if found is None and not path.exists():
                _no_policy(arg, folders)
            path = found or path
        out.append(path)
    return out


def _no_policy(name: str, folders: Sequence[Path]) -> NoReturn:
    """KP602 (a usage error, exit 2) for a name no policy file declares, with the closest name
    of the policy files in `folders`, the project's policy folders and the bundled library."""
    from kprules.core.suggest import did_you_mean
    from kprules.syntax.project import policy_folders

    known = {p.stem for folder in [*folders, *policy_folders([Path.cwd()])]
             if folder.is_dir() for p in folder.rglob("*.kpr")}
    hint = did_you_mean(name, sorted(known))
    fail("KP602", f"no policy `{name}`: no file or folder of that name, and no policy file of "
         "the project or the bundled library declares it" + (f"; {hint}" if hint else ""), 2)


def open_library(args: Sequence[str], seeds: Sequence[Path] | Path | None, no_seeds: bool,
                 folders: Sequence[Path] = ()) -> Library:
    """Read and check the policies; on errors print them and exit 1 (warnings are for
    `kprules check`). Each policy and vocabulary read from outside the arguments is noted on
    standard error (see `note_origins`)."""
    from kprules.api import Library

    ws, result = load_and_check(policy_paths(args, folders), seeds, use_seeds=not no_seeds,
                                folders=folders)
    if not result.ok:
        report(result.errors, ws.sources)
        sys.exit(1)
    return Library(ws, result)


def modules_read(ws: Workspace) -> list[dict[str, object]]:
    """Each policy and vocabulary read: its name, the file it came from, whether that file was
    given, and whether it belongs to the bundled library (else it was found in a --policies
    folder or a project's policy folder, as a base or vocabulary the files given need)."""
    from kprules.core.files import display_name
    from kprules.syntax.project import is_bundled

    return [{"name": name, "file": display_name(ws.paths[name]) if name in ws.paths else None,
             "given": name in ws.given,
             "bundled": name in ws.paths and is_bundled(ws.paths[name])} for name in ws.modules]


def note_origins(read: Sequence[Mapping[str, object]]) -> None:
    """A note on standard error for each module read from outside the files given."""
    for m in read:
        if not m["given"]:
            where = "the bundled library; " if m["bundled"] else ""
            emit(f"note: `{m['name']}` is read from {m['file']} ({where}the files given need "
                 "it; it is not among them)\n", err=True)


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


def load_cases(path: Path | Sequence[Path], lib: Library) -> Suite:
    """Read and validate case files (a file or folder, or several, merged); print every
    problem and exit 1 if there is any."""
    from kprules.cases.files import read_suite

    suite = read_suite([path] if isinstance(path, Path) else list(path), lib,
                       allow_unloaded=True)
    if not suite.ok:
        report(suite.diagnostics, suite.sources)
        sys.exit(1)
    return suite


def check_case_path(path: Path, command: str | None = None) -> None:
    """Exit 1 (KP420) for a file that is not a case file: neither a case file nor a data file,
    or, for a `command` that reads case files only (`explain`), a data file."""
    from kprules.cases.bulk import FORMATS, data_format
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.files import display_name

    if not path.is_file() or path.suffix.lower() == ".toml":
        return
    name = display_name(path)
    if command is not None and data_format(path) is not None:
        problem = Diagnostic("KP420", f"`{name}` is a data file; `kprules {command}` reads a "
                             "case file (`.toml`)", None,
                             hint=f"evaluate a data file's records with `kprules eval "
                             f"--cases {name}`; explain one by writing it as a case")
    else:
        listed = ", ".join(f"`{e}`" for e in FORMATS)
        problem = Diagnostic("KP420", f"`{name}` is neither a case file nor a data file", None,
                             hint=f"case files end in `.toml`, data files in {listed}")
    report([problem], {})
    sys.exit(1)


def checked_output(output: Path, inputs: Sequence[Path] = (), data: bool = False) -> Path:
    """The file an output (`--output`, `--junit`) writes, a link followed to its target; KP604,
    before anything is read or run, when it must not be written: a folder, a read-only file, an
    input of this run, a policy, case or data file (`data`: a data file that is no input may be
    replaced), or a file in a folder that does not exist."""
    from kprules.core.files import OutputError, display_name, output_target

    try:
        target = output_target(output, inputs, data=data)
    except OutputError as err:
        fail("KP604", str(err))
    if not target.parent.is_dir():
        fail("KP604", f"cannot write `{display_name(output)}`: No such file or directory")
    return target


class Stop(Exception):
    """A problem already worth one line: its code, message and exit status."""

    def __init__(self, code: str, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def fail(code: str, message: str, status: int = 1) -> NoReturn:
    emit(f"error[{code}]: {message}\n", err=True)
    sys.exit(status)


def holds(path: Path, suffix: str) -> bool:
    """A folder with a file ending in `suffix` in it, at any depth (the walk stops at the
    first)."""
    return path.is_dir() and next(path.rglob(f"*{suffix}"), None) is not None


def no_case_files(path: Path) -> bool:
    """A folder without any `*.toml` file in it (at any depth)."""
    return path.is_dir() and not holds(path, ".toml")


# ---------------------------------------------------------------------------- policies
# named on the command line (compare, diff, test --region-coverage)


def resolve(base: str, others: Sequence[str], policy_dirs: Sequence[Path]
            ) -> tuple[Library, str, list[str]]:
    """The library, the base policy's name, and the other policies' names (folders expanded)."""
    args = [base, *others]
    given = {a: is_path(a) for a in args}  # a folder's walk done once per argument
    paths = [Path(a) for a in args if given[a]]
    names = [a for a in args if not given[a]]
    load = list(paths) + list(policy_dirs)
    if names and not policy_dirs:  # names are looked for beside the files given, or in policies/
        near = [p if p.is_dir() else p.parent for p in paths]
        load.extend(near or ([Path("policies")] if Path("policies").is_dir() else []))
    load = load or _found_elsewhere(names)
    if not load:
        raise Stop("KP602", f"no policy `{names[0]}`: no policy files given and no `policies/` "
                   "folder here; give the `.kpr` files or --policies FOLDER", 2)
    library = load_policies(load)
    missing = _found_elsewhere([n for n in names if n not in library.policies])
    if missing:  # names in the project's policy folders or the bundled library
        library = load_policies([*load, *missing])
    base_names = named_policies(library, base, given[base])
    if len(base_names) != 1:
        listed = ", ".join(f"`{n}`" for n in base_names) or "none"
        raise Stop("KP606", f"the base `{base}` must be one policy; it holds {listed}", 2)
    out: list[str] = []
    for arg in others:
        out.extend(n for n in named_policies(library, arg, given[arg])
                   if n not in out and n != base_names[0])
    if not out:
        raise Stop("KP606", "no policy to compare with the base: the others hold no policy "
                   "but the base", 2)
    return library, base_names[0], out


def _found_elsewhere(names: Sequence[str]) -> list[Path]:
    from kprules.syntax.search import find_module

    return [p for p in (find_module(n, Path.cwd()) for n in names) if p is not None]


def is_path(arg: str) -> bool:
    """A POLICY argument that names a file or folder, not a policy: `.kpr`, a separator, or a
    folder here holding policies (an empty folder `kpcs_2003` leaves the name a name)."""
    return arg.endswith(".kpr") or "/" in arg or "\\" in arg or holds(Path(arg), ".kpr")


def named_policies(library: Library, arg: str, a_path: bool | None = None) -> list[str]:
    """The policies an argument means: a name, or every policy written in a file or folder
    (`a_path`: whether it is one, when the caller knows: `is_path`)."""
    from kprules.core.files import display_name

    if not (is_path(arg) if a_path is None else a_path):
        if arg not in library.policies:
            from kprules.core.suggest import did_you_mean

            hint = did_you_mean(arg, library.policies)
            raise Stop("KP602", f"no policy `{arg}`" + (f"; {hint}" if hint else ""), 2)
        return [arg]
    path = Path(arg)
    shown, real = display_name(path), path.resolve()  # a path through a link: its target
    if path.is_dir():
        return sorted(p.name for p in library.values()
                      if Path(p.checked.source).resolve().is_relative_to(real))
    found = [p.name for p in library.values() if Path(p.checked.source).resolve() == real]
    if not found:
        raise Stop("KP606", f"`{shown}` declares no policy (a vocabulary, or another module)", 2)
    return found


def load_policies(paths: Sequence[Path]) -> Library:
    from kprules.api import Library
    from kprules.core.diagnostics import PolicyError

    try:
        ws, result = load_and_check(list(dict.fromkeys(paths)), use_seeds=False)
    except PolicyError as err:
        print_diagnostics(err.diagnostics, {}, "text", err=True)
        sys.exit(1)
    if not result.ok:
        print_diagnostics([d for d in result.diagnostics if d.is_error], ws.sources, "text",
                          err=True)
        sys.exit(1)
    return Library(ws, result)


def shared_terms(base: ir.CheckedPolicy, other: ir.CheckedPolicy,
                 terms: tuple[str, ...]) -> tuple[str, ...]:
    """The terms asked for (each in both policies), or the terms `compare` would compare."""
    from kprules.compare import CompareError, default_terms
    from kprules.core.suggest import term_hint

    if base.vocabulary.name != other.vocabulary.name:
        raise CompareError(f"`{base.name}` reads `{base.vocabulary.name}` and `{other.name}` "
                           f"reads `{other.vocabulary.name}`; only policies over one vocabulary "
                           "can be compared")
    for p in (base, other):
        for t in terms:
            if t not in p.terms:
                hint = term_hint(t, p.terms)
                raise CompareError(f"policy `{p.name}` has no term `{t}`"
                                   + (f"; {hint}" if hint else ""), "KP601")
    chosen = tuple(dict.fromkeys(terms)) if terms else default_terms([base, other])
    if not chosen:
        raise CompareError(f"`{base.name}` and `{other.name}` have no term in common to compare",
                           "KP605")
    return chosen
