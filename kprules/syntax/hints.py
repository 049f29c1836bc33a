"""Syntax errors: one Lark exception -> one Diagnostic that says what the drafter most likely meant.

Stage: part of parsing (used by `parse.py` only). Input: the `UnexpectedInput` that Lark raised and
the `Source`. Output: a KP110-KP114 `Diagnostic`. The common drafting mistakes are recognised
first (`==`, `&&`, `||`, `!`, single quotes, a missing `=`, `when` or `then`, an unclosed or
unmatched bracket, a trailing `and`, `else` without `if`, a date not written YYYY-MM-DD, a
citation after a definition's expression, a third string in a citation, a full stop, letters
right after a number such as `1000USD`, or after it and a space, `1000 USD`); anything
else gets the generic "unexpected X, expected one of ..." message. Recognisers read the parser's
value stack (the tokens and reduced rules before the error) rather than re-lexing the text, so
they cost nothing until an error happens and agree with what the parser actually saw.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from kprules.core.diagnostics import Diagnostic
from kprules.core.source import Source, Span
from kprules.core.suggest import distance
from kprules.ir.types import UNIT_TYPE_NAMES, UNIT_WORDS
from kprules.syntax.grammar import parser

# Regex terminals, named for people (string terminals are shown as written).
TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "DATE": "a date",
    "NUMBER": "a number",
    "QUANTITY": "a quantity such as `0.5 ct`",
    "$END": "the end of the file",
}
# Keywords that start a new item: after an operator the lexer reads them as names.
ITEM_KEYWORDS = frozenset({"define", "redefine", "decision", "parameter", "enum", "fact",
                           "cite", "default", "except", "from", "status", "reads", "amends"})
ITEM_TOKENS = frozenset({"$END", "DEFINE", "REDEFINE", "DECISION", "PARAMETER", "ENUM", "FACT",
                         "CITE", "DEFAULT", "EXCEPT", "WHEN", "FROM"})
# Tokens after which an expression must continue.
NEEDS_OPERAND = frozenset({"AND", "OR", "NOT", "IN", "PLUS", "MINUS", "STAR", "SLASH", "EQUAL",
                           "LESSTHAN", "MORETHAN", "IF", "THEN", "ELSE", "WHEN"})
_TRAILING_OP = re.compile(r"(\band|\bor|\bnot|\bin|\bif|\bthen|\belse|\bwhen|[-+*/<>]|[<>!]?=)"
                          r"\s*\Z")
_LOOSE_DATE = re.compile(r"([0-9]{1,4})([-/])([0-9]{1,2})\2([0-9]{1,4})")
_NUMBER_SUFFIX = re.compile(r"([0-9]+(?:\.[0-9]+)?)[ \t]*([A-Za-z_][A-Za-z0-9_]*)")
# a unit, its type's name, or another way to write it -> the unit
_UNIT_WORDS = {**{u: u for u in UNIT_WORDS}, **{n: u for u, n in UNIT_TYPE_NAMES.items()},
               "cts": "ct", "carat": "ct", "gr": "g", "gram": "g", "dollar": "usd",
               "dollars": "usd"}
_UNIT_LIST = [f"`{u}` ({w})" for u, w in UNIT_WORDS.items()]
_UNITS = f"the units are {', '.join(_UNIT_LIST[:-1])} and {_UNIT_LIST[-1]}"
_CLOSERS = {"LPAR": ("RPAR", "(", ")"), "LBRACE": ("RBRACE", "{", "}")}
_OPERANDS = frozenset({"NAME", "NUMBER", "QUANTITY", "DATE", "STRING", "TRUE", "FALSE", "BASE",
                       "LPAR", "LBRACE"})
_OPERAND_ENDS = frozenset({"NAME", "NUMBER", "QUANTITY", "DATE", "STRING", "TRUE", "FALSE",
                           "RPAR", "RBRACE"})
_JOIN = "join the parts with `and`, `or`, a comparison or an arithmetic operator"
_IF_FORM = "write `if <condition> then <value> else <value>`"


def syntax_diagnostic(err: UnexpectedInput, source: Source) -> Diagnostic:
    """The diagnostic for a syntax error: a recognised mistake, else a generic message."""
    if isinstance(err, UnexpectedCharacters):
        return _bad_character(err, source)
    ctx = _Context.of(err, source)
    for recognise in _RECOGNISERS:
        found = recognise(ctx)
        if found is not None:
            return found
    return _generic(ctx)


# ----------------------------------------------------------------------------- characters


def _bad_character(err: UnexpectedCharacters, source: Source) -> Diagnostic:
    text = source.text
    pos = err.pos_in_stream or 0
    char = text[pos]
    if char == '"':
        return Diagnostic("KP113", "this string is not closed", source.span(pos, pos + 1),
                          hint='end it with `"` (write `\\"` for a quote inside it)')
    if char in "&|":
        word = "and" if char == "&" else "or"
        width = 2 if text[pos + 1 : pos + 2] == char else 1
        written = text[pos : pos + width]
        return Diagnostic("KP110", f"`{written}` is not an operator in kprules",
                          source.span(pos, pos + width), hint=f"write `{word}`")
    if char == "!":
        return Diagnostic("KP110", "`!` is not an operator in kprules", source.span(pos, pos + 1),
                          hint="write `not` (and `!=` for \"is not equal to\")")
    if char == "'":
        return _single_quotes(text, pos, source)
    suffixed = _number_suffix(text, pos, source)
    if suffixed is not None:
        return suffixed
    if not char.isprintable() and not char.isspace():
        return Diagnostic("KP103", f"control character U+{ord(char):04X} in the text",
                          source.span(pos, pos + 1), hint="remove it; kprules files are text")
    return Diagnostic("KP110", f"unexpected character `{char}`", source.span(pos, pos + 1),
                      hint="names use letters, digits and `_`; operators are "
                      "`= != < <= > >= + - * /`")


def _number_suffix(text: str, pos: int, source: Source) -> Diagnostic | None:
    """`1000USD`, `1carat`: letters right after a number, underlined (the number is fine)."""
    match = _NUMBER_SUFFIX.match(text, pos)
    if match is None:
        return None
    number, suffix = match.groups()
    span = source.span(match.start(2), match.end(2))
    unit = _UNIT_WORDS.get(suffix.lower())
    if unit is not None:
        return Diagnostic("KP110", f"`{suffix}` is not a unit", span,
                          hint=f"write `{number} {unit}`: {_UNITS}")
    return Diagnostic("KP110", f"`{suffix}` right after the number `{number}`", span,
                      hint="a quantity's unit is `ct`, `g` or `usd` (`0.5 ct`); a name starts "
                      "with a letter or `_`")


def _single_quotes(text: str, pos: int, source: Source) -> Diagnostic:
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    close = text.find("'", pos + 1, line_end)
    end = close + 1 if close >= 0 else pos + 1
    inner = text[pos + 1 : close] if close >= 0 else ""
    hint = (f'write `"{inner}"`' if close >= 0 and '"' not in inner and len(inner) <= 40
            else 'write the string between `"` and `"`')
    return Diagnostic("KP110", "strings are written in double quotes, not single quotes",
                      source.span(pos, end), hint=hint)


# ----------------------------------------------------------------------------- tokens


class _Context:
    """What a recogniser needs: the token, what was expected, and the parser's value stack."""

    def __init__(self, token: Token, expected: frozenset[str], stack: Sequence[Any],
                 source: Source) -> None:
        self.token = token
        self.expected = expected
        self.stack = stack
        self.source = source
        self.prev = next((t for t in map(_last_token, reversed(stack)) if t is not None), None)

    @classmethod
    def of(cls, err: UnexpectedInput, source: Source) -> _Context:
        token = err.token if isinstance(err, UnexpectedToken) else Token("$END", "")
        expected = frozenset(getattr(err, "expected", ()) or ())
        ip = getattr(err, "interactive_parser", None)
        stack = list(ip.parser_state.value_stack) if ip is not None else []
        return cls(token, expected, stack, source)

    @property
    def at_end(self) -> bool:
        return self.token.type == "$END"

    def token_span(self) -> Span:
        if self.at_end:
            end = len(self.source.text.rstrip())
            return self.source.span(end, end)
        start = self.token.start_pos or 0
        return self.source.span(start, self.token.end_pos or start)

    def tok_span(self, tok: Token) -> Span:
        start = tok.start_pos or 0
        return self.source.span(start, tok.end_pos or start)

    def open_tokens(self, kind: str) -> list[Token]:
        """Raw tokens of `kind` still on the stack: brackets not closed, `if` not finished."""
        return [t for t in self.stack if isinstance(t, Token) and t.type == kind]

    def where(self) -> str:
        if self.at_end:
            return "the end of the file"
        line, _ = self.source.line_col(self.token.start_pos or 0)
        return f"{_words(self.token)} on line {line}"


