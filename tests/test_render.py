"""Rendering diagnostics: whole outputs of the text, gnu and json formats on made-up sources."""

from __future__ import annotations

import json

from kprules.core.diagnostics import Diagnostic, Related, Severity
from kprules.core.render import render_all, render_gnu, render_json, render_text, summary_line
from kprules.core.source import Source, Span

POLICY = Source("p.kpr", "policy p reads v\ndefine a = incom and rough\n")


def at(src: Source, text: str, nth: int = 0) -> Span:
    """The span of the `nth` occurrence of `text` in `src`."""
    start = -1
    for _ in range(nth + 1):
        start = src.text.index(text, start + 1)
    return src.span(start, start + len(text))


def sources(*srcs: Source) -> dict[str, Source]:
    return {s.name: s for s in srcs}


def test_one_line() -> None:
    d = Diagnostic("KP200", "undefined name `incom`", at(POLICY, "incom"),
                   hint="did you mean `income`?")
    assert render_text(d, sources(POLICY)) == (
        "error[KP200]: undefined name `incom`\n"
        " --> p.kpr:2:12\n"
        "  |\n"
        "2 | define a = incom and rough\n"
        "  |            ^^^^^\n"
        "  = hint: did you mean `income`?\n")


def test_warning_without_hint() -> None:
    d = Diagnostic("KP211", "this definition cites no source", at(POLICY, "define a"),
                   Severity.WARNING)
    assert render_text(d, sources(POLICY)) == (
        "warning[KP211]: this definition cites no source\n"
        " --> p.kpr:2:1\n"
        "  |\n"
        "2 | define a = incom and rough\n"
        "  | ^^^^^^^^\n")


def test_no_place() -> None:
    d = Diagnostic("KP100", "`x.kpr` does not exist", None, hint="check the path")
    assert render_text(d, {}) == "error[KP100]: `x.kpr` does not exist\n  = hint: check the path\n"


def test_source_not_at_hand() -> None:
    d = Diagnostic("KP200", "undefined name `x`", Span("gone.kpr", 3, 4),
                   related=(Related(Span("gone.kpr", 0, 1), "first here"),))
    assert render_text(d, {}) == (
        "error[KP200]: undefined name `x`\n"
        " --> gone.kpr\n"
        " ::: gone.kpr\n"
        "  = note: first here\n")


def test_related_spans_in_two_files_share_one_gutter() -> None:
    base = Source("base.kpr", "policy b reads v\n" + "\n" * 8 + "define conflict = rough\n")
    amendment = Source("a.kpr", "policy a amends b\ndefine conflict = natural\n")
    d = Diagnostic("KP207", "`conflict` is already defined by `b`", at(amendment, "conflict"),
                   hint="write `redefine`",
                   related=(Related(at(base, "conflict"), "defined here"),))
    assert render_text(d, sources(base, amendment)) == (
        "error[KP207]: `conflict` is already defined by `b`\n"
        "  --> a.kpr:2:8\n"
        "   |\n"
        " 2 | define conflict = natural\n"
        "   |        ^^^^^^^^\n"
        "  ::: base.kpr:10:8\n"
        "   |\n"
        "10 | define conflict = rough\n"
        "   |        -------- defined here\n"
        "   = hint: write `redefine`\n")


def test_two_line_span() -> None:
    src = Source("p.kpr", "define a = rough and\n  natural\n")
    d = Diagnostic("KP301", "not a condition", src.span(11, 30))
    assert render_text(d, sources(src)) == (
        "error[KP301]: not a condition\n"
        " --> p.kpr:1:12\n"
        "  |\n"
        "1 | define a = rough and\n"
        "  |            ^^^^^^^^^\n"
        "2 |   natural\n"
        "  |   ^^^^^^^\n")


