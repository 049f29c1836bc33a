"""`kprules fmt`: rewrite policies in canonical form (placeholder until pretty.py lands)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; exit 1 when a file is not in canonical form.")
def fmt_command(paths: tuple[Path, ...], check_only: bool) -> None:
    """Rewrite `.kpr` files in canonical form."""
    raise click.UsageError("fmt is not available yet")
