"""Checker pass 4: cycles between the terms of each policy (KP205).

Input: checked policies. A policy's graph is over its own and inherited terms, with references
resolved in that policy (an amendment's redefinition can close a cycle its base did not have).
`base.x` edges lead into the base policy, which cannot refer back, so they never close a cycle.
A cycle is reported once, in the first policy (base first) that owns one of its terms, at that
policy's first reference on the cycle (so that a cycle an amendment closes is shown in it).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import TypeVar

from kprules import ir
from kprules.checker.context import Sink
from kprules.core.diagnostics import Related
from kprules.core.source import Span

T = TypeVar("T", bound=Hashable)


def term_exprs(term: ir.Term) -> Iterator[ir.Expr]:
    """The top-level expressions of a term: a body, or the conditions of a decision."""
    if isinstance(term, ir.Definition):
        yield term.body
    elif isinstance(term, ir.DecisionTerm):
        for rule in term.rules:
            yield rule.condition
            yield from (x.condition for x in rule.exceptions)


def references(e: ir.Expr) -> Iterator[ir.TermRef]:
    """Every term reference inside an expression (iteratively: no recursion limit)."""
    return (x for x in ir.walk(e) if isinstance(x, ir.TermRef))


def dependencies(term: ir.Term) -> list[ir.TermRef]:
    return [ref for e in term_exprs(term) for ref in references(e)]


def check_cycles(policy: ir.CheckedPolicy, sink: Sink) -> None:
    graph: Mapping[str, list[ir.TermRef]] = {
        name: dependencies(t) for name, t in policy.terms.items()}
    reported: set[frozenset[str]] = set()
    for cycle in _cycles(graph):
        key = frozenset(name for name, _ in cycle)
        if key in reported or not key & policy.own:
            continue  # a cycle of inherited terms only is reported in the policy defining them
        reported.add(key)
        first = next(i for i, (name, _) in enumerate(cycle) if name in policy.own)
        _report(policy, cycle[first:] + cycle[:first], sink)


def _cycles(graph: Mapping[str, list[ir.TermRef]]) -> Iterator[list[tuple[str, Span]]]:
    """Cycles found by depth-first search, each as [(term, span of its reference to the next)]."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in sorted(graph):
        if state.get(root):
            continue
        path: list[tuple[str, Span]] = []
        stack: list[tuple[str, Iterator[ir.TermRef]]] = [(root, iter(graph[root]))]
        state[root] = 1
        while stack:
            name, refs = stack[-1]
            ref = next(refs, None)
            if ref is None:
                state[name] = 2
                stack.pop()
                if path:
                    path.pop()
                continue
            if ref.name not in graph:
                continue
            if state.get(ref.name) == 1:
                names = [s[0] for s in stack]
                start = names.index(ref.name)
                yield [*path[start:], (name, ref.span)]
            elif not state.get(ref.name):
                path.append((name, ref.span))
                state[ref.name] = 1
                stack.append((ref.name, iter(graph[ref.name])))


def _report(policy: ir.CheckedPolicy, cycle: list[tuple[str, Span]], sink: Sink) -> None:
    names = [name for name, _ in cycle]
    shown = " -> ".join(f"`{x}`" for x in [*names, names[0]])
    first_span = cycle[0][1]
    if len(cycle) == 1:
        message = f"`{names[0]}` is defined in terms of itself"
    else:
        message = f"definitions depend on each other in a cycle: {shown}"
    related = tuple(Related(span, f"`{name}` uses `{names[(i + 1) % len(names)]}` here")
                    for i, (name, span) in enumerate(cycle) if i > 0)
    sink.error("KP205", message, first_span, related=related, hint=_hint(policy, names))


def _hint(policy: ir.CheckedPolicy, names: list[str]) -> str:
    base = policy.base
    redefined = [x for x in names if x in policy.own and base is not None and x in base.terms]
    if redefined:
        return f"to build on the base's version, write `base.{redefined[0]}`"
    return "break the cycle: a term cannot depend on itself"


# The deepest chain of nesting, counting the definitions a term uses, that later stages accept:
# the evaluator and the explanations walk terms and expressions recursively.
MAX_TERM_DEPTH = 150


def expr_depth(e: ir.Expr) -> int:
    """How deeply an expression nests (iteratively)."""
    best = 0
    stack = [(e, 1)]
    while stack:
        x, depth = stack.pop()
        best = max(best, depth)
        stack.extend((c, depth + 1) for c in ir.children(x))
    return best


def check_depth(policy: ir.CheckedPolicy, depths: dict[tuple[str, str], int], sink: Sink) -> None:
    """Each term's depth: its own nesting plus the deepest term it uses (KP116 past the limit).

    `depths` holds the depths of earlier policies (bases are checked first) and is extended."""
    graph = {name: dependencies(t) for name, t in policy.terms.items()}
    order = postorder(sorted(graph), lambda name: (r.name for r in graph[name] if r.name in graph))
    for name in order:
        term = policy.terms[name]
        own = max((expr_depth(e) for e in term_exprs(term)), default=1)
        uses = [depths.get((policy.name, r.name), 0) for r in graph[name]]
        uses += [depths.get((b.policy, b.name), 0) for e in term_exprs(term)
                 for b in ir.walk(e) if isinstance(b, ir.BaseRef)]
        depth = own + max(uses, default=0)
        depths[(policy.name, name)] = depth
        if depth > MAX_TERM_DEPTH >= max(uses, default=0) and name in policy.own:
            sink.error("KP116", f"`{name}` nests {depth} levels deep, counting the definitions "
                       f"it uses; the limit is {MAX_TERM_DEPTH}", term.origin.span,
                       hint="shorten the chain of definitions that use one another")


def postorder(roots: Iterable[T], successors: Callable[[T], Iterable[T]]) -> list[T]:
    """Every node reachable from `roots`, each after the nodes it leads to (depth first, without
    recursion; a node met again on a cycle is not followed)."""
    order: list[T] = []
    done: set[T] = set()
    for root in roots:
        if root in done:
            continue
        done.add(root)
        stack: list[tuple[T, Iterator[T]]] = [(root, iter(successors(root)))]
        while stack:
            node, rest = stack[-1]
            nxt = next(rest, None)
            if nxt is None:
                stack.pop()
                order.append(node)
            elif nxt not in done:
                done.add(nxt)
                stack.append((nxt, iter(successors(nxt))))
    return order
