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

The same code comes in three shapes, so that a caller pays for one call of generated code per
record and no more: a function of one record (above); a public method's stand-in (`Front`:
`evaluate(facts, *, as_of=None, ...)`, which hands any call with other arguments to the general
method); and a generator over many records (`many`: the loop is in the generated code, not a
`map` calling it once per record). What it returns is the targets' values as a tuple, or what
an `Output` makes of them (an `Evaluation`, a `Result`).

Safety as in kprules.eval.codegen: generated names only, constants bound, `verify_source`,
empty builtins.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import frozen

from kprules.core.shared_repr import SharedRepr
from kprules.eval.codegen import _exec
from kprules.eval.gen_accept import HELPERS, accept_test
from kprules.eval.gen_common import Namespace
from kprules.eval.gen_strict import StrictGen, as_tuple
from kprules.ir.slots import Layout
from kprules.ir.types import Type

Checked = Callable[..., Any]  # (r[, slow]) -> the strict values' tuple, or what slow returns
# (namespace, the date's code, the values' code) -> the code of the result
Output = Callable[[Namespace, str, list[str]], str]

_ASOF = re.compile(r"\basof\b")
# the names of the generated functions' parameters (besides r, s), and of public keywords
_PARAMS = frozenset({"facts", "records", "_f", "_p", "as_of", "explain", "validated", "terms"})


_NO: Any = object()  # an argument not given


@frozen(repr=False)
class Front(SharedRepr):
    """A public method `(facts, *, name=default, ...)` the entry stands in for, each keyword
    with its default (None, or False). A call with the facts alone (positionally) and every
    keyword at its default takes the checked entry; any other call goes to `general` (the
    method itself), called as the stand-in was (`recall`), so that the method checks it.

    The stand-in's own signature is `(_f, _p, /, name=default, ..., facts)`: a simple one, that
    Python's specialised call fills from the defaults' tuple; keyword-only parameters (filled
    by name on every call) or `**kw` (a dict per call) cost a tenth of the evaluation. `_p`
    catches a positional argument the method would refuse, `facts` the facts by name."""

    keywords: tuple[tuple[str, bool | None], ...]
    general: Callable[..., Any]

    def header(self) -> list[str]:
        params = ", ".join(f"{name}={default!r}" for name, default in self.keywords)
        other = " or ".join(name if default is False else f"{name} is not None"
                            for name, default in self.keywords)
        names = ", ".join(name for name, _ in self.keywords)
        return [f"def _checked(_f=_NO, _p=_NO, /, {params}, facts=_NO):",
                f"    if _p is not _NO or facts is not _NO or _f is _NO or {other}:",
                f"        return _again(_f, _p, facts, {names})", "    r = _f"]

    def recall(self, f: Any, p: Any, facts: Any, *values: Any) -> Any:
        """`general` called with the arguments given to the stand-in (the keywords not at
        their defaults: the same call, and Python's own message when it is a wrong one)."""
        named = {name: value for (name, default), value in zip(self.keywords, values, strict=True)
                 if value is not default}
        if facts is not _NO:
            named["facts"] = facts
        return self.general(*(x for x in (f, p) if x is not _NO), **named)


def evaluation_output(cls: type) -> Output:
    """`cls((r, *values))`: an `Evaluation` (its class holds its context, which knows the date),
    made by its class's call, which is tuple's own (no Python `__new__`): the cheapest
    constructor."""
    def output(ns: Namespace, date: str, values: list[str]) -> str:
        return f"{ns.bind(cls)}((r, {', '.join(values)}))"
    return output


def mapping_output(make: Callable[[dict[str, Any], dt.date | None], Any],
                   names: Sequence[str]) -> Output:
    """`make({name: value, ...}, date or None)`, the names in the order of the targets."""
    def output(ns: Namespace, date: str, values: list[str]) -> str:
        items = ", ".join(f"{ns.literal(n)}: {v}" for n, v in zip(names, values, strict=True))
        return f"{ns.bind(make)}({{{items}}}, {date})"
    return output


