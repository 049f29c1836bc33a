"""What the back end needs of a set of loaded policies, as a protocol.

The public `kprules.api.Library` satisfies it; the stages below the API (cases, analysis,
comparison) accept anything that does, so that they never import the API layer above them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from kprules.checker import CheckResult
from kprules.core.source import Source
from kprules.eval.evaluate import Evaluator


class Loaded(Protocol):
    """Checked policies, the texts they were read from, and evaluators compiled on demand."""

    @property
    def result(self) -> CheckResult: ...

    @property
    def sources(self) -> Mapping[str, Source]: ...

    def evaluator(self, targets: Sequence[tuple[str, str]]) -> Evaluator:
        """A compiled evaluator for (policy, term) pairs (built once and kept)."""
        ...
