"""Shared by the case-file tests: the fixture policies, loaded once, and small helpers."""

from __future__ import annotations

import functools
from pathlib import Path

import kprules
from kprules.cases.model import Suite
from kprules.core.render import render_all

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
SHIPMENT = FIXTURES / "shipment"
LEDGER = FIXTURES / "ledger"
GOLDEN = HERE.parent / "golden" / "cases"


@functools.cache
def shipment() -> kprules.Library:
    """The `shipment` vocabulary with the policies `kpcs` and `proposal`."""
    return kprules.load(SHIPMENT, seeds=FIXTURES / "seeds")


@functools.cache
def both() -> kprules.Library:
    """The shipment policies and the `ledger` vocabulary with its policy `ledger_rules`."""
    return kprules.load(SHIPMENT, LEDGER, seeds=FIXTURES / "seeds")


def rendered(suite: Suite) -> str:
    return render_all(suite.diagnostics, suite.sources, "text")
