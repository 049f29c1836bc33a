"""The strict code generator: two-valued, inlined Python for a layout's targets, raising
`Undecided` where two values cannot decide (kprules.eval.codegen compiles and runs it)."""

from __future__ import annotations

from collections.abc import Callable

from kprules import ir
from kprules.eval.gen_common import (
    Namespace,
    _float_exact_const,
    _interval_test,
    _intervals,
    _is_decimal,
    python_op,
)
from kprules.ir.slots import (
    Clause,
    Key,
    Layout,
    RuleLayout,
    TermLayout,
    ref_key,
    term_refs,
)

# Deeper inlined expressions are computed into locals instead (Python's parser nests ~200 levels).
_INLINE_DEPTH = 25


# ----------------------------------------------------------------------------- strict code


class StrictGen:
    """Two-valued expressions, terms inlined where used once and small, else computed once."""

    def __init__(self, layout: Layout, ns: Namespace, fact_locals: bool = False) -> None:
        self.layout = layout
        self.ns = ns
        self.uses = _use_counts(layout)
        self.locals: dict[Key, str] = {}
        self.prelude: list[str] = []
        self.facts: set[str] = set()  # the facts the code reads
        # With `fact_locals`, a fact is read from a local variable (f0, f1, ...: its caller reads
        # and checks it), not from the record `r`.
        self.fact_locals: dict[str, str] | None = {} if fact_locals else None

    def entry(self, wrap: Callable[[list[str]], str] | None = None) -> str:
        """The body computing the targets; it returns their tuple (or `wrap(their code)`)."""
        prelude, results = self.targets()
        body = [f"    {line}" for line in prelude]
        return "\n".join([*body, f"    return {wrap(results) if wrap else as_tuple(results)}"])

    def targets(self) -> tuple[list[str], list[str]]:
        """The statements computing the targets (each a line, unindented), and the code of
        each target's value after them."""
        results = [self._result(k) for k in self.layout.targets]
        return list(self.prelude), results

    def _result(self, key: Key) -> str:
        """A target's value; a decimal one may be a fact given as a float: read it exactly."""
        code = self.term(key)
        return f"_num({code})" if _is_decimal(self.layout.terms[key].term) else code

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
            value = self.ns.literal(piece.value)
            code = f"({value} if {_interval_test(self.ns, (piece.validity,))} else {code})"
        return code

    def expr(self, c: Clause, t: TermLayout) -> str:
        e = c.expr
        kids = c.children
        match e:
            case ir.Const(value=v):
                return self.ns.literal(v)
            case ir.FactRef(name=name):
                self.facts.add(name)
                return self._fact(name)
            case ir.TermRef() | ir.BaseRef():
                return self.term(ref_key(t.context, e))
            case ir.And() | ir.Or():
                word = " and " if isinstance(e, ir.And) else " or "
                return "(" + word.join(self.expr(k, t) for k in kids) + ")"
            case ir.InRange(negated=neg):
                test = self._in_range(c, t)
                return f"(not {test})" if neg else test
            case ir.If():
                cond, then, other = (self.expr(k, t) for k in kids)
                return f"({then} if {cond} else {other})"
            case ir.Compare():
                return python_op(e, self._operands(kids, t), self.ns)
            case ir.Arith() | ir.Neg():
                return python_op(e, [self._arith_operand(k, t) for k in kids], self.ns,
                                 strict=True)
        return python_op(e, [self.expr(k, t) for k in kids], self.ns)

    def _fact(self, name: str) -> str:
        if self.fact_locals is None:
            return f"r[{self.ns.literal(name)}]"
        return self.fact_local(name)

    def fact_local(self, name: str) -> str:
        """The local variable a fact is read from (with `fact_locals`)."""
        assert self.fact_locals is not None
        var = self.fact_locals.get(name)
        if var is None:
            var = self.fact_locals[name] = f"f{len(self.fact_locals)}"
        return var

    def _in_range(self, c: Clause, t: TermLayout) -> str:
        """`low <= x <= high` with every operand evaluated: a chained comparison skips the last
        operand once the first test fails, and an unknown (or failing) bound must not be
        skipped, since it makes the range test unknown."""
        a, lo, hi = self._operands(c.children, t)
        const_lo, const_hi = (isinstance(k.expr, ir.Const) for k in c.children[1:])
        if const_hi:
            return f"({lo} <= {a} <= {hi})"
        if const_lo:
            return f"({hi} >= {a} >= {lo})"
        v = f"v{c.index}"
        return f"(({lo} <= ({v} := {a})) & ({v} <= {hi}))"

    def _operands(self, kids: tuple[Clause, ...], t: TermLayout) -> list[str]:
        """Comparison operands. Constants are exact floats where possible. A decimal operand that
        may be a fact given as a float is read exactly (`_num`) unless every other operand is a
        constant that is a float exactly: comparing two floats, or a float with an int of at
        most 2**53, orders them as their shortest decimals do, but a float against a Decimal
        does not, nor against a larger int (the float 1e23 is below 10**23, its shortest
        decimal `1E+23` is not)."""
        exact = [isinstance(k.expr, ir.Const) and (_float_exact_int(k.expr.value)
                                                    or isinstance(k.expr.value, float)
                                                    or _float_exact_const(k.expr)) for k in kids]
        out = []
        for i, k in enumerate(kids):
            if isinstance(k.expr, ir.Const):
                out.append(self.ns.literal(k.expr.value, compare=True))
            elif _is_decimal(k.expr) and not all(exact[:i] + exact[i + 1:]):
                out.append(f"_num({self.expr(k, t)})")
            else:
                out.append(self.expr(k, t))
        return out

    def _arith_operand(self, k: Clause, t: TermLayout) -> str:
        code = self.expr(k, t)
        return f"_num({code})" if _is_decimal(k.expr) and not isinstance(k.expr, ir.Const) \
            else code


def _float_exact_int(value: object) -> bool:
    """An int that is a float exactly, with every int between it and zero (bool is not one)."""
    return type(value) is int and abs(value) <= 2**53


def as_tuple(values: list[str]) -> str:
    """The code of a tuple of these values."""
    return "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"


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
        for key in term_refs(t):
            counts[key] = counts.get(key, 0) + 1
    return counts
