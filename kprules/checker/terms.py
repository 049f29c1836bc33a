"""Checker pass 3 (terms): type every definition, decision and parameter of a policy.

Input: a policy's declarations (`PolicyDecls`) and its checked base. Output: a `CheckedPolicy`.
Errors: KP218, KP300, KP307, KP308, KP309, KP314, and those of `typecheck`. A definition written
without a type gets the type of its body; bodies are typed on demand, so order does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable

from kprules import ir
from kprules.checker.context import Sink, TermDecl
from kprules.checker.declare import PolicyDecls
from kprules.checker.structure import postorder
from kprules.checker.typecheck import ExprChecker
from kprules.core.diagnostics import Related
from kprules.core.suggest import did_you_mean
from kprules.ir.types import ERROR, EnumType, Type, describe, is_error, unify
from kprules.syntax import nodes as n


class PolicyTyper:
    """Builds the checked terms of one policy."""

    def __init__(self, decls: PolicyDecls, base: ir.CheckedPolicy | None, sink: Sink) -> None:
        self.decls = decls
        self.scope = decls.scope
        self.base = base
        self.sink = sink
        self.built: dict[str, ir.Term] = {}
        self.in_progress: set[str] = set()
        self.exprs = ExprChecker(self.scope, sink, self.term_type,
                                 self.base_type if base is not None else None)

    @property
    def name(self) -> str:
        return self.decls.node.name

    def term_type(self, name: str, ident: n.Ident) -> Type:
        decl = self.scope.terms[name]
        if decl.policy != self.name:
            assert self.base is not None
            return self.base.terms[name].type
        if decl.declared_type is not None:
            return decl.declared_type
        if name in self.in_progress:
            return ERROR  # a cycle: the structure pass reports it
        return self.build(decl).type

    def base_type(self, name: str, ident: n.Ident) -> Type:
        assert self.base is not None
        return self.base.terms[name].type

    def run(self) -> ir.CheckedPolicy:
        own = [d for d in self.scope.terms.values() if d.policy == self.name]
        for decl in _inference_order(own):
            self.build(decl)
        node = self.decls.node
        terms: dict[str, ir.Term] = dict(self.base.terms) if self.base else {}
        terms.update(self.built)
        return ir.CheckedPolicy(
            node.name, node.title, _status(node), self._in_force(node), self.scope.vocabulary,
            self.base, terms, frozenset(self.built), self.scope.enums, node.span.source, node.span)

    def _in_force(self, node: n.PolicyModule) -> n.Interval | None:
        """A policy's own `in force` interval; an amendment without one has its base's."""
        if node.in_force is not None or self.base is None:
            return node.in_force
        return self.base.in_force

    def build(self, decl: TermDecl) -> ir.Term:
        if decl.name in self.built:
            return self.built[decl.name]
        self.in_progress.add(decl.name)
        node = decl.node
        term: ir.Term
        if isinstance(node, n.Define):
            term = self._define(node, decl)
        elif isinstance(node, n.Decision):
            term = self._decision(node, decl)
        else:
            term = self._parameter(node, decl)
        self.in_progress.discard(decl.name)
        self._check_redefined_type(node, term)
        self.built[decl.name] = term
        return term

    def _origin(self, node: n.Define | n.Decision | n.Parameter | n.Rule | n.Exception_ |
                n.Piece | n.Default, description: str | None = None) -> ir.Provenance:
        cites = tuple(ir.Cite(c.source.name, c.locator, c.quote, c.span, c.source.span)
                      for c in node.cites)
        return ir.Provenance(self.name, node.span, cites, description)

    # ------------------------------------------------------------------ definitions

    def _define(self, node: n.Define, decl: TermDecl) -> ir.Definition:
        expected = decl.declared_type
        if expected is None and node.redefine and self.base is not None \
                and node.ident.name in self.base.terms:  # the base's type: `{}` a set of it
            expected = self.base.terms[node.ident.name].type
        body = self.exprs.check(node.body, expected)
        typ = body.type
        if decl.declared_type is not None:
            if unify(body.type, decl.declared_type) != decl.declared_type \
                    and not is_error(body.type):
                self.sink.error("KP314", f"`{node.ident.name}` is declared "
                                f"{describe(decl.declared_type)} but its body is "
                                f"{describe(body.type)}", node.body.span,
                                hint="change the declared type, or the body",
                                related=_declared_here(node))
            typ = decl.declared_type
        return ir.Definition(node.ident.name, typ, body, self._origin(node, node.description))

    def _check_redefined_type(self, node: n.Define | n.Decision | n.Parameter,
                              term: ir.Term) -> None:
        if not node.redefine or self.base is None or node.ident.name not in self.base.terms:
            return
        before = self.base.terms[node.ident.name]
        prior = self.scope.base_terms[node.ident.name]
        if is_error(term.type, before.type) or _same_type(term.type, before.type):
            return
        self.sink.error("KP307", f"`{node.ident.name}` is {describe(before.type)} in "
                        f"`{self.base.name}` but {describe(term.type)} here", node.ident.span,
                        hint="a redefinition keeps the type, so that every use still fits",
                        related=(Related(prior.node.ident.span,
                                         f"`{prior.policy}` defines it here"),))

    # ------------------------------------------------------------------ decisions

    def _decision(self, node: n.Decision, decl: TermDecl) -> ir.DecisionTerm:
        typ = decl.declared_type if isinstance(decl.declared_type, EnumType) else ERROR
        default = self._outcome(node.default.outcome, typ)
        rules = tuple(self._rule(r, typ) for r in node.rules)
        return ir.DecisionTerm(node.ident.name, typ, default, self._origin(node.default), rules,
                               self._origin(node, node.description))

    def _outcome(self, ident: n.Ident, typ: Type) -> str:
        if isinstance(typ, EnumType) and ident.name not in typ.values:
            listed = ", ".join(f"`{v}`" for v in typ.values)
            self.sink.error("KP308", f"`{ident.name}` is not an outcome of `{typ.name}`",
                            ident.span, hint=did_you_mean(ident.name, typ.values)
                            or f"the outcomes are {listed}")
        return ident.name

    def _rule(self, rule: n.Rule | n.Exception_, typ: Type) -> ir.CheckedRule:
        outcome = self._outcome(rule.outcome, typ)
        condition = self.exprs.boolean(rule.condition, "`when`")
        exceptions = rule.exceptions if isinstance(rule, n.Rule) else ()
        return ir.CheckedRule(outcome, condition, rule.validity,
                              tuple(self._rule(x, typ) for x in exceptions), self._origin(rule))

    # ------------------------------------------------------------------ parameters

    def _parameter(self, node: n.Parameter, decl: TermDecl) -> ir.ParameterTerm:
        typ = decl.declared_type or ERROR
        pieces = []
        for piece in node.pieces:
            value = self.exprs.expect(piece.value, typ, f"a value of `{node.ident.name}`")
            if not isinstance(value, ir.Const):
                self.sink.error("KP309", "a parameter's value must be a constant", piece.value.span,
                                hint="write a literal such as `1.0 ct` or `2024-03-01`")
                continue
            pieces.append((piece, value.value))
        checked = tuple(ir.CheckedPiece(iv, value, self._origin(piece))
                        for piece, value, iv in _effective(pieces, self.sink))
        return ir.ParameterTerm(node.ident.name, typ, checked,
                                self._origin(node, node.description))


def _inference_order(decls: list[TermDecl]) -> list[TermDecl]:
    """Terms with the untyped definitions they use first, so that typing one term never types
    another on demand (no recursion through long chains of definitions)."""
    untyped = {d.name: d for d in decls if d.declared_type is None and isinstance(d.node, n.Define)}
    every = {d.name: d for d in decls}
    names = postorder((d.name for d in decls),
                      lambda name: _used(every[name].node, untyped))
    return [every[name] for name in names]


def _used(node: n.Define | n.Decision | n.Parameter,
          untyped: dict[str, TermDecl]) -> list[str]:
    """Names of untyped definitions a term's expressions mention (found without recursion)."""
    roots: list[object] = []
    if isinstance(node, n.Define):
        roots.append(node.body)
    elif isinstance(node, n.Decision):
        for rule in node.rules:
            roots.append(rule.condition)
            roots.extend(x.condition for x in rule.exceptions)
    out: list[str] = []
    while roots:
        x = roots.pop()
        if isinstance(x, n.Name) and x.ident.name in untyped:
            out.append(x.ident.name)
        elif isinstance(x, tuple):
            roots.extend(x)
        elif hasattr(x, "__attrs_attrs__") and not isinstance(x, n.Ident):
            roots.extend(getattr(x, a.name) for a in x.__attrs_attrs__ if a.name != "span")
    return out