def _last_token(item: Any) -> Token | None:
    while isinstance(item, Tree):
        children = [c for c in item.children if c is not None]
        if not children:
            return None
        item = children[-1]
    return item if isinstance(item, Token) else None


def _double_equals(ctx: _Context) -> Diagnostic | None:
    prev, tok = ctx.prev, ctx.token
    if tok.type != "EQUAL" or prev is None or prev.type != "EQUAL" or prev.end_pos != tok.start_pos:
        return None
    return Diagnostic("KP111", "`==` is not an operator in kprules",
                      ctx.source.span(prev.start_pos or 0, tok.end_pos or 0),
                      hint="compare with a single `=`")


def _trailing_operator(ctx: _Context) -> Diagnostic | None:
    """`rough and` then the end of the file, or `rough and` then `define ...` on the next line."""
    prev = ctx.prev
    if prev is None:
        return None
    if prev.type in NEEDS_OPERAND and ctx.at_end:
        return _nothing_follows(ctx, prev.start_pos or 0, prev.end_pos or 0, str(prev), "")
    if prev.type != "NAME" or str(prev) not in ITEM_KEYWORDS:
        return None
    start = prev.start_pos or 0
    before = ctx.source.text[max(0, start - 200) : start]
    match = _TRAILING_OP.search(before)
    if match is None:
        return None
    op_start = start - len(before) + match.start(1)
    note = f" (the `{prev}` after it was read as a name)"
    return _nothing_follows(ctx, op_start, op_start + len(match.group(1)), match.group(1), note)