def test_long_span_shows_first_and_last_line() -> None:
    src = Source("p.kpr", "define a =\n  rough\n  and natural\n  and weight > 1 ct\n")
    d = Diagnostic("KP301", "not a condition", src.span(13, len(src.text) - 1),
                   related=(Related(src.span(0, 8), "here"),))
    assert render_text(d, sources(src)) == (
        "error[KP301]: not a condition\n"
        " --> p.kpr:2:3\n"
        "  |\n"
        "2 |   rough\n"
        "  |   ^^^^^\n"
        "...\n"
        "4 |   and weight > 1 ct\n"
        "  |   ^^^^^^^^^^^^^^^^^\n"
        " ::: p.kpr:1:1\n"
        "  |\n"
        "1 | define a =\n"
        "  | -------- here\n")


def test_span_ending_at_a_line_end_shows_one_line() -> None:
    src = Source("p.kpr", "define a = rough\ndefine b = natural\n")
    d = Diagnostic("KP216", "unused", src.span(0, 17))
    assert render_text(d, sources(src)).splitlines()[3:5] == [
        "1 | define a = rough", "  | ^^^^^^^^^^^^^^^^"]


def test_tabs_are_expanded_and_the_underline_follows() -> None:
    src = Source("p.kpr", "define a =\trough\tand\tincom\n")
    d = Diagnostic("KP200", "undefined name `incom`", at(src, "incom"))
    lines = render_text(d, sources(src)).splitlines()
    assert lines[3:5] == ["1 | define a =  rough   and incom", "  |                         ^^^^^"]


def test_the_underline_counts_terminal_columns() -> None:
    """A wide (East Asian) character takes two columns and a combining mark none, so the
    underline sits under the span after them (it was 4 columns left after `日本日本`, 3 right
    after three `e` with a combining acute)."""
    wide = Source("p.kpr", 'define y = "日本日本" = "x" and foo\n')
    d = Diagnostic("KP200", "undefined name `foo`", at(wide, "foo"))
    assert render_text(d, sources(wide)).splitlines()[3:5] == [
        '1 | define y = "日本日本" = "x" and foo', "  | " + " " * 32 + "^^^"]
    combining = Source("p.kpr", 'define z = "e\u0301e\u0301e\u0301" = "x" and bar\n')
    d = Diagnostic("KP200", "undefined name `bar`", at(combining, "bar"))
    assert render_text(d, sources(combining)).splitlines()[4] == "  | " + " " * 27 + "^^^"
    marked = Diagnostic("KP200", "the name", at(wide, "日本"))
    assert render_text(marked, sources(wide)).splitlines()[4] == "  | " + " " * 12 + "^" * 4


def test_control_characters_are_shown() -> None:
    src = Source("p.kpr", "fact a: bool\x00\x01 x\n")
    d = Diagnostic("KP103", "a NUL byte in the text", src.span(12, 13))
    assert render_text(d, sources(src)).splitlines()[3:5] == [
        "1 | fact a: bool\u2400\u2401 x", "  |             ^"]


def test_long_line_is_cut_around_the_span() -> None:
    text = "define a = " + " and ".join(f"fact_{i:03}" for i in range(40)) + "\n"
    src = Source("p.kpr", text)
    d = Diagnostic("KP200", "undefined name `fact_020`", at(src, "fact_020"))
    lines = render_text(d, sources(src)).splitlines()
    start = text.index("fact_020")
    shown = "..." + text[start - 20 : start - 20 + 100] + "..."
    assert lines[3] == "1 | " + shown
    assert lines[4] == "  | " + " " * 23 + "^" * 8
    assert lines[3][lines[4].index("^") : lines[4].index("^") + 8] == "fact_020"


def test_long_line_start_is_not_cut_before_the_span() -> None:
    text = "define a = " + "x" * 200 + "\n"
    src = Source("p.kpr", text)
    d = Diagnostic("KP200", "undefined", src.span(0, 6))
    lines = render_text(d, sources(src)).splitlines()
    assert lines[3] == "1 | " + text[:100] + "..."
    assert lines[4] == "  | ^^^^^^"


