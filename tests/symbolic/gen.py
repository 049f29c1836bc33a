"""Generated policy pairs for the symbolic difference: a small vocabulary with a fact of every
kind (booleans, an enum, a set, a quantity, an integer, a country, a date that dates the case),
and two policies over it, each with a definition, a dated parameter and a decision with a dated
rule and an exception; the second sometimes amends the first (`base.t`)."""

from __future__ import annotations

from hypothesis import strategies as st

VOCAB = """facts gen
  dated by day

enum kind { k0, k1, k2 }
enum act { a0, a1, a2, a3 }

fact b0: bool
fact b1: bool
fact b2: bool
fact e: kind
fact s: set of act
fact w: carats
fact n: integer
fact c: country
fact day: date
"""

KINDS = ("k0", "k1", "k2")
ACTS = ("a0", "a1", "a2", "a3")
DATES = ("2020-01-01", "2024-03-01")


@st.composite
def atoms(draw: st.DrawFn) -> str:
    which = draw(st.integers(0, 11))
    if which <= 2:
        return f"b{which}"
    if which == 3:
        values = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=2, unique=True))
        return f"e in {{{', '.join(values)}}}" if len(values) > 1 else f"e = {values[0]}"
    if which == 4:
        return f"{draw(st.sampled_from(ACTS))} {draw(st.sampled_from(['in', 'not in']))} s"
    if which == 5:
        op = draw(st.sampled_from([">=", "<", ">", "<=", "="]))
        return f"w {op} {draw(st.sampled_from(['0.5', '1.0', '2']))} ct"
    if which == 6:
        return f"n {draw(st.sampled_from(['>', '<=', '!=']))} {draw(st.sampled_from(['0', '3']))}"
    if which == 7:
        return f"c {draw(st.sampled_from(['=', '!=']))} {draw(st.sampled_from(['RU', 'BE']))}"
    if which == 8:
        return f"day >= {draw(st.sampled_from(DATES))}"
    if which == 9:
        return "w >= limit"
    if which == 10:
        return "w in 0.5 ct .. 2 ct"
    return "(if b0 then w >= 1.0 ct else e = k1)"


def exprs(depth: int = 2) -> st.SearchStrategy[str]:
    if depth == 0:
        return atoms()
    sub = exprs(depth - 1)
    return st.one_of(
        atoms(),
        sub.map(lambda x: f"not ({x})"),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: " and ".join(f"({x})" for x in xs)),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: " or ".join(f"({x})" for x in xs)),
    )


PARAMETER = """parameter limit: carats
  from 2020-01-01 = 1.0 ct
  from 2024-03-01 = 0.5 ct
"""


@st.composite
def decisions(draw: st.DrawFn) -> str:
    dated = draw(st.sampled_from(["", " from 2020-01-01", " from 2020-01-01 until 2024-03-01"]))
    lines = ["decision d: {x, y, z}", "  default x", f"  y when {draw(exprs(1))}{dated}"]
    if draw(st.booleans()):
        lines.append(f"    except z when {draw(exprs(1))}")
    lines.append(f"  z when t or {draw(atoms())}")
    return "\n".join(lines) + "\n"


@st.composite
def policy(draw: st.DrawFn, name: str) -> str:
    in_force = draw(st.sampled_from(["", "  in force from 2019-01-01\n"]))
    return (f"policy {name}\n  reads gen\n{in_force}\n{PARAMETER}\n"
            f"define t = {draw(exprs())}\n\n{draw(decisions())}")


@st.composite
def amendment(draw: st.DrawFn, name: str, base: str) -> str:
    op = draw(st.sampled_from(["or", "and"]))
    return (f"policy {name}\n  amends {base}\n\n"
            f"redefine t = base.t {op} ({draw(exprs(1))})\n")


@st.composite
def pairs(draw: st.DrawFn) -> tuple[str, str]:
    first = draw(policy("p1"))
    second = draw(st.one_of(policy("p2"), amendment("p2", "p1")))
    return first, second
