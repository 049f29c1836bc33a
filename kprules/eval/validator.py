"""The compiled validator: `validate` for one vocabulary, generated as straight-line Python.

Stage: vocabulary -> a function from raw facts to typed facts. One function per vocabulary and
kind of input (typed values: Python, JSON, Parquet; or text: CSV), built once by its owner (an
`Evaluator`, a data file reader) and shared by every path that validates through it.

What it does: for each fact of the vocabulary, one inlined test of the common, unambiguous
forms of its type (a bool, an int, a finite Decimal or float for a decimal, a date, a string
among the enum's values or the country codes, a string for text, a list of allowed strings for a
set; in text: `true`/`false` and the exact strings), giving exactly the value
`kprules.ir.values.coerce` gives. Anything else (an unknown field, another form, a bad value)
hands the whole record to `slow`, the reference `validate`, which gives the value or raises
`FactsError` with every problem: so results and errors are `validate`'s, only faster.

Safety, as the evaluator's code generator (kprules.eval.codegen): fact names are identifiers
(written with repr()); every other constant is bound in the namespace under a generated name;
the source is checked by `verify_source` and runs with empty builtins.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from kprules import ir
from kprules.core.countries import ISO_3166_ALPHA2
from kprules.core.limits import MAX_NUMBER_DIGITS
from kprules.eval.codegen import verify_source
from kprules.ir.types import (
    BOOL,
    COUNTRY,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    EnumType,
    Quantity,
    SetType,
    Type,
)
from kprules.ir.values import FactError, coerce, fold_space

_MISS: Any = object()
Validate = Callable[[Mapping[str, Any]], dict[str, Any]]


_BOUND = 10 ** MAX_NUMBER_DIGITS  # numbers at or beyond it: `coerce` reports them (KP490)


def _fl(v: float) -> Any:
    """A float for a decimal fact: its shortest decimal, or _MISS when it is not finite or has
    more digits than the limit (then `coerce` reports it)."""
    if not math.isfinite(v):
        return _MISS
    d = Decimal(repr(v))
    return d if _fin(d) else _MISS


def _fin(v: Decimal) -> bool:
    """Finite, and of at most MAX_NUMBER_DIGITS digits on each side of the point."""
    exponent = v.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -MAX_NUMBER_DIGITS and -_BOUND < v < _BOUND


def _set_of(allowed: frozenset[str]) -> Callable[[Any], Any]:
    def read(v: Any) -> Any:
        if type(v) in (list, tuple, set, frozenset) and all(
                type(x) is str and x in allowed for x in v):
            return frozenset(v)
        return _MISS
    return read


def _text_set_of(allowed: frozenset[str]) -> Callable[[Any], Any]:
    def read(v: Any) -> Any:
        items = [x.strip() for x in v.split(";") if x.strip()]
        return frozenset(items) if all(x in allowed for x in items) else _MISS
    return read


class _Source:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {"_MISS": _MISS, "_ty": type, "_Dec": Decimal,
                                       "_date": dt.date, "_fl": _fl, "_fin": _fin, "_str": str,
                                       "_int": int, "_float": float, "_B": _BOUND,
                                       "_fold": fold_space}
        self.lines: list[str] = []

    def bind(self, value: Any) -> str:
        name = f"_k{len(self.values)}"
        self.values[name] = value
        return name

    def add(self, level: int, text: str) -> None:
        self.lines.append("    " * level + text)


def _allowed(t: Type) -> frozenset[str] | None:
    if isinstance(t, EnumType):
        return frozenset(t.values)
    if t == COUNTRY:
        return ISO_3166_ALPHA2
    return None


def _typed_test(src: _Source, t: Type) -> tuple[str, str] | None:
    """(test on `v0`, value when it holds) for typed input, or None: a helper reads it."""
    allowed = _allowed(t)
    if t == BOOL:
        return "v0 is True or v0 is False", "v0"
    if t == INTEGER:
        return "_ty(v0) is _int and -_B < v0 < _B", "v0"
    if allowed is not None:
        return f"_ty(v0) is _str and v0 in {src.bind(allowed)}", "v0"
    if t == TEXT:
        return "_ty(v0) is _str", "_fold(v0)"
    if t == DATE:
        return "_ty(v0) is _date", "v0"
    return None


def _typed_helper(t: Type) -> Callable[[Any], Any]:
    """A reader giving coerce's value, or _MISS (decimals, quantities, sets)."""
    if isinstance(t, SetType):
        return _set_of(_allowed(t.element) or frozenset())

    def number(v: Any) -> Any:
        kind = type(v)
        if (kind is int and -_BOUND < v < _BOUND) or (kind is Decimal and _fin(v)):
            return v
        return _fl(v) if kind is float else _MISS
    assert t == DECIMAL or isinstance(t, Quantity)
    return number


