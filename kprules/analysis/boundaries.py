"""Boundary coverage: is every cut-off date and threshold of a policy exercised from both sides?

Stage: checked policies + traced evaluations of cases -> per policy, each cut-off and the sides
the cases reached. Pure. Shares its inputs with clause coverage (kprules.analysis.coverage).

A *cut-off* is where a policy's text draws a line:

- a date where something starts or stops applying: a policy's `in force` interval, a rule's or
  an exception's `from ... until ...`, a parameter piece's interval. Its two sides are the day
  before and the day of (for an `until E`: the last day included, E - 1, and E);
- a comparison of a date with a date literal (`shipped_on >= 2024-01-01`, `x in a .. b`): the last
  day on one side and the first day on the other;
- a comparison of a number or quantity with a literal or a parameter (`weight >= threshold`): a
  value just on one side (any value below, for `>=`) and the value exactly at the threshold, for
  each value the threshold takes.

A side is exercised when a case on that side's date reaches the rule, or has facts its condition
holds for (an earlier rule may have decided first: the rule's dates still mattered to that case);
and, for a comparison, when a case's evaluation reaches the clause with the compared value on that
side. Cut-offs belong to the policy whose text writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal, TypeAlias

import attrs
from attrs import define, field, frozen

from kprules import ir
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span, location
from kprules.core.wording import plural
from kprules.eval.evaluate import Evaluator
from kprules.explain.tree import all_values, expr_text
from kprules.ir.dates import Interval
from kprules.ir.runtime import NOT_EVALUATED, EvalError
from kprules.ir.slots import (
    Clause,
    Key,
    Layout,
    RuleLayout,
    TermLayout,
    reachable,
)
from kprules.ir.types import BOOL, DATE, CompareOp
from kprules.ir.values import format_value

ONE_DAY = dt.timedelta(days=1)
_FLIP: dict[CompareOp, CompareOp] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=",
                                     "!=": "!="}


# How a side of a cut-off is tested: a date, or a value below, at, above (or other than) it.
SideTest: TypeAlias = Literal["date", "below", "at", "above", "other"]
# What a probe watches: "reached-date": the slot evaluated, the evaluation date on a side;
# "rule-date": the rule reached, or its condition true, on a side's date; "compared": the clause
# evaluated, its operand on a side.
ProbeKind: TypeAlias = Literal["reached-date", "rule-date", "compared"]


@frozen(repr=False)
class Side(SharedRepr):
    label: str  # "2024-02-29 (the day before)", "below 1.0 ct", "exactly 1.0 ct"
    test: SideTest
    value: Any


@frozen(repr=False)
class CutOff(SharedRepr):
    policy: str
    what: str   # a sentence naming the line drawn
    span: Span
    sides: tuple[Side, Side]


def _next(day: dt.date, step: dt.timedelta) -> dt.date | None:
    """The day `step` away, or None past the ends of the calendar (0001-01-01, 9999-12-31)."""
    try:
        return day + step
    except OverflowError:
        return None


def _date_sides(day: dt.date, first_in: bool) -> tuple[Side, Side] | None:
    """The two days either side of a line drawn at the start of `day` (`first_in`: `day` is the
    first day on the applying side); None at the first day of the calendar, where there is no
    day before: no case can stand on that side, so there is no line to exercise."""
    before, of = _next(day, -ONE_DAY), day
    if before is None:
        return None
    return (Side(f"{before} (the day before)", "date", before),
            Side(f"{of} (the day of)" if first_in else f"{of} (the first day after)", "date", of))


def _interval_cut_offs(policy: str, what: str, iv: Interval, span: Span) -> Iterator[CutOff]:
    sides = _date_sides(iv.start, True)
    if sides is not None:
        yield CutOff(policy, f"{what} from {iv.start}", span, sides)
    sides = _date_sides(iv.end, False) if iv.end is not None else None
    if sides is not None:
        yield CutOff(policy, f"{what} until {iv.end}", span, sides)


def _compare_sides(op: CompareOp, c: Any, show: str) -> tuple[Side, Side] | None:
    """The sides of `x op c`, x on the left; None for a line at an end of the calendar."""
    if isinstance(c, dt.date):
        if op in (">=", "<"):
            return _date_sides(c, True)
        nxt = _next(c, ONE_DAY)
        if nxt is None:
            return None
        return (Side(f"{c} (the day of)", "date", c), Side(f"{nxt} (the day after)", "date", nxt))
    if op in (">=", "<"):
        return (Side(f"below {show}", "below", c), Side(f"exactly {show}", "at", c))
    if op in (">", "<="):
        return (Side(f"exactly {show}", "at", c), Side(f"above {show}", "above", c))
    return (Side(f"exactly {show}", "at", c), Side(f"not {show}", "other", c))


# ---------------------------------------------------------------------------- finding cut-offs


def policy_cut_offs(policy: ir.CheckedPolicy) -> list[CutOff]:
    """Every cut-off written in the policy's own text, in text order."""
    out: list[CutOff] = []
    for name in sorted(policy.own):
        out.extend(_term_cut_offs(policy, name, policy.terms[name]))
    if policy.in_force is not None and _own_in_force(policy):
        out.extend(_interval_cut_offs(policy.name, f"policy `{policy.name}` in force",
                                      policy.in_force, policy.span))
    return sorted(out, key=lambda c: (c.span.source, c.span.start, c.what))


