"""The messages for the most common drafting mistakes, asserted as whole rendered diagnostics.

Each case is a small policy reading the fixture vocabulary, with one mistake; the test checks it
with the vocabulary and compares the text rendering of every diagnostic with the expected one.
"""

from __future__ import annotations

import pytest
from robust_support import check_texts, fixture_texts

from kprules.core.render import render_all
from kprules.syntax.loader import load_texts

HEADER = 'policy p "a policy with a mistake"\n  status proposed\n  reads shipments\n'

CASES: dict[str, tuple[str, str]] = {
    "missing = in define": ("""
define cd
  rough and certified
""", """\
error[KP111]: missing `=` before the expression of the definition
 --> p.kpr:6:3
  |
6 |   rough and certified
  |   ^^^^^
  = hint: write `define <name> = <expression>`; citations come before the `=`
"""),
    "missing = in a parameter": ("""
parameter limit: carats
  from 2024-01-01 1 ct
""", """\
error[KP111]: missing `=` between the date and the value
 --> p.kpr:6:19
  |
6 |   from 2024-01-01 1 ct
  |                   ^^^^
  = hint: write `from <date> = <value>`
"""),
    "== instead of =": ("""
define cd = beneficiary == rebel_ally
""", """\
error[KP111]: `==` is not an operator in kprules
 --> p.kpr:5:25
  |
5 | define cd = beneficiary == rebel_ally
  |                         ^^
  = hint: compare with a single `=`
"""),
    "&&": ("""
define cd = rough && certified
""", """\
error[KP110]: `&&` is not an operator in kprules
 --> p.kpr:5:19
  |
5 | define cd = rough && certified
  |                   ^^
  = hint: write `and`
"""),
    "||": ("""
define cd = rough || certified
""", """\
error[KP110]: `||` is not an operator in kprules
 --> p.kpr:5:19
  |
5 | define cd = rough || certified
  |                   ^^
  = hint: write `or`
"""),
    "! for not": ("""
define cd = !rough
""", """\
error[KP110]: `!` is not an operator in kprules
 --> p.kpr:5:13
  |
5 | define cd = !rough
  |             ^
  = hint: write `not` (and `!=` for "is not equal to")
"""),
    "missing when": ("""
decision export: {permitted, prohibited}
  default permitted
  prohibited rough
""", """\
error[KP111]: missing `when` after the outcome `prohibited`
 --> p.kpr:7:14
  |
7 |   prohibited rough
  |              ^^^^^
  = hint: a rule reads `prohibited when <condition>`
"""),
    "if instead of when": ("""
decision export: {permitted, prohibited}
  default permitted
  prohibited if rough
""", """\
error[KP111]: a rule says `when`, not `if`
 --> p.kpr:7:14
  |
7 |   prohibited if rough
  |              ^^
  = hint: a rule reads `prohibited when <condition>`
"""),
    "unclosed parenthesis at the end": ("""
define cd = (rough and (certified or stones > 1)
""", """\
error[KP112]: this `(` is not closed
 --> p.kpr:5:13
  |
5 | define cd = (rough and (certified or stones > 1)
  |             ^
  = hint: add `)` before the end of the file
"""),
    "unclosed parenthesis before the next item": ("""
define cd = (rough and certified

define other = rough
""", """\
error[KP111]: this `(` is not closed
 --> p.kpr:5:13
  |
5 | define cd = (rough and certified
  |             ^
  = hint: add `)` before `define` on line 7
"""),
    "unmatched closing parenthesis": ("""
define cd = rough and certified)
""", """\
error[KP111]: this `)` has no matching `(`
 --> p.kpr:5:32
  |
5 | define cd = rough and certified)
  |                                ^
  = hint: remove it, or add the `(` it should close
"""),
    "unclosed brace": ("""
define cd = beneficiary in {rebel_movement, rebel_ally
""", """\
error[KP112]: this `{` is not closed
 --> p.kpr:5:28
  |
5 | define cd = beneficiary in {rebel_movement, rebel_ally
  |                            ^
  = hint: add `}` before the end of the file
"""),
    "string in single quotes": ("""
define cd
  cite kpcs_core_document 'Section I' "CONFLICT DIAMONDS means rough diamonds"
  = rough
""", """\
error[KP110]: strings are written in double quotes, not single quotes
 --> p.kpr:6:27
  |
6 |   cite kpcs_core_document 'Section I' "CONFLICT DIAMONDS means rough diamonds"
  |                           ^^^^^^^^^^^
  = hint: write `"Section I"`
"""),
    "date 2024-3-1 in an expression": ("""
define cd = exported_on >= 2024-3-1
""", """\
error[KP114]: `2024-3-1` is not a date written YYYY-MM-DD
 --> p.kpr:5:28
  |
5 | define cd = exported_on >= 2024-3-1
  |                            ^^^^^^^^
  = hint: write `2024-03-01`
"""),
    "date 2024-3-1 in an interval": ("""
parameter limit: carats
  from 2024-3-1 = 1 ct
""", """\
error[KP114]: `2024-3-1` is not a date written YYYY-MM-DD
 --> p.kpr:6:8
  |
6 |   from 2024-3-1 = 1 ct
  |        ^^^^^^^^
  = hint: write `2024-03-01`
"""),
    "date day first": ("""
define cd = exported_on >= 01/03/2024
""", """\
error[KP114]: `01/03/2024` is not a date written YYYY-MM-DD
 --> p.kpr:5:28
  |
5 | define cd = exported_on >= 01/03/2024
  |                            ^^^^^^^^^^
  = hint: write the year first: YYYY-MM-DD
"""),
    "missing operator in a definition": ("""
define cd = rough certified
""", """\
error[KP111]: missing an operator between name `rough` and name `certified`
 --> p.kpr:5:19
  |
5 | define cd = rough certified
  |                   ^^^^^^^^^
  = hint: join the parts with `and`, `or`, a comparison or an arithmetic operator
"""),
    "missing operator in a rule": ("""
decision export: {permitted, prohibited}
  default permitted
  prohibited when rough certified
""", """\
error[KP111]: missing an operator before name `certified`
 --> p.kpr:7:25
  |
7 |   prohibited when rough certified
  |                         ^^^^^^^^^
  = hint: join the parts with `and`, `or`, a comparison or an arithmetic operator; a new rule \
starts a line with `<outcome> when`
"""),
    "enum value in capitals": ("""
define cd = beneficiary = REBEL_ALLY
""", """\
error[KP304]: enum `actor` has no value `REBEL_ALLY`
 --> p.kpr:5:27
  |
5 | define cd = beneficiary = REBEL_ALLY
  |                           ^^^^^^^^^^
  = hint: did you mean `rebel_ally`?
"""),
    "trailing and at the end of the file": ("""
define cd = rough and
""", """\
error[KP112]: nothing follows `and`
 --> p.kpr:5:19
  |
5 | define cd = rough and
  |                   ^^^
  = hint: complete the expression after `and`, or remove `and`
"""),
    "trailing and before the next item": ("""
define cd = rough and

define other = certified
""", """\
error[KP112]: nothing follows `and` (the `define` after it was read as a name)
 --> p.kpr:5:19
  |
5 | define cd = rough and
  |                   ^^^
  = hint: complete the expression after `and`, or remove `and`
"""),
    "else without if": ("""
define cd = rough else certified
""", """\
error[KP111]: `else` without `if`
 --> p.kpr:5:19
  |
5 | define cd = rough else certified
  |                   ^^^^
  = hint: write `if <condition> then <value> else <value>`
"""),
    "if without then": ("""
define cd = if rough certified else false
""", """\
error[KP111]: missing `then` in `if ... then ... else ...`
 --> p.kpr:5:22
  |
5 | define cd = if rough certified else false
  |                      ^^^^^^^^^
  = hint: write `if <condition> then <value> else <value>`
"""),
    "if after an operator": ("""
define cd = rough and if certified then true else false
""", """\
error[KP111]: an `if` after an operator needs parentheses
 --> p.kpr:5:23
  |
5 | define cd = rough and if certified then true else false
  |                       ^^
  = hint: write `(if <condition> then <value> else <value>)`
"""),
    "citation after the expression": ("""
define cd = rough
  cite kpcs_core_document "Section I" "CONFLICT DIAMONDS means rough diamonds"
""", """\
error[KP111]: a citation after the expression of a definition
 --> p.kpr:6:3
  |
6 |   cite kpcs_core_document "Section I" "CONFLICT DIAMONDS means rough diamonds"
  |   ^^^^
  = hint: put the citations of a definition before its `=`: \
`define <name> cite <source> "<locator>" "<quote>" = <expression>`
"""),
    "a full stop after an expression": ("""
define cd = rough.
""", """\
error[KP111]: unexpected `.`
 --> p.kpr:5:18
  |
5 | define cd = rough.
  |                  ^
  = hint: remove it: an item does not end with a full stop (`.` is only in `base.<term>` and \
`<policy>.<term>`)
"""),
    "a unit in capitals right after the number": ("""
define cd = weight > 1000CT
""", """\
error[KP110]: `CT` is not a unit
 --> p.kpr:5:26
  |
5 | define cd = weight > 1000CT
  |                          ^^
  = hint: write `1000 ct`: the units are `ct` (carats), `g` (grams) and `usd` (US dollars)
"""),
    "a unit written as a word": ("""
define cd = weight > 1carat
""", """\
error[KP110]: `carat` is not a unit
 --> p.kpr:5:23
  |
5 | define cd = weight > 1carat
  |                       ^^^^^
  = hint: write `1 ct`: the units are `ct` (carats), `g` (grams) and `usd` (US dollars)
"""),
    "a unit in capitals after a space": ("""
define cd = weight > 1000 USD
""", """\
error[KP111]: `USD` is not a unit
 --> p.kpr:5:27
  |
5 | define cd = weight > 1000 USD
  |                           ^^^
  = hint: write `1000 usd`: the units are `ct` (carats), `g` (grams) and `usd` (US dollars)
"""),
    "a unit misspelt after a space": ("""
define cd = weight > 0.5 carrats
""", """\
error[KP111]: `carrats` is not a unit
 --> p.kpr:5:26
  |
5 | define cd = weight > 0.5 carrats
  |                          ^^^^^^^
  = hint: write `0.5 ct`: the units are `ct` (carats), `g` (grams) and `usd` (US dollars)
"""),
    "a unit after a space in a parameter": ("""
parameter limit: carats
  from 2024-01-01 = 1 Ct
""", """\
error[KP111]: `Ct` is not a unit
 --> p.kpr:6:23
  |
6 |   from 2024-01-01 = 1 Ct
  |                       ^^
  = hint: write `1 ct`: the units are `ct` (carats), `g` (grams) and `usd` (US dollars)
"""),
    "a unit after a space at the end of a rule": ("""
decision export: {permitted, prohibited}
  default permitted
  prohibited when weight > 2 grams
""", """\
error[KP111]: `grams` is not a unit
 --> p.kpr:7:30
  |
7 |   prohibited when weight > 2 grams
  |                              ^^^^^
  = hint: write `2 g`: the units are `ct` (carats), `g` (grams) and `usd` (US dollars)
"""),
    "a name after a number is a missing operator": ("""
define cd = stones > 2 rough
""", """\
error[KP111]: missing an operator between number `2` and name `rough`
 --> p.kpr:5:24
  |
5 | define cd = stones > 2 rough
  |                        ^^^^^
  = hint: join the parts with `and`, `or`, a comparison or an arithmetic operator
"""),
    "a name like a unit that the file defines is a missing operator": ("""
define grams = 2
define cd = stones > 2 grams
""", """\
error[KP111]: missing an operator between number `2` and name `grams`
 --> p.kpr:6:24
  |
6 | define cd = stones > 2 grams
  |                        ^^^^^
  = hint: join the parts with `and`, `or`, a comparison or an arithmetic operator
"""),
    "letters right after a number": ("""
define cd = stones > 2nd_limit
""", """\
error[KP110]: `nd_limit` right after the number `2`
 --> p.kpr:5:23
  |
5 | define cd = stones > 2nd_limit
  |                       ^^^^^^^^
  = hint: a quantity's unit is `ct`, `g` or `usd` (`0.5 ct`); a name starts with a letter or `_`
"""),
    "a third string in a citation": ("""
define cd
  cite kpcs_core_document "Section I" "CONFLICT DIAMONDS means" "rough diamonds"
  = rough
""", """\
error[KP111]: a third string in a citation
 --> p.kpr:6:65
  |
6 |   cite kpcs_core_document "Section I" "CONFLICT DIAMONDS means" "rough diamonds"
  |                                                                 ^^^^^^^^^^^^^^^^
  = hint: a citation is `cite <source> "<locator>" "<quotation>"`: make the quotation one \
string (it may span lines, `...` marks a gap), or give another `cite`
"""),
    "a date not written YYYY-MM-DD that would not be real either": ("""
define cd = exported_on >= 2024-2-30
""", """\
error[KP114]: `2024-2-30` is not a date written YYYY-MM-DD
 --> p.kpr:5:28
  |
5 | define cd = exported_on >= 2024-2-30
  |                            ^^^^^^^^^
  = hint: write dates as YYYY-MM-DD, with a month 01-12 and a day that exists
"""),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_drafting_mistake(case: str) -> None:
    body, expected = CASES[case]
    texts = [fixture_texts()[0], ("p.kpr", HEADER + body)]
    result = check_texts(texts)
    ws = load_texts(texts)
    assert render_all(result.errors, ws.sources, "text") == expected


def test_generic_message_lists_what_was_expected() -> None:
    texts = [fixture_texts()[0], ("p.kpr", HEADER + "define cd = rough\n  certified\n")]
    result = check_texts(texts)
    assert render_all(result.errors, load_texts(texts).sources, "text") == """\
error[KP111]: unexpected name `certified`
 --> p.kpr:5:3
  |
5 |   certified
  |   ^^^^^^^^^
  = hint: expected one of `assert`, `decision`, `define`, `enum`, `parameter`, `redefine`, \
the end of the file
"""
