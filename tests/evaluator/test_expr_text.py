"""Explanations write expressions as `kprules fmt` does: `not` keeps parentheses around anything
but a single name or literal."""

from __future__ import annotations

import kprules
from kprules import ir
from kprules.core.source import Source
from kprules.explain.tree import expr_text
from kprules.syntax import nodes as n
from kprules.syntax.parse import parse
from kprules.syntax.pretty_expr import expr_text as fmt_text

VOCABULARY = "facts v\nenum c {a b}\nfact x: c\nfact y: bool\nfact z: bool\n"


def body(expression: str) -> ir.Expr:
    lib = kprules.loads(VOCABULARY, f"policy p\n  reads v\ndefine t = {expression}\n")
    term = lib["p"].checked.terms["t"]
    assert isinstance(term, ir.Definition)
    return term.body


def written(expression: str) -> str:
    module = parse(Source("p", f"policy p\n  reads v\ndefine t = {expression}\n"))
    assert isinstance(module, n.PolicyModule)
    item = module.items[0]
    assert isinstance(item, n.Define)
    return fmt_text(item.body)


def test_not_is_written_as_fmt_writes_it() -> None:
    for text, expected in [("not y", "not y"),
                           ("not (x in {a})", "not (x in {a})"),
                           ("not (y and z)", "not (y and z)"),
                           ("not (not y)", "not (not y)"),
                           ("not y and not (x = a)", "not y and not (x = a)")]:
        assert expr_text(body(text)) == expected
        assert written(text) == expected


def test_explanations_fit_100_columns() -> None:
    """Long clauses and values (sets) are wrapped at spaces, continued deeper."""
    from pathlib import Path

    from kprules.cases.files import read_suite

    root = Path(__file__).resolve().parent.parent.parent
    library = kprules.load(root / "policies")
    suite = read_suite([root / "policies" / "cases" / "ru-alrosa.toml"], library)
    case = next(c for c in suite.cases if c.id == "ru-alrosa-2023")
    text = library["state_actors"].explain(case.facts, terms=["conflict_diamond"]).text()
    assert "state_actors = {government_ally_state" in text
    assert max(len(line) for line in text.splitlines()) <= 100