def _own_in_force(policy: ir.CheckedPolicy) -> bool:
    return policy.base is None or policy.base.in_force != policy.in_force


def _term_cut_offs(policy: ir.CheckedPolicy, name: str, term: ir.Term) -> Iterator[CutOff]:
    if isinstance(term, ir.ParameterTerm):
        # where the value changes: between pieces, and at an explicit end (before its first
        # piece a parameter has no value, which the rules using it guard with their own dates)
        starts = {p.validity.start for p in term.pieces[1:]}
        for i, piece in enumerate(term.pieces):
            shown = format_value(piece.value, term.type)
            cuts = _interval_cut_offs(policy.name, f"`{name}` = {shown}", piece.validity,
                                      piece.origin.span)
            for cut in cuts:
                end = " until " in cut.what
                # an end where the next piece starts is that piece's start: one line, not two
                if (end and piece.validity.end not in starts) or (not end and i > 0):
                    yield cut
        return
    if isinstance(term, ir.Definition):
        yield from _expr_cut_offs(policy, term.body, None)
        return
    stack = list(term.rules)
    while stack:
        rule = stack.pop()
        if rule.validity is not None:
            what = f"rule `{rule.outcome} when {_short(expr_text(rule.condition))}`"
            yield from _interval_cut_offs(policy.name, what, rule.validity, rule.origin.span)
        yield from _expr_cut_offs(policy, rule.condition, rule.validity or policy.in_force)
        stack.extend(rule.exceptions)


def _short(text: str, most: int = 50) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


def _expr_cut_offs(policy: ir.CheckedPolicy, e: ir.Expr,
                   window: Interval | None) -> Iterator[CutOff]:
    """Lines drawn by the comparisons in `e`; a parameter's values only for the pieces that
    overlap `window` (the dates the expression can be evaluated on)."""
    stack = [e]
    while stack:
        x = stack.pop()
        stack.extend(ir.children(x))
        for line in _lines(policy, x, window):
            yield CutOff(policy.name, f"`{expr_text(x)}`{line[0]}", x.span, line[1])


