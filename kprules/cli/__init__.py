"""The `kprules` command line: one click group; each command lives in its own module.

Exit codes, for every command: 0 success; 1 problems found (errors in policies, cases or data,
failed expectations, differences with --fail-on-difference, files fmt would change); 2 usage
errors; 3 an internal error (a bug in kprules: the message says so, `--debug` shows the traceback).
Heavy modules are imported inside the commands, so that `kprules --help` starts fast.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from kprules.cli.check_cmd import check_command
from kprules.cli.compare_cmd import compare_command
from kprules.cli.eval_cmd import eval_command
from kprules.cli.explain_cmd import explain_command
from kprules.cli.fmt_cmd import fmt_command
from kprules.cli.test_cmd import test_command

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="kprules", prog_name="kprules")
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """kprules: Kimberley Process rules as code.

    Write conflict-diamond definitions and export restrictions as typed, dated, cited policies
    (`.kpr` files); check them; evaluate them on cases; compare a current definition with
    proposals. Start with `kprules check policies/`. Documentation: docs/ in the repository.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


cli.add_command(check_command)
cli.add_command(eval_command)
cli.add_command(explain_command)
cli.add_command(fmt_command)
cli.add_command(compare_command)
cli.add_command(test_command)


def main(argv: list[str] | None = None) -> Any:
    """Run the group; an unexpected exception becomes exit code 3, never a traceback."""
    _tolerant_streams()
    try:
        return cli.main(args=argv, prog_name="kprules", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("kprules: interrupted", err=True)
        sys.exit(130)
    except Exception as err:
        debug = "--debug" in (argv if argv is not None else sys.argv[1:])
        if debug:
            traceback.print_exc()
        detail = " ".join(str(err).split())
        detail = detail if len(detail) <= 300 else detail[:297] + "..."
        click.echo(f"internal error[KP900]: {type(err).__name__}: {detail}\n"
                   "  = this is a bug in kprules; run with --debug for the traceback", err=True)
        sys.exit(3)


def _tolerant_streams() -> None:
    """Never fail on printing: a character the terminal's encoding lacks is shown escaped."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                continue
