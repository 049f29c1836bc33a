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

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from kprules import ir
from kprules.eval.codegen import verify_source
from kprules.eval.gen_accept import (
    BOUND,
    HELPERS,
    MISS,
    accept_test,
    allowed_strings,
    finite_decimal,
    float_decimal,
)
from kprules.ir.types import (
    BOOL,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    Quantity,
    SetType,
    Type,
)
from kprules.ir.values import FactError, coerce

_MISS: Any = MISS
_BOUND = BOUND
_fl = float_decimal
_fin = finite_decimal
_allowed = allowed_strings
Validate = Callable[[Mapping[str, Any]], dict[str, Any]]


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
        self.values: dict[str, Any] = dict(HELPERS)
        self.lines: list[str] = []

    def bind(self, value: Any) -> str:
        name = f"_k{len(self.values)}"
        self.values[name] = value
        return name

    def add(self, level: int, text: str) -> None:
        self.lines.append("    " * level + text)


def _typed_test(src: _Source, t: Type) -> tuple[str, str] | None:
    """(test on `v0`, value when it holds) for typed input, or None: a helper reads it."""
    allowed = _allowed(t)
    if t == BOOL:
        return "v0 is True or v0 is False", "v0"
    if t == INTEGER:
        return "_ty(v0) is _int and _NB < v0 < _B", "v0"
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
    src.values.update(_known=frozenset(names), _keys=_keys_within)
    src.add(0, "def _accepts(r):")
    src.add(1, "if not _keys(r, _known):")
    src.add(2, "return False")
    for name in names:
        test = accept_test(vocabulary.facts[name].type, "v0", src.bind)
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


def _keys_within(r: Mapping[str, Any], known: frozenset[str]) -> bool:
    """Whether a mapping's keys are all facts; False for what is not a mapping (the slow path
    refuses it)."""
    return (type(r) is dict or isinstance(r, Mapping)) and r.keys() <= known


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
