"""The `kprules` command line: one click group; each command lives in its own module.

Exit codes, for every command: 0 success; 1 problems found (errors in policies, cases or data,
failed expectations, differences with --fail-on-difference, files fmt would change); 2 usage
errors; 3 an internal error (a bug in kprules: the message says so, `--debug` shows the traceback).
Commands are imported only when used, and heavy modules inside the commands, so that
`kprules --help` starts fast.
"""

from __future__ import annotations

import errno
import gc
import importlib
import sys
import traceback
from typing import Any, NoReturn

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# The collector's thresholds in the command's process. Starting allocates some 100,000 objects
# that live as long as the process (modules, classes, the parser's tables, the checked
# policies), and the default first generation (700) makes the collector walk them about a
# hundred times before anything is evaluated: 15 ms of a 0.3 s `kprules eval`, 0.1 s of the
# README's `compare`. With a first generation of 100,000 (mypy sets 200,000) it seldom runs
# during the start, and still collects what cycles a long run (`kprules lsp`) leaves.
START_GC = (100_000, 20, 20)

# The commands: name -> (module, attribute, the summary that `kprules --help` lists, which is the
# first sentence of the command's help; a test keeps the two equal). A command's module is
# imported only when the command runs or shows its own help, so that `kprules --help` imports
# neither the checker nor Lark. A new command is one line here.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("kprules.cli.check_cmd", "check_command",
              "Check policies and vocabularies: syntax, names, types, amendments, citations."),
    "compare": ("kprules.cli.compare_cmd", "compare_command",
                "Compare BASE with each OTHER policy over the same cases: what changes, and why."),
    "diff": ("kprules.cli.diff_cmd", "diff_command",
             "Show where BASE and each OTHER policy disagree: every case, not only those "
             "written."),
    "eval": ("kprules.cli.eval_cmd", "eval_command",
             "Evaluate policies on cases, and print the value of every term."),
    "explain": ("kprules.cli.explain_cmd", "explain_command",
                "Explain why each term of the policies has its value on one case."),
    "fmt": ("kprules.cli.fmt_cmd", "fmt_command", "Rewrite `.kpr` files in canonical form."),
    "init": ("kprules.cli.init_cmd", "init_command",
             "Write a starter folder: a project file, a proposal, a case file and a seed."),
    "lsp": ("kprules.cli.lsp_cmd", "lsp_command",
            "Run the language server for editors, over stdin and stdout."),
    "test": ("kprules.cli.test_cmd", "test_command",
             "Run the expectations of the case files under PATHS against the policies under "
             "PATHS."),
}


class LazyGroup(click.Group):
    """A group whose commands (from COMMANDS, or added directly) are imported when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, summary(self, name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def summary(group: click.Group, name: str, limit: int) -> str:
    """The one-line help of a command as `kprules --help` lists it, without importing it."""
    if name in COMMANDS and name not in group.commands:
        return click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit)
    command = group.commands[name]
    return command.get_short_help_str(limit)


@click.group(cls=LazyGroup, context_settings=CONTEXT)
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


def run() -> Any:
    """The `kprules` command and `python -m kprules`: `main` in a process of its own.

    Lark imports `interegular`, when it is installed (kprules' test extra installs it), to check
    a grammar's terminals for collisions as it builds a parser. The command never builds one: it
    loads the shipped tables, which the tests check with a strict parser built from the
    grammar. The import alone is 10-15 ms of every start, so the command's process marks the
    module absent, as if it were not installed, before anything imports Lark.

    The garbage collector's first generation is raised (START_GC) for the process.
    """
    sys.modules.setdefault("interegular", None)  # type: ignore[arg-type]
    gc.set_threshold(*START_GC)
    return main()


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
    except OSError as err:
        if err.errno not in _MACHINE_LIMITS:
            _internal_error(err, argv)
        name = err.filename if isinstance(err.filename, str) else ""
        name = name if len(name) <= 200 else f"{name[:100]}...{name[-97:]}"
        where = f"`{name}`: " if name else ""
        code = "KP100" if err.errno == errno.ENAMETOOLONG else "KP604"
        click.echo(f"error[{code}]: {where}{err.strerror}\n"
                   "  = hint: the machine, not the input, stopped the command: free space, "
                   "raise the limit or give a shorter path", err=True)
        sys.exit(1)
    except Exception as err:
        _internal_error(err, argv)


# What the machine, not kprules, refuses: a full disk or quota, a file-size limit, a path
# too long for the file system. Anything else is a bug (KP900).
_MACHINE_LIMITS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.ENAMETOOLONG})


def _internal_error(err: Exception, argv: list[str] | None) -> NoReturn:
    """KP900 and exit 3: an unexpected exception, never a traceback (unless --debug)."""
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
