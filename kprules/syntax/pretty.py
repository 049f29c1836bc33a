"""Canonical printer: nodes -> kprules text that keeps every comment (used by `kprules fmt`).

Stage: after parse. Input: a `nodes.Module`, and the comments of its source (`scan_comments`).
Output: the module's canonical text. Invariants: `parse(pretty(m)) == m` for every module the
parser can produce (same node kinds and literal values, e.g. `1.50` stays `1.50`); printing is
idempotent; the sequence of comment texts is the same before and after. Errors: `ValueError` for
a tree no text can produce (a negative or non-finite literal, `and`/`or` with one operand).

Canonical form
- 2-space indentation; lines of at most 100 characters where possible (a single long word, or a
  long name, may exceed it); no trailing white space; the file ends with one newline.
- One blank line between top-level items (`enum`, `define`, `decision`, `parameter`); consecutive
  `fact` lines form one block. No blank lines inside an item.
- Module header: `facts NAME "description"` with `dated by` indented under it; or
  `policy NAME "title"` with `status`, `in force`, `reads`, `amends` indented, in that order.
- A description follows its declaration on the same line if that fits in 100 columns, otherwise
  it goes on the next line, indented one level. Strings wrap at 100 columns between words: the
  parser folds a string's white space, so a line break inside a string is a space; continuation
  lines are aligned one column after the opening quote.
- `cite SOURCE "locator"`, with the quotation on the next line, one level deeper.
- `define NAME[: TYPE] ["description"]`, then its cites, then `= body` (all indented one level).
- `decision NAME: {a, b}` (or a named enum), then description, cites, `default x` (with its cites
  one level deeper), then the rules `outcome when condition`. Under a rule, one level deeper: its
  `from D [until E]` line, its cites, its `except outcome when condition` clauses (each with its
  own interval line and cites).
- `parameter NAME: TYPE`, its cites, then the pieces `from D [until E] = value`, each with its
  cites one level deeper. `redefine` precedes `decision` and `parameter`.
- `enum NAME ["description"] {`, one value (with its description) per line, `}`; an enum
  without values is `enum NAME {}`.
- Expressions: minimal parentheses by precedence, from loosest: `if then else`; `or`; `and`;
  `not`; comparisons and `in` (non-associative); `+ -`; `* /`; unary `-`. Parentheses are kept
  where the parser would otherwise build another tree: `and` inside `and`, `or` inside `or`, a
  right operand of the same precedence (`a - (b - c)`, `a / (b * c)`). Numbers print as parsed
  (`1.50`, `12`), quantities as `0.5 ct`, dates as `2024-03-01`, `base.x` without spaces.
- An expression that does not fit breaks: `and`/`or` chains (and `+ -`, `* /` chains) one
  operand per line, the operator leading, indented one level under the line holding the `=`
  (definitions) or two levels under a rule or piece; a chain inside a broken chain (`and` in
  `or`), when it breaks too, goes one level deeper; a broken nested group opens `(` at the end of
  its line, its operands one level deeper, and `)` on a line of its own; a broken set has one item
  per line with a trailing comma; a broken `if` puts `then` and `else` on lines of their own; a
  comparison whose left side does not fit puts its operator at the start of a line.

Comments (never lost; their order is kept)
- A comment on a line of its own attaches to the construct after it (module header, header line,
  enum, enum value, closing `}`, fact, define, `= body`, decision, default, rule, exception,
  interval line, cite, parameter, piece) and is printed just above it, at its indentation.
- A comment after code on the same line stays at the end of the line of the construct it
  ends. A comment inside a construct (within a multi-line expression, between a locator and its
  quotation) moves above that construct.
- Comments after the last construct go at the end of the file.
- Blank lines around comments at the top level are kept (at most one); elsewhere they go.
- Should two comments compete for one place (a reordered header), the later one moves down to
  the next place a comment may stand, so that the order of comments never changes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from attrs import frozen

from kprules.core.operators import arith_needs, level
from kprules.syntax import nodes as n

WIDTH = 100

# ----------------------------------------------------------------------------- comments

# Strings first, so that a `#` inside a string is not a comment: the same scan as the lexer's.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*', re.S)


@frozen
class Comment:
    """A `#` comment: its text (trailing white space removed) and where it stands."""

    text: str
    start: int
    own_line: bool = True       # nothing but white space before it on its line
    blank_before: bool = False  # on a line of its own, with an empty line above it
    blank_after: bool = False   # an empty line follows it


def scan_comments(text: str) -> tuple[Comment, ...]:
    """The comments of a text, outside string literals, in order."""
    found = []
    for m in _TOKEN.finditer(text):
        if m.group().startswith("#"):
            found.append(_comment(text, m.start(), m.end()))
    return tuple(found)


def _comment(text: str, start: int, end: int) -> Comment:
    line_start = text.rfind("\n", 0, start) + 1
    own_line = not text[line_start:start].strip()
    above = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    blank_before = own_line and line_start > 0 and not text[above : line_start - 1].strip()
    after_end = text.find("\n", end + 1)
    blank_after = after_end >= 0 and not text[end + 1 : after_end].strip()
    return Comment(text[start:end].rstrip(), start, own_line, blank_before, blank_after)


# ----------------------------------------------------------------------------- literals


def quote(value: str) -> str:
    """A string literal for `value` (`"` and `\\` escaped)."""
    return '"' + _escape(value) + '"'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _decimal(value: Decimal) -> str:
    if not value.is_finite() or value.is_signed():
        raise ValueError(f"no literal can write the number {value!r}")
    return format(value, "f")


def _number(value: int | Decimal) -> str:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"not a number literal: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"no literal can write the number {value}")
        return str(value)
    text = _decimal(value)
    return text if "." in text else text + ".0"  # a decimal keeps its point


def _interval(iv: n.Interval) -> str:
    until = f" until {iv.end.isoformat()}" if iv.end is not None else ""
    return f"from {iv.start.isoformat()}{until}"


def _type(t: n.TypeRef) -> str:
    if isinstance(t, n.SetType):
        return f"set of {t.element.name}"
    return t.ident.name


# ----------------------------------------------------------------------------- expressions


def _prec(e: n.Expr) -> int:
    """Binding strength (kprules.core.operators). A child needs at least its position's level."""
    return level(e)


