"""What the evaluators share at run time: the marker of a clause not evaluated, and the error
a failing evaluation raises (with its located diagnostic).

Both the compiled code (`kprules.eval.codegen`) and the reference interpreter (the test oracle,
`kprules.eval.interpret`) use these; production code imports them from here, never from the
interpreter.
"""

from __future__ import annotations

from typing import Any

from kprules.core.diagnostics import Diagnostic


class _NotEvaluated:
    def __repr__(self) -> str:
        return "NOT_EVALUATED"

    def __reduce__(self) -> str:  # pickled and copied as itself: explanations test identity
        return "NOT_EVALUATED"


NOT_EVALUATED: Any = _NotEvaluated()
"""The value of a clause's slot when evaluation never reached the clause."""


class EvalError(Exception):
    """A failure during evaluation (such as a division by zero), with its diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