def _nothing_follows(ctx: _Context, start: int, end: int, op: str, note: str) -> Diagnostic:
    return Diagnostic("KP112", f"nothing follows `{op}`{note}", ctx.source.span(start, end),
                      hint=f"complete the expression after `{op}`, or remove `{op}`")


def _nested_if(ctx: _Context) -> Diagnostic | None:
    """`a and if c then x else y`: inside an operator, an `if` is read as a name."""
    prev = ctx.prev
    if prev is None or prev.type != "NAME" or str(prev) != "if":
        return None
    return Diagnostic("KP111", "an `if` after an operator needs parentheses",
                      ctx.tok_span(prev),
                      hint="write `(if <condition> then <value> else <value>)`")


def _unmatched_closer(ctx: _Context) -> Diagnostic | None:
    for opener, (closer, open_char, close_char) in _CLOSERS.items():
        if ctx.token.type == closer and not ctx.open_tokens(opener):
            return Diagnostic("KP111", f"this `{close_char}` has no matching `{open_char}`",
                              ctx.token_span(),
                              hint=f"remove it, or add the `{open_char}` it should close")
    return None


def _unclosed_opener(ctx: _Context) -> Diagnostic | None:
    """A bracket still open at the end of the file, or where the next item starts."""
    if ctx.token.type not in ITEM_TOKENS:
        return None
    for opener, (closer, open_char, close_char) in _CLOSERS.items():
        opened = ctx.open_tokens(opener)
        if opened and (ctx.at_end or closer in ctx.expected):
            return Diagnostic("KP112" if ctx.at_end else "KP111",
                              f"this `{open_char}` is not closed", ctx.tok_span(opened[-1]),
                              hint=f"add `{close_char}` before {ctx.where()}")
    return None


