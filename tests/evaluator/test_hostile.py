"""Hostile input for the code generator: nothing a policy says ever becomes Python code.

Identifiers, enum values, strings, citations and quotations that look like Python (keywords,
builtins, the generator's own names, quotes, backslashes, triple quotes, `#`, look-alike letters)
must evaluate as the data they are. The generated source is checked by `codegen.verify_source`
(which must refuse foreign names, attribute reads, imports and unsafe strings) and runs with empty
builtins.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import string
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kprules
from kprules.eval.codegen import Compiled, verify_source
from kprules.eval.interpret import interpret
from kprules.ir.values import UNKNOWN

VOCABULARY = r'''facts os "a \"vocabulary\" with a \\ backslash, \"\"\" quotes # and no comment"
  dated by __class__

enum lambda "kinds of things" {
  __import__ "a value named like the import builtin"
  exec
  True
  None
  import
  _div
  _NE
  __builtins__
}

fact __class__: date
fact yield: bool
fact r: text
fact s: lambda
fact asof: set of lambda
fact _fs: carats
fact print: integer
'''

POLICY = r'''policy eval "x\"); import os; os.system(\"rm -rf /\") #"
  status current
  reads os

define __init__ "a term named __init__"
  cite os_module "x'); __import__('os') #" "quoted \"\"\" text with 'quotes', \\ and # and a
    newline"
  = r = "__import__('os').system('ls')" or r = "a\\b\"c'd" or r = "line one
       line two" or r = "CYRILLIC_A" or r = "\"\"\""

define _k0 = if yield then "x'y\"z" else r

define globals = s in {__import__, True, None} and not (s = _div) and True in asof

decision _run: lambda
  default None
  __import__ when yield and s = exec
    except True when _fs >= 0.5 ct from 2020-01-01
  import when print > 3

define v1 = _fs * print / 2
'''.replace("CYRILLIC_A", "\u0430")  # a look-alike of the Latin `a`

TERMS = ("__init__", "_k0", "_run", "globals", "v1")
# What each fact set gives, term by term (the values a drafter would work out by hand).
CASES: list[tuple[dict[str, Any], tuple[Any, ...]]] = [
    ({"r": "__import__('os').system('ls')", "s": "exec", "yield": True, "_fs": Decimal("0.5"),
      "__class__": dt.date(2021, 1, 1), "print": 4, "asof": frozenset({"True"})},
     (True, "x'y\"z", "True", False, Decimal("1.0"))),
    ({"r": "a\\b\"c'd", "s": "None", "yield": False, "print": 2, "asof": frozenset()},
     (True, "a\\b\"c'd", "None", False, UNKNOWN)),
    ({"r": "line one line two", "s": "True", "asof": frozenset({"True", "_NE"})},
     (True, UNKNOWN, UNKNOWN, True, UNKNOWN)),
    ({"r": "\u0430", "s": "exec", "yield": True, "_fs": Decimal("0.4"),
      "__class__": dt.date(2019, 12, 31)},
     (True, "x'y\"z", "__import__", False, UNKNOWN)),
    ({"r": "a", "s": "_div", "yield": True, "_fs": 1, "print": 3},  # the Latin `a`, not U+0430
     (False, "x'y\"z", "None", False, Decimal("1.5"))),
    ({"r": '"""', "s": "__builtins__", "yield": False, "print": 5, "asof": frozenset()},
     (True, '"""', "import", False, UNKNOWN)),
]

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "explain"
HOSTILE_TEXT = ("__import__('os')", "os.system", "rm -rf", "a\\b", "x'y", '"""', "#", "\u0430",
                "quoted", "os_module")


@pytest.fixture(scope="module")
def library() -> kprules.Library:
    return kprules.loads(VOCABULARY, POLICY)


