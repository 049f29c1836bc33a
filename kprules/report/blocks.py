"""Plain-text building blocks shared by the text, Markdown and JUnit reports.

Pure functions over the report model's dictionaries: words (`plural`, `shown`), explanation
trees as indented lines wrapped to a width (`tree_lines`), the walk to where two explanations
part (`path_lines`), and tables split into column groups that fit a width (`table_blocks`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kprules.core import wording
from kprules.core.wording import NOT_EVALUATED_TEXT, plural, quoted
from kprules.report.model import Json, value_text

NOT_EVALUATED = NOT_EVALUATED_TEXT


def differ_line(differing: int, total: int) -> str:
    """`3 of 42 cases differ`, `1 of 42 cases differs`, `no case of 42 differs`."""
    if not differing:
        return f"none of {plural(total, 'case')} differs"
    return f"{differing:,} of {plural(total, 'case')} {'differs' if differing == 1 else 'differ'}"


def shown(node_value: Any, kind: str) -> str:
    """A node's value as the explanation shows it (rules: applies / does not apply)."""
    return wording.shown(node_value, kind, value_text, piece_false="-")


def node_value(node: Json) -> str:
    """A node's value as `shown`, with its unit when it has one (`100000 ct`)."""
    value = shown(node["value"], node["kind"])
    return f"{value} {node['unit']}" if node.get("unit") else value


def wrap(text: str, width: int, first: str, rest: str | None = None) -> list[str]:
    """`text` wrapped to `width`, the first line after `first`, the others after `rest`."""
    rest = rest if rest is not None else " " * len(first)
    return textwrap.wrap(text, max(width, len(first) + 20), initial_indent=first,
                         subsequent_indent=rest, break_on_hyphens=False,
                         break_long_words=True) or [first.rstrip()]


Quoted = set[tuple[str, str, str]]


def cite_lines(node: Json, pad: str, width: int, given: Quoted | None = None) -> list[str]:
    """A node's citations, each with its quotation; with `given` (the quotations given so far
    in a report), a quotation given before is referred to (`quoted above`), not repeated."""
    out: list[str] = []
    for c in node.get("cites", ()):
        key = (c["source"], c["locator"], c.get("quote") or "")
        again = given is not None and bool(c.get("quote")) and key in given
        out.extend(wrap(f'cite {c["source"]} {quoted(c["locator"])}' + (
            " (quoted above)" if again else ""), width, pad, pad + "    "))
        if c.get("quote") and not again:
            out.extend(wrap(quoted(c["quote"]), width, pad + "  ", pad + "   "))
            if given is not None:
                given.add(key)
    return out


def unknown_texts(node: Json) -> list[str]:
    """Why a term is unknown (`unknown_because`), one sentence per cause."""
    why = node.get("unknown_because") or {}
    out = []
    if why.get("facts_not_given"):
        out.append("unknown because these facts were not given: "
                   + ", ".join(why["facts_not_given"]))
    if why.get("no_evaluation_date"):
        out.append("unknown because there is no evaluation date")
    if why.get("parameters_without_value"):
        out.append("unknown because these parameters have no value on the date: "
                   + ", ".join(why["parameters_without_value"]))
    return out


def node_head(node: Json) -> str:
    """The line of a node, without indentation: `<clause> = <value>`, `rule: ... -> applies`."""
    kind, text = node["kind"], node["text"]
    value = node_value(node)
    mark = "  <- gives the outcome" if node.get("fired") else ""
    if kind in ("definition", "decision", "parameter"):
        return f"{text} = {value}"
    if kind in ("rule", "exception"):
        return f"{kind}: {text} -> {value}{mark}"
    if kind == "default":
        state = wording.default_state(node["value"], False)
        return f"{text}{mark if node.get('fired') else ' -> ' + state}"
    if kind == "piece":
        return f"{text} -> {value}{mark}"
    tag = {"fact": "  [fact, not given]" if node.get("note") else "  [fact]",
           "term": "  [term]"}.get(kind, "")
    return f"{text} = {value}{tag}"


