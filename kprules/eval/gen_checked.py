"""The checked entry: validation fused into the strict code, for the validating entry points
(`Evaluator.function()`, `evaluate`, `evaluate_many`, `Policy.evaluate`).

Stage: layout and vocabulary -> `_checked(r, s=slow)`, generated as straight-line Python. It
takes a dict (any other mapping goes to the slow path, so that reading a fact never calls a
`__missing__`) and reads every fact of the vocabulary once, into a local, testing it with the
acceptance test of its type (kprules.eval.gen_accept); it counts the facts present and compares
the count with `len(r)` (so that a field that is not a fact is noticed without building a set
of keys); then it runs the strict code on the locals. What the strict code reads must be there;
a fact it does not read may be missing. When everything holds, `validate` would give the same
facts (floats for decimals aside, read by the strict code as `validate` reads them) and the
strict code the same values, so the result is the validating path's. Anything else (a missing
fact the code reads, a value of another form, an unknown field, a record the strict code cannot
decide) returns `s(r)`: the caller's reference path, which decides it (or raises its
`FactsError`).

Safety as in kprules.eval.codegen: generated names only, constants bound, `verify_source`,
empty builtins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from kprules.eval.codegen import _exec, _indent
from kprules.eval.gen_accept import HELPERS, accept_test
from kprules.eval.gen_common import Namespace
from kprules.eval.gen_strict import StrictGen
from kprules.ir.slots import Layout
from kprules.ir.types import Type

Checked = Callable[..., Any]  # (r[, slow]) -> the strict values' tuple, or what slow returns


def compile_checked(layout: Layout, facts: Mapping[str, Type], slow: Callable[[Any], Any], *,
                    as_of_fact: str | None = None, as_of: dt.date | None = None,
                    build: tuple[type, Any] | None = None) -> Checked:
    """The checked entry of `layout` over the vocabulary's `facts` (name -> type). Its date is
    the fact `as_of_fact` of the record, or the fixed `as_of`, or none. `slow(r)` is the default
    for every record it does not decide; a caller may pass another as the second argument.

    It returns the tuple of the targets' values; with `build=(cls, context)`, a `cls` (a tuple
    subclass: `Evaluation`) made of `(date or None, None, r, context, *values)`, built with
    `tuple.__new__`, the cheapest constructor."""
    ns = Namespace()
    ns.values.update(HELPERS)
    ns.values.update(_slw=slow, _len=len, _dict=dict)
    gen = StrictGen(layout, ns, fact_locals=True)
    date = "_ND" if as_of is None else ns.literal(as_of)
    if as_of_fact is not None:
        date = gen.fact_local(as_of_fact)
    value = "None" if date == "_ND" else date

    def wrap(values: list[str]) -> str:
        return f"_new(_E, ({value}, None, r, _X, {', '.join(values)}))"

    if build is not None:
        ns.values.update(_new=tuple.__new__, _E=build[0], _X=build[1])
    body = gen.entry(wrap if build is not None else None)
    assert gen.fact_locals is not None
    needed = dict(gen.fact_locals)
    assert needed.keys() <= facts.keys(), "kprules bug: the code reads a fact not in facts"
    optional = sorted(name for name in facts if name not in needed)
    lines = ["def _checked(r, s=_slw):", "    if _ty(r) is not _dict:", "        return s(r)",
             "    try:"]
    lines += [f"        {var} = r[{ns.literal(name)}]" for name, var in sorted(needed.items())]
    lines += ["    except _KE:", "        return s(r)"]
    for name, var in sorted(needed.items()):
        lines += [f"    if not ({accept_test(facts[name], var, ns.bind)}):", "        return s(r)"]
    if optional:
        lines.append(f"    n0 = {len(facts)}")
    for name in optional:
        lines += _optional(ns, name, facts[name], gen.fact_local(name))
    count = "n0" if optional else str(len(facts))
    lines += [f"    if _len(r) != {count}:", "        return s(r)",
              f"    try:\n        asof = {date}\n{_indent(body)}",
              "    except _Und:", "        return s(r)"]
    try:
        names = _exec("\n".join(lines), ns.values)
    except (SyntaxError, RecursionError, MemoryError):  # too deeply nested for Python
        return _slow_only(slow)
    fn: Checked = names["_checked"]
    return fn


def _optional(ns: Namespace, name: str, t: Type, var: str) -> list[str]:
    """Read and test a fact the code does not read: it may be missing."""
    return [f"    {var} = r.get({ns.literal(name)}, _MISS)", f"    if {var} is _MISS:",
            "        n0 -= 1", f"    elif not ({accept_test(t, var, ns.bind)}):",
            "        return s(r)"]


def _slow_only(slow: Callable[[Any], Any]) -> Checked:
    """The entry of a layout with no strict code: every record takes the slow path."""
    def checked(r: Any, _slow: Callable[[Any], Any] = slow) -> Any:
        return _slow(r)
    return checked
