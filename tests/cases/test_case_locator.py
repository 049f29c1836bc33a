"""The TOML locator: where each table, key and array element is written.

Unit tests on every construct, and a property: for TOML documents written by a small generator
(headers, arrays of tables, dotted and quoted keys, inline tables, multi-line arrays, strings
with escapes, comments), every key's place is exactly the text written for it, and tomllib reads
the same keys.
"""

from __future__ import annotations

import tomllib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kprules.cases.toml_locate import KeyPath, locate, parse
from kprules.core.diagnostics import Diagnostic
from kprules.core.source import Source


def places(text: str) -> dict[KeyPath, tuple[str, str]]:
    """Path -> (key text, value text)."""
    src = Source("t.toml", text)
    return {path: (src.snippet(p.key), src.snippet(p.value)) for path, p in locate(src).items()}


def test_tables_keys_and_values() -> None:
    text = ('title = "top"  # a comment\n'
            "[case]\n"
            'id = "a-b"\n'
            "\n"
            "[ facts ]\n"
            "rough = true\n"
            "weight = 0.5\n"
            "on = 2024-03-01\n"
            "at = 2024-03-01 10:00:00\n")
    assert places(text) == {
        ("title",): ("title", '"top"'),
        ("case",): ("case", "[case]"),
        ("case", "id"): ("id", '"a-b"'),
        ("facts",): ("facts", "[ facts ]"),
        ("facts", "rough"): ("rough", "true"),
        ("facts", "weight"): ("weight", "0.5"),
        ("facts", "on"): ("on", "2024-03-01"),
        ("facts", "at"): ("at", "2024-03-01 10:00:00"),
    }


def test_dotted_and_quoted_keys() -> None:
    text = ('[expect]\nkpcs.conflict_diamond = false\n"proposal.export" = "x"\n'
            "a . 'b c' = 1\n")
    assert places(text) == {
        ("expect",): ("expect", "[expect]"),
        ("expect", "kpcs"): ("kpcs", "kpcs.conflict_diamond = false"),
        ("expect", "kpcs", "conflict_diamond"): ("kpcs.conflict_diamond", "false"),
        ("expect", "proposal.export"): ('"proposal.export"', '"x"'),
        ("expect", "a"): ("a", "a . 'b c' = 1"),
        ("expect", "a", "b c"): ("a . 'b c'", "1"),
    }


def test_arrays_of_tables_and_their_subtables() -> None:
    text = ("[family]\nid = 'f'\n"
            "[[case]]\nid = 'one'\nfacts = { rough = true, mined_in = \"CF\" }\n"
            "[[case]]\nid = 'two'\n[case.facts]\nrough = false\n")
    found = places(text)
    assert found[("case",)] == ("case", "[[case]]")
    assert found[("case", 0)] == ("case", "[[case]]")
    assert found[("case", 0, "id")] == ("id", "'one'")
    assert found[("case", 0, "facts")] == ("facts", '{ rough = true, mined_in = "CF" }')
    assert found[("case", 0, "facts", "mined_in")] == ("mined_in", '"CF"')
    assert found[("case", 1)] == ("case", "[[case]]")
    assert locate(Source("t", text))[("case", 1)].value.start == text.index("[[case]]\nid = 'two'")
    assert found[("case", 1, "facts")] == ("case.facts", "[case.facts]")
    assert found[("case", 1, "facts", "rough")] == ("rough", "false")


def test_a_dotted_header_places_every_table_it_makes() -> None:
    """`[x.y]` makes the table `x` too: it is written there (a diagnostic on `x` pointed at
    line 1 instead); a table written before keeps its own place."""
    text = ("[case]\nid = 'a'\n[x.y]\nz = 1\n[expect.zzz.conflict]\nq = 1\n"
            "[[case.more]]\n[case.more.facts.deep]\nr = 2\n")
    found = places(text)
    assert found[("x",)] == ("x", "[x.y]") and found[("x", "y")] == ("x.y", "[x.y]")
    assert found[("expect",)] == ("expect", "[expect.zzz.conflict]")
    assert found[("expect", "zzz")] == ("expect.zzz", "[expect.zzz.conflict]")
    assert found[("case",)] == ("case", "[case]")
    assert found[("case", "more")] == ("case.more", "[[case.more]]")
    assert found[("case", "more", 0, "facts")] == ("case.more.facts", "[case.more.facts.deep]")


def test_array_elements_over_several_lines() -> None:
    text = 'sources = [\n  "a",  # first\n  "b\\"c",\n  [1, 2],\n]\n'
    found = places(text)
    assert found[("sources",)] == ("sources", text[len("sources = "):-1])
    assert found[("sources", 0)] == ('"a"', '"a"')
    assert found[("sources", 1)] == ('"b\\"c"', '"b\\"c"')
    assert found[("sources", 2)] == ("[1, 2]", "[1, 2]")
    assert found[("sources", 2, 1)] == ("2", "2")


