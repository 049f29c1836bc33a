"""A one-pass plan (kprules.sql.fast.Plan) as JSON text, and back.

Stage: Plan <-> bytes. Pure. Reading is strict: anything but a plan this module wrote (another
shape, an unknown type, a field missing or of the wrong kind) gives None, never an exception,
so that a stale or damaged copy is only a plan not found.
"""

from __future__ import annotations

import json
from typing import Any

from kprules.ir.types import BUILTIN_TYPES, EnumType, Prim, Quantity, SetType, Type
from kprules.sql.fast import Plan

FORMAT = "kprules-plan-1"
_TEXTS = ("sql", "slot", "select", "data_fmt", "out_fmt")


def encode(plan: Plan) -> bytes:
    """The plan as JSON text (UTF-8)."""
    return json.dumps(to_doc(plan), ensure_ascii=False, sort_keys=True).encode("utf-8")


def decode(data: bytes) -> Plan | None:
    """The plan `encode` wrote, or None for anything else."""
    try:
        return from_doc(json.loads(data.decode("utf-8")))
    except ValueError:
        return None


def to_doc(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON document."""
    return {"format": FORMAT, "facts": {n: _type(t) for n, t in plan.facts.items()},
            "divides": plan.divides, **{k: getattr(plan, k) for k in _TEXTS}}


def from_doc(doc: Any) -> Plan | None:
    """The plan of a document `to_doc` made, or None for anything else."""
    try:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            return None
        texts = [doc[k] for k in _TEXTS]
        facts = {n: _from(t) for n, t in doc["facts"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not all(isinstance(t, str) for t in [*texts, *facts]) or type(doc["divides"]) is not bool:
        return None
    sql, slot, select, data_fmt, out_fmt = texts
    return Plan(facts, sql, slot, doc["divides"], select, data_fmt, out_fmt)


def _type(t: Type) -> Any:
    if isinstance(t, Prim):
        return t.name
    if isinstance(t, Quantity):
        return {"unit": t.unit}
    if isinstance(t, EnumType):
        return {"enum": t.name, "values": list(t.values)}
    if isinstance(t, SetType):
        return {"set": _type(t.element)}
    raise ValueError(f"a fact of type {t} has no plan")


def _from(doc: Any) -> Type:
    """The type `_type` wrote; ValueError for anything else."""
    if isinstance(doc, str) and isinstance(BUILTIN_TYPES.get(doc), Prim):
        return BUILTIN_TYPES[doc]
    if isinstance(doc, dict) and set(doc) == {"unit"} and isinstance(doc["unit"], str):
        return Quantity(doc["unit"])
    if isinstance(doc, dict) and set(doc) == {"enum", "values"}:
        values = doc["values"]
        if isinstance(doc["enum"], str) and isinstance(values, list) and all(
                isinstance(v, str) for v in values):
            return EnumType(doc["enum"], tuple(values))
    if isinstance(doc, dict) and set(doc) == {"set"}:
        return SetType(_from(doc["set"]))
    raise ValueError("not a type of a plan")