def tree_lines(node: Json, width: int, depth: int = 0, pad: str = "",
               given: Quoted | None = None) -> list[str]:
    """An explanation node and its children, one line each (wrapped), indented by depth;
    `given`: see `cite_lines`."""
    indent = pad + "  " * depth
    out = wrap(node_head(node), width, indent, indent + "    ")
    where = ", ".join(x for x in (node.get("location") if node["kind"] in (
        "definition", "decision", "parameter") else None, node.get("note")
        if node["kind"] != "fact" else None) if x)
    if where:
        out.extend(wrap(f"({where})", width, indent + "  ", indent + "   "))
    for line in unknown_texts(node):
        out.extend(wrap(line, width, indent + "  ", indent + "    "))
    out.extend(cite_lines(node, indent + "  ", width, given))
    for child in shown_children(node):
        out.extend(tree_lines(child, width, depth + 1, pad, given))
    return out


def shown_children(node: Json) -> list[Json]:
    """A node's children, without a literal that only repeats its own value (the `{a, b}` under
    a definition whose body is that set)."""
    return [c for c in node.get("children", ())
            if not (c["kind"] == "clause" and not c.get("children")
                    and c["text"] == node_value(c))]


def step_text(step: Json) -> tuple[str, str, str]:
    """A step of the walk: (what, base value, other value)."""
    kind = step["kind"]
    what = f"{kind}: {step['text']}" if kind in ("rule", "exception") else step["text"]
    return what, shown(step["base_value"], kind), shown(step["other_value"], kind)


def path_lines(diff: Json, pad: str, width: int) -> list[str]:
    """The walk from the term down to where the two policies' texts part."""
    out = []
    for step in diff.get("path", ()):
        what, b, o = step_text(step)
        out.extend(wrap(f"{what}: {b} -> {o}", width, pad, pad + "    "))
    return out


def same_parting(d: Json, before: Json | None) -> bool:
    """Whether a difference parts exactly where one shown before did (same two explanations)."""
    return before is not None and before["base_explanation"] == d["base_explanation"] \
        and before["other_explanation"] == d["other_explanation"]


# ---------------------------------------------------------------------------- tables


def fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


def column_groups(first: int, widths: Sequence[int], width: int, gap: int = 2) -> list[range]:
    """Split columns (after a first column of `first` characters) into groups that fit."""
    groups: list[range] = []
    start, used = 0, first
    for i, w in enumerate(widths):
        if i > start and used + gap + w > width:
            groups.append(range(start, i))
            start, used = i, first
        used += gap + w
    groups.append(range(start, len(widths)))
    return groups


def table_blocks(headers: Sequence[str], first_width: int, widths: Sequence[int],
                 rows: Callable[[], Iterator[tuple[str, Sequence[tuple[str, bool]]]]],
                 width: int, pad: str, mark: Callable[[str, bool], str]) -> Iterator[str]:
    """Lines of a table: a first column (a case) then value columns, each `(text, marked)`; when
    the columns do not fit in `width`, one block per group of columns, each repeating the first.
    `rows` is called once per block (the rows are read again from the spool)."""
    groups = column_groups(first_width, widths, width - len(pad))
    for n, group in enumerate(groups):
        if n:
            yield ""
        head = pad + headers[0].ljust(first_width) + "".join(
            "  " + headers[i + 1].ljust(widths[i]) for i in group)
        yield head.rstrip()
        yield pad + "-" * first_width + "".join("  " + "-" * widths[i] for i in group)
        for first, cells in rows():
            line = pad + fit(first, first_width).ljust(first_width)
            for i in group:
                text, marked = cells[i]
                line += "  " + mark(text, marked) + " " * (widths[i] - len(text))
            yield line.rstrip()
