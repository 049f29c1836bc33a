"""The compiler: Python source generated from a checked layout, for speed.

Stage: layout -> Python functions (by way of source text). Generated functions:

- `strict(r, asof)`: two-valued and inlined, as fast as hand-written Python. It assumes every fact
  it reads is well typed. Where two values cannot decide (a missing fact, no date, a parameter
  with no value on the date, a division by zero) it raises `Undecided`, its one signal, and the
  caller falls back to `traced`; any other exception is a bug and propagates. When it returns,
  it returns what `traced` would: every operand that could make a value unknown is
  evaluated (a range test reads both bounds), and a decimal fact given as a float is read as its
  shortest decimal (`_num`) wherever a raw float would not give the same result.
- `traced(r, asof)`: three-valued (None is unknown), writing every clause's value into a slot list,
  for explanations, coverage, and for facts that are missing; it returns (values, slots).
- `fast(r)` and `explain(r)`: `strict` and `traced` with the evaluation date taken from the record
  (or fixed), the entries of `Evaluator.function`.

Safety: nothing in a policy is pasted into the source. Names in the source are generated here
(`_k3`, `v12`); constants are bound in the namespace from their typed values (or written with
repr() when they are plain identifiers, ints or floats); the source is parsed back and every name
and string in it is checked against what this module generated before it is compiled; it runs
with empty builtins. `verify_source` is that check.
"""


from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from kprules.eval.gen_common import _SAFE, Namespace, _missing
from kprules.eval.gen_common import Undecided as Undecided  # re-exported: the callers catch it
from kprules.eval.gen_strict import StrictGen
from kprules.eval.gen_traced import TracedGen
from kprules.ir.slots import (
    Layout,
)
from kprules.ir.values import UNKNOWN

# ----------------------------------------------------------------------------- assembly


_ALLOWED_ATTRS = frozenset({"get"})


_LOCAL = re.compile(r"(v|a|t|x|p|f|n)[0-9]+\Z|_[tc][0-9]+\Z")


def verify_source(source: str, namespace: dict[str, Any],
                  params: frozenset[str] = frozenset()) -> None:
    """Reject generated code that names anything this module did not generate; `params` are
    the names of parameters it may have besides its own (a public method's keywords)."""
    tree = ast.parse(source)
    params = params | {"r", "asof", "s", "err"}
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


def _never(r: Any, asof: Any = None) -> Any:
    raise Undecided("uncompiled")


def _exec(source: str, namespace: dict[str, Any],
          params: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Verify and run generated source in a namespace of its own, with no builtins."""
    namespace = dict(namespace)
    verify_source(source, namespace, params)
    namespace["__builtins__"] = {}
    exec(compile(source, "<kprules generated>", "exec"), namespace)
    return namespace


def _strict_source(gen: StrictGen, ns: Namespace, date: str, as_of_fact: str | None) -> str:
    """`_strict(r, asof)` and `_fast(r)`. Only `Undecided` and the KeyError of a fact missing from
    `r` (turned into `Undecided` by `_miss`) mean "undecided"; other exceptions propagate."""
    body = gen.entry()
    reads = frozenset(gen.facts) | ({as_of_fact} if as_of_fact is not None else frozenset())
    ns.values["_miss"] = partial(_missing, facts=reads)
    strict = ("def _strict(r, asof):\n    if asof is None:\n        asof = _ND\n"
              f"    try:\n{_indent(body)}\n"
              "    except _KE as err:\n        raise _miss(r, err) from None")
    fast = (f"def _fast(r):\n    try:\n        asof = {date}\n{_indent(body)}\n"
            "    except _Und:\n        pass\n"
            "    except _KE as err:\n        _miss(r, err)\n"
            "    return _fb(r)")  # after the handlers: the fallback's errors have no context
    return "\n\n".join([strict, fast])


class Compiled:
    """The generated functions of one layout.

    `strict(r, asof)` and `traced(r, asof)` as described above; `fast(r)`: strict code whose date
    is the fact `as_of_fact` of `r` (or the fixed `as_of`), and which hands any record it cannot
    decide (`Undecided`, or the KeyError of a missing fact) to `fallback(r)`; `explain(r)`:
    traced code with that date, returning `explained((public values, slots, r, date,
    *explain_context))` (one tuple: `explained` may be a tuple subclass's `tuple.__new__`, the
    cheapest constructor).

    Strict code is one expression per term: an expression nested so deeply that Python refuses to
    compile it gets no strict code (every record then takes the fallback).
    """

    def __init__(self, layout: Layout, fallback: Callable[[Any], tuple[Any, ...]] | None = None,
                 as_of_fact: str | None = None, as_of: dt.date | None = None,
                 explained: Callable[[tuple[Any, ...]], Any] | None = None,
                 explain_context: tuple[Any, Any] = (None, None)) -> None:
        self.layout = layout
        ns = Namespace()
        ns.values.update(_fb=fallback, _Ex=explained, _U=UNKNOWN, _X0=explain_context[0],
                         _X1=explain_context[1])
        traced_date = ns.literal(as_of) if as_of is not None else "None"
        date = ns.literal(as_of) if as_of is not None else "_ND"
        if as_of_fact is not None:
            date = f"r[{ns.literal(as_of_fact)}]"
            traced_date = f"r.get({ns.literal(as_of_fact)})"
        traced_source = TracedGen(layout, ns).functions(traced_date)
        strict_source = _strict_source(StrictGen(layout, ns), ns, date, as_of_fact)
        self.source = "\n\n".join([strict_source, traced_source])
        names = _exec(traced_source, ns.values)
        self.traced: Callable[[Any, dt.date | None], tuple[tuple[Any, ...], list[Any]]] = \
            names["_run"]
        self.explain: Callable[[Any], Any] = names["_explain"]
        try:
            names = _exec(strict_source, ns.values)
        except (SyntaxError, RecursionError, MemoryError):  # too deeply nested for Python
            names = {"_strict": _never, "_fast": fallback or _never}
        self.strict: Callable[[Any, dt.date | None], tuple[Any, ...]] = names["_strict"]
        self.fast: Callable[[Any], tuple[Any, ...]] = names["_fast"]
