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

from attrs import frozen

from kprules.core.shared_repr import SharedRepr
from kprules.syntax import nodes as n
from kprules.syntax.pretty_expr import (
    WIDTH,
    Lines,
    _append,
    _described,
    _interval,
    _type,
    _wrap,
    layout,
)

# ----------------------------------------------------------------------------- comments

# Strings first, so that a `#` inside a string is not a comment: the same scan as the lexer's.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*', re.S)


@frozen(repr=False)
class Comment(SharedRepr):
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


# ----------------------------------------------------------------------------- constructs


@frozen(repr=False)
class _Unit(SharedRepr):
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