def _chain(operands: tuple[n.Expr, ...]) -> tuple[n.Expr, ...]:
    if len(operands) < 2:
        raise ValueError("`and`/`or` needs at least two operands")
    return operands


def _arith_needs(op: str) -> tuple[int, int]:
    """Left and right levels: the parser folds `a - b - c` to the left."""
    return arith_needs(op)


def expr_text(e: n.Expr) -> str:
    """An expression on one line, with the fewest parentheses that keep its tree."""
    match e:
        case n.BoolLit(value=v):
            return "true" if v else "false"
        case n.NumberLit(value=v):
            return _number(v)
        case n.QuantityLit(value=v, unit=unit):
            return f"{_decimal(v)} {unit}"
        case n.DateLit(value=d):
            return d.isoformat()
        case n.StringLit(value=s):
            return quote(s)
        case n.Name(ident=i):
            return i.name
        case n.BaseName(ident=i):
            return f"base.{i.name}"
        case n.SetLit(items=items):
            return "{" + ", ".join(_sub(x, 0) for x in items) + "}"
        case n.Not(operand=x):
            # parenthesized unless an atom: `not (x in s)` reads unambiguously aloud
            return "not " + _sub(x, 8)
        case n.And(operands=xs):
            return " and ".join(_sub(x, 3) for x in _chain(xs))
        case n.Or(operands=xs):
            return " or ".join(_sub(x, 2) for x in _chain(xs))
        case n.Neg(operand=x):
            return "-" + _sub(x, 7)
        case n.IfThenElse(cond=c, then=t, else_=f):
            return f"if {_sub(c, 0)} then {_sub(t, 0)} else {_sub(f, 0)}"
    return "".join(sep + _sub(x, need) for sep, x, need in _parts(e))


