"""The size limits of kprules: one constant per limit, each enforced where the input is read or
checked, each with its own diagnostic code (docs/limits.md lists them; tests/test_limits.py keeps
the page and these values in step).

The codes of the limits end the range of their stage: KP19x (reading), KP29x (structure), KP39x
(types), KP49x (case and data files). Every limit is far above what a legal text or a real data
set needs, and low enough that every input under all of them is read, checked and evaluated in
well under 10 s and 1 GB.
"""

from __future__ import annotations

from decimal import Decimal

# A policy, vocabulary, case (TOML) or seed file (KP102): the largest real policy is 12 KB, the
# largest case file 13 KB. Data files are read a line at a time (MAX_RECORD_BYTES).
MAX_POLICY_BYTES = 128 * 1024
# Policy and vocabulary files read in one run, those found nearby included (KP191).
MAX_FILES = 1_000
# One record of a data file: a JSON line or a CSV row (KP491).
MAX_RECORD_BYTES = 1024 * 1024
# Digits of a number literal in a policy (KP114), and of a number in a case or data file in plain
# notation, leading zeros aside (KP490): `1e999999999` has a billion.
MAX_NUMBER_DIGITS = 30
# Elements of one set literal `{...}` (KP190).
MAX_SET_ELEMENTS = 1_000
# Dated pieces of one parameter (KP290).
MAX_PIECES = 250
# Rules and exceptions of one decision (KP291).
MAX_RULES = 250
# Clauses (expression nodes) of all policies of one run, each policy counted with the terms it
# inherits: the generated code grows with them (KP293). The 20 policies of policies/ have 1,057.
MAX_CLAUSES = 5_000
# Policies in a chain of amendments, the first base included (KP292).
MAX_AMENDMENT_DEPTH = 100
# Digits an arithmetic result may need in plain notation, as the checker bounds it from its
# operands (KP390): forty squarings of a fact would need 2^40 times its digits.
MAX_RESULT_DIGITS = 1_000
# Significant digits of a quotient `a / b`.
DIVISION_DIGITS = 28


_BOUND = 10 ** MAX_NUMBER_DIGITS


def plain_digits(value: int | Decimal) -> int:
    """Digits of a finite number written without an exponent, leading zeros aside (at least 1);
    an integer of more than MAX_NUMBER_DIGITS digits counts as MAX_NUMBER_DIGITS + 1 (Python
    would refuse to write one of more than 4,300)."""
    if isinstance(value, int):
        return len(str(abs(value))) if abs(value) < _BOUND else MAX_NUMBER_DIGITS + 1
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    significant = len(digits) - next((i for i, d in enumerate(digits) if d), len(digits) - 1)
    return significant + exponent if exponent >= 0 else max(significant, -exponent)