def _else_without_if(ctx: _Context) -> Diagnostic | None:
    word = ctx.token.type
    if word not in ("ELSE", "THEN") or ctx.open_tokens("IF"):
        return None
    return Diagnostic("KP111", f"`{word.lower()}` without `if`", ctx.token_span(), hint=_IF_FORM)


def _if_incomplete(ctx: _Context) -> Diagnostic | None:
    if not ctx.open_tokens("IF"):
        return None
    for word in ("THEN", "ELSE"):
        if word in ctx.expected and ctx.token.type != word:
            return Diagnostic("KP112" if ctx.at_end else "KP111",
                              f"missing `{word.lower()}` in `if ... then ... else ...`",
                              ctx.token_span(), hint=_IF_FORM)
    return None


def _missing_operator(ctx: _Context) -> Diagnostic | None:
    """`define x = rough certified`: two operands in a row on one line of a definition."""
    prev, tok = ctx.prev, ctx.token
    if (prev is None or tok.type not in _OPERANDS or prev.type not in _OPERAND_ENDS
            or _open_item(ctx.stack) != "define =" or not _same_line(ctx, prev, tok)):
        return None
    return Diagnostic("KP111", f"missing an operator between {_words(prev)} and {_words(tok)}",
                      ctx.token_span(), hint=_JOIN)


def _spaced_unit(ctx: _Context) -> Diagnostic | None:
    """`1000 USD`, `1 carat`, `2 uds`: after a number, a name that is no unit but is close to
    one, ignoring case (the units are lower-case: `1000 usd` is a quantity). A name the file
    declares (`define carats = ...`) is left to the other recognisers: it is the missing
    operator. The vocabulary, in another file, is not read yet."""
    pair = _number_then_name(ctx)
    if pair is None:
        return None
    number, name = pair
    unit = _unit_like(str(name))
    if unit is None or _declares(ctx.source.text, str(name)):
        return None
    return Diagnostic("KP111", f"`{name}` is not a unit", ctx.tok_span(name),
                      hint=f"write `{number} {unit}`: {_UNITS}")


def _number_then_name(ctx: _Context) -> tuple[Token, Token] | None:
    """A number and a name after it on its line: the token and the one before it, or (after a
    rule's condition, where the name was read as the outcome of a new rule) the last two
    tokens read."""
    ends = [t for t in map(_last_token, reversed(ctx.stack)) if t is not None][:2]
    pairs = [(ends[0], ctx.token)] if ends else []
    if len(ends) == 2 and "WHEN" in ctx.expected:
        pairs.append((ends[1], ends[0]))
    for number, name in pairs:
        if number.type == "NUMBER" and name.type == "NAME" and _same_line(ctx, number, name):
            return number, name
    return None


def _unit_like(word: str) -> str | None:
    """The unit a word means: one of `_UNIT_WORDS` in any case (`USD`, `Carats`), or, for a word
    of three letters or more, one edit away from one of them (`uds`, `carrats`)."""
    low = word.lower()
    if low in _UNIT_WORDS:
        return _UNIT_WORDS[low]
    if len(low) < 3:
        return None
    near = [unit for w, unit in _UNIT_WORDS.items() if len(w) >= 3 and distance(low, w, 1) <= 1]
    return near[0] if near else None


def _declares(text: str, name: str) -> bool:
    return re.search(rf"\b(?:fact|measure|define|redefine|parameter|decision)\s+"
                     rf"{re.escape(name)}\b", text) is not None