# A binary-like node as (text before, operand, the level the operand needs).
_Part = tuple[str, n.Expr, int]


def _parts(e: n.Expr) -> list[_Part]:
    match e:
        case n.Compare(op=op, left=a, right=b):
            return [("", a, 5), (f" {op} ", b, 5)]
        case n.Member(element=x, collection=s, negated=neg):
            return [("", x, 5), (" not in " if neg else " in ", s, 5)]
        case n.InRange(element=x, low=lo, high=hi, negated=neg):
            return [("", x, 5), (" not in " if neg else " in ", lo, 5), (" .. ", hi, 5)]
        case n.Arith(op=op, left=a, right=b):
            left, right = _arith_needs(op)
            return [("", a, left), (f" {op} ", b, right)]
    raise ValueError(f"not an expression: {type(e).__name__}")


def _sub(e: n.Expr, need: int) -> str:
    text = expr_text(e)
    return f"({text})" if _prec(e) < need else text


# Layout: a list of lines; the first is a fragment that continues the current line (at column
# `col`), the others are whole lines with their indentation. `cont` is the indentation of
# continuation lines.
Lines = list[str]


def _end_col(lines: Lines, col: int) -> int:
    return col + len(lines[0]) if len(lines) == 1 else len(lines[-1])


def _append(lines: Lines, more: Lines) -> Lines:
    return [*lines[:-1], lines[-1] + more[0], *more[1:]]


def _breakable(e: n.Expr) -> bool:
    return _prec(e) < 8 or (isinstance(e, n.SetLit) and bool(e.items))


def layout(e: n.Expr, col: int, cont: int, need: int = 0) -> Lines:
    """The expression starting at column `col`, broken over lines when it does not fit."""
    flat = _sub(e, need)
    if col + len(flat) <= WIDTH or not _breakable(e):
        return [flat]
    if _prec(e) < need:
        inner = layout(e, cont + 2, cont + 2)
        return ["(", " " * (cont + 2) + inner[0], *inner[1:], " " * cont + ")"]
    match e:
        case n.And(operands=xs):
            return _lay_chain(xs[0], 3, [("and", x, 3) for x in _chain(xs)[1:]], col, cont)
        case n.Or(operands=xs):
            return _lay_chain(xs[0], 2, [("or", x, 2) for x in _chain(xs)[1:]], col, cont)
        case n.Arith():
            return _lay_arith(e, col, cont)
        case n.IfThenElse():
            return _lay_if(e, col, cont)
        case n.SetLit(items=items):
            return _lay_items(items, cont)
        case n.Not(operand=x):
            return _lay_parts([("not ", x, 8)], col, cont)
        case n.Neg(operand=x):
            return _lay_parts([("-", x, 7)], col, cont)
    return _lay_comparison(_parts(e), col, cont)


def _lay_parts(parts: Sequence[_Part], col: int, cont: int) -> Lines:
    lines = [""]
    for sep, x, need in parts:
        lines = _append(lines, [sep])
        lines = _append(lines, layout(x, _end_col(lines, col), cont, need))
    return lines


def _lay_chain(first: n.Expr, first_need: int, rest: Sequence[tuple[str, n.Expr, int]],
               col: int, cont: int) -> Lines:
    """One operand per line, the operator leading at `cont`."""
    # An operator chain inside a broken chain (an `and` in an `or`, a product in a sum) needs
    # no parentheses; when it breaks too, its lines go one level deeper.
    def inner(x: n.Expr, need: int) -> int:
        return cont + 2 if isinstance(x, n.And | n.Or | n.Arith) and _prec(x) >= need else cont

    lines = layout(first, col, inner(first, first_need), first_need)
    for word, x, need in rest:
        lead = " " * cont + word + " "
        part = layout(x, len(lead), inner(x, need), need)
        lines += [lead + part[0], *part[1:]]
    return lines