def run_all(lib: kprules.Library, facts: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    policy = lib["eval"]
    ev = lib.evaluator([("eval", t) for t in TERMS])
    values, _ = interpret(ev.layout, facts, facts.get("__class__"))
    floats = {k: float(v) if isinstance(v, Decimal) else v for k, v in facts.items()}
    return {
        "interpreter": tuple(UNKNOWN if values[("eval", t)] is None else values[("eval", t)]
                             for t in TERMS),
        "evaluate": tuple(policy.evaluate(facts).values[t] for t in TERMS),
        "fast": policy.function(TERMS, validate_input=False)(facts),
        "fast, floats": policy.function(TERMS, validate_input=False)(floats),
        "validating": policy.function(TERMS)(facts),
        "explained": ev.function(validate_input=False, explain=True)(facts).values,
    }


@pytest.mark.parametrize(("facts", "want"), CASES)
def test_hostile_names_and_strings_evaluate_as_data(library: kprules.Library,
                                                     facts: dict[str, Any],
                                                     want: tuple[Any, ...]) -> None:
    assert run_all(library, facts) == dict.fromkeys(
        ("interpreter", "evaluate", "fast", "fast, floats", "validating", "explained"), want)


def test_no_policy_text_reaches_the_generated_source(library: kprules.Library) -> None:
    layout = library.evaluator([("eval", t) for t in TERMS]).layout
    compiled = Compiled(layout, fallback=lambda r: (), as_of_fact="__class__", explained=tuple)
    tree = ast.parse(compiled.source)
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
               and isinstance(n.value, str)}
    # Only identifiers are written as strings (fact names and enum values); the rest is bound.
    assert strings == {"r", "s", "yield", "_fs", "print", "asof", "__class__", "exec", "True",
                       "None", "import", "__import__", "_div"}
    for text in HOSTILE_TEXT:
        assert text not in compiled.source


def test_generated_code_runs_without_builtins(library: kprules.Library) -> None:
    ev = library.evaluator([("eval", t) for t in TERMS])
    compiled = Compiled(ev.layout, fallback=lambda r: (), explained=tuple)
    for fn in (compiled.strict, compiled.fast, compiled.traced, compiled.explain):
        assert fn.__globals__["__builtins__"] == {}
        assert not [k for k in fn.__globals__ if not k.startswith(("_", "__builtins__"))]


def test_explanations_show_hostile_text_as_text(library: kprules.Library, golden: Any) -> None:
    facts, _ = CASES[0]
    ex = library["eval"].explain(facts, terms=["__init__", "_k0"])
    golden(GOLDEN / "hostile.txt", ex.text())
    golden(GOLDEN / "hostile.json", json.dumps(ex.to_json(), indent=2, ensure_ascii=False) + "\n")


@pytest.mark.parametrize("vocabulary", [
    "facts v\nfact r\u043eugh: bool\n",          # a Cyrillic o in a fact name
    "facts v\nenum k { \u0430 b }\nfact x: k\n",  # a Cyrillic a as an enum value
    "facts v\nfact \u0435xec: bool\n",            # `exec` with a Cyrillic e
])
def test_look_alike_letters_cannot_make_names(vocabulary: str) -> None:
    """Names are ASCII: a look-alike letter is refused where it stands, before any code."""
    with pytest.raises(kprules.PolicyError) as err:
        kprules.loads(vocabulary)
    [diagnostic] = err.value.diagnostics
    assert diagnostic.code == "KP110"
    assert diagnostic.message.startswith("unexpected character `")


# ----------------------------------------------------------------------------- verify_source

NAMESPACE = {"_k0": Decimal("0.5"), "_fs": frozenset}
GOOD = "def _strict(r, asof):\n    t0 = (r['weight'] >= _k0) and _fs(())\n    return (t0,)"


def test_verify_source_accepts_what_the_generator_writes() -> None:
    verify_source(GOOD, NAMESPACE)


