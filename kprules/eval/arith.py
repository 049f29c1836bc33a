"""Arithmetic on decimals, exact and independent of the caller's `decimal` context.

Python's `Decimal` operators round to the precision of the thread's current context (28 digits
unless a caller changed it: a library user's `getcontext().prec = 3` would change kprules'
results). The evaluator uses these contexts instead, explicitly, for every operation on a
decimal or a quantity:

- `EXACT` for `+`, `-`, `*` and negation: its precision exceeds any result the checker admits
  (at most MAX_RESULT_DIGITS digits, KP390), so these are exact, as docs/language.md says;
- `QUOTIENT` for `/`: DIVISION_DIGITS significant digits, rounded half to even.

An integer and a decimal of the same value give the same results (an operation with a decimal
operand is done in `EXACT` whatever the operands' Python types). Operations on two integers are
Python's exact integer arithmetic.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from kprules.core.limits import DIVISION_DIGITS, MAX_RESULT_DIGITS

_EXPONENT = 10 ** 6  # far beyond any number the limits admit
EXACT = Context(prec=2 * MAX_RESULT_DIGITS + DIVISION_DIGITS, rounding=ROUND_HALF_EVEN,
                Emax=_EXPONENT, Emin=-_EXPONENT, traps=[InvalidOperation, DivisionByZero,
                                                        Overflow])
QUOTIENT = Context(prec=DIVISION_DIGITS, rounding=ROUND_HALF_EVEN, Emax=_EXPONENT,
                   Emin=-_EXPONENT, traps=[InvalidOperation, DivisionByZero, Overflow])

add = EXACT.add
subtract = EXACT.subtract
multiply = EXACT.multiply
negate = EXACT.minus


def normal(d: Decimal) -> Decimal:
    """`d` without trailing zeros, in plain notation (`10`, not `1E+1`), every digit kept: the
    thread's context would round `normalize` to its precision (28 digits by default, where a
    measure's total may have 38)."""
    n = d.normalize(EXACT)
    exp = n.as_tuple().exponent
    return n.quantize(Decimal(1), context=EXACT) if isinstance(exp, int) and exp > 0 else n


def quotient(a: int | Decimal, b: int | Decimal) -> Decimal:
    """`a / b` to DIVISION_DIGITS significant digits (the caller has ruled out `b == 0`)."""
    return QUOTIENT.divide(Decimal(a), Decimal(b))


OPERATIONS = {"+": add, "-": subtract, "*": multiply}