def _lay_arith(e: n.Arith, col: int, cont: int) -> Lines:
    """`a - b + c` (one left-folded spine of one precedence) as a chain."""
    rest: list[tuple[str, n.Expr, int]] = []
    node: n.Expr = e
    while isinstance(node, n.Arith) and _prec(node) == _prec(e):
        rest.append((node.op, node.right, _arith_needs(node.op)[1]))
        node = node.left
    return _lay_chain(node, _arith_needs(e.op)[0], rest[::-1], col, cont)


def _lay_comparison(parts: Sequence[_Part], col: int, cont: int) -> Lines:
    """Inline if the left side fits (a set on the right breaks by itself); otherwise the
    operator starts a line one level deeper, under a left side two levels deeper."""
    _, left, need = parts[0]
    if col + len(_sub(left, need)) <= WIDTH:
        return _lay_parts(parts, col, cont)
    lines = layout(left, col, cont + 4, need)
    for sep, x, x_need in parts[1:]:
        lead = " " * (cont + 2) + sep.strip() + " "
        part = layout(x, len(lead), cont + 2, x_need)
        lines += [lead + part[0], *part[1:]]
    return lines


def _lay_if(e: n.IfThenElse, col: int, cont: int) -> Lines:
    lines = _append(["if "], layout(e.cond, col + 3, cont + 2))
    then = layout(e.then, cont + 5, cont + 2)
    # An `else if` chain stays at one level instead of stepping right.
    other_cont = cont if isinstance(e.else_, n.IfThenElse) else cont + 2
    other = layout(e.else_, cont + 5, other_cont)
    pad = " " * cont
    return [*lines, pad + "then " + then[0], *then[1:], pad + "else " + other[0], *other[1:]]


def _lay_items(items: Iterable[n.Expr], cont: int) -> Lines:
    lines = ["{"]
    pad = " " * (cont + 2)
    for x in items:
        part = layout(x, cont + 2, cont + 2)
        lines += [pad + part[0], *part[1:]]
        lines[-1] += ","
    return [*lines, " " * cont + "}"]


# ----------------------------------------------------------------------------- strings


def _wrap(value: str, prefix: str, cont: int, suffix: str = "") -> Lines:
    """`prefix` then the quoted value, broken between words at WIDTH, then `suffix`."""
    words = _escape(value).split(" ")
    lines = [prefix + '"' + words[0]]
    for i, word in enumerate(words[1:], start=2):
        closing = 1 + len(suffix) if i == len(words) else 0
        if len(lines[-1]) + 1 + len(word) + closing <= WIDTH:
            lines[-1] += " " + word
        else:
            lines.append(" " * cont + word)
    lines[-1] += '"' + suffix
    return lines


def _described(indent: int, head: Lines, desc: str | None, suffix: str = "") -> Lines:
    """Whole lines: `head` (indented), the description after it or on the next line."""
    pad = " " * indent
    lines = [pad + head[0], *head[1:]]
    if desc is None:
        return _append(lines, [suffix])
    one = f"{lines[-1]} {quote(desc)}{suffix}"
    if len(one) <= WIDTH:
        return [*lines[:-1], one]
    return [*lines, *_wrap(desc, pad + "  ", indent + 3, suffix)]


# ----------------------------------------------------------------------------- constructs


@frozen
class _Unit:
    """A statement-level construct as printed: the place where comments can attach.

    `start` is where it begins in the source, `inner_end` where its last part with a span ends
    (a comment before that is inside it and moves above it)."""

    start: int
    inner_end: int
    lines: tuple[str, ...]
    indent: int
    top: bool = False
    blank_before: bool = False
    header: bool = False


def _cite(c: n.Cite, indent: int) -> _Unit:
    lines = _wrap(c.locator, f"{' ' * indent}cite {c.source.name} ", indent + 3)
    if c.quote is not None:
        lines += _wrap(c.quote, " " * (indent + 2), indent + 3)
    return _Unit(c.span.start, c.span.end, tuple(lines), indent)


def _cites(cites: Iterable[n.Cite], indent: int) -> Iterator[_Unit]:
    return (_cite(c, indent) for c in cites)


def _line(node: n.Ident | n.Interval, text: str, indent: int, header: bool = False) -> _Unit:
    return _Unit(node.span.start, node.span.end, (" " * indent + text,), indent, header=header)


