"""Round-trip properties of the canonical printer (kprules.syntax.pretty).

- parse(pretty(m)) == m for generated trees, with literal values kept exactly (compared through
  `repr`, since `Decimal('1.5') == Decimal('1.50') == 1.5`-style equalities would hide a change);
- printing is idempotent: pretty(parse(pretty(m))) == pretty(m);
- comments survive `fmt`: the texts of comments inserted at random line ends, on lines of their
  own, or after any token come out in the same order, the module is unchanged, and a second
  `fmt` changes nothing;
- `scan_comments` finds exactly the comments the lexer finds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from lark import Token
from strategies import NAMES, arith_trees, exprs, logic_trees, modules

from kprules.core.source import Source
from kprules.syntax import nodes as n
from kprules.syntax.grammar import parser
from kprules.syntax.parse import parse
from kprules.syntax.pretty import pretty, scan_comments
from kprules.syntax.pretty_expr import WIDTH, expr_text

# The explain phase re-runs a failing example once per part of it, which takes minutes on trees
# of this size; the shrunk example is explanation enough.
quick_failure = settings(phases=tuple(p for p in Phase if p is not Phase.explain))


def _parse(text: str) -> n.Module:
    return parse(Source("<generated>", text))


def _fmt(text: str) -> str:
    return pretty(_parse(text), scan_comments(text))


def _lexed(text: str, kind: str) -> list[Token]:
    return [t for t in parser().lex(text, dont_ignore=True) if t.type == kind]


@quick_failure
@given(modules)
def test_parse_of_pretty_gives_the_same_module(module: n.Module) -> None:
    again = _parse(pretty(module))
    assert again == module
    assert repr(again) == repr(module)


def _define(body: n.Expr) -> n.PolicyModule:
    return n.PolicyModule(n.Ident("p"), None, None, None, None, None,
                          (n.Define(n.Ident("x"), None, None, (), body),))


def _keeps_its_tree(body: n.Expr) -> None:
    module = _define(body)
    again = _parse(pretty(module))
    assert again == module
    assert repr(again) == repr(module)


@quick_failure
@given(exprs)
def test_expressions_keep_their_tree(body: n.Expr) -> None:
    _keeps_its_tree(body)


@quick_failure
@given(arith_trees)
def test_arithmetic_keeps_its_tree(body: n.Expr) -> None:
    _keeps_its_tree(body)


@quick_failure
@given(logic_trees)
def test_logic_keeps_its_tree(body: n.Expr) -> None:
    _keeps_its_tree(body)


_A, _B, _C = (n.Name(n.Ident(x)) for x in "abc")
# One expression of every kind (leaves as children), and every place a child can stand.
SAMPLES: tuple[n.Expr, ...] = (
    n.BoolLit(True), n.NumberLit(1), n.NumberLit(Decimal("1.50")),
    n.QuantityLit(Decimal("0.5"), "ct"), n.DateLit(dt.date(2024, 3, 1)), n.StringLit('a "b"'),
    _A, n.BaseName(n.Ident("a")), n.SetLit(()), n.SetLit((_A, _B)), n.Not(_A), n.Neg(_A),
    n.And((_A, _B)), n.Or((_A, _B)), n.Compare("<=", _A, _B), n.Member(_A, _B),
    n.Member(_A, _B, True), n.InRange(_A, _B, _C), n.InRange(_A, _B, _C, True),
    *(n.Arith(op, _A, _B) for op in "+-*/"), n.IfThenElse(_A, _B, _C),
)
CONTEXTS: tuple[Callable[[n.Expr], n.Expr], ...] = (
    n.Not, n.Neg, lambda x: n.SetLit((x,)), lambda x: n.SetLit((_A, x)),
    lambda x: n.And((x, _B)), lambda x: n.And((_A, x)), lambda x: n.And((_A, x, _C)),
    lambda x: n.Or((x, _B)), lambda x: n.Or((_A, x)), lambda x: n.Or((_A, x, _C)),
    lambda x: n.Compare("=", x, _B), lambda x: n.Compare("<", _A, x),
    lambda x: n.Member(x, _B), lambda x: n.Member(_A, x), lambda x: n.Member(x, _B, True),
    lambda x: n.Member(_A, x, True), lambda x: n.InRange(x, _B, _C),
    lambda x: n.InRange(_A, x, _C), lambda x: n.InRange(_A, _B, x),
    lambda x: n.InRange(x, _B, _C, True), lambda x: n.InRange(_A, _B, x, True),
    *(f for op in "+-*/" for f in (lambda x, op=op: n.Arith(op, x, _B),
                                   lambda x, op=op: n.Arith(op, _A, x))),
    lambda x: n.IfThenElse(x, _B, _C), lambda x: n.IfThenElse(_A, x, _C),
    lambda x: n.IfThenElse(_A, _B, x),
)


def test_every_child_kind_in_every_place_keeps_its_tree() -> None:
    failures = []
    for context in CONTEXTS:
        for sample in SAMPLES:
            for body in (context(sample), context(context(sample))):
                text = pretty(_define(body))
                again = _parse(text)
                if again != _define(body) or repr(again) != repr(_define(body)):
                    failures.append(text.split("\n")[-2])
    assert failures == []


@quick_failure
@given(modules)
def test_pretty_is_idempotent(module: n.Module) -> None:
    text = pretty(module)
    assert _fmt(text) == text


@quick_failure
@given(modules)
def test_printed_lines_are_canonical(module: n.Module) -> None:
    text = pretty(module)
    assert text.endswith("\n") and not text.endswith("\n\n")
    for line in text.split("\n"):
        assert line == line.rstrip()
        indent = len(line) - len(line.lstrip(" "))
        assert "\t" not in line[:indent]


@quick_failure
@given(exprs)
def test_a_policy_with_one_short_expression_is_on_one_line(body: n.Expr) -> None:
    text = pretty(_define(body))
    flat = expr_text(body)
    if len(flat) + 4 <= WIDTH:
        assert text == f"policy p\n\ndefine x\n  = {flat}\n"


_COMMENT_TEXT = st.lists(st.sampled_from([*'ab #"\\ xyz', "é", "中", "\t", "--"]),
                         max_size=10).map("".join)


def _line_ends_in_strings(text: str) -> set[int]:
    """Offsets of the line breaks that lie inside string literals (where no comment can go)."""
    inside: set[int] = set()
    for tok in _lexed(text, "STRING"):
        start = tok.start_pos or 0
        inside.update(i for i in range(start, start + len(tok)) if text[i] == "\n")
    return inside


@st.composite
def commented(draw: st.DrawFn) -> tuple[n.Module, str, list[str]]:
    """A printed module with comments added at line ends and on lines of their own."""
    module = draw(modules)
    text = pretty(module)
    blocked = _line_ends_in_strings(text)
    out: list[str] = []
    expected: list[str] = []
    offset = 0
    for line in text.split("\n")[:-1]:
        free_before = offset - 1 not in blocked
        offset += len(line) + 1
        if free_before and draw(st.integers(0, 4)) == 0:
            body = ("# " + draw(_COMMENT_TEXT)).rstrip()
            indent = draw(st.sampled_from(["", "  ", "      "]))
            out.append(indent + body)
            expected.append(body)
        if offset - 1 not in blocked and draw(st.integers(0, 3)) == 0:
            body = ("#" + draw(_COMMENT_TEXT)).rstrip()
            line = line + draw(st.sampled_from([" ", "  ", "\t"])) + body + " "
            expected.append(body)
        out.append(line)
        if draw(st.integers(0, 9)) == 0:
            out.append("")
    if draw(st.booleans()):
        body = "# " + draw(_COMMENT_TEXT).rstrip()
        out.append(body.rstrip())
        expected.append(body.rstrip())
    return module, "\n".join(out) + "\n", expected


@quick_failure
@given(commented())
def test_fmt_keeps_every_comment_in_order(case: tuple[n.Module, str, list[str]]) -> None:
    module, text, expected = case
    assert _parse(text) == module
    assert [c.text for c in scan_comments(text)] == expected
    formatted = _fmt(text)
    assert [c.text for c in scan_comments(formatted)] == expected
    again = _parse(formatted)
    assert again == module
    assert repr(again) == repr(module)
    assert _fmt(formatted) == formatted


@st.composite
def comment_after_tokens(draw: st.DrawFn) -> tuple[n.Module, str, list[str]]:
    """A printed module with a comment (and a line break) after some of its tokens."""
    module = draw(modules)
    text = pretty(module)
    ends = sorted({t.end_pos or 0 for t in parser().lex(text)})
    chosen = sorted(draw(st.sets(st.sampled_from(ends), max_size=8))) if ends else []
    out, expected, last = [], [], 0
    for i, end in enumerate(chosen):
        body = f"# c{i}"
        out += [text[last:end], f" {body}\n"]
        expected.append(body)
        last = end
    return module, "".join([*out, text[last:]]), expected


@quick_failure
@given(comment_after_tokens())
def test_comments_after_any_token_survive(case: tuple[n.Module, str, list[str]]) -> None:
    module, text, expected = case
    assert _parse(text) == module
    formatted = _fmt(text)
    assert [c.text for c in scan_comments(formatted)] == expected
    assert _parse(formatted) == module
    assert _fmt(formatted) == formatted


@quick_failure
@given(commented())
def test_scan_comments_agrees_with_the_lexer(case: tuple[n.Module, str, list[str]]) -> None:
    _, text, _ = case
    lexed = [(t.start_pos, str(t).rstrip()) for t in _lexed(text, "COMMENT")]
    assert [(c.start, c.text) for c in scan_comments(text)] == lexed


def test_names_pool_has_no_keywords_or_countries() -> None:
    assert "in" not in NAMES and "CF" not in NAMES and "g" in NAMES