def test_multi_line_strings() -> None:
    text = 'notes = """\none "quoted" line\n"""""\nnext = \'\'\'raw\\n\'\'\'\n'
    assert places(text) == {("notes",): ("notes", '"""\none "quoted" line\n"""""'),
                            ("next",): ("next", "'''raw\\n'''")}


def test_invalid_text_keeps_what_comes_before() -> None:
    text = '[case]\nid = "a"\ntitle = \nrough = true\n'
    assert places(text) == {("case",): ("case", "[case]"), ("case", "id"): ("id", '"a"')}


def test_nothing_breaks_it() -> None:
    for text in ["", "[", "[[", "a", "a =", 'a = "', "a = [1,", "a = {", "=", "[a]]", "x.=1",
                 "a = '''", 'a = """x', "[" * 5000, "a = " + "[" * 5000]:
        assert isinstance(locate(Source("t", text)), dict)


# ----------------------------------------------------------------------------- property

NAMES = st.sampled_from(["id", "title", "rough", "mined_in", "weight", "a", "b-c", "x_1",
                         "with space", "dotted.name", "é"])
SCALARS = st.one_of(
    st.booleans().map(lambda b: "true" if b else "false"),
    st.integers(-10**6, 10**6).map(str),
    st.decimals(-1000, 1000, places=2, allow_nan=False).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8).map(
        lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="'"),
            max_size=8).map(lambda s: f"'{s}'"),
)


def _key(name: str) -> str:
    bare = all(c.isascii() and (c.isalnum() or c in "_-") for c in name) and name
    return name if bare else '"' + name + '"'


@st.composite
def values(draw: st.DrawFn, depth: int = 0) -> tuple[str, dict[KeyPath, tuple[str, str]]]:
    """A value's text, and the places below it (relative paths)."""
    kind = draw(st.sampled_from(["scalar", "array", "inline"] if depth < 2 else ["scalar"]))
    if kind == "scalar":
        return draw(SCALARS), {}
    if kind == "array":
        items = draw(st.lists(values(depth + 1), max_size=3))
        sep = draw(st.sampled_from([", ", ",\n  ", " , "]))
        text = "[" + sep.join(t for t, _ in items) + "]"
        inner: dict[KeyPath, tuple[str, str]] = {}
        for i, (t, below) in enumerate(items):
            inner[(i,)] = (t, t)
            inner.update({(i, *k): v for k, v in below.items()})
        return text, inner
    pairs = draw(st.lists(st.tuples(NAMES, values(depth + 1)), max_size=3,
                          unique_by=lambda p: p[0]))
    inner = {}
    for name, (t, below) in pairs:
        inner[(name,)] = (_key(name), t)
        inner.update({(name, *k): v for k, v in below.items()})
    return "{ " + ", ".join(f"{_key(n)} = {t}" for n, (t, _) in pairs) + " }", inner


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[KeyPath, tuple[str, str]]]:
    """A TOML document of tables and arrays of tables, and the place of every key in it."""
    lines: list[str] = []
    expected: dict[KeyPath, tuple[str, str]] = {}
    sections = draw(st.lists(st.tuples(NAMES, st.booleans()), max_size=4,
                             unique_by=lambda s: s[0]))
    for name, is_array in sections:
        for index in range(draw(st.integers(1, 2)) if is_array else 1):
            header = f"[[{_key(name)}]]" if is_array else f"[{_key(name)}]"
            base: KeyPath = (name, index) if is_array else (name,)
            lines.append(header + draw(st.sampled_from(["", "  # note"])))
            expected.setdefault(base, (_key(name), header))
            pairs = draw(st.lists(st.tuples(NAMES, values()), max_size=3,
                                  unique_by=lambda p: p[0]))
            for key, (text, below) in pairs:
                lines.append(f"{_key(key)} = {text}")
                expected[(*base, key)] = (_key(key), text)
                expected.update({(*base, key, *k): v for k, v in below.items()})
    return "\n".join(lines) + "\n", expected


def _paths(value: Any, base: KeyPath = ()) -> set[KeyPath]:
    out: set[KeyPath] = set()
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else []
    for key, v in items:
        out.add((*base, key))
        out |= _paths(v, (*base, key))
    return out


@given(documents())
def test_every_key_is_where_it_was_written(doc: tuple[str, dict[KeyPath, tuple[str, str]]]
                                           ) -> None:
    text, expected = doc
    found = places(text)
    assert {k: found.get(k) for k in expected} == expected
    parsed = tomllib.loads(text)
    assert _paths(parsed) <= set(found)


def test_deep_nesting_is_a_diagnostic_not_a_crash() -> None:
    found = parse(Source("deep.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n"))
    assert isinstance(found, Diagnostic)
    assert (found.code, found.message) == ("KP401", "invalid TOML: values nested too deeply")
