"""`kprules init`: write a starter folder for drafting a proposal against the bundled library."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kprules.checker.lint import decisions_use
from kprules.cli.common import emit

if TYPE_CHECKING:
    from kprules.api import Library

_NAME = re.compile(r"[a-z_][a-z0-9_]*")

PROJECT = """\
# The kprules project file: folders relative to this file (docs/cli.md, "Projects").
# The bundled Kimberley library (kpcs_2003, the proposals, readings, restrictions, their cases
# and seeds) is always available by name besides these.
policies = ["policies"]
seeds = ["seeds"]
cases = ["cases"]
"""

PROPOSAL = """\
# A starter proposal: amend `{base}` so that rough diamonds a militia uses to finance conflict
# against a government are conflict diamonds too. Change the policy's name, title and
# definitions; `kprules check --strict policies/` checks it, `kprules test --coverage` runs the
# cases, `kprules compare {base} policies/my_proposal.kpr --cases cases/` shows what changes.
policy my_proposal "My proposal: {base}, with rough diamonds used by militias"
  status proposed
  amends {base}

redefine conflict_diamond
  "the conflict diamonds of {base}, and rough diamonds used by militias to finance conflict
   aimed at undermining legitimate governments"
  cite my_proposal_text "Proposed wording"
    "rough diamonds used by rebel movements, their allies or militias"
  = base.conflict_diamond
    or form = rough and natural and used_by = militia
      and armed_conflict_against_government in proceeds_finance
"""

SEED = """\
+++
id = "my_proposal_text"
title = "My proposal: the text (a draft)"
kind = "draft"
content = "verbatim"
+++

# My proposal: the text

Conflict diamonds means rough diamonds used by rebel movements, their allies or militias to
finance conflict aimed at undermining legitimate governments.
"""

CASE = """\
[case]
id = "militia-rough-2024"
title = "Rough diamonds sold by a militia to pay for its war on the government, 2024"
sources = ["my_proposal_text"]
date = 2024-06-01
notes = "An illustrative case: the facts are invented."

[facts]
used_by = "militia"
area_controlled_by = "militia"
proceeds_finance = ["armed_conflict_against_government"]
form = "rough"
natural = true

[expect]
{base}.conflict_diamond = {value}
my_proposal.conflict_diamond = true
"""


def _check_base(base: str, folder: Path) -> Library:
    """The checked library holding `base`: a bundled policy, or one of the project the folder
    is in (its `kprules.toml` policy folders, and the folder's own `policies/`). A usage error
    unless `base` is there, checks, and defines `conflict_diamond` (the term the starter
    redefines)."""
    from kprules.api import load
    from kprules.core.diagnostics import PolicyError
    from kprules.syntax.project import bundled

    where = bundled()
    library = load(where.policies, seeds=where.seeds)
    if base not in library:
        path = _project_base(base, folder)
        if path is None:
            raise click.BadParameter(f"no policy `{base}` in the bundled library or in the "
                                     f"project; amend one of: {_choices(library)}",
                                     param_hint="--amends")
        try:
            library = load(path)
        except PolicyError:
            raise click.BadParameter(f"`{base}` has errors: `kprules check {path}` shows "
                                     "them", param_hint="--amends") from None
    if "conflict_diamond" not in library[base].terms:
        raise click.BadParameter(f"`{base}` has no `conflict_diamond` for the starter to "
                                 f"redefine; amend one of: {_choices(library)}",
                                 param_hint="--amends")
    if not decisions_use(library[base].checked, "conflict_diamond"):
        raise click.BadParameter(f"no decision of `{base}` uses `conflict_diamond`, so the "
                                 "starter's redefinition would change nothing (KP216); amend "
                                 f"one of: {_choices(library)}", param_hint="--amends")
    return library


def _project_base(base: str, folder: Path) -> Path | None:
    """The file declaring `base` in the policy folders of the project `folder` is in (its own
    `policies/` included, which the starter's project file names)."""
    from kprules.core.diagnostics import PolicyError
    from kprules.syntax.project import policy_folders
    from kprules.syntax.search import find_in

    try:
        folders = policy_folders([folder])
    except PolicyError:  # a malformed project file: only the folder's own policies/
        folders = []
    return find_in(base, [folder / "policies", *folders[:-1]])  # the last is the bundled one


def _expected(library: Library, base: str) -> str:
    """The base's value of `conflict_diamond` on the starter case, as the case file writes it
    (the starter's expectation of the base holds whatever the base is)."""
    import tomllib

    from kprules.ir.values import UNKNOWN

    case = tomllib.loads(CASE.format(base=base, value="false"))
    value = library[base].evaluate(case["facts"], as_of=case["case"]["date"])["conflict_diamond"]
    return '"unknown"' if value is UNKNOWN else str(value).lower()


def _choices(library: Library) -> str:
    return ", ".join(sorted(n for n, p in library.items() if "conflict_diamond" in p.terms
                            and decisions_use(p.checked, "conflict_diamond")))


def starter_files(base: str, value: str = "false") -> dict[str, str]:
    """The starter folder's files (relative path -> text) for a proposal amending `base`, whose
    `conflict_diamond` is `value` on the starter case."""
    return {
        "kprules.toml": PROJECT,
        "policies/my_proposal.kpr": PROPOSAL.format(base=base),
        "seeds/my_proposal_text.md": SEED,
        "cases/militia.toml": CASE.format(base=base, value=value),
    }


@click.command("init")
@click.argument("folder", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--amends", "base", default="kpcs_2003", show_default=True, metavar="POLICY",
              help="The policy of the bundled library (or of the project) the proposal amends.")
def init_command(folder: Path, base: str) -> None:
    """Write a starter folder: a project file, a proposal, a case file and a seed.

    FOLDER (default: the working folder) gets `kprules.toml` (naming `policies/`, `seeds/` and
    `cases/`), `policies/my_proposal.kpr` amending POLICY (it redefines `conflict_diamond`, so
    POLICY is one of the definitions of conflict diamonds: kpcs_2003, a reading or a proposal),
    `seeds/my_proposal_text.md` (the text it cites) and `cases/militia.toml` (a case with
    expectations for both policies).
    Existing files are never overwritten: they are kept, and said so.

    Example: kprules init drafts --amends kpcs_2003 && cd drafts && kprules check --strict
    policies/

    Exit status: 0 the files were written (or all existed already); 1 a file cannot be
    written (nothing is written when a file stands where a folder goes); 2 usage errors.
    """
    from kprules.cli.inputs import fail
    from kprules.core.files import display_name

    if not _NAME.fullmatch(base):
        raise click.BadParameter(f"`{base}` is not a policy name", param_hint="--amends")
    if folder.exists() and not folder.is_dir():
        raise click.BadParameter(f"`{display_name(folder)}` is a file, not a folder",
                                 param_hint="FOLDER")
    library = _check_base(base, folder)
    files = starter_files(base, _expected(library, base))
    for name in files:  # before anything is written: a file where a folder goes
        blocked = next((p for p in Path(name).parents if (folder / p).exists()
                        and not (folder / p).is_dir()), None)
        if blocked is not None:
            fail("KP100", f"cannot write `{display_name(folder / name)}`: "
                 f"`{display_name(folder / blocked)}` is a file, not a folder")
    for name, text in files.items():
        path = folder / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as fh:  # "x": never overwrite
                fh.write(text)
        except FileExistsError:
            emit(f"kept {display_name(path)} (it exists)\n", err=True)
            continue
        except OSError as err:
            fail("KP100", f"cannot write `{display_name(path)}`: {err.strerror}")
        emit(f"wrote {display_name(path)}\n", err=True)
