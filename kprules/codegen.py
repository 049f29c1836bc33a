"""The compiler: Python source generated from a checked layout, for speed.

Stage: layout -> Python functions (by way of source text). Two functions are generated:

- `strict(r, asof)`: two-valued and inlined, as fast as hand-written Python. It assumes every fact
  it reads is present and well typed; anything else (a missing fact, no date, a parameter with no
  value, a division by zero, a wrong type) raises, and the caller falls back to `traced`.
- `traced(r, asof, s)`: three-valued (None is unknown), writing every clause's value into the slot
  list `s`, for explanations, coverage, and for facts that are missing.

Safety: nothing in a policy is pasted into the source. Names in the source are generated here
(`_k3`, `v12`); constants are bound in the namespace from their typed values (or written with
repr() when they are plain identifiers, ints or floats); the source is parsed back and every name
and string in it is checked against what this module generated before it is compiled; it runs
with empty builtins. `verify_source` is that check.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from kprules import ir
from kprules.diagnostics import Diagnostic
from kprules.interpret import NOT_EVALUATED, EvalError
from kprules.layout import Clause, Key, Layout, RuleLayout, TermLayout, ref_key
from kprules.nodes import Interval
from kprules.source import Span
from kprules.typesys import DECIMAL, Quantity

_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# Deeper inlined expressions are computed into locals instead (Python's parser nests ~200 levels).
_INLINE_DEPTH = 25


class Unknown(Exception):
    """Raised by strict code when a value is unknown (then the traced code decides)."""


def _div(a: Any, b: Any, span: int, spans: list[Span]) -> Decimal:
    if b == 0:
        raise EvalError(Diagnostic("KP500", "division by zero", spans[span],
                                   hint="guard the division with a condition"))
    return Decimal(a) / Decimal(b)


def _num(x: Any) -> Any:
    """Floats are read by their shortest repr, as the validating path reads them."""
    return Decimal(repr(x)) if type(x) is float else x


def _unknown() -> Any:
    raise Unknown


class Namespace:
    """Constants and helpers the generated code may use, each under a generated name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {
            "_div": _div, "_num": _num, "_unk": _unknown, "_Exc": Exception,
            "_NE": NOT_EVALUATED, "_spans": [], "_fs": frozenset, "_Dec": Decimal,
        }
        self._by_value: dict[tuple[type, Any], str] = {}

    def bind(self, value: Any) -> str:
        key = (type(value), value)
        name = self._by_value.get(key)
        if name is None:
            name = f"_k{len(self._by_value)}"
            self._by_value[key] = name
            self.values[name] = value
        return name

    def span(self, span: Span) -> int:
        spans: list[Span] = self.values["_spans"]
        spans.append(span)
        return len(spans) - 1

    def literal(self, value: Any, *, compare: bool = False) -> str:
        """Source text for a constant. In comparisons, exactly representable decimals become
        floats (exact against int, float and Decimal facts alike); elsewhere they stay Decimal."""
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, int):
            return repr(value)
        if isinstance(value, Decimal) and compare and _float_exact(value):
            return repr(float(value))
        if isinstance(value, str) and _SAFE.match(value):
            return repr(value)
        return self.bind(value)


def _float_exact(d: Decimal) -> bool:
    f = float(d)
    return math.isfinite(f) and Decimal(f) == d and abs(f) < 2**53


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 1

    def add(self, text: str) -> None:
        self.lines.append("    " * self.level + text)

    def block(self, head: str) -> _Indent:
        self.add(head)
        return _Indent(self)


class _Indent:
    def __init__(self, out: _Lines) -> None:
        self.out = out

    def __enter__(self) -> None:
        self.out.level += 1

    def __exit__(self, *exc: object) -> None:
        self.out.level -= 1


def _intervals(t: TermLayout, rule: RuleLayout) -> tuple[Interval, ...]:
    return tuple(iv for iv in (t.context.in_force, rule.rule.validity) if iv is not None)


def _interval_test(ns: Namespace, ivs: tuple[Interval, ...]) -> str:
    parts = []
    for iv in ivs:
        start = ns.bind(iv.start)
        parts.append(f"{start} <= asof" if iv.end is None else
                     f"{start} <= asof < {ns.bind(iv.end)}")
    return " and ".join(parts)