def _second_quotation(ctx: _Context) -> Diagnostic | None:
    """`cite src "Section I" "text" "more"`: a citation has one locator and one quotation."""
    stack = ctx.stack
    if (ctx.token.type != "STRING" or len(stack) < 4 or not _is_token(stack[-4], "CITE")
            or not _is_token(stack[-2], "STRING") or not _is_token(stack[-1], "STRING")):
        return None
    return Diagnostic("KP111", "a third string in a citation", ctx.token_span(),
                      hint='a citation is `cite <source> "<locator>" "<quotation>"`: make the '
                      "quotation one string (it may span lines, `...` marks a gap), or give "
                      "another `cite`")


def _full_stop(ctx: _Context) -> Diagnostic | None:
    """`define x = natural.`: a sentence's full stop, where no `.` can be."""
    if ctx.token.type != "DOT" or "DOT" in ctx.expected:
        return None
    return Diagnostic("KP111", "unexpected `.`", ctx.token_span(),
                      hint="remove it: an item does not end with a full stop (`.` is only in "
                      "`base.<term>` and `<policy>.<term>`)")


def _is_token(item: Any, kind: str) -> bool:
    return isinstance(item, Token) and item.type == kind


def _same_line(ctx: _Context, first: Token, second: Token) -> bool:
    between = ctx.source.text[first.end_pos or 0 : second.start_pos or 0]
    return "\n" not in between


def _missing_when(ctx: _Context) -> Diagnostic | None:
    if "WHEN" not in ctx.expected or ctx.token.type == "WHEN" or ctx.prev is None:
        return None
    start = ctx.prev.start_pos or 0
    line_start = ctx.source.text.rfind("\n", 0, start) + 1
    if ctx.source.text[line_start:start].strip():
        # `prohibited when rough certified`: `certified` was taken as the outcome of a new rule.
        return Diagnostic("KP111", f"missing an operator before {_words(ctx.prev)}",
                          ctx.tok_span(ctx.prev),
                          hint=f"{_JOIN}; a new rule starts a line with `<outcome> when`")
    outcome = str(ctx.prev)
    found = str(ctx.token)
    if found in ("if", "where", "unless", "provided"):
        message = f"a rule says `when`, not `{found}`"
    else:
        message = f"missing `when` after the outcome `{outcome}`"
    return Diagnostic("KP111" if not ctx.at_end else "KP112", message, ctx.token_span(),
                      hint=f"a rule reads `{outcome} when <condition>`")


def _missing_equals(ctx: _Context) -> Diagnostic | None:
    if "EQUAL" not in ctx.expected or ctx.token.type == "EQUAL":
        return None
    kind = _open_item(ctx.stack)
    if kind == "define":
        return Diagnostic("KP112" if ctx.at_end else "KP111",
                          "missing `=` before the expression of the definition",
                          ctx.token_span(),
                          hint="write `define <name> = <expression>`; citations come before "
                          "the `=`")
    if kind == "piece":
        return Diagnostic("KP112" if ctx.at_end else "KP111",
                          "missing `=` between the date and the value", ctx.token_span(),
                          hint="write `from <date> = <value>`")
    return None


def _cite_after_body(ctx: _Context) -> Diagnostic | None:
    """`define x = ... cite ...`: a definition's citations come before its `=`."""
    if ctx.token.type != "CITE" or _open_item(ctx.stack) != "define =":
        return None
    return Diagnostic("KP111", "a citation after the expression of a definition",
                      ctx.token_span(),
                      hint="put the citations of a definition before its `=`: "
                      "`define <name> cite <source> \"<locator>\" \"<quote>\" = <expression>`")


def _open_item(stack: Sequence[Any]) -> str | None:
    """The innermost construct being parsed: `define` or `piece` before its `=`, `define =` or
    `piece =` after it (in its expression), or None for something else."""
    after_equals = False
    for item in reversed(stack):
        after_equals = after_equals or (isinstance(item, Token) and item.type == "EQUAL")
        kind = _item_kind(item)
        if kind is not None:
            return kind + (" =" if after_equals else "") if kind else None
    return None


