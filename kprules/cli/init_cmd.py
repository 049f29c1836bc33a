"""`kprules init`: write a starter folder for drafting a proposal against the bundled library."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

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
{base}.conflict_diamond = false
my_proposal.conflict_diamond = true
"""


def _check_base(base: str, folder: Path) -> None:
    """A usage error unless `base` is a bundled policy that defines `conflict_diamond` (the
    term the starter redefines), or a policy of the folder's own `policies/`."""
    from kprules.api import load
    from kprules.syntax.project import bundled

    where = bundled()
    library = load(where.policies, seeds=where.seeds)
    if base in library:
        if "conflict_diamond" in library[base].terms:
            return
        raise click.BadParameter(f"`{base}` has no `conflict_diamond` for the starter to "
                                 f"redefine; amend one of: {_choices(library)}",
                                 param_hint="--amends")
    written = re.compile(rf"^policy\s+{re.escape(base)}\b", re.M)
    for path in sorted((folder / "policies").rglob("*.kpr")) if folder.is_dir() else []:
        try:
            if written.search(path.read_text(encoding="utf-8")):
                return
        except (OSError, UnicodeDecodeError):
            continue
    raise click.BadParameter(f"no policy `{base}` in the bundled library or in "
                             f"`policies/`; amend one of: {_choices(library)}",
                             param_hint="--amends")


def _choices(library: Library) -> str:
    return ", ".join(sorted(n for n, p in library.items() if "conflict_diamond" in p.terms))


def starter_files(base: str) -> dict[str, str]:
    """The starter folder's files (relative path -> text) for a proposal amending `base`."""
    return {
        "kprules.toml": PROJECT,
        "policies/my_proposal.kpr": PROPOSAL.format(base=base),
        "seeds/my_proposal_text.md": SEED,
        "cases/militia.toml": CASE.format(base=base),
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

    Exit status: 0 the files were written (or all existed already); 2 usage errors.
    """
    from kprules.cli.inputs import fail
    from kprules.core.files import display_name

    if not _NAME.fullmatch(base):
        raise click.BadParameter(f"`{base}` is not a policy name", param_hint="--amends")
    if folder.exists() and not folder.is_dir():
        raise click.BadParameter(f"`{display_name(folder)}` is a file, not a folder",
                                 param_hint="FOLDER")
    _check_base(base, folder)
    for name, text in starter_files(base).items():
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
