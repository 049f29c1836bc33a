"""kprules: Kimberley Process rules as code.

The public API (see docs/library.md):

- `load(*paths)` / `loads(*texts)` -> `Library` of checked, compiled policies (raises
  `PolicyError` listing every diagnostic when a policy has errors);
- `Library`, a read-only mapping of names to `Policy`s, with `evaluate`, `explain`,
  `evaluate_many`, `function`, `validate`; an unknown name raises `UnknownName` (a `KeyError`
  with `suggestions` and a `hint`);
- `Result` (values by term, the evaluation date); `ExplainedResult` (what `evaluate(...,
  explain=True)` returns: a `Result` whose `explanation` is there); `Explained` (what
  `Policy.function(..., explain=True)` returns); `Value`, the type of a term's value; `Facts`;
- `UNKNOWN`, the value of a term the facts given cannot decide;
- `FactsError` (facts that do not fit the vocabulary), `EvalError` (a failure while evaluating,
  such as a division by zero), `Diagnostic`.

Names are imported on first use, so that `import kprules.cli` (every command's start) does not
pay for the evaluator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kprules.api import (
        ExplainedResult,
        Facts,
        Library,
        Policy,
        Result,
        UnknownName,
        load,
        loads,
    )
    from kprules.core.diagnostics import Diagnostic, PolicyError, Severity
    from kprules.eval.evaluate import Explained, FactProblem, FactsError
    from kprules.explain.tree import Explanation
    from kprules.ir.runtime import EvalError
    from kprules.ir.values import UNKNOWN, Value

_WHERE = {
    "Library": "kprules.api", "Policy": "kprules.api", "Result": "kprules.api",
    "load": "kprules.api", "loads": "kprules.api", "ExplainedResult": "kprules.api",
    "Facts": "kprules.api", "UnknownName": "kprules.api", "Value": "kprules.ir.values",
    "Diagnostic": "kprules.core.diagnostics", "PolicyError": "kprules.core.diagnostics",
    "Severity": "kprules.core.diagnostics",
    "FactProblem": "kprules.eval.evaluate", "FactsError": "kprules.eval.evaluate",
    "Explained": "kprules.eval.evaluate",
    "Explanation": "kprules.explain.tree", "EvalError": "kprules.ir.runtime",
    "UNKNOWN": "kprules.ir.values",
}

__all__ = [
    "UNKNOWN",
    "Diagnostic",
    "EvalError",
    "Explained",
    "ExplainedResult",
    "Explanation",
    "FactProblem",
    "Facts",
    "FactsError",
    "Library",
    "Policy",
    "PolicyError",
    "Result",
    "Severity",
    "UnknownName",
    "Value",
    "load",
    "loads",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kprules' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
