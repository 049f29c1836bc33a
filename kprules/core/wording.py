"""Words every output shares: counts with their noun, the value of a clause that was never
evaluated, how a rule's or a piece's value reads. One place, so the text report, Markdown,
HTML, JUnit, explanations and the command summaries say the same thing the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NOT_EVALUATED_TEXT = "not evaluated"
"""How a clause that evaluation never reached is written (short-circuited, or a rule after the
one that decided)."""


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 case`, `2 cases`, `1,200 cases`; `many` for irregular plurals."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def quoted(text: str) -> str:
    """A string as a policy writes it: in double quotes, `\\` and `"` escaped, so that a quotation
    or locator with quotes in it reads back as written."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rule_outcome(value: Any) -> str:
    """A rule's or an exception's value: applies, does not apply, unknown."""
    return {True: "applies", False: "does not apply"}.get(value, "unknown")


def default_state(value: Any, fired: bool) -> str:
    """A decision's default: it gave the outcome (`used`), may give it (`possible`: the
    decision is unknown and no rule surely applies), or did not (`not used`)."""
    return "used" if fired else "possible" if value is None else "not used"


def shown(value: Any, kind: str, text: Callable[[Any], str], *,
          piece_false: str = "does not hold") -> str:
    """A node's value as explanations show it: rules apply or not, pieces hold or not, a clause
    never reached is `not evaluated`, anything else is `text(value)`."""
    if value == NOT_EVALUATED_TEXT:
        return NOT_EVALUATED_TEXT
    if kind in ("rule", "exception"):
        return rule_outcome(value)
    if kind == "piece":
        return "holds" if value else piece_false
    return text(value)