def _lines(policy: ir.CheckedPolicy, x: ir.Expr,
           window: Interval | None) -> Iterator[tuple[str, tuple[Side, Side]]]:
    """The lines a comparison or a range draws: (what to add to its text, the sides)."""
    if isinstance(x, ir.Compare):
        op, bound = _bound(x)
        for value, note in _bound_values(policy, bound, window):
            sides = _compare_sides(op, value, format_value(value, bound.type))
            if sides is not None:
                yield note, sides
    elif isinstance(x, ir.InRange):
        for b, low in ((x.low, True), (x.high, False)):
            for value, _ in _bound_values(policy, b, window):
                end: CompareOp = ">=" if low else "<="
                sides = _compare_sides(end, value, format_value(value, b.type))
                if sides is not None:
                    yield f" at its {'low' if low else 'high'} end", sides


def _bound(x: ir.Compare) -> tuple[CompareOp, ir.Expr]:
    """The operator read with the non-constant side on the left, and the constant side."""
    if _is_bound(x.right):
        return x.op, x.right
    return _FLIP[x.op], x.left


def _is_bound(e: ir.Expr) -> bool:
    """A side that can draw a line: a literal, or a term (a parameter has values to draw)."""
    return isinstance(e, ir.Const | ir.TermRef)


def _overlap(a: Interval, b: Interval | None) -> bool:
    if b is None:
        return True
    return (b.end is None or a.start < b.end) and (a.end is None or b.start < a.end)


def _bound_values(policy: ir.CheckedPolicy, b: ir.Expr,
                  window: Interval | None) -> Iterator[tuple[Any, str]]:
    if isinstance(b, ir.Const) and (b.type == DATE or isinstance(b.value, int | Decimal)) \
            and not isinstance(b.value, bool):
        yield b.value, ""
    elif isinstance(b, ir.TermRef) and isinstance(policy.terms.get(b.name), ir.ParameterTerm):
        term = policy.terms[b.name]
        assert isinstance(term, ir.ParameterTerm)
        for piece in term.pieces:
            if _overlap(piece.validity, window):
                yield piece.value, f" while `{b.name}` is {format_value(piece.value, term.type)}"


# ---------------------------------------------------------------------------- observing cases


@frozen(repr=False)
class _Probe(SharedRepr):
    cut: CutOff
    kind: ProbeKind
    slot: int
    operand: int = -1   # the slot of the compared operand
    bound: int = -1     # the slot of the bound (a parameter's value), or -1 for a constant
    rule: RuleLayout | None = None
    term: TermLayout | None = None


@define(repr=False)
class Boundaries(SharedRepr):
    """The cut-offs of the policies reported, and the sides the traces exercised."""

    cut_offs: dict[tuple[str, str, int], CutOff]
    policies: tuple[str, ...]
    seen: dict[tuple[str, str, int], dict[str, list[str]]] = field(factory=dict)
    dated: dict[dt.date, list[str]] = field(factory=dict)  # cases evaluated on each date
    _probes: dict[tuple[int, tuple[Key, ...]], list[_Probe]] = field(factory=dict)
    _conditions: _Conditions = field(factory=lambda: _Conditions())

    @classmethod
    def of(cls, policies: Iterable[ir.CheckedPolicy]) -> Boundaries:
        chosen = list(policies)
        cuts = {_key(c): c for p in chosen for c in policy_cut_offs(p)}
        return cls(cuts, tuple(p.name for p in chosen))

    def add(self, layout: Layout, slots: tuple[Any, ...], facts: Mapping[str, Any],
            as_of: dt.date | None, keys: Sequence[Key], case: str) -> None:
        cache = (id(layout), tuple(keys))
        probes = self._probes.get(cache)
        if probes is None:
            probes = self._probes[cache] = [p for p in _probes(layout, keys)
                                            if _key(p.cut) in self.cut_offs]
        if as_of is not None:
            on = self.dated.setdefault(as_of, [])
            if case not in on:
                on.append(case)
        values = all_values(layout, slots, facts, as_of)
        for probe in probes:
            for side in _sides_hit(probe, values, facts, as_of, self._conditions):
                seen = self.seen.setdefault(_key(probe.cut), {})
                seen.setdefault(side.label, []).append(case)

    def report(self) -> list[tuple[str, list[tuple[CutOff, tuple[Side, ...]]]]]:
        """Per policy, the cut-offs with a side no case reached (and those sides)."""
        out: list[tuple[str, list[tuple[CutOff, tuple[Side, ...]]]]] = []
        for name in self.policies:
            missing = []
            for key, cut in sorted(self.cut_offs.items(), key=lambda kv: (
                    kv[1].span.source, kv[1].span.start, kv[1].what)):
                if cut.policy != name:
                    continue
                seen = self.seen.get(key, {})
                never = tuple(s for s in cut.sides if s.label not in seen)
                if never:
                    missing.append((cut, never))
            out.append((name, missing))
        return out

    def counts(self) -> tuple[int, int]:
        """Sides exercised, and sides in all."""
        total = 2 * len(self.cut_offs)
        done = sum(1 for key, cut in self.cut_offs.items() for s in cut.sides
                   if s.label in self.seen.get(key, {}))
        return done, total


