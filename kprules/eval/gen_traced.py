"""The traced code generator: three-valued Python that writes every clause's value into its slot
(kprules.eval.codegen compiles and runs it)."""

from __future__ import annotations

from kprules import ir
from kprules.eval.gen_common import (
    _MAX_LEVEL,
    Namespace,
    _guard,
    _interval_test,
    _intervals,
    _is_decimal,
    _is_literal,
    _Lines,
    _tuple,
    python_op,
)
from kprules.eval.gen_strict import (
    _use_counts,
)
from kprules.ir.slots import (
    Clause,
    Key,
    Layout,
    RuleLayout,
    TermLayout,
    ref_key,
)

# ----------------------------------------------------------------------------- traced code


class TracedGen:
    """Three-valued statements (None is unknown); every clause stores its value in the slot list
    `s` (except constants and facts, which an explanation reads from the policy and the facts).

    A term used in one place only (one clause, or a target nothing else uses) is inlined there;
    other terms are functions `_t<n>(r, asof, s)`, run once (their slot memoises them). A clause
    nested deeper than `_MAX_LEVEL` blocks goes to a function `_c<index>` of its own, so that
    inlining never reaches Python's limit of 100 indentation levels. Boolean values are exactly
    True, False or None, so Kleene `and`/`or` need one identity test per operand. Decimal and
    quantity facts are read by `_num`, so that a float gives the result of its shortest decimal.
    """

    def __init__(self, layout: Layout, ns: Namespace) -> None:
        self.layout = layout
        self.ns = ns
        self.ids = {key: i for i, key in enumerate(layout.terms)}
        uses = _use_counts(layout)
        for key in layout.targets:
            uses[key] = uses.get(key, 0) + 1
        self.inline = {key for key, n in uses.items() if n == 1}
        self.defs: dict[str, str] = {}  # function name -> source, in the order written

    def functions(self, date: str) -> str:
        """The term and clause functions, `_run(r, asof)` -> (values of the targets, slots), and
        `_explain(r)` -> `_Ex((public values, slots, r, asof, *_X))` with the date `date`."""
        out = _Lines()
        out.add(f"s = [_NE] * {self.layout.size}")
        names = [self.term_value(key, out) for key in self.layout.targets]
        body = "\n".join(out.lines)
        run = f"def _run(r, asof):\n{body}\n    return {_tuple(names)}, s"
        public = _tuple([n if _is_literal(n) else f"(_U if {n} is None else {n})" for n in names])
        explain = (f"def _explain(r):\n    asof = {date}\n{body}\n"
                   f"    return _Ex(({public}, s, r, asof, _X0, _X1))")
        return "\n\n".join([*self.defs.values(), run, explain])

    def term_value(self, key: Key, out: _Lines) -> str:
        """Statements that make the term's value available; returns its variable or literal."""
        t = self.layout.terms[key]
        if key in self.inline:
            return self._term(t, out)
        name = f"_t{self.ids[key]}"
        if name not in self.defs:
            self.defs[name] = ""  # reserved first: the order of definitions does not matter
            inner = _Lines()
            var = self._term(t, inner)
            inner.add(f"return {var}")
            self.defs[name] = f"def {name}(r, asof, s):\n" + "\n".join(inner.lines)
        var = f"x{t.index}"
        out.add(f"{var} = s[{t.index}]")
        with out.block(f"if {var} is _NE:"):
            out.add(f"{var} = {name}(r, asof, s)")
        return var

    def _term(self, t: TermLayout, out: _Lines) -> str:
        if isinstance(t.term, ir.ParameterTerm):
            return self._parameter(t, out)
        if t.body is not None:
            value = self.expr(t.body, t, out)
            out.add(f"s[{t.index}] = {value}")
            return value
        return self._decision(t, out)

    def _parameter(self, t: TermLayout, out: _Lines) -> str:
        assert isinstance(t.term, ir.ParameterTerm)
        var = f"v{t.index}"
        with out.block("if asof is None:"):
            out.add(f"{var} = None")
        for piece in t.term.pieces:
            with out.block(f"elif {_interval_test(self.ns, (piece.validity,))}:"):
                out.add(f"{var} = {self.ns.literal(piece.value)}")
        with out.block("else:"):
            out.add(f"{var} = None")
        out.add(f"s[{t.index}] = {var}")
        return var

    def _decision(self, t: TermLayout, out: _Lines) -> str:
        """First match under unknowns (docs/language.md, "Decisions"): `p<n>` is the one outcome
        possible so far; a rule that applies or may apply adds its outcomes; a second outcome
        makes the decision unknown (`None`), a rule that applies ends it with `p<n>`."""
        assert isinstance(t.term, ir.DecisionTerm)
        var, possible = f"v{t.index}", f"p{t.index}"
        out.add(f"{var} = {possible} = _NE")
        for i, rule in enumerate(t.rules):
            with _guard(out, f"if {var} is _NE:", i > 0):
                app = self._applies(rule, t, out)
                with out.block(f"if {app} is not False:"):
                    self._chain_outcomes(rule, t, out, rule.exceptions)
                    with out.block(f"if {app} and {var} is _NE:"):
                        out.add(f"{var} = {possible}")
        default = self.ns.literal(t.term.default)
        with _guard(out, f"if {var} is _NE:", bool(t.rules)):
            out.add(f"{var} = {default} if {possible} is _NE or {possible} == {default} "
                    "else None")
        out.add(f"s[{t.index}] = {var}")
        return var

    def _chain_outcomes(self, rule: RuleLayout, t: TermLayout, out: _Lines,
                        exceptions: tuple[RuleLayout, ...]) -> None:
        """The outcomes of a rule that (may) apply: each exception that may apply adds its own,
        one that applies ends the chain; else the rule's own outcome."""
        if not exceptions:
            self._add_outcome(t, rule.rule.outcome, out)
            return
        exc, *rest = exceptions
        app = self._applies(exc, t, out)
        with out.block(f"if {app} is not False:"):
            self._add_outcome(t, exc.rule.outcome, out)
        with out.block(f"if {app} is not True and v{t.index} is _NE:"):
            self._chain_outcomes(rule, t, out, tuple(rest))

    def _add_outcome(self, t: TermLayout, outcome: str, out: _Lines) -> None:
        possible, lit = f"p{t.index}", self.ns.literal(outcome)
        with out.block(f"if {possible} is _NE:"):
            out.add(f"{possible} = {lit}")
        with out.block(f"elif {possible} != {lit}:"):
            out.add(f"v{t.index} = None")

    def _applies(self, rule: RuleLayout, t: TermLayout, out: _Lines) -> str:
        """Whether a rule applies: False when out of force, else its condition (unknown when
        the date is unknown, unless the condition is false)."""
        app = f"v{rule.index}"
        ivs = _intervals(t, rule)
        if not ivs:
            out.add(f"{app} = s[{rule.index}] = {self.expr(rule.condition, t, out)}")
            return app
        act = f"a{rule.index}"
        out.add(f"{act} = None if asof is None else ({_interval_test(self.ns, ivs)})")
        with out.block(f"if {act} is False:"):
            out.add(f"{app} = False")
        with out.block("else:"):
            cond = self.expr(rule.condition, t, out)
            if _is_literal(cond):
                out.add(f"{app} = True if {act} else None" if cond == "True" else f"{app} = False")
            else:
                out.add(f"{app} = {cond} if {act} else (False if {cond} is False else None)")
        out.add(f"s[{rule.index}] = {app}")
        return app

    # ---------------------------------------------------------------- expressions

    def expr(self, c: Clause, t: TermLayout, out: _Lines) -> str:
        """Statements computing clause `c` (and storing it in its slot); returns the variable
        holding its value, or the literal when it is a constant."""
        e = c.expr
        if isinstance(e, ir.Const):
            return self.ns.literal(e.value)
        v = f"v{c.index}"
        if isinstance(e, ir.FactRef):
            read = f"r.get({self.ns.literal(e.name)})"
            out.add(f"{v} = _num({read})" if _is_decimal(e) else f"{v} = {read}")
            return v
        if out.level > _MAX_LEVEL:
            return self._apart(c, t, out)
        match e:
            case ir.TermRef() | ir.BaseRef():
                value = self.term_value(ref_key(t.context, e), out)
                out.add(f"s[{c.index}] = {value}")
                return value
            case ir.And() | ir.Or():
                v = self._chain(c, t, out, stop=isinstance(e, ir.Or))
            case ir.If():
                self._if(c, t, out)
            case _:
                args = [self.expr(k, t, out) for k in c.children]
                maybe = [a for a in args if not _is_literal(a)]
                code = python_op(e, args, self.ns)
                if maybe:
                    unknown = " or ".join(f"{a} is None" for a in maybe)
                    code = f"None if {unknown} else {code}"
                out.add(f"{v} = s[{c.index}] = {code}")
                return v
        out.add(f"s[{c.index}] = {v}")
        return v

    def _apart(self, c: Clause, t: TermLayout, out: _Lines) -> str:
        """A deeply nested clause as a function of its own, called where it is needed."""
        name = f"_c{c.index}"
        inner = _Lines()
        inner.add(f"return {self.expr(c, t, inner)}")
        self.defs[name] = f"def {name}(r, asof, s):\n" + "\n".join(inner.lines)
        v = f"v{c.index}"
        out.add(f"{v} = {name}(r, asof, s)")
        return v

    def _chain(self, c: Clause, t: TermLayout, out: _Lines, stop: bool) -> str:
        """Kleene `and` (stop=False) / `or` (stop=True): the value so far is `go` or None until
        an operand equals `stop`; later operands run only while it is not. The value is kept in
        the first operand's variable when that is the operand's own (its slot is written)."""
        stop_lit, go_lit = ("True", "False") if stop else ("False", "True")
        first, *rest = c.children
        v = self.expr(first, t, out)
        if _is_literal(v) or isinstance(first.expr, ir.TermRef | ir.BaseRef):
            out.add(f"v{c.index} = {v}")
            v = f"v{c.index}"
        for k in rest:
            with out.block(f"if {v} is not {stop_lit}:"):
                kv = self.expr(k, t, out)
                if kv == stop_lit:
                    out.add(f"{v} = {stop_lit}")
                elif not _is_literal(kv):
                    with out.block(f"if {kv} is not {go_lit}:"):
                        out.add(f"{v} = {kv}")
        return v

    def _if(self, c: Clause, t: TermLayout, out: _Lines) -> None:
        v = f"v{c.index}"
        cond, then, other = c.children
        test = self.expr(cond, t, out)
        if _is_literal(test):  # `if true then ...`: only one branch is ever evaluated
            out.add(f"{v} = {self.expr(then if test == 'True' else other, t, out)}")
            return
        with out.block(f"if {test} is None:"):
            out.add(f"{v} = None")
        with out.block(f"elif {test}:"):
            out.add(f"{v} = {self.expr(then, t, out)}")
        with out.block("else:"):
            out.add(f"{v} = {self.expr(other, t, out)}")
