"""The operators of the kprules language, by binding strength: the one table that the
canonical printer (`kprules fmt`) and the explanations both write expressions with.

A child expression needs parentheses when its level is lower than the level its position
requires. From loosest to tightest: `if then else`; `or`; `and`; `not`; comparisons and
memberships; `+ -`; `* /`; unary minus; atoms (names, literals, sets, parenthesised groups).
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

OperatorKind: TypeAlias = Literal["if", "or", "and", "not", "compare", "+", "-", "*", "/",
                                  "neg", "atom"]

LEVEL: Final[dict[OperatorKind, int]] = {
    "if": 0, "or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6,
    "neg": 7, "atom": 8,
}
ATOM: Final = LEVEL["atom"]


def arith_needs(op: str) -> tuple[int, int]:
    """The levels the left and right operands of `op` need: arithmetic folds to the left, so
    `a - (b - c)` keeps its parentheses and `(a - b) - c` loses them."""
    level = LEVEL["+"] if op in "+-" else LEVEL["*"]
    return level, level + 1


_KIND_OF_NODE: Final[dict[str, OperatorKind]] = {
    "IfThenElse": "if", "If": "if", "Or": "or", "And": "and", "Not": "not",
    "Compare": "compare", "Member": "compare", "InRange": "compare", "Neg": "neg",
}


def level(node: object) -> int:
    """The binding strength of an expression node, of the surface syntax or of the IR alike
    (their operator classes share names; arithmetic nodes carry their `op`)."""
    name = type(node).__name__
    if name == "Arith":
        op = getattr(node, "op", "+")
        return LEVEL["+"] if op in "+-" else LEVEL["*"]
    return LEVEL[_KIND_OF_NODE.get(name, "atom")]