# ----------------------------------------------------------------------------- strict code


class StrictGen:
    """Two-valued expressions, terms inlined where used once and small, else computed once."""

    def __init__(self, layout: Layout, ns: Namespace) -> None:
        self.layout = layout
        self.ns = ns
        self.uses = _use_counts(layout)
        self.locals: dict[Key, str] = {}
        self.prelude: list[str] = []

    def entry(self) -> str:
        results = [self.term(k) for k in self.layout.targets]
        body = [f"    {line}" for line in self.prelude]
        tup = "(" + ", ".join(results) + ("," if len(results) == 1 else "") + ")"
        return "\n".join([*body, f"    return {tup}"])

    def term(self, key: Key) -> str:
        if key in self.locals:
            return self.locals[key]
        t = self.layout.terms[key]
        code = self._term_code(t)
        if self.uses.get(key, 0) > 1 or key in self.layout.targets or _depth(code) > _INLINE_DEPTH:
            name = f"t{len(self.locals)}"
            self.prelude.append(f"{name} = {code}")
            self.locals[key] = name
            return name
        return code

    def _term_code(self, t: TermLayout) -> str:
        if isinstance(t.term, ir.ParameterTerm):
            return self._parameter(t.term)
        if t.body is not None:
            return self.expr(t.body, t)
        assert isinstance(t.term, ir.DecisionTerm)
        code = self.ns.literal(t.term.default)
        for rule in reversed(t.rules):
            code = f"({self._rule_value(rule, t)} if {self._applies(rule, t)} else {code})"
        return code

    def _applies(self, rule: RuleLayout, t: TermLayout) -> str:
        cond = self.expr(rule.condition, t)
        ivs = _intervals(t, rule)
        return f"({_interval_test(self.ns, ivs)} and {cond})" if ivs else cond

    def _rule_value(self, rule: RuleLayout, t: TermLayout) -> str:
        code = self.ns.literal(rule.rule.outcome)
        for exc in reversed(rule.exceptions):
            code = f"({self.ns.literal(exc.rule.outcome)} if {self._applies(exc, t)} else {code})"
        return code

    def _parameter(self, term: ir.ParameterTerm) -> str:
        code = "_unk()"
        for piece in reversed(term.pieces):
            value = self.ns.literal(piece.value, compare=True)
            code = f"({value} if {_interval_test(self.ns, (piece.validity,))} else {code})"
        return code

    def expr(self, c: Clause, t: TermLayout) -> str:
        e = c.expr
        kids = c.children
        match e:
            case ir.Const(value=v):
                return self.ns.literal(v)
            case ir.FactRef(name=name):
                return f"r[{self.ns.literal(name)}]"
            case ir.TermRef() | ir.BaseRef():
                return self.term(ref_key(t.context, e))
            case ir.Not():
                return f"(not {self.expr(kids[0], t)})"
            case ir.And() | ir.Or():
                word = " and " if isinstance(e, ir.And) else " or "
                return "(" + word.join(self.expr(k, t) for k in kids) + ")"
            case ir.Compare(op=op):
                a, b = self._operands(kids, t)
                return f"({a} {_OPS[op]} {b})"
            case ir.Member(negated=neg):
                return f"({self.expr(kids[0], t)} {'not in' if neg else 'in'} " \
                       f"{self.expr(kids[1], t)})"
            case ir.InRange(negated=neg):
                a, lo, hi = self._operands(kids, t)
                test = f"({lo} <= {a} <= {hi})"
                return f"(not {test})" if neg else test
            case ir.Arith(op=op):
                a, b = (self._arith_operand(k, t) for k in kids)
                if op == "/":
                    return f"_div({a}, {b}, {self.ns.span(e.span)}, _spans)"
                return f"({a} {op} {b})"
            case ir.Neg():
                return f"(-{self._arith_operand(kids[0], t)})"
            case ir.If():
                cond, then, other = (self.expr(k, t) for k in kids)
                return f"({then} if {cond} else {other})"
            case ir.SetOf():
                return "_fs((" + "".join(self.expr(k, t) + ", " for k in kids) + "))"
        raise AssertionError(f"kprules bug: unhandled {type(e).__name__}")

    def _operands(self, kids: tuple[Clause, ...], t: TermLayout) -> list[str]:
        """Comparison operands: constants as exact floats where possible; non-constant decimal
        operands compared with non-representable constants or with each other are read exactly."""
        consts = [k.expr for k in kids if isinstance(k.expr, ir.Const)]
        exact = all(isinstance(c.value, int | float) or _float_exact_const(c)
                    for c in consts) and bool(consts)
        out = []
        for k in kids:
            if isinstance(k.expr, ir.Const):
                out.append(self.ns.literal(k.expr.value, compare=True))
            elif _is_decimal(k.expr) and not exact:
                out.append(f"_num({self.expr(k, t)})")
            else:
                out.append(self.expr(k, t))
        return out

    def _arith_operand(self, k: Clause, t: TermLayout) -> str:
        code = self.expr(k, t)
        return f"_num({code})" if _is_decimal(k.expr) and not isinstance(k.expr, ir.Const) \
            else code


