"""Parse stage: source text -> a `nodes.Module`, or every syntax diagnostic found.

Input: a `Source`. Output: `nodes.FactsModule` or `nodes.PolicyModule`. Errors: `PolicyError`
with KP11x diagnostics (the LALR parser stops at its first syntax error, which
`syntax_hints.py` words; literal errors such as impossible dates are all collected). The Lark
tree and Lark tokens never leave this module (and `syntax_hints.py`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from attrs import frozen
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.limits import MAX_NUMBER_DIGITS, MAX_SET_ELEMENTS
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span
from kprules.ir.types import arith_op, compare_op
from kprules.syntax import nodes as n
from kprules.syntax.grammar import parser
from kprules.syntax.invisible import refuse_control_characters

# Deeper syntax trees are refused: every later stage walks trees recursively. A chain
# `a + b - c ...` folds into nested binary nodes, so each of its operators counts as a level.
MAX_DEPTH = 100
# Longer number literals are refused: no legal figure needs them, and Python refuses to convert
# integers of more than 4,300 digits (a guard against quadratic-time conversion).
MAX_DIGITS = MAX_NUMBER_DIGITS


def parse(source: Source) -> n.Module:
    """Parse one module; raise `PolicyError` with the syntax diagnostics if it is malformed
    (KP103 first, at each control character it holds)."""
    refuse_control_characters(source)
    try:
        tree = parser().parse(source.text)
    except UnexpectedInput as err:
        from kprules.syntax.hints import syntax_diagnostic  # only on errors: keeps start-up fast

        raise PolicyError([syntax_diagnostic(err, source)]) from None
    builder = _ToNodes(source)
    module = builder.build(tree)
    if builder.errors:
        raise PolicyError(builder.errors)
    assert isinstance(module, n.FactsModule | n.PolicyModule)
    return module


class _TooDeep(Exception):
    """Raised by the builder at the first node nested more than MAX_DEPTH levels deep."""

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span


# ----------------------------------------------------------------------------- tree -> nodes


@frozen(repr=False)
class _Desc(SharedRepr):
    text: str


@frozen(repr=False)
class _Kw(SharedRepr):
    word: str


@frozen(repr=False)
class _Op(SharedRepr):
    op: str


_ESCAPE = re.compile(r"\\(.)", re.S)
_UNIT = re.compile(r"(ct|g|usd)$")


def _of(children: list[Any], cls: type[Any]) -> Iterator[Any]:
    return (c for c in children if isinstance(c, cls))


def _one(children: list[Any], cls: type[Any]) -> Any:
    return next(_of(children, cls), None)


class _Meta:
    """Where a rule's text starts and ends (all its tokens, keywords and brackets included)."""

    __slots__ = ("empty", "end_pos", "start_pos")

    def __init__(self, span: tuple[int, int] | None) -> None:
        self.empty = span is None
        self.start_pos, self.end_pos = span or (0, 0)


# Token types that carry a value; every other token is a keyword or punctuation, which the
# builder drops, except in the `!` rules, which keep their keyword or operator.
_VALUE_TOKENS = frozenset({"NAME", "STRING", "DATE", "NUMBER", "QUANTITY"})
_KEEP_TOKENS = frozenset({"define_kw", "fact_kw", "compare_op", "add_op", "mul_op"})
_DROP = object()
# A built tree: its value (a node or a helper), its span's offsets, its height in node levels.
_Built = tuple[Any, tuple[int, int] | None, int]


