"""`python -m kprules`: the same as the `kprules` command."""

from kprules.cli import run

run()
