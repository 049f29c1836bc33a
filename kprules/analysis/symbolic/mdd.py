"""Reduced ordered multi-valued decision diagrams: the sets of fact combinations we reason about.

A diagram over variables 0..n-1 (each with a finite domain 0..size-1) is a node number: 0 is the
empty set, 1 the full set, any other node tests its variable and has one child per value. Nodes
are shared (a unique table) and reduced (a node whose children are all equal is its child), so two
sets are equal exactly when their node numbers are equal. One `Manager` owns its nodes; nothing is
global. Operations are memoised per manager.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

FALSE = 0
TRUE = 1
# The nodes one manager may build, and the operations it may remember (each step of `and`,
# `or`, `not` on two nodes is one). Comparing the bundled policies takes at most 12,455 nodes
# and 16,960 steps; a small text can need exponentially many (`(a1 and b1) or ... or (an and
# bn)` with every `a` ordered before every `b`): past either, `TooLarge`, within a few seconds
# and a few hundred MB. `--max-nodes N` (`kprules diff`, `kprules check`) sets the first; the
# steps are five times the nodes (1,000,000 by default).
MAX_NODES = 200_000
STEPS_PER_NODE = 5


class TooLarge(Exception):
    """A manager needed more nodes or steps than it may take: the question is left
    unanswered."""

    def __init__(self, max_nodes: int, max_steps: int) -> None:
        super().__init__(f"more than {max_nodes:,} decision nodes or {max_steps:,} steps")

Cube = tuple[frozenset[int] | None, ...]  # per variable: the values allowed (None = any)


class Manager:
    """Variables with domain sizes, and the nodes built over them."""

    def __init__(self, sizes: Sequence[int], max_nodes: int = MAX_NODES,
                 max_steps: int | None = None) -> None:
        max_steps = max_nodes * STEPS_PER_NODE if max_steps is None else max_steps
        self.sizes = tuple(sizes)
        self.max_nodes, self.max_steps = max_nodes, max_steps
        self._var: list[int] = [len(self.sizes), len(self.sizes)]
        self._kids: list[tuple[int, ...]] = [(), ()]
        self._unique: dict[tuple[int, tuple[int, ...]], int] = {}
        self._memo: dict[tuple[str, int, int], int] = {}

    # ------------------------------------------------------------------ building

    def node(self, var: int, kids: tuple[int, ...]) -> int:
        first = kids[0]
        if all(k == first for k in kids):
            return first
        key = (var, kids)
        found = self._unique.get(key)
        if found is None:
            if len(self._var) >= self.max_nodes:
                raise TooLarge(self.max_nodes, self.max_steps)
            found = self._unique[key] = len(self._var)
            self._var.append(var)
            self._kids.append(kids)
        return found

    def var_in(self, var: int, values: frozenset[int] | set[int]) -> int:
        """The set of points whose variable `var` takes one of `values`."""
        return self.node(var, tuple(TRUE if v in values else FALSE
                                    for v in range(self.sizes[var])))

    def top(self, a: int) -> int:
        return self._var[a]

    def kids(self, a: int) -> tuple[int, ...]:
        return self._kids[a]

    # ------------------------------------------------------------------ set operations

    def neg(self, a: int) -> int:
        if a <= TRUE:
            return TRUE - a
        key = ("not", a, 0)
        found = self._memo.get(key)
        if found is None:
            self._step()
            found = self.node(self._var[a], tuple(self.neg(k) for k in self._kids[a]))
            self._memo[key] = found
        return found

    def conj(self, a: int, b: int) -> int:
        if a == FALSE or b == FALSE:
            return FALSE
        if a in (TRUE, b):
            return b
        if b == TRUE:
            return a
        return self._apply("and", min(a, b), max(a, b))

    def disj(self, a: int, b: int) -> int:
        if a == TRUE or b == TRUE:
            return TRUE
        if a in (FALSE, b):
            return b
        if b == FALSE:
            return a
        return self._apply("or", min(a, b), max(a, b))

    def diff(self, a: int, b: int) -> int:
        return self.conj(a, self.neg(b))

    def conj_all(self, nodes: Sequence[int]) -> int:
        out = TRUE
        for n in nodes:
            out = self.conj(out, n)
        return out

    def disj_all(self, nodes: Sequence[int]) -> int:
        out = FALSE
        for n in nodes:
            out = self.disj(out, n)
        return out

    def implies(self, a: int, b: int) -> bool:
        return self.diff(a, b) == FALSE

    def _apply(self, op: str, a: int, b: int) -> int:
        key = (op, a, b)
        found = self._memo.get(key)
        if found is not None:
            return found
        self._step()
        va, vb = self._var[a], self._var[b]
        var = min(va, vb)
        ka = self._kids[a] if va == var else (a,) * self.sizes[var]
        kb = self._kids[b] if vb == var else (b,) * self.sizes[var]
        f = self.conj if op == "and" else self.disj
        found = self.node(var, tuple(f(x, y) for x, y in zip(ka, kb, strict=True)))
        self._memo[key] = found
        return found

    def _step(self) -> None:
        if len(self._memo) >= self.max_steps:
            raise TooLarge(self.max_nodes, self.max_steps)

    # ------------------------------------------------------------------ reading

    def contains(self, a: int, point: Sequence[int]) -> bool:
        while a > TRUE:
            a = self._kids[a][point[self._var[a]]]
        return a == TRUE

    def pick(self, a: int, prefer: Sequence[Sequence[int]] | None = None) -> list[int] | None:
        """One point of the set (None if empty): at each variable the first value, in the
        order `prefer[var]` (or 0, 1, ...), that leads to a non-empty set; free variables take
        their first preferred value."""
        if a == FALSE:
            return None
        n = len(self.sizes)
        order = prefer or [range(s) for s in self.sizes]
        point = [order[v][0] for v in range(n)]
        while a > TRUE:
            var = self._var[a]
            kids = self._kids[a]
            value = next(v for v in order[var] if kids[v] != FALSE)
            point[var] = value
            a = kids[value]
        return point

    def cube(self, c: Cube) -> int:
        """The set of points inside every test of the cube (built bottom-up, no apply)."""
        out = TRUE
        for var in reversed(range(len(c))):
            values = c[var]
            if values is not None:
                out = self.node(var, tuple(out if v in values else FALSE
                                           for v in range(self.sizes[var])))
        return out

    def paths(self, a: int) -> Iterator[Cube]:
        """Disjoint cubes whose union is the set: one per path, values with one child grouped."""
        n = len(self.sizes)
        stack: list[tuple[int, tuple[frozenset[int] | None, ...]]] = [(a, (None,) * n)]
        while stack:
            node, cube = stack.pop()
            if node == FALSE:
                continue
            if node == TRUE:
                yield cube
                continue
            var = self._var[node]
            groups: dict[int, set[int]] = {}
            for value, kid in enumerate(self._kids[node]):
                if kid != FALSE:
                    groups.setdefault(kid, set()).add(value)
            for kid, values in reversed(list(groups.items())):
                stack.append((kid, (*cube[:var], frozenset(values), *cube[var + 1:])))

    def support(self, a: int) -> set[int]:
        seen: set[int] = set()
        out: set[int] = set()
        todo = [a]
        while todo:
            x = todo.pop()
            if x <= TRUE or x in seen:
                continue
            seen.add(x)
            out.add(self._var[x])
            todo.extend(self._kids[x])
        return out