def _facts(m: n.FactsModule) -> Iterator[_Unit]:
    yield _Unit(m.span.start, m.ident.span.end,
                tuple(_described(0, [f"facts {m.name}"], m.description)), 0, top=True)
    if m.dated_by is not None:
        yield _line(m.dated_by, f"dated by {m.dated_by.name}", 2)
    previous: object = None
    for item in m.items:
        if isinstance(item, n.EnumDecl):
            yield from _enum(item)
        else:
            grouped = isinstance(previous, n.FactDecl)
            word = "measure" if item.measure else "fact"
            head = [f"{word} {item.ident.name}: {_type(item.type)}"]
            yield _Unit(item.span.start, item.type.span.end,
                        tuple(_described(0, head, item.description)), 0, True, not grouped)
        previous = item


def _enum(e: n.EnumDecl) -> Iterator[_Unit]:
    braces = " {" if e.values else " {}"
    yield _Unit(e.span.start, e.ident.span.end,
                tuple(_described(0, [f"enum {e.ident.name}"], e.description, braces)), 0, True,
                True)
    if not e.values:
        return
    for v in e.values:
        yield _Unit(v.span.start, v.ident.span.end,
                    tuple(_described(2, [v.ident.name], v.description)), 2)
    yield _Unit(e.span.end - 1, e.span.end, ("}",), 2)


def _policy(m: n.PolicyModule) -> Iterator[_Unit]:
    yield _Unit(m.span.start, m.ident.span.end,
                tuple(_described(0, [f"policy {m.name}"], m.title)), 0, top=True)
    if m.status is not None:
        yield _line(m.status, f"status {m.status.name}", 2, header=True)
    if m.in_force is not None:
        yield _line(m.in_force, f"in force {_interval(m.in_force)}", 2, header=True)
    if m.reads is not None:
        yield _line(m.reads, f"reads {m.reads.name}", 2, header=True)
    if m.amends is not None:
        yield _line(m.amends, f"amends {m.amends.name}", 2, header=True)
    for item in m.items:
        match item:
            case n.Define():
                yield from _define(item)
            case n.Decision():
                yield from _decision(item)
            case n.Parameter():
                yield from _parameter(item)
            case n.EnumDecl():
                yield from _enum(item)
    for claim in m.assertions:
        yield _Unit(claim.span.start, claim.span.end,
                    (f"assert {claim.ident.name}: {claim.left.text} implies {claim.right.text}",),
                    0, True, True)


def _define(d: n.Define) -> Iterator[_Unit]:
    head = f"{'redefine' if d.redefine else 'define'} {d.ident.name}"
    end = d.ident.span.end
    if d.type is not None:
        head += f": {_type(d.type)}"
        end = d.type.span.end
    yield _Unit(d.span.start, end, tuple(_described(0, [head], d.description)), 0, True, True)
    yield from _cites(d.cites, 2)
    body = layout(d.body, 4, 4)
    yield _Unit(d.body.span.start, d.body.span.end, ("  = " + body[0], *body[1:]), 2)


def _decision(d: n.Decision) -> Iterator[_Unit]:
    head: Lines = [f"{'redefine ' if d.redefine else ''}decision {d.ident.name}: "]
    if isinstance(d.outcomes, n.NamedType):
        head = _append(head, [d.outcomes.ident.name])
    else:
        names = [v.name for v in d.outcomes.values]
        flat = "{" + ", ".join(names) + "}"
        fits = len(head[0]) + len(flat) <= WIDTH
        head = _append(head, [flat] if fits else ["{", *(f"  {x}," for x in names), "}"])
    yield _Unit(d.span.start, d.outcomes.span.end, tuple(_described(0, head, d.description)), 0,
                True, True)
    yield from _cites(d.cites, 2)
    default = d.default
    yield _Unit(default.span.start, default.outcome.span.end,
                (f"  default {default.outcome.name}",), 2)
    yield from _cites(d.default.cites, 4)
    for rule in d.rules:
        yield from _rule(rule, 2)