def _float_exact_const(c: ir.Const) -> bool:
    return isinstance(c.value, Decimal) and _float_exact(c.value)


def _is_decimal(e: ir.Expr) -> bool:
    """Decimal-valued (a decimal or a quantity): inputs may be floats, read exactly by `_num`."""
    return e.type == DECIMAL or isinstance(e.type, Quantity)


def _depth(code: str) -> int:
    depth = best = 0
    for ch in code:
        if ch == "(":
            depth += 1
            best = max(best, depth)
        elif ch == ")":
            depth -= 1
    return best


def _use_counts(layout: Layout) -> dict[Key, int]:
    counts: dict[Key, int] = {}
    for t in layout.terms.values():
        for c in _clauses(t):
            if isinstance(c.expr, ir.TermRef | ir.BaseRef):
                key = ref_key(t.context, c.expr)
                counts[key] = counts.get(key, 0) + 1
    return counts


def _clauses(t: TermLayout) -> Iterator[Clause]:
    stack: list[Clause] = [t.body] if t.body is not None else []
    rules = list(t.rules)
    while rules:
        r = rules.pop()
        stack.append(r.condition)
        rules.extend(r.exceptions)
    while stack:
        c = stack.pop()
        yield c
        stack.extend(c.children)


# ----------------------------------------------------------------------------- traced code