class _ToNodes:
    """Builds nodes from the Lark tree: one small method per grammar rule, called bottom-up.

    The parser keeps every token (`keep_all_tokens`) and computes no positions: the builder
    takes a rule's span from its first and last tokens, which costs much less than Lark's
    `propagate_positions`, and drops keywords and punctuation itself. It walks the tree with
    an explicit stack, so no input can exhaust Python's recursion limit, and it refuses nodes
    nested deeper than MAX_DEPTH (KP116). Literal errors are collected in `errors`.
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self.errors: list[Diagnostic] = []

    def build(self, root: Tree[Token]) -> Any:
        """The node of `root` (a module); a too-deep expression raises `PolicyError` (KP116)."""
        try:
            return self._walk(root)
        except _TooDeep as deep:
            raise PolicyError([Diagnostic(
                "KP116", f"this expression is nested more than {MAX_DEPTH} levels deep",
                deep.span, hint="name parts of it with `define`")]) from None

    def _walk(self, root: Tree[Token]) -> Any:
        order: list[Tree[Token]] = []
        stack = [root]
        while stack:
            tree = stack.pop()
            order.append(tree)
            stack.extend(c for c in tree.children if isinstance(c, Tree))
        built: dict[int, _Built] = {}
        for tree in reversed(order):  # every tree after all of its subtrees
            built[id(tree)] = self._reduce(tree, built)
        return built[id(root)][0]

    def _reduce(self, tree: Tree[Token], built: dict[int, _Built]) -> _Built:
        """Build one tree from its children's values: its node, its span and its height."""
        data = str(tree.data)
        if data == "atom":  # `( expr )`: the expression itself, as if written without them
            inner = tree.children[1]
            assert isinstance(inner, Tree)
            return built.pop(id(inner))
        keep = data in _KEEP_TOKENS
        kids: list[Any] = []
        start = end = -1
        height = 0
        for child in tree.children:
            if isinstance(child, Tree):
                value, span, child_height = built.pop(id(child))
                height = max(height, child_height)
            elif child is None:  # an absent optional part
                kids.append(None)
                continue
            else:
                value, span = child, (child.start_pos or 0, child.end_pos or 0)
                if not keep and child.type not in _VALUE_TOKENS:
                    value = _DROP
            if span is not None:
                start = span[0] if start < 0 else start
                end = span[1]
            if value is not _DROP:
                kids.append(value)
        whole = (start, end) if start >= 0 else None
        height += len(kids) // 2 if data == "arith" else 1
        if height > MAX_DEPTH:
            raise _TooDeep(self.source.span(*(whole or (0, 0))))
        method = getattr(self, data, None)
        if method is None or data.startswith("_"):
            raise AssertionError(f"kprules bug: grammar rule `{data}` has no node builder")
        return method(_Meta(whole), kids), whole, height

    def _sp(self, meta: Any) -> Span:
        if meta.empty:
            return self.source.span(0, 0)
        return self.source.span(meta.start_pos, meta.end_pos)

    def _tok(self, tok: Token) -> Span:
        return self.source.span(tok.start_pos or 0, tok.end_pos or 0)

    def _error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(code, message, span, hint=hint))

    def _string(self, tok: Token) -> str:
        raw = str(tok)[1:-1]

        def unescape(m: re.Match[str]) -> str:
            if m.group(1) in '"\\':
                return m.group(1)
            start = (tok.start_pos or 0) + 1 + m.start()
            self._error("KP115", f"unknown escape `\\{m.group(1)}` in a string",
                        self.source.span(start, start + 2),
                        hint='only `\\"` and `\\\\` are escapes; write other characters as '
                        'they are')
            return m.group(1)

        return " ".join(_ESCAPE.sub(unescape, raw).split())

    def _date(self, tok: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(tok))
        except ValueError:
            self._error("KP114", f"`{tok}` is not a real date", self._tok(tok),
                        hint="write dates as YYYY-MM-DD, with a month 01-12 and a day that exists")
            return dt.date(1, 1, 1)

    # ---- small pieces
    def ident(self, meta: Any, c: list[Any]) -> n.Ident:
        return n.Ident(str(c[0]), self._tok(c[0]))

    def description(self, meta: Any, c: list[Any]) -> _Desc:
        return _Desc(self._string(c[0]))

    def define_kw(self, meta: Any, c: list[Any]) -> _Kw:
        return _Kw(str(c[0]))

    fact_kw = define_kw

    def redefine_mark(self, meta: Any, c: list[Any]) -> _Kw:
        return _Kw("redefine")

    def compare_op(self, meta: Any, c: list[Any]) -> _Op:
        return _Op(str(c[0]))

    add_op = mul_op = compare_op

    def interval(self, meta: Any, c: list[Any]) -> n.Interval:
        start = self._date(c[0])
        end = self._date(c[1]) if len(c) > 1 else None
        return n.Interval(start, end, self._sp(meta))

    def cite(self, meta: Any, c: list[Any]) -> n.Cite:
        quote = self._string(c[2]) if len(c) > 2 else None
        return n.Cite(c[0], self._string(c[1]), quote, self._sp(meta))

    # ---- vocabulary
    def facts_module(self, meta: Any, c: list[Any]) -> n.FactsModule:
        desc = _one(c, _Desc)
        dated = _one(c, _DatedBy)
        items = tuple(x for x in c[1:] if isinstance(x, n.EnumDecl | n.FactDecl))
        return n.FactsModule(c[0], desc.text if desc else None, dated.ident if dated else None,
                             items, self._sp(meta))

    def dated_by(self, meta: Any, c: list[Any]) -> _DatedBy:
        return _DatedBy(c[0])

    def enum_decl(self, meta: Any, c: list[Any]) -> n.EnumDecl:
        desc = _one(c[1:2], _Desc)
        return n.EnumDecl(c[0], desc.text if desc else None,
                          tuple(_of(c, n.EnumValue)), self._sp(meta))

    def enum_value(self, meta: Any, c: list[Any]) -> n.EnumValue:
        desc = _one(c, _Desc)
        return n.EnumValue(c[0], desc.text if desc else None, self._sp(meta))

    def fact_decl(self, meta: Any, c: list[Any]) -> n.FactDecl:
        kw: _Kw = c[0]
        desc = _one(c, _Desc)
        return n.FactDecl(c[1], c[2], desc.text if desc else None, kw.word == "measure",
                          self._sp(meta))

    def named_type(self, meta: Any, c: list[Any]) -> n.NamedType:
        return n.NamedType(c[0], self._sp(meta))

    def set_type(self, meta: Any, c: list[Any]) -> n.SetType:
        return n.SetType(c[0], self._sp(meta))

    # ---- policies
    def policy_module(self, meta: Any, c: list[Any]) -> n.PolicyModule:
        desc = _one(c[1:2], _Desc)
        header: dict[str, Any] = {}
        for item in c[1:]:
            if isinstance(item, _Header):
                if item.key in header:
                    self._error("KP201", f"the header gives `{item.key}` twice", item.span,
                                hint=f"keep one `{item.key}` line")
                header.setdefault(item.key, item.value)
        kinds = n.Define | n.Decision | n.Parameter | n.EnumDecl
        items = tuple(x for x in c if isinstance(x, kinds))
        claims = tuple(x for x in c if isinstance(x, n.Assertion))
        return n.PolicyModule(c[0], desc.text if desc else None, header.get("status"),
                              header.get("in force"), header.get("reads"),
                              header.get("amends"), items, self._sp(meta), claims)

    def assertion(self, meta: Any, c: list[Any]) -> n.Assertion:
        return n.Assertion(c[0], c[1], c[2], self._sp(meta))

    def qualified_name(self, meta: Any, c: list[Any]) -> n.QualifiedName:
        return n.QualifiedName(c[0], c[1], self._sp(meta))

    def status(self, meta: Any, c: list[Any]) -> _Header:
        return _Header("status", c[0], self._sp(meta))

    def in_force(self, meta: Any, c: list[Any]) -> _Header:
        return _Header("in force", c[0], self._sp(meta))

    def reads(self, meta: Any, c: list[Any]) -> _Header:
        return _Header("reads", c[0], self._sp(meta))

    def amends(self, meta: Any, c: list[Any]) -> _Header:
        return _Header("amends", c[0], self._sp(meta))

    def define(self, meta: Any, c: list[Any]) -> n.Define:
        kw: _Kw = c[0]
        desc = _one(c, _Desc)
        typ = next((x for x in c if isinstance(x, n.NamedType | n.SetType)), None)
        return n.Define(c[1], typ, desc.text if desc else None, tuple(_of(c, n.Cite)), c[-1],
                        kw.word == "redefine", self._sp(meta))

    def decision(self, meta: Any, c: list[Any]) -> n.Decision:
        redefine = isinstance(c[0], _Kw)
        rest = c[1:] if redefine else c
        desc = _one(rest, _Desc)
        return n.Decision(rest[0], rest[1], desc.text if desc else None,
                          tuple(_of(rest, n.Cite)), _one(rest, n.Default),
                          tuple(_of(rest, n.Rule)), redefine, self._sp(meta))

    def named_outcomes(self, meta: Any, c: list[Any]) -> n.NamedType:
        return n.NamedType(c[0], self._sp(meta))

    def inline_outcomes(self, meta: Any, c: list[Any]) -> n.InlineOutcomes:
        return n.InlineOutcomes(tuple(c), self._sp(meta))

    def default(self, meta: Any, c: list[Any]) -> n.Default:
        return n.Default(c[0], tuple(_of(c, n.Cite)), self._sp(meta))

    def rule(self, meta: Any, c: list[Any]) -> n.Rule:
        return n.Rule(c[0], c[1], _one(c[2:], n.Interval), tuple(_of(c, n.Cite)),
                      tuple(_of(c, n.Exception_)), self._sp(meta))

    def exception(self, meta: Any, c: list[Any]) -> n.Exception_:
        return n.Exception_(c[0], c[1], _one(c[2:], n.Interval), tuple(_of(c, n.Cite)),
                            self._sp(meta))

    def parameter(self, meta: Any, c: list[Any]) -> n.Parameter:
        redefine = isinstance(c[0], _Kw)
        rest = c[1:] if redefine else c
        desc = _one(rest, _Desc)
        return n.Parameter(rest[0], rest[1], desc.text if desc else None,
                           tuple(_of(rest, n.Cite)), tuple(_of(rest, n.Piece)), redefine,
                           self._sp(meta))

    def piece(self, meta: Any, c: list[Any]) -> n.Piece:
        return n.Piece(c[0], c[1], tuple(_of(c[2:], n.Cite)), self._sp(meta))

    # ---- expressions
    def if_expr(self, meta: Any, c: list[Any]) -> n.IfThenElse:
        return n.IfThenElse(c[0], c[1], c[2], self._sp(meta))

    def or_(self, meta: Any, c: list[Any]) -> n.Or:
        return n.Or(tuple(c), self._sp(meta))

    def and_(self, meta: Any, c: list[Any]) -> n.And:
        return n.And(tuple(c), self._sp(meta))

    def not_(self, meta: Any, c: list[Any]) -> n.Not:
        return n.Not(c[0], self._sp(meta))

    def compare(self, meta: Any, c: list[Any]) -> n.Compare:
        return n.Compare(compare_op(c[1].op), c[0], c[2], self._sp(meta))

    def member(self, meta: Any, c: list[Any]) -> n.Member:
        return n.Member(c[0], c[1], False, self._sp(meta))

    def not_member(self, meta: Any, c: list[Any]) -> n.Member:
        return n.Member(c[0], c[1], True, self._sp(meta))

    def in_range(self, meta: Any, c: list[Any]) -> n.InRange:
        return n.InRange(c[0], c[1], c[2], False, self._sp(meta))

    def not_in_range(self, meta: Any, c: list[Any]) -> n.InRange:
        return n.InRange(c[0], c[1], c[2], True, self._sp(meta))

    def arith(self, meta: Any, c: list[Any]) -> n.Expr:
        """Fold `a - b + c` to the left: ((a - b) + c). `2024-3-1` is a date mistyped."""
        from kprules.syntax.hints import loose_date_diagnostic

        loose = loose_date_diagnostic(self.source.text[meta.start_pos : meta.end_pos],
                                      self._sp(meta))
        if loose is not None:
            self.errors.append(loose)
        left: n.Expr = c[0]
        for op, right in zip(c[1::2], c[2::2], strict=True):
            left = n.Arith(arith_op(op.op), left, right, _cover(left, right))
        return left

    def neg(self, meta: Any, c: list[Any]) -> n.Neg:
        return n.Neg(c[0], self._sp(meta))

    def _digits(self, tok: Token, text: str) -> str:
        """The number's text, or `0` after reporting a literal of more than MAX_DIGITS digits."""
        digits = sum(ch.isdigit() for ch in text)
        if digits <= MAX_DIGITS:
            return text
        self._error("KP114", f"this number has {digits:,} digits; at most {MAX_DIGITS} are "
                    "allowed", self._tok(tok), hint="check the figure")
        return "0"

    def number(self, meta: Any, c: list[Any]) -> n.NumberLit:
        text = self._digits(c[0], str(c[0]))
        value: int | Decimal = Decimal(text) if "." in text else int(text)
        return n.NumberLit(value, self._tok(c[0]))

    def quantity(self, meta: Any, c: list[Any]) -> n.QuantityLit:
        text = str(c[0])
        unit = _UNIT.search(text)
        assert unit is not None  # the QUANTITY token always ends with a unit
        amount = self._digits(c[0], text[: unit.start()].strip())
        return n.QuantityLit(Decimal(amount), unit.group(1), self._tok(c[0]))

    def date(self, meta: Any, c: list[Any]) -> n.DateLit:
        return n.DateLit(self._date(c[0]), self._tok(c[0]))

    def string(self, meta: Any, c: list[Any]) -> n.StringLit:
        return n.StringLit(self._string(c[0]), self._tok(c[0]))

    def true(self, meta: Any, c: list[Any]) -> n.BoolLit:
        return n.BoolLit(True, self._sp(meta))

    def false(self, meta: Any, c: list[Any]) -> n.BoolLit:
        return n.BoolLit(False, self._sp(meta))

    def name(self, meta: Any, c: list[Any]) -> n.Name:
        return n.Name(c[0], c[0].span)

    def base_name(self, meta: Any, c: list[Any]) -> n.BaseName:
        return n.BaseName(c[0], self._sp(meta))

    def set_lit(self, meta: Any, c: list[Any]) -> n.SetLit:
        items = tuple(x for x in c if x is not None)
        if len(items) > MAX_SET_ELEMENTS:
            self._error("KP190", f"this set has {len(items):,} elements; the limit is "
                        f"{MAX_SET_ELEMENTS:,}",
                        self.source.span(meta.start_pos, meta.start_pos + 1),
                        hint="declare a fact or an enum for a list this long")
            items = items[:MAX_SET_ELEMENTS]
        return n.SetLit(items, self._sp(meta))

    def start(self, meta: Any, c: list[Any]) -> n.Module:
        module: n.Module = c[0]
        return module


@frozen(repr=False)
class _DatedBy(SharedRepr):
    ident: n.Ident


@frozen(repr=False)
class _Header(SharedRepr):
    key: str
    value: Any
    span: Span


def _cover(a: n.Expr, b: n.Expr) -> Span:
    return a.span.cover(b.span)
