"""Long chains of definitions: past the limit a located KP116, under it every stage works.

The evaluator, explanations and the reference interpreter walk terms recursively; the checker
bounds the nesting of a term counting the terms it uses (checker.structure.MAX_TERM_DEPTH), so
that no later stage can run out of Python's stack.
"""

from __future__ import annotations

import kprules
from kprules.checker import check
from kprules.checker.structure import MAX_TERM_DEPTH
from kprules.eval.interpret import interpret
from kprules.syntax.loader import load_texts

VOCAB = "facts v\nfact rough: bool\nfact weight: carats\n"


def chain(n: int) -> str:
    lines = ["policy c", "  reads v"]
    lines += [f"define x{i} = not x{i + 1}" for i in range(n)]
    lines.append(f"define x{n} = rough and weight >= 0.5 ct")
    return "\n".join(lines) + "\n"


def test_a_chain_past_the_limit_is_one_located_error() -> None:
    ws = load_texts([("v.kpr", VOCAB), ("c.kpr", chain(400))])
    result = check(ws)
    errors = [d for d in result.diagnostics if d.is_error]
    assert len(errors) == 1
    (error,) = errors
    assert error.code == "KP116"
    assert error.message == (f"`x326` nests 151 levels deep, counting the definitions it uses; "
                             f"the limit is {MAX_TERM_DEPTH}")
    assert ws.sources["c.kpr"].snippet(error.span).startswith("define x326")


def test_a_chain_under_the_limit_runs_through_every_stage() -> None:
    n = (MAX_TERM_DEPTH - 3) // 2
    lib = kprules.loads(VOCAB, chain(n))
    policy = lib["c"]
    facts = {"rough": True, "weight": "0.6 ct"}
    expected = n % 2 == 0  # x_n is true; each `not` flips it
    assert policy.evaluate(facts, terms=["x0"])["x0"] is expected
    explained = policy.evaluate(facts, terms=["x0"], explain=True).explanation
    assert explained is not None and f"c.x{n} = true" in explained.text()
    fast = policy.function(["x0"], validate_input=False)
    assert fast(policy.validate(facts)) == (expected,)
    assert fast({"rough": True}) == (kprules.UNKNOWN,)
    values, _ = interpret(lib.evaluator([("c", "x0")]).layout, policy.validate(facts), None)
    assert values == {("c", "x0"): expected}
