"""`kprules lsp`: run the language server (kprules.editor.server) over stdin and stdout."""

from __future__ import annotations

import sys

import click


@click.command("lsp")
@click.option("--debounce", "debounce_ms", type=click.IntRange(0, 10_000), default=100,
              show_default=True, metavar="MS",
              help="Check a changed document once no change has come for MS milliseconds.")
def lsp_command(debounce_ms: int) -> None:
    """Run the language server for editors, over stdin and stdout.

    Editors start it themselves (docs/editor.md: VS Code, Neovim, Emacs): it checks each open
    `.kpr` file as you type, as `kprules check FILE` would, and re-checks the files that depend
    on it; it shows types, descriptions and quoted sources on hover, goes to definitions and
    finds references across files, completes names, offers the did-you-mean hints as quick
    fixes, formats as `kprules fmt` does, and runs a policy's cases from a code lens.

    Needs the `lsp` extra: pip install 'kprules[lsp]'.
    """
    try:
        from kprules.editor.server import build
    except ImportError as err:
        click.echo(f"error: `kprules lsp` needs pygls and lsprotocol ({err.name} is not "
                   "installed)\n  = hint: pip install 'kprules[lsp]'", err=True)
        sys.exit(2)
    build(debounce_ms / 1000).start_io()
