"""The canonical printer's expressions, literals and wrapped strings (kprules.syntax.pretty
prints the constructs around them): minimal parentheses by the precedence of
kprules.core.operators, chains broken one operand per line when they do not fit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from kprules.core.operators import arith_needs, level
from kprules.syntax import nodes as n

WIDTH = 100


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
