"""kprules: Kimberley Process rules as code.

The public API (see docs/library.md):

- `load(*paths)` / `loads(*texts)` -> `Library` of checked, compiled policies (raises
  `PolicyError` listing every diagnostic when a policy has errors);
- `Library[name]` -> `Policy`, with `evaluate`, `explain`, `evaluate_many`, `function`, `validate`;
- `Result` (values by term, the evaluation date, an optional `Explanation`);
- `UNKNOWN`, the value of a term the facts given cannot decide;
- `FactsError` (facts that do not fit the vocabulary), `EvalError` (a failure while evaluating,
  such as a division by zero), `Diagnostic`.
"""

from kprules.api import Library, Policy, Result, load, loads
from kprules.diagnostics import Diagnostic, PolicyError, Severity
from kprules.evaluate import FactProblem, FactsError
from kprules.explain import Explanation
from kprules.interpret import EvalError
from kprules.values import UNKNOWN

__all__ = [
    "UNKNOWN",
    "Diagnostic",
    "EvalError",
    "Explanation",
    "FactProblem",
    "FactsError",
    "Library",
    "Policy",
    "PolicyError",
    "Result",
    "Severity",
    "load",
    "loads",
]