def test_span_longer_than_the_window_is_clipped() -> None:
    text = "define a = " + "y" * 300 + "\n"
    src = Source("p.kpr", text)
    d = Diagnostic("KP200", "undefined", src.span(11, 311))
    lines = render_text(d, sources(src)).splitlines()
    assert lines[3] == "1 | " + text[:100] + "..."
    assert lines[4] == "  | " + " " * 11 + "^" * 89


def test_span_at_the_end_of_the_file() -> None:
    src = Source("p.kpr", "define a = (rough")
    d = Diagnostic("KP112", "the file ends too early", src.span(17, 17), hint="expected `)`")
    assert render_text(d, sources(src)) == (
        "error[KP112]: the file ends too early\n"
        " --> p.kpr:1:18\n"
        "  |\n"
        "1 | define a = (rough\n"
        "  |                  ^\n"
        "  = hint: expected `)`\n")


def test_span_after_the_last_newline() -> None:
    src = Source("p.kpr", "define a =\n")
    d = Diagnostic("KP112", "the file ends too early", src.span(11, 11))
    assert render_text(d, sources(src)).splitlines()[1:5] == [
        " --> p.kpr:2:1", "  |", "2 |", "  | ^"]


def test_empty_file() -> None:
    src = Source("p.kpr", "")
    d = Diagnostic("KP112", "the file is empty", src.span(0, 0))
    assert render_text(d, sources(src)).splitlines()[1:5] == [" --> p.kpr:1:1", "  |", "1 |",
                                                                "  | ^"]


def test_gnu() -> None:
    base = Source("b.kpr", "define conflict = rough\n")
    d = Diagnostic("KP201", "`a` is defined twice", at(POLICY, "a ="), hint="rename one",
                   related=(Related(at(base, "conflict"), "first defined here"),))
    assert render_gnu(d, sources(POLICY, base)) == (
        "p.kpr:2:8: error: `a` is defined twice [KP201]\n"
        "p.kpr:2:8: note: rename one\n"
        "b.kpr:1:8: note: first defined here\n")
    assert render_gnu(Diagnostic("KP104", "no files", None, Severity.WARNING), {}) == \
        "kprules: warning: no files [KP104]\n"


def test_json() -> None:
    d = Diagnostic("KP200", "undefined name `incom`", at(POLICY, "incom"), hint="h",
                   related=(Related(at(POLICY, "rough"), "r"),))
    data = json.loads(render_json([d, Diagnostic("KP100", "gone", None)], sources(POLICY)))
    assert data == {"version": 1, "diagnostics": [
        {"code": "KP200", "severity": "error", "message": "undefined name `incom`",
         "location": {"file": "p.kpr", "line": 2, "column": 12, "end_line": 2,
                      "end_column": 17, "text": "incom"},
         "hint": "h",
         "related": [{"message": "r", "location": {
             "file": "p.kpr", "line": 2, "column": 22, "end_line": 2, "end_column": 27,
             "text": "rough"}}]},
        {"code": "KP100", "severity": "error", "message": "gone", "location": None,
         "hint": None, "related": []}]}


def test_render_all_separates_text_diagnostics_by_a_blank_line() -> None:
    a = Diagnostic("KP100", "one", None)
    b = Diagnostic("KP100", "two", None)
    assert render_all([a, b], {}, "text") == "error[KP100]: one\n\nerror[KP100]: two\n"
    assert render_all([a, b], {}, "gnu") == (
        "kprules: error: one [KP100]\nkprules: error: two [KP100]\n")
    assert json.loads(render_all([], {}, "json")) == {"version": 1, "diagnostics": []}


def test_summary_line() -> None:
    error = Diagnostic("KP100", "x", None)
    warning = Diagnostic("KP211", "y", None, Severity.WARNING)
    assert summary_line([]) == "no problems"
    assert summary_line([error]) == "1 error"
    assert summary_line([error, error, warning]) == "2 errors, 1 warning"
    assert summary_line([warning, warning]) == "2 warnings"
