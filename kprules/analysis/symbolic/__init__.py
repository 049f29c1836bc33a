"""Symbolic difference: the complete region where two definitions disagree (docs/symbolic.md).

    >>> from kprules.analysis.symbolic import symbolic_diff        # doctest: +SKIP
    >>> for d in symbolic_diff(lib["kpcs_2003"].checked, lib["state_actors"].checked,
    ...                        ["conflict_diamond"]):             # doctest: +SKIP
    ...     print(d.verdict, [r.label for r in d.regions])
"""

from kprules.analysis.symbolic.engine import Differ, symbolic_diff
from kprules.analysis.symbolic.model import (
    VERDICTS,
    Cause,
    Disjunct,
    Period,
    Region,
    TermDiff,
    Witness,
)

__all__ = ["VERDICTS", "Cause", "Differ", "Disjunct", "Period", "Region", "TermDiff", "Witness",
           "symbolic_diff"]