def _key(cut: CutOff) -> tuple[str, str, int]:
    return (cut.policy, cut.what, cut.span.start)


class _Conditions:
    """Rule conditions evaluated on demand for rules that the evaluation did not reach because an
    earlier rule decided: each condition compiled once (as a definition of its own, in the
    rule's policy) and run by the evaluator on the case's facts."""

    def __init__(self) -> None:
        self.compiled: dict[int, Evaluator] = {}

    def holds(self, rule: RuleLayout, term: TermLayout, facts: Mapping[str, Any],
              as_of: dt.date | None) -> bool:
        evaluator = self.compiled.get(id(rule))
        if evaluator is None:
            evaluator = self.compiled[id(rule)] = _condition_evaluator(rule, term)
        try:
            values, _ = evaluator.run(facts, as_of)
        except EvalError:
            return False
        return values[0] is True


_PROBE = "<rule condition>"  # not a name the language can write, so it never collides


def _condition_evaluator(rule: RuleLayout, term: TermLayout) -> Evaluator:
    condition = ir.Definition(_PROBE, BOOL, rule.rule.condition, rule.rule.origin)
    context = attrs.evolve(term.context, terms={**term.context.terms, _PROBE: condition})
    return Evaluator([(context, _PROBE)])


def _sides_hit(probe: _Probe, values: list[Any], facts: Mapping[str, Any],
               as_of: dt.date | None, conditions: _Conditions) -> Iterator[Side]:
    cut = probe.cut
    if probe.kind == "rule-date" and probe.rule is not None and probe.term is not None:
        for s in cut.sides:
            if s.value == as_of and (values[probe.slot] is not NOT_EVALUATED
                                     or conditions.holds(probe.rule, probe.term, facts, as_of)):
                yield s
        return
    if values[probe.slot] is NOT_EVALUATED or (values[probe.slot] is None and
                                               probe.kind == "compared"):
        return
    if probe.kind == "reached-date":
        yield from (s for s in cut.sides if s.value == as_of)
        return
    x = values[probe.operand]
    if x is None or x is NOT_EVALUATED:
        return
    bound = values[probe.bound] if probe.bound >= 0 else None
    for s in cut.sides:
        if bound is not None and bound != s.value:
            continue
        if _on_side(s, x):
            yield s


def _on_side(s: Side, x: Any) -> bool:
    if s.test == "date" or s.test == "at":
        return bool(x == s.value)
    if s.test == "below":
        return bool(x < s.value)
    if s.test == "above":
        return bool(x > s.value)
    return bool(x != s.value)


def _probes(layout: Layout, keys: Sequence[Key]) -> list[_Probe]:
    cuts: dict[str, dict[int, list[CutOff]]] = {}  # per policy, found once
    return [p for t in reachable(layout, keys) for p in _term_probes(t, cuts)]


