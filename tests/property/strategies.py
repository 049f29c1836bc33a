"""Hypothesis strategies for syntax trees (`kprules.syntax.nodes`), shaped as the parser builds
them.

Every generated module is one that some text parses to: names come from a small pool without
keywords or two-capital names (those are country codes); strings are already folded (the parser
turns every run of white space into one space); number literals are non-negative (`-1` parses as
`Neg(1)`), decimals keep their digits after the point; intervals end after they start; `and`
and `or` have at least two operands. Any nesting is allowed (the printer adds the parentheses
the tree needs), with a bounded depth.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import attrs
from hypothesis import strategies as st

from kprules.checker.context import KEYWORDS
from kprules.syntax import nodes as n

T = TypeVar("T")

# Unit words (`g`, `ct`, `usd`) are legal names: they test that a number is never printed right
# before a name on one line (`2 g` would be read as a quantity).
_POOL = ("a", "b", "x", "y2", "_tmp", "rough", "weight", "mined_in", "Zone", "ABC", "Ab", "g",
         "ct", "usd", "kp_core_2003", "e9", "fromage", "inside", "android", "ifx")
NAMES = tuple(x for x in _POOL if x not in KEYWORDS and not re.fullmatch(r"[A-Z]{2}", x))

# Quotes, backslashes and `#` (not a comment inside a string), accents, CJK, an emoji, and
# white space of several kinds (folded away).
_ALPHABET = st.sampled_from(
    [*"abcdefghij klmnop qrstuvwxyz ABC 0123456789 .,;:()[]-",
     '"', "\\", "#", "\\\\", '\\"', "é", "ß", "中文", "😀", "\t", "\n", "\u00a0", "  "])
MAX_DEPTH = 30


def _fold(text: str) -> str:
    return " ".join(text.split())


def _named(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """The same strategy with a short repr (a nested one's repr runs to hundreds of kB, which
    makes reporting a failure slow)."""
    return st.deferred(lambda: strategy)


def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def tuples_of(strategy: st.SearchStrategy[T], min_size: int = 0,
              max_size: int = 3) -> st.SearchStrategy[tuple[T, ...]]:
    return st.lists(strategy, min_size=min_size, max_size=max_size).map(tuple)


idents = _named(st.builds(n.Ident, st.sampled_from(NAMES)))
# Mostly short strings; sometimes long ones, so that wrapping at 100 columns is exercised.
strings = _named(st.lists(_ALPHABET, max_size=12).map("".join).map(_fold)
                 | st.lists(_ALPHABET, min_size=60, max_size=260).map("".join).map(_fold))
dates = _named(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))


@st.composite
def intervals(draw: st.DrawFn) -> n.Interval:
    start = draw(dates)
    if draw(st.booleans()):
        return n.Interval(start, None)
    room = (dt.date(9999, 12, 31) - start).days
    if room < 1:
        return n.Interval(start, None)
    return n.Interval(start, start + dt.timedelta(days=draw(st.integers(1, min(room, 40000)))))


_digits = st.text("0123456789", min_size=1, max_size=4)
decimals = _named(st.builds(lambda whole, frac: Decimal(f"{whole}.{frac}"),
                            st.integers(0, 10**6), _digits))
# A quantity's number may be written without a point (`1 ct` is Decimal('1')).
quantity_numbers = _named(decimals | st.integers(0, 10**4).map(lambda i: Decimal(str(i))))

leaves: st.SearchStrategy[n.Expr] = _named(st.one_of(
    st.builds(n.BoolLit, st.booleans()),
    st.builds(n.NumberLit, st.integers(0, 10**12) | decimals),
    st.builds(n.QuantityLit, quantity_numbers, st.sampled_from(("ct", "g", "usd"))),
    st.builds(n.DateLit, dates),
    st.builds(n.StringLit, strings),
    st.builds(n.Name, idents),
    st.builds(n.BaseName, idents),
    st.just(n.SetLit(())),
))


_COMPARE_OPS = ("=", "!=", "<", "<=", ">", ">=")


def _parts(draw: st.DrawFn, size: int, count: int,
           child: Callable[[int], st.SearchStrategy[n.Expr]]) -> list[n.Expr]:
    """`count` subtrees sharing a budget of `size` nodes."""
    share = max(1, (size - 1) // count)
    return [draw(child(draw(st.integers(1, share)))) for _ in range(count)]


@st.composite
def _tree(draw: st.DrawFn, size: int) -> n.Expr:
    """An expression of at most about `size` nodes; compound nodes are favoured, so that trees
    of several levels (`and` in `and`, `a - (b + c)`, `not (x in {..})`) are common."""
    if size <= 1 or draw(st.integers(0, 9)) == 0:
        return draw(leaves)
    kind = draw(st.sampled_from(("not", "neg", "and", "or", "compare", "member", "range",
                                 "arith", "if", "set")))
    if kind in ("not", "neg"):
        operand = draw(_tree(size - 1))
        return n.Not(operand) if kind == "not" else n.Neg(operand)
    if kind in ("and", "or", "set"):
        count = draw(st.integers(2 if kind != "set" else 1, 4))
        items = tuple(_parts(draw, size, count, _tree))
        return n.And(items) if kind == "and" else n.Or(items) if kind == "or" else n.SetLit(items)
    if kind in ("range", "if"):
        a, b, c = _parts(draw, size, 3, _tree)
        return n.InRange(a, b, c, draw(st.booleans())) if kind == "range" else n.IfThenElse(a, b, c)
    a, b = _parts(draw, size, 2, _tree)
    if kind == "compare":
        return n.Compare(draw(st.sampled_from(_COMPARE_OPS)), a, b)
    if kind == "member":
        return n.Member(a, b, draw(st.booleans()))
    return n.Arith(draw(st.sampled_from("+-*/")), a, b)


@st.composite
def _arith_tree(draw: st.DrawFn, size: int) -> n.Expr:
    if size <= 1 or draw(st.integers(0, 9)) == 0:
        return draw(st.builds(n.Name, idents) | st.builds(n.NumberLit, st.integers(0, 99)))
    if draw(st.integers(0, 4)) == 0:
        return n.Neg(draw(_arith_tree(size - 1)))
    a, b = _parts(draw, size, 2, _arith_tree)
    return n.Arith(draw(st.sampled_from("+-*/")), a, b)


@st.composite
def _logic_tree(draw: st.DrawFn, size: int) -> n.Expr:
    if size <= 1 or draw(st.integers(0, 9)) == 0:
        return draw(st.builds(n.Name, idents))
    kind = draw(st.sampled_from(("and", "or", "not", "if", "compare")))
    if kind == "not":
        return n.Not(draw(_logic_tree(size - 1)))
    if kind == "if":
        return n.IfThenElse(*_parts(draw, size, 3, _logic_tree))
    if kind == "compare":
        return n.Compare("=", *_parts(draw, size, 2, _logic_tree))
    items = tuple(_parts(draw, size, draw(st.integers(2, 3)), _logic_tree))
    return n.And(items) if kind == "and" else n.Or(items)


def depth(e: n.Expr) -> int:
    """Nesting depth of an expression tree."""
    kids: list[n.Expr] = []
    for f in attrs.fields(type(e)):
        value = getattr(e, f.name)
        kids.extend(x for x in (value if isinstance(value, tuple) else (value,))
                    if isinstance(x, n.Expr))
    return 1 + max(map(depth, kids), default=0)


# Trees are built by composite strategies rather than st.recursive: when a test fails,
# hypothesis tries to re-encode values through st.builds/one_of branches, which is exponential
# in the depth of recursive trees.
exprs = st.integers(2, MAX_DEPTH - 1).flatmap(_tree)
# Families of one precedence ladder each, dense in the cases where parentheses matter:
# `a - (b - c)`, `-(a * b)`, `(a and b) and c`, `not (a or b)`, `(if a then b else c) or d`.
arith_trees = st.integers(5, 20).flatmap(_arith_tree)
logic_trees = st.integers(5, 20).flatmap(_logic_tree)

cites = _named(tuples_of(st.builds(n.Cite, idents, strings, optional(strings)), 0, 2))
types: st.SearchStrategy[n.TypeRef] = _named(st.builds(n.NamedType, idents)
                                             | st.builds(n.SetType, idents))
defines = _named(st.builds(n.Define, idents, optional(types), optional(strings), cites, exprs,
                           st.booleans()))
exceptions = _named(st.builds(n.Exception_, idents, exprs, optional(intervals()), cites))
rules = _named(st.builds(n.Rule, idents, exprs, optional(intervals()), cites,
                         tuples_of(exceptions, 0, 2)))
outcomes: st.SearchStrategy[n.NamedType | n.InlineOutcomes] = _named(
    st.builds(n.NamedType, idents)
    | st.builds(n.InlineOutcomes, tuples_of(idents, 1, 4))
    | st.builds(n.InlineOutcomes, tuples_of(idents, 12, 16)))  # too long for one line
decisions = _named(st.builds(n.Decision, idents, outcomes, optional(strings), cites,
                             st.builds(n.Default, idents, cites), tuples_of(rules, 0, 3),
                             st.booleans()))
pieces = _named(st.builds(n.Piece, intervals(), exprs, cites))
parameters = _named(st.builds(n.Parameter, idents, types, optional(strings), cites,
                              tuples_of(pieces, 1, 3), st.booleans()))
enums = _named(st.builds(n.EnumDecl, idents, optional(strings),
                         tuples_of(st.builds(n.EnumValue, idents, optional(strings)), 0, 4)))
fact_decls = _named(st.builds(n.FactDecl, idents, types, optional(strings), st.booleans()))

facts_modules = _named(st.builds(n.FactsModule, idents, optional(strings), optional(idents),
                                 tuples_of(enums | fact_decls, 0, 6)))
policy_modules = _named(st.builds(
    n.PolicyModule, idents, optional(strings), optional(idents), optional(intervals()),
    optional(idents), optional(idents),
    tuples_of(st.one_of(defines, defines, decisions, parameters, enums), 1, 5)))
modules: st.SearchStrategy[n.Module] = _named(
    st.one_of(facts_modules, policy_modules, policy_modules))
