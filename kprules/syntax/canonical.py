"""The verified canonical text of a policy file: what `kprules fmt` writes and the editor's
document formatting returns.

The printer's output is used only when it parses back to the same module (the same literal
values too), keeps every comment in order, and is stable (formatting it again changes nothing);
otherwise `FormatBug` says which check failed and the file is left alone. A canonical text over
the size limit of a policy (which no command would read back) is refused as KP102.
"""

from __future__ import annotations

from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.limits import MAX_POLICY_BYTES
from kprules.core.source import Source
from kprules.syntax import nodes as n
from kprules.syntax.parse import parse
from kprules.syntax.pretty import pretty, scan_comments


class FormatBug(Exception):
    """The canonical text failed its verification: a bug in the printer."""


def canonical_text(source: Source) -> str:
    """The verified canonical text of a source; `PolicyError` if it does not parse, or if the
    text would be larger than a policy may be (KP102)."""
    module = parse(source)
    comments = scan_comments(source.text)
    try:
        text = pretty(module, comments)
    except (ValueError, RecursionError) as err:
        raise FormatBug(f"the printer failed ({type(err).__name__}: {err})") from err
    _check_size(text, module)
    try:
        again = parse(Source(source.name, text))
    except PolicyError as err:
        first = err.diagnostics[0].message if err.diagnostics else "?"
        raise FormatBug(f"the output does not parse ({first})") from None
    if again != module or repr(again) != repr(module):
        raise FormatBug("the output parses to a different module")
    kept = scan_comments(text)
    if [c.text for c in kept] != [c.text for c in comments]:
        raise FormatBug("the output does not keep the comments in order")
    if pretty(again, kept) != text:
        raise FormatBug("the output is not stable (formatting it again changes it)")
    return text


def _check_size(text: str, module: n.Module) -> None:
    """KP102 (`PolicyError`, at the module's name) when `text` is over the size limit."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_POLICY_BYTES:
        raise PolicyError([Diagnostic(
            "KP102", f"the canonical form of `{module.ident.span.source}` would be {size:,} "
            f"bytes; the limit is {MAX_POLICY_BYTES:,}", module.ident.span,
            hint="split it into several files; it is left as it is")])