class TracedGen:
    """Three-valued statements; every clause stores its value in `s`; one function per term."""

    def __init__(self, layout: Layout, ns: Namespace) -> None:
        self.layout = layout
        self.ns = ns
        self.ids = {key: i for i, key in enumerate(layout.terms)}

    def functions(self) -> str:
        """One function per term, and `_run(r, asof)` -> (values of the targets, slots)."""
        out = _Lines()
        out.add(f"s = [_NE] * {self.layout.size}")
        names: list[str] = []
        for key in self.layout.targets:
            t = self.layout.terms[key]
            name = f"x{len(names)}"
            out.add(f"{name} = s[{t.index}]")
            with out.block(f"if {name} is _NE:"):
                out.add(f"{name} = _t{self.ids[key]}(r, asof, s)")
            names.append(name)
        out.add("return (" + "".join(n + ", " for n in names) + "), s")
        run = "def _run(r, asof):\n" + "\n".join(out.lines)
        return "\n\n".join([*(self._function(t) for t in self.layout.terms.values()), run])

    def _function(self, t: TermLayout) -> str:
        out = _Lines()
        var = f"v{t.index}"
        if isinstance(t.term, ir.ParameterTerm):
            self._parameter(t.term, var, out)
        elif t.body is not None:
            out.add(f"{var} = {self.expr(t.body, t, out)}")
        else:
            self._decision(t, var, out)
        out.add(f"s[{t.index}] = {var}")
        out.add(f"return {var}")
        head = f"def _t{self.ids[t.key]}(r, asof, s):"
        return head + "\n" + "\n".join(out.lines)

    def _parameter(self, term: ir.ParameterTerm, var: str, out: _Lines) -> None:
        out.add(f"{var} = None")
        with out.block("if asof is not None:"):
            for i, piece in enumerate(term.pieces):
                kw = "if" if i == 0 else "elif"
                with out.block(f"{kw} {_interval_test(self.ns, (piece.validity,))}:"):
                    out.add(f"{var} = {self.ns.literal(piece.value)}")

    def _decision(self, t: TermLayout, var: str, out: _Lines) -> None:
        assert isinstance(t.term, ir.DecisionTerm)
        out.add(f"{var} = _NE")
        for rule in t.rules:
            with out.block(f"if {var} is _NE:"):
                self._rule(rule, t, var, out)
        with out.block(f"if {var} is _NE:"):
            out.add(f"{var} = {self.ns.literal(t.term.default)}")

    def _rule(self, rule: RuleLayout, t: TermLayout, var: str, out: _Lines) -> None:
        app = f"v{rule.index}"
        self._applies(rule, t, app, out)
        with out.block(f"if {app} is None:"):
            out.add(f"{var} = None")
        with out.block(f"elif {app}:"):
            for exc in rule.exceptions:
                with out.block(f"if {var} is _NE:"):
                    self._applies(exc, t, f"v{exc.index}", out)
                    with out.block(f"if v{exc.index} is None:"):
                        out.add(f"{var} = None")
                    with out.block(f"elif v{exc.index}:"):
                        out.add(f"{var} = {self.ns.literal(exc.rule.outcome)}")
            with out.block(f"if {var} is _NE:"):
                out.add(f"{var} = {self.ns.literal(rule.rule.outcome)}")

    def _applies(self, rule: RuleLayout, t: TermLayout, app: str, out: _Lines) -> None:
        ivs = _intervals(t, rule)
        act = f"a{rule.index}"
        if ivs:
            out.add(f"{act} = None if asof is None else ({_interval_test(self.ns, ivs)})")
        else:
            out.add(f"{act} = True")
        with out.block(f"if {act} is False:"):
            out.add(f"{app} = False")
        with out.block("else:"):
            c = self.expr(rule.condition, t, out)
            out.add(f"{app} = False if {c} is False else "
                    f"(None if ({act} is None or {c} is None) else True)")
        out.add(f"s[{rule.index}] = {app}")

    def expr(self, c: Clause, t: TermLayout, out: _Lines) -> str:
        """Statements computing clause `c` into `v<index>`, stored in the slot list; returns the
        variable. Constants and facts have no slot: a constant is its own literal, and a fact's
        value is in the facts (whether it was reached follows from the clauses above it)."""
        if isinstance(c.expr, ir.Const):
            return self.ns.literal(c.expr.value)
        v = f"v{c.index}"
        e = c.expr
        kids = c.children
        match e:
            case ir.FactRef(name=name):
                # no slot: an explanation reads the fact itself (see explain.clause_values)
                out.add(f"{v} = r.get({self.ns.literal(name)})")
                return v
            case ir.TermRef() | ir.BaseRef():
                key = ref_key(t.context, e)
                index = self.layout.terms[key].index
                out.add(f"{v} = s[{index}]")
                with out.block(f"if {v} is _NE:"):
                    out.add(f"{v} = _t{self.ids[key]}(r, asof, s)")
            case ir.And() | ir.Or():
                self._chain(c, t, out, stop=isinstance(e, ir.Or))
            case ir.If():
                cond = self.expr(kids[0], t, out)
                with out.block(f"if {cond} is None:"):
                    out.add(f"{v} = None")
                for branch, head in ((kids[1], f"elif {cond}:"), (kids[2], "else:")):
                    with out.block(head):
                        out.add(f"{v} = {self.expr(branch, t, out)}")
            case _:
                args = [self.expr(k, t, out) for k in kids]
                maybe = [a for k, a in zip(kids, args, strict=True)
                         if not isinstance(k.expr, ir.Const)]
                if isinstance(e, ir.Not):
                    out.add(f"{v} = None if {args[0]} is None else (not {args[0]})")
                elif maybe:
                    unknown = " or ".join(f"{a} is None" for a in maybe)
                    out.add(f"{v} = None if ({unknown}) else {self._op(e, args)}")
                else:
                    out.add(f"{v} = {self._op(e, args)}")
        out.add(f"s[{c.index}] = {v}")
        return v

    def _chain(self, c: Clause, t: TermLayout, out: _Lines, stop: bool) -> None:
        v = f"v{c.index}"
        stop_lit, go_lit = ("True", "False") if stop else ("False", "True")
        out.add(f"{v} = {go_lit}")
        for i, k in enumerate(c.children):
            guard = out.block(f"if {v} is not {stop_lit}:") if i else None
            if guard is not None:
                guard.__enter__()
            kv = self.expr(k, t, out)
            with out.block(f"if {kv} is {stop_lit}:"):
                out.add(f"{v} = {stop_lit}")
            with out.block(f"elif {kv} is None:"):
                out.add(f"{v} = None")
            if guard is not None:
                guard.__exit__()

    def _op(self, e: ir.Expr, a: list[str]) -> str:
        match e:
            case ir.Compare(op=op):
                return f"({a[0]} {_OPS[op]} {a[1]})"
            case ir.Member(negated=neg):
                return f"({a[0]} {'not in' if neg else 'in'} {a[1]})"
            case ir.InRange(negated=neg):
                test = f"({a[1]} <= {a[0]} <= {a[2]})"
                return f"(not {test})" if neg else test
            case ir.Arith(op=op):
                if op == "/":
                    return f"_div({a[0]}, {a[1]}, {self.ns.span(e.span)}, _spans)"
                return f"({a[0]} {op} {a[1]})"
            case ir.Neg():
                return f"(-{a[0]})"
            case ir.SetOf():
                return "_fs((" + "".join(x + ", " for x in a) + "))"
        raise AssertionError(f"kprules bug: unhandled {type(e).__name__}")


