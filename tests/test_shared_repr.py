"""kprules' frozen attrs classes share one `__repr__` (kprules.core.shared_repr) instead of
compiling one each at import: the same text as attrs' own, and no class left compiling its own."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

import kprules
from kprules.core.shared_repr import SharedRepr


@attrs.frozen
class Generated:
    number: int
    text: str
    hidden: str = attrs.field(default="h", repr=False)
    shown: str = attrs.field(default="s", repr=lambda value: f"<{value}>")
    nested: Any = None


@attrs.frozen(repr=False)
class Shared(SharedRepr):
    number: int
    text: str
    hidden: str = attrs.field(default="h", repr=False)
    shown: str = attrs.field(default="s", repr=lambda value: f"<{value}>")
    nested: Any = None


def _as_generated(text: str) -> str:
    return text.replace("Shared(", "Generated(")


values = st.recursive(st.none() | st.integers() | st.text() | st.decimals(allow_nan=False),
                      lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner),
                      max_leaves=6)


@given(st.integers(), st.text(), st.text(), st.text(), values)
def test_the_shared_repr_is_the_text_attrs_generates(number: int, text: str, hidden: str,
                                                     shown: str, nested: Any) -> None:
    args = (number, text, hidden, shown)
    inner_generated = Generated(*args, nested=nested)
    inner_shared = Shared(*args, nested=nested)
    assert _as_generated(repr(Shared(*args, nested=inner_shared))) == \
        repr(Generated(*args, nested=inner_generated))


def test_a_class_made_in_a_function_is_named_as_attrs_names_it() -> None:
    @attrs.frozen(repr=False)
    class Local(SharedRepr):
        value: int

    @attrs.frozen
    class Twin:
        value: int

    assert repr(Local(3)) == "Local(value=3)" == repr(Twin(3)).replace("Twin", "Local")


def _kprules_classes() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(kprules.__path__, "kprules."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        found += [c for _, c in inspect.getmembers(module, inspect.isclass)
                  if c.__module__ == info.name and attrs.has(c)]
    return found


def test_no_kprules_class_compiles_its_own_repr() -> None:
    classes = _kprules_classes()
    assert len(classes) > 150  # the walk found the package's classes
    own = [f"{c.__module__}.{c.__qualname__}" for c in classes
           if c.__repr__.__code__.co_filename.startswith("<attrs generated")]
    assert own == [], "declare these `@frozen(repr=False)`, deriving from SharedRepr"