def compile_checked(layout: Layout, facts: Mapping[str, Type], slow: Callable[[Any], Any], *,
                    as_of_fact: str | None = None, as_of: dt.date | None = None,
                    output: Output | None = None, front: Front | None = None,
                    many: bool = False) -> Checked:
    """The checked entry of `layout` over the vocabulary's `facts` (name -> type). Its date is
    the fact `as_of_fact` of the record, or the fixed `as_of`, or none. `slow(r)` is the default
    for every record it does not decide; a caller may pass another as the second argument.

    It returns the tuple of the targets' values, or `output`'s result; with `front`, it is that
    method's stand-in; with `many`, a generator function over an iterable of records."""
    assert not (front is not None and many), "one shape at a time"
    ns = Namespace()
    ns.values.update(HELPERS)
    ns.values.update(_slw=slow, _len=len, _dict=dict)
    if front is not None:
        ns.values.update(_again=front.recall, _NO=_NO)
    fail = ["yield s(r)", "continue"] if many else \
        ["return _slw(r)"] if front is not None else ["return s(r)"]
    try:
        body = _body(layout, facts, ns, fail, as_of_fact, as_of, output, many)
        return _compile(ns, _shape(body, front, many))
    except (SyntaxError, RecursionError, MemoryError):  # too deeply nested for Python
        return _compile(ns, _shape(fail, front, many))


def _body(layout: Layout, facts: Mapping[str, Type], ns: Namespace, fail: list[str],
          as_of_fact: str | None, as_of: dt.date | None, output: Output | None,
          many: bool) -> list[str]:
    """The lines of the entry for one record `r` (at the indentation of a function's body)."""
    gen = StrictGen(layout, ns, fact_locals=True)
    date = "_ND" if as_of is None else ns.literal(as_of)
    if as_of_fact is not None:
        date = gen.fact_local(as_of_fact)
    prelude, values = gen.targets()
    result = output(ns, "None" if date == "_ND" else date, values) if output is not None \
        else as_tuple(values)
    assert gen.fact_locals is not None
    needed = dict(gen.fact_locals)
    assert needed.keys() <= facts.keys(), "kprules bug: the code reads a fact not in facts"
    optional = sorted(name for name in facts if name not in needed)
    otherwise = [f"    {line}" for line in fail]
    checks: list[str] = []
    for name, var in sorted(needed.items()):
        checks += [f"if not ({accept_test(facts[name], var, ns.bind)}):", *otherwise]
    if optional:
        checks.append(f"n0 = {len(facts)}")
    for name in optional:
        checks += _optional(ns, name, facts[name], gen.fact_local(name), otherwise)
    count = "n0" if optional else str(len(facts))
    checks += [f"if _len(r) != {count}:", *otherwise, "try:"]
    if any(_ASOF.search(line) for line in [*prelude, result]):
        checks.append(f"    asof = {date}")
    checks += [f"    {line}" for line in prelude]
    done = [f"    p0 = {result}", "except _Und:", "    pass", "else:", "    yield p0",
            "    continue"] if many else [f"    return {result}", "except _Und:", "    pass"]
    # The reference path is called after the handlers, not in them: an error it raises (a
    # FactsError, a division by zero) then has no KeyError or Undecided as its context.
    reads = [f"    {var} = r[{ns.literal(name)}]" for name, var in sorted(needed.items())]
    return ["if _ty(r) is not _dict:", *otherwise, "try:", *(reads or ["    pass"]),
            "except _KE:", "    pass", "else:", *(f"    {line}" for line in checks + done),
            *fail]


def _shape(body: list[str], front: Front | None, many: bool) -> str:
    """The function around the body: of one record, a method's stand-in, or a generator."""
    if many:
        head, indent = ["def _checked(records, s=_slw):", "    for r in records:"], "        "
    elif front is not None:
        head, indent = front.header(), "    "
    else:
        head, indent = ["def _checked(r, s=_slw):"], "    "
    return "\n".join(head + [indent + line for line in body])


def _compile(ns: Namespace, source: str) -> Checked:
    fn: Checked = _exec(source, ns.values, _PARAMS)["_checked"]
    return fn


def stand_in(fn: Checked, method: Callable[..., Any]) -> Checked:
    """A generated `Front` entry under the name, documentation and signature (without `self`)
    of the method it stands in for: what `help`, `inspect` and tracebacks show."""
    fn.__name__, fn.__qualname__, fn.__doc__ = method.__name__, method.__qualname__, method.__doc__
    signature = inspect.signature(method)
    fn.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=list(signature.parameters.values())[1:])
    return fn


def _optional(ns: Namespace, name: str, t: Type, var: str, otherwise: list[str]) -> list[str]:
    """Read and test a fact the code does not read: it may be missing."""
    return [f"{var} = r.get({ns.literal(name)}, _MISS)", f"if {var} is _MISS:",
            "    n0 -= 1", f"elif not ({accept_test(t, var, ns.bind)}):", *otherwise]
