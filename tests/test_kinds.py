"""Kinds are Literal types (mypy --strict checks every comparison with them); the values the
parser and the checker produce are members of those types."""

from __future__ import annotations

from typing import get_args

import pytest

import kprules
from kprules import ir
from kprules.core.source import Source
from kprules.ir.types import ARITH_OPS, COMPARE_OPS, arith_op, compare_op
from kprules.syntax import nodes as n
from kprules.syntax.parse import parse

VOCABULARY = "facts v\nfact a: integer\nfact b: integer\n"


def _definition(body: str) -> n.Define:
    module = parse(Source("p.kpr", f"policy p\n  reads v\ndefine t = {body}\n"))
    assert isinstance(module, n.PolicyModule)
    [term] = module.items
    assert isinstance(term, n.Define)
    return term


@pytest.mark.parametrize("op", COMPARE_OPS)
def test_every_comparison_operator_parses_to_its_kind(op: str) -> None:
    term = _definition(f"a {op} b")
    assert isinstance(term.body, n.Compare)
    assert term.body.op == op


@pytest.mark.parametrize("op", ARITH_OPS)
def test_every_arithmetic_operator_parses_to_its_kind(op: str) -> None:
    term = _definition(f"a {op} b")
    assert isinstance(term.body, n.Arith)
    assert term.body.op == op


def test_an_operator_outside_the_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="not a comparison operator"):
        compare_op("=>")
    with pytest.raises(ValueError, match="not an arithmetic operator"):
        arith_op("%")


@pytest.mark.parametrize(("header", "status"), [
    ("  status repealed\n", "repealed"), ("", "current"), ("  status bogus\n", None)])
def test_a_policy_status_is_one_of_the_kind(header: str, status: str | None) -> None:
    text = f"policy p\n  reads v\n{header}define t = a < b\n"
    if status is None:
        with pytest.raises(kprules.PolicyError) as err:
            kprules.loads(VOCABULARY, text)
        assert [d.code for d in err.value.diagnostics] == ["KP214"]
        return
    policy = kprules.loads(VOCABULARY, text)["p"]
    assert policy.status == status
    assert status in get_args(ir.PolicyStatus)