def _rule(r: n.Rule | n.Exception_, indent: int) -> Iterator[_Unit]:
    word = "except " if isinstance(r, n.Exception_) else ""
    head = f"{' ' * indent}{word}{r.outcome.name} when "
    cond = layout(r.condition, len(head), indent + 4)
    yield _Unit(r.span.start, r.condition.span.end, (head + cond[0], *cond[1:]), indent)
    if r.validity is not None:
        yield _line(r.validity, _interval(r.validity), indent + 2)
    yield from _cites(r.cites, indent + 2)
    if isinstance(r, n.Rule):
        for x in r.exceptions:
            yield from _rule(x, indent + 2)


def _parameter(p: n.Parameter) -> Iterator[_Unit]:
    head = f"{'redefine ' if p.redefine else ''}parameter {p.ident.name}: {_type(p.type)}"
    yield _Unit(p.span.start, p.type.span.end, tuple(_described(0, [head], p.description)), 0,
                True, True)
    yield from _cites(p.cites, 2)
    for piece in p.pieces:
        head = f"  {_interval(piece.validity)} = "
        value = layout(piece.value, len(head), 6)
        yield _Unit(piece.span.start, piece.value.span.end, (head + value[0], *value[1:]), 2)
        yield from _cites(piece.cites, 4)


def _units(module: n.Module) -> list[_Unit]:
    return list(_facts(module) if isinstance(module, n.FactsModule) else _policy(module))


# ----------------------------------------------------------------------------- placement

# Places for comments: 2*i above unit i, 2*i + 1 at the end of its last line; 2*len(units) is
# the end of the file. Units are in printed order.


def _slot(units: Sequence[_Unit], order: Sequence[int], starts: Sequence[int],
          c: Comment) -> int:
    k = bisect.bisect_left(starts, c.start) - 1  # the last construct that starts before it
    if k < 0:
        return 2 * order[0]
    unit = order[k]
    if c.start < units[unit].inner_end:
        return 2 * unit
    if not c.own_line:
        return 2 * unit + 1
    return 2 * order[k + 1] if k + 1 < len(order) else 2 * len(units)


def _place(units: Sequence[_Unit], comments: Sequence[Comment]) -> list[list[Comment]]:
    """Comments by place, in source order within a place; order never changes."""
    order = sorted(range(len(units)), key=lambda i: units[i].start)
    starts = [units[i].start for i in order]
    slots = [_slot(units, order, starts, c) for c in comments]
    headers = [i for i, u in enumerate(units) if u.header]
    if [i for i in order if units[i].header] != headers:
        # The header is printed in another order: its comments go above its first line.
        slots = [2 * headers[0] if s // 2 in headers else s for s in slots]
    placed: list[list[Comment]] = [[] for _ in range(2 * len(units) + 1)]
    last = -1
    for c, slot in zip(comments, slots, strict=True):
        if slot < last:
            slot = last + (last % 2)
        elif slot == last and slot % 2:
            slot += 1
        placed[slot].append(c)
        last = slot
    return placed


def _render(units: Sequence[_Unit], placed: Sequence[Sequence[Comment]]) -> str:
    out: list[str] = []
    for i, unit in enumerate(units):
        above, after = placed[2 * i], placed[2 * i + 1]
        if out and (unit.blank_before or (unit.top and above and above[0].blank_before)):
            out.append("")
        for c in above:
            out.append(" " * unit.indent + c.text)
            if unit.top and c.blank_after:
                out.append("")
        lines = list(unit.lines)
        if after:
            lines[-1] += "  " + after[0].text
        out.extend(lines)
    tail = placed[-1]
    if tail and tail[0].blank_before:
        out.append("")
    for j, c in enumerate(tail):
        out.append(c.text)
        if c.blank_after and j + 1 < len(tail):
            out.append("")
    return "\n".join(out) + "\n"


def pretty(module: n.Module, comments: Sequence[Comment] = ()) -> str:
    """The canonical text of a module, with `comments` (from its source) in their places."""
    units = _units(module)
    return _render(units, _place(units, comments))