def _term_probes(t: TermLayout, found: dict[str, dict[int, list[CutOff]]]) -> Iterator[_Probe]:
    writer = t.term.origin.policy
    policy = t.context.policy_named(writer) if writer in [p.name for p in t.context.chain()] \
        else t.context
    if policy.name not in found:
        found[policy.name] = _by_span(policy_cut_offs(policy))
    cuts = found[policy.name]
    if isinstance(t.term, ir.ParameterTerm):
        for piece in t.term.pieces:
            for cut in cuts.get(piece.origin.span.start, ()):
                yield _Probe(cut, "reached-date", t.index)
    if t.body is not None:
        yield from _clause_probes(t.body, cuts)
    if isinstance(t.term, ir.DecisionTerm) and t.context.name == writer:
        for cut in cuts.get(policy.span.start, ()):
            for rule in t.rules:
                yield _Probe(cut, "reached-date", rule.index)
    stack: list[RuleLayout] = list(t.rules)
    while stack:
        rule = stack.pop()
        for cut in cuts.get(rule.rule.origin.span.start, ()):
            yield _Probe(cut, "rule-date", rule.index, rule=rule, term=t)
        yield from _clause_probes(rule.condition, cuts)
        stack.extend(rule.exceptions)


def _by_span(cuts: Iterable[CutOff]) -> dict[int, list[CutOff]]:
    out: dict[int, list[CutOff]] = {}
    for c in cuts:
        out.setdefault(c.span.start, []).append(c)
    return out


def _clause_probes(c: Clause, cuts: Mapping[int, list[CutOff]]) -> Iterator[_Probe]:
    stack = [c]
    while stack:
        x = stack.pop()
        stack.extend(x.children)
        for cut in cuts.get(x.expr.span.start, ()):
            if cut.span != x.expr.span:
                continue
            probe = _compare_probe(x, cut)
            if probe is not None:
                yield probe


def _compare_probe(c: Clause, cut: CutOff) -> _Probe | None:
    e = c.expr
    if isinstance(e, ir.Compare):
        left, right = c.children
        operand, bound = (left, right) if _is_bound(e.right) else (right, left)
        return _Probe(cut, "compared", c.index, operand.index,
                      bound.index if not isinstance(bound.expr, ir.Const) else -1)
    if isinstance(e, ir.InRange):
        element, low, high = c.children
        bound = low if cut.what.endswith("low end") else high
        return _Probe(cut, "compared", c.index, element.index,
                      bound.index if not isinstance(bound.expr, ir.Const) else -1)
    return None


# ---------------------------------------------------------------------------- text


def boundary_lines(b: Boundaries, sources: Mapping[str, Source], width: int = 100) -> list[str]:
    import textwrap

    done, total = b.counts()
    share = 100.0 * done / total if total else 100.0
    lines = [f"boundary coverage: {share:.1f}% ({done} of {total} sides of "
             f"{len(b.cut_offs)} cut-offs)"]
    for name, missing in b.report():
        if not missing:
            continue
        lines.append(f"  {name}: {plural(len(missing), 'cut-off')} "
                     "not exercised from both sides")
        for cut, never in missing:
            where = location(cut.span, sources)
            text = f"{where}  {cut.what}: " + _never_text(never, b)
            lines.extend(textwrap.wrap(text, width, initial_indent="    ",
                                       subsequent_indent="      ", break_on_hyphens=False))
    return lines


def _never_text(never: Sequence[Side], b: Boundaries) -> str:
    """`no case <side> or <side>`; a date side on which cases are dated that do not reach the
    cut-off (they expect other policies, or stop before it) says so and names them."""
    plain = [s.label for s in never if not _dated(s, b)]
    parts = ["no case " + " or ".join(plain)] if plain else []
    for side in never:
        on = _dated(side, b)
        if on:
            shown = ", ".join(on[:3]) + (f", +{len(on) - 3} more" if len(on) > 3 else "")
            parts.append(f"no case {side.label} reaches it (dated that day but expecting other "
                         f"policies or stopping before it: {shown})")
    return "; ".join(parts)


def _dated(side: Side, b: Boundaries) -> list[str]:
    return b.dated.get(side.value, []) if side.test == "date" else []