def _text_test(src: _Source, t: Type) -> tuple[str, str] | None:
    allowed = _allowed(t)
    if t == BOOL:
        words = src.bind({"true": True, "false": False})
        return f"v0 in {words}", f"{words}[v0]"
    if allowed is not None:
        return f"v0 in {src.bind(allowed)}", "v0"
    if t == TEXT:
        return "True", "_fold(v0)"
    return None


def _text_helper(t: Type) -> Callable[[Any], Any]:
    """Sets by their allowed strings; numbers and dates as `coerce` reads their text."""
    if isinstance(t, SetType):
        return _text_set_of(_allowed(t.element) or frozenset())

    def read(v: Any) -> Any:
        try:
            return coerce(v, t, from_text=True)
        except FactError:
            return _MISS
    return read


def compile_validator(vocabulary: ir.Vocabulary, slow: Validate, *,
                      from_text: bool = False) -> Validate:
    """The generated validator of `vocabulary`; `slow` is `validate` (for this vocabulary and
    kind of input), which decides every record the generated code does not."""
    src = _Source()
    names = sorted(vocabulary.facts)
    src.values["_slow"] = slow
    src.values["_known"] = frozenset(names)
    src.values["_keys"] = _keys_within
    src.add(0, "def _validate(r):")
    src.add(1, "if not _keys(r, _known):")
    src.add(2, "return _slow(r)")
    src.add(1, "t0 = {}")
    for name in names:
        _fact(src, name, vocabulary.facts[name].type, from_text)
    src.add(1, "return t0")
    source = "\n".join(src.lines)
    verify_source(source, src.values)
    namespace = dict(src.values)
    namespace["__builtins__"] = {}
    exec(compile(source, "<kprules validator>", "exec"), namespace)
    fn: Validate = namespace["_validate"]
    return fn


def compile_acceptor(vocabulary: ir.Vocabulary) -> Callable[[Mapping[str, Any]], bool]:
    """A generated test: whether typed input can go to the compiled evaluator as it is (every
    field a fact, every value present of its type's canonical form: a float, int or finite
    Decimal for a decimal, a frozenset for a set; no None). When it holds, `validate` would
    give the same facts (floats read as their shortest decimal, as the compiled code reads
    them), so the validating entry points skip building them."""
    src = _Source()
    names = sorted(vocabulary.facts)
    src.values.update(_known=frozenset(names), _keys=_keys_within, _isfin=math.isfinite,
                      _fs=frozenset)
    src.add(0, "def _accepts(r):")
    src.add(1, "if not _keys(r, _known):")
    src.add(2, "return False")
    for name in names:
        test = _canonical(src, vocabulary.facts[name].type)
        src.add(1, f"v0 = r.get({name!r}, _MISS)")
        src.add(1, f"if v0 is not _MISS and not ({test}):")
        src.add(2, "return False")
    src.add(1, "return True")
    source = "\n".join(src.lines)
    verify_source(source, src.values)
    namespace = dict(src.values)
    namespace["__builtins__"] = {}
    exec(compile(source, "<kprules acceptor>", "exec"), namespace)
    fn: Callable[[Mapping[str, Any]], bool] = namespace["_accepts"]
    return fn


def _canonical(src: _Source, t: Type) -> str:
    if t == DECIMAL or isinstance(t, Quantity):
        return ("(_ty(v0) is _int and -_B < v0 < _B) or (_ty(v0) is _float and _fl(v0) is not "
                "_MISS) or (_ty(v0) is _Dec and _fin(v0))")
    if t == TEXT:  # accepted as given only when already folded, as `validate` would give it
        return "_ty(v0) is _str and _fold(v0) == v0"
    if isinstance(t, SetType):
        return f"_ty(v0) is _fs and v0 <= {src.bind(_allowed(t.element) or frozenset())}"
    test = _typed_test(src, t)
    assert test is not None
    return test[0]


def _keys_within(r: Mapping[str, Any], known: frozenset[str]) -> bool:
    return r.keys() <= known


def _fact(src: _Source, name: str, t: Type, from_text: bool) -> None:
    key = repr(name)
    src.add(1, f"v0 = r.get({key})")
    empty = src.bind("")
    src.add(1, f"if v0 is not None and v0 != {empty}:" if from_text else "if v0 is not None:")
    test = _text_test(src, t) if from_text else _typed_test(src, t)
    if test is not None:
        src.add(2, f"if {test[0]}:")
        src.add(3, f"t0[{key}] = {test[1]}")
        src.add(2, "else:")
        src.add(3, "return _slow(r)")
        return
    helper = _text_helper(t) if from_text else _typed_helper(t)
    src.add(2, f"x0 = {src.bind(helper)}(v0)")
    src.add(2, "if x0 is _MISS:")
    src.add(3, "return _slow(r)")
    src.add(2, f"t0[{key}] = x0")