def _item_kind(item: Any) -> str | None:
    """`define` or `piece` for the start of one, "" for the start of another item, else None."""
    if isinstance(item, Tree) and item.data == "define_kw":
        return "define"
    if isinstance(item, Token) and item.type == "FROM":
        return "piece"
    if isinstance(item, Token) and item.type in ("DECISION", "PARAMETER", "POLICY", "FACTS"):
        return ""
    return None


def _loose_date(ctx: _Context) -> Diagnostic | None:
    """`from 2024-3-1`: a date not written YYYY-MM-DD, read as numbers."""
    if ctx.token.type != "NUMBER" or "DATE" not in ctx.expected:
        return None
    start = ctx.token.start_pos or 0
    match = _LOOSE_DATE.match(ctx.source.text, start)
    if match is None:
        return None
    return loose_date_diagnostic(match.group(0), ctx.source.span(start, match.end()))


def loose_date_diagnostic(written: str, span: Span) -> Diagnostic | None:
    """KP114 for `2024-3-1`, `2024/03/01` or `1-3-2024`; None if `written` is not such a date."""
    match = _LOOSE_DATE.fullmatch(written)
    if match is None:
        return None
    first, _, middle, last = match.groups()
    if len(first) == 4:
        fixed = f"{first}-{int(middle):02d}-{int(last):02d}"
        hint = (f"write `{fixed}`" if _is_real_date(fixed) else
                "write dates as YYYY-MM-DD, with a month 01-12 and a day that exists")
    elif len(last) == 4:
        hint = "write the year first: YYYY-MM-DD"
    else:
        return None
    return Diagnostic("KP114", f"`{written}` is not a date written YYYY-MM-DD", span, hint=hint)


def _is_real_date(written: str) -> bool:
    try:
        dt.date.fromisoformat(written)
    except ValueError:
        return False
    return True


_RECOGNISERS: tuple[Callable[[_Context], Diagnostic | None], ...] = (
    _double_equals, _trailing_operator, _nested_if, _unmatched_closer, _unclosed_opener,
    _else_without_if, _if_incomplete, _second_quotation, _full_stop, _spaced_unit,
    _missing_operator,
    _missing_when, _missing_equals,
    _cite_after_body, _loose_date,
)


# ----------------------------------------------------------------------------- generic


def _generic(ctx: _Context) -> Diagnostic:
    if not ctx.at_end:
        return Diagnostic("KP111", f"unexpected {_words(ctx.token)}", ctx.token_span(),
                          hint=_expected(ctx.expected))
    if not ctx.source.text.strip():
        return Diagnostic("KP112", "the file is empty", ctx.token_span(),
                          hint="a file starts with `facts <name>` or `policy <name>`")
    return Diagnostic("KP112", "the file ends too early", ctx.token_span(),
                      hint=_expected(ctx.expected))


def _describe_terminal(name: str) -> str:
    if name in TERMINAL_NAMES:
        return TERMINAL_NAMES[name]
    for term in parser().terminals:
        if term.name == name and term.pattern.type == "str":
            return f"`{term.pattern.value}`"
    return name.lower()


def _expected(names: frozenset[str]) -> str | None:
    shown = sorted({_describe_terminal(x) for x in names})
    if not shown:
        return None
    if len(shown) > 8:
        shown = [*shown[:8], "..."]
    return "expected " + (shown[0] if len(shown) == 1 else "one of " + ", ".join(shown))


def _words(tok: Token) -> str:
    value = str(tok)
    if tok.type in ("NAME", "NUMBER", "QUANTITY", "DATE"):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"{TERMINAL_NAMES[tok.type].removeprefix('a ').split(' such')[0]} `{shown}`"
    if tok.type == "STRING":
        shown = value if len(value) <= 30 else value[:27] + '..."'
        return f"string {shown}"
    return f"`{value}`"