# ----------------------------------------------------------------------------- assembly


_ALLOWED_ATTRS = frozenset({"get"})
_LOCAL = re.compile(r"(v|a|t|x)[0-9]+\Z|_t[0-9]+\Z")


def verify_source(source: str, namespace: dict[str, Any]) -> None:
    """Reject generated code that names anything this module did not generate."""
    tree = ast.parse(source)
    params = {"r", "asof", "s"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            ok = node.id in namespace or node.id in params or _LOCAL.match(node.id)
            if not ok:
                raise AssertionError(f"kprules bug: generated code names {node.id!r}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if not _SAFE.match(node.value):
                raise AssertionError("kprules bug: an unsafe string in generated code")
        elif isinstance(node, ast.Attribute) and node.attr not in _ALLOWED_ATTRS:
            raise AssertionError(f"kprules bug: generated code reads .{node.attr}")
        elif isinstance(node, ast.Import | ast.ImportFrom | ast.Lambda | ast.ClassDef):
            raise AssertionError("kprules bug: unexpected construct in generated code")


def _indent(body: str) -> str:
    return "\n".join("    " + line for line in body.splitlines())


class Compiled:
    """The generated functions of one layout.

    `strict(r, asof)` and `traced(r, asof)` as described above, and `fast(r)`: strict code whose
    date is the fact `as_of_fact` of `r` (or the fixed `as_of`), and which hands any record it
    cannot decide (a raised exception of any kind) to `fallback(r)`.
    """

    def __init__(self, layout: Layout, fallback: Callable[[Any], tuple[Any, ...]] | None = None,
                 as_of_fact: str | None = None, as_of: dt.date | None = None) -> None:
        self.layout = layout
        ns = Namespace()
        ns.values["_fb"] = fallback
        strict_body = StrictGen(layout, ns).entry()
        traced = TracedGen(layout, ns)
        date = f"r[{ns.literal(as_of_fact)}]" if as_of_fact else ns.literal(as_of) \
            if as_of is not None else "None"
        fast = (f"def _fast(r):\n    try:\n        asof = {date}\n{_indent(strict_body)}\n"
                "    except _Exc:\n        return _fb(r)")
        source = "\n\n".join(["def _strict(r, asof):\n" + strict_body, fast,
                               traced.functions()])
        self.source = source
        namespace = dict(ns.values)
        verify_source(source, namespace)
        namespace["__builtins__"] = {}
        exec(compile(source, "<kprules generated>", "exec"), namespace)
        self.strict: Callable[[Any, dt.date | None], tuple[Any, ...]] = namespace["_strict"]
        self.fast: Callable[[Any], tuple[Any, ...]] = namespace["_fast"]
        self.traced: Callable[[Any, dt.date | None], tuple[tuple[Any, ...], list[Any]]] = \
            namespace["_run"]
