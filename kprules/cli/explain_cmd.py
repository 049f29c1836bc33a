"""`kprules explain`: why each term of a policy has its value on one case, clause by clause.

Effects only: the case is read and validated like `kprules eval` reads case files; the
explanation tree and its rendering are kprules.explain.tree and kprules.explain_render.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kprules.cli.inputs import (
    CASES,
    DATE,
    check_case_path,
    given_policies,
    load_cases,
    open_library,
    policies_option,
    resolve_terms,
    seeds_options,
)
from kprules.core.escape import printable, terminal

if TYPE_CHECKING:
    from kprules.api import Library
    from kprules.cases.model import Case, Suite
    from kprules.explain.tree import Explanation


def pick_case(suite: Suite, case_id: str | None) -> Case:
    """The case --case-id names, or the only case; a usage error otherwise."""
    from kprules.core.suggest import did_you_mean

    ids = [c.id for c in suite.cases]
    if case_id is None:
        if len(ids) == 1:
            return suite.cases[0]
        raise click.UsageError(f"the case files hold {len(ids)} cases ({_listed(ids)}); "
                               "choose one with --case-id")
    if case_id not in ids:
        hint = did_you_mean(case_id, ids)
        raise click.UsageError(f"no case `{case_id}` in the case files"
                               + (f"; {hint}" if hint else f" ({_listed(ids)})"))
    return suite.cases[ids.index(case_id)]


def _listed(ids: list[str], most: int = 5) -> str:
    shown = ", ".join(ids[:most])
    return shown + (f", and {len(ids) - most} more" if len(ids) > most else "")


def explanations(lib: Library, targets: list[tuple[str, str]], case: Case,
                 as_of: dt.date | None) -> list[tuple[str, Explanation]]:
    """One explanation per policy, of its targets, in the order the policies were given."""
    policies = list(dict.fromkeys(p for p, _ in targets))
    out = []
    for name in policies:
        policy = lib[name]
        date = case.as_of(policy.vocabulary.dated_by, as_of)
        terms = [t for p, t in targets if p == name]
        out.append((name, policy.explain(case.facts, as_of=date, terms=terms)))
    return out


def render_text(lib: Library, case: Case, found: list[tuple[str, Explanation]]) -> str:
    blocks = [f"case {printable(case.id)}: {printable(case.title)}\n  ({case.file}:{case.line})\n"]
    for name, ex in found:
        title = lib[name].title
        head = f"policy {name}" + (f": {title}" if title else "")
        blocks.append(f"{'=' * min(len(head), 100)}\n{head}\n{'=' * min(len(head), 100)}\n"
                      + ex.text())
    return "\n".join(blocks)


def render_json(lib: Library, case: Case, found: list[tuple[str, Explanation]]) -> str:
    doc: dict[str, Any] = {
        "version": 1,
        "case": {"id": case.id, "title": case.title, "file": case.file, "line": case.line},
        "policies": [{"policy": name, "title": lib[name].title, **ex.to_json()}
                     for name, ex in found],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


EXPLAIN_HELP = """Explain why each term of the policies has its value on one case.

\b
For every term (or each --term), the explanation shows the clauses of its definition or the
rules of its decision, each with its value; the rule that gave the outcome and the exception
that applied are marked; citations are quoted under the provision that cites them. A term
that another uses is explained after it, once.

\b
POLICY: `.kpr` files or folders, or policy names, as for `kprules eval`. --case: a case file
(or folder); when it holds several cases, choose one with --case-id. The evaluation date is
the case's `date`, else its `dated by` fact, else --as-of.

\b
Examples:
  kprules explain policies/proposals/state_actors.kpr --case policies/cases/ru-alrosa.toml \\
      --case-id ru-alrosa-2023
  kprules explain kpcs_2003 --term rough_trade \\
      --case policies/cases/cf-central-african-republic.toml --case-id cf-anti-balaka-2014

Exit status: 0 on success; 1 on errors in policies or the case file; 2 on usage errors.
"""


@click.command("explain", help=EXPLAIN_HELP)
@click.argument("policies", nargs=-1, required=True, metavar="POLICY...")
@click.option("--case", "case_path", required=True, type=CASES,
              help="A case file (.toml), or a folder of them.")
@click.option("--case-id", help="The case to explain, when the file holds several.")
@click.option("--term", "terms", multiple=True, metavar="NAME",
              help="Explain only this term (`term` or `policy.term`); repeatable.")
@click.option("--as-of", type=DATE, help="The evaluation date, if the case gives none.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: indented, for a drafter; json: the tree.")
@seeds_options
@policies_option
def explain_command(policies: tuple[str, ...], case_path: Path, case_id: str | None,
                    terms: tuple[str, ...], as_of: dt.date | None, fmt: str,
                    seeds_dir: tuple[Path, ...], no_seeds: bool,
                    policy_dirs: tuple[Path, ...]) -> None:
    lib = open_library(policies, seeds_dir, no_seeds, policy_dirs)
    targets = resolve_terms(lib, given_policies(lib), terms)
    check_case_path(case_path, "explain")
    case = pick_case(load_cases(case_path, lib), case_id)
    vocabularies = {lib[p].vocabulary.name for p, _ in targets}
    if case.vocabulary not in vocabularies:
        raise click.UsageError(f"case `{case.id}` gives facts of `{case.vocabulary}`; the "
                               f"policies read {', '.join(sorted(vocabularies))}")
    from kprules.ir.runtime import EvalError

    try:
        found = explanations(lib, targets, case, as_of)
    except EvalError as err:  # a division by zero: located, as `eval` reports it
        from kprules.cli.common import print_diagnostics
        from kprules.cli.eval_write import located

        print_diagnostics([located(err.diagnostic, f"case `{case.id}` ({case.file}:{case.line})")],
                          lib.sources, "text", err=True)
        sys.exit(1)
    render = render_json if fmt == "json" else render_text
    click.echo(terminal(render(lib, case, found)), nl=False)
    sys.exit(0)