def _effective(pieces: list[tuple[n.Piece, ir.Value]],
               sink: Sink) -> Iterable[tuple[n.Piece, ir.Value, n.Interval]]:
    """Each piece with its interval, an open end closed by the next piece; overlaps are KP218."""
    for i, (piece, value) in enumerate(pieces):
        iv = piece.validity
        nxt = pieces[i + 1][0].validity if i + 1 < len(pieces) else None
        if nxt is not None and nxt.start <= iv.start:
            sink.error("KP218", f"this piece starts on {nxt.start}, not after the piece before "
                       f"it ({iv.start})", nxt.span, hint="list the pieces in date order, each "
                       "starting after the one before",
                       related=(Related(iv.span, "the piece before"),))
        elif nxt is not None and iv.end is not None and iv.end > nxt.start:
            sink.error("KP218", f"this piece runs until {iv.end}, past the start of the next "
                       f"piece ({nxt.start})", iv.span,
                       hint=f"end it `until {nxt.start}`, or leave `until` out: a piece lasts "
                       "until the next one starts",
                       related=(Related(nxt.span, "the next piece"),))
        end = iv.end if iv.end is not None or nxt is None else nxt.start
        yield piece, value, n.Interval(iv.start, end, iv.span)


def _declared_here(node: n.Define) -> tuple[Related, ...]:
    return (Related(node.type.span, "the type is declared here"),) if node.type else ()


def _same_type(a: Type, b: Type) -> bool:
    if isinstance(a, EnumType) and isinstance(b, EnumType):
        return a.name == b.name and set(a.values) == set(b.values)
    return a == b


def _status(node: n.PolicyModule) -> ir.PolicyStatus:
    """The status written (an unknown one is reported as KP214), else the default: `proposed`
    for an amendment, `current` for the rest."""
    written = node.status.name if node.status else None
    default: ir.PolicyStatus = "proposed" if node.amends else "current"
    return next((s for s in ir.POLICY_STATUSES if s == written), default)