@pytest.mark.parametrize(("source", "message"), [
    ("def _strict(r, asof):\n    return (open('x'),)",
     "kprules bug: generated code names 'open'"),
    ("def _strict(r, asof):\n    return (__import__,)",
     "kprules bug: generated code names '__import__'"),
    ("def _strict(r, asof):\n    return (r.__class__,)",
     "kprules bug: generated code reads .__class__"),
    ("def _strict(r, asof):\n    return (_k0.as_integer_ratio(),)",
     "kprules bug: generated code reads .as_integer_ratio"),
    ("import os\ndef _strict(r, asof):\n    return ()",
     "kprules bug: unexpected construct in generated code"),
    ("from os import path\ndef _strict(r, asof):\n    return ()",
     "kprules bug: unexpected construct in generated code"),
    ("def _strict(r, asof):\n    return (r.get('__import__(\"os\")'),)",
     "kprules bug: an unsafe string in generated code"),
    ("def _strict(r, asof):\n    return (r.get('a b'),)",
     "kprules bug: an unsafe string in generated code"),
    ("def _strict(r, asof):\n    return ((lambda: 1)(),)",
     "kprules bug: unexpected construct in generated code"),
    ("class _strict:\n    pass", "kprules bug: unexpected construct in generated code"),
])
def test_verify_source_refuses_foreign_code(source: str, message: str) -> None:
    with pytest.raises(AssertionError) as err:
        verify_source(source, NAMESPACE)
    assert str(err.value) == message


# ----------------------------------------------------------------------------- any text

KEYWORDS = {"facts", "dated", "by", "enum", "fact", "set", "of", "policy", "status", "in", "force",
            "reads", "amends", "from", "until", "define", "redefine", "decision", "default",
            "when", "except", "parameter", "cite", "if", "then", "else", "or", "and", "not",
            "true", "false", "base"}
TAKEN = {"v", "p", "kind", "k", "t", "flag", "same", "pick", "member", "bool", "integer",
         "decimal", "date", "country", "text", "carats", "grams", "usd"}
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda x: x not in KEYWORDS | TAKEN and not (len(x) == 2 and x.isupper()))
texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(st.lists(identifiers, min_size=2, max_size=4, unique=True), texts, texts)
def test_any_names_and_text_evaluate_as_data(values: list[str], a: str, b: str) -> None:
    """Enum values named anything, and any text literal, read back exactly (folded)."""
    vocab = (f'facts v\nenum kind {{ {" ".join(values)} }}\n'
             "fact k: kind\nfact t: text\nfact flag: bool\n")
    policy = (f'policy p\n  status current\n  reads v\n'
              f'define same = t = {quoted(a)}\n'
              f'define pick = if flag then {quoted(b)} else t\n'
              f'define member = k in {{{values[0]}}}\n')
    lib = kprules.loads(vocab, policy)
    folded_a, folded_b = " ".join(a.split()), " ".join(b.split())
    fn = lib["p"].function(["same", "pick", "member"], validate_input=False)
    explained = lib.evaluator([("p", "same"), ("p", "pick"), ("p", "member")]).function(
        validate_input=False, explain=True)
    cases: list[tuple[dict[str, Any], tuple[Any, ...]]] = [
        ({"t": folded_a, "flag": True, "k": values[0]}, (True, folded_b, True)),
        ({"t": folded_a + "x", "flag": False, "k": values[1]}, (False, folded_a + "x", False)),
        ({"flag": True}, (UNKNOWN, folded_b, UNKNOWN)),
    ]
    for facts, want in cases:
        assert fn(facts) == want
        assert lib["p"].evaluate(facts).values == dict(zip(("member", "pick", "same"),
                                                           (want[2], want[1], want[0]),
                                                           strict=True))
        got = explained(facts)
        assert got.values == want
        json.dumps(got.explanation.to_json())
    source = lib.evaluator([("p", "same"), ("p", "pick"), ("p", "member")]).compiled.source
    for text in (a, b):
        if text.strip() and not set(text) <= set(string.ascii_letters + string.digits + "_"):
            assert quoted(text) not in source and repr(text) not in source
