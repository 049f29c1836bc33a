"""One `__repr__` for kprules' attrs classes (frozen and mutable), instead of one generated
per class.

attrs writes each class's methods as Python source and compiles it when the class is made. The
generated `__repr__` is about a third of that work (0.3 ms a class), and kprules makes over a
hundred such classes before it reads a policy: on a short `kprules eval` that is a tenth of the
start. A class declared `@frozen(repr=False)` (or `@define(repr=False)`) that derives from
`SharedRepr` gets the same text attrs would write, `Name(field=value, ...)` over the fields
declared with `repr=True`, from this one function.
"""

from __future__ import annotations

from typing import Any

import attrs


def attrs_repr(obj: Any) -> str:
    """`Name(field=value, ...)` for an attrs instance, as attrs' own generated `__repr__`."""
    parts = []
    for field in attrs.fields(type(obj)):
        if field.repr is False:
            continue
        value = getattr(obj, field.name)
        text = field.repr(value) if callable(field.repr) else repr(value)
        parts.append(f"{field.name}={text}")
    name = type(obj).__qualname__.rsplit(">.", 1)[-1]
    return f"{name}({', '.join(parts)})"


class SharedRepr:
    """Base of an attrs class declared with `repr=False`: the repr attrs would generate, not
    compiled per class (slots-compatible: it adds no instance state)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return attrs_repr(self)
