"""Witnesses as case files: valid TOML that `kprules test` reads, facts only.

Pure: each listed disjunct's witness -> (file name, TOML text). The expectations are left for the
drafter to fill in: the file says, in a comment, what each text gives.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from kprules.analysis.symbolic.model import DiffReport, Disjunct, TermDiff
from kprules.ir.values import format_value

NOTE = "Hypothetical facts: a witness found by kprules diff, in the region "


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        shown = format(Decimal(value), "f")
        return shown if "." in shown else shown + ".0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set | list | tuple):
        return "[" + ", ".join(toml_value(v) for v in sorted(value)) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def kebab(text: str) -> str:
    return "-".join(p for p in "".join(c if c.isalnum() else "-" for c in text.lower()).split("-")
                    if p)


def case_text(case_id: str, d: TermDiff, region: str, x: Disjunct) -> str:
    w = x.witness
    lines = [
        "[case]",
        f"id = {toml_value(case_id)}",
        f"title = {toml_value(f'{d.other}.{d.term} against {d.base}: {region}')}",
        'sources = ["hypothetical: a witness of kprules diff"]',
        f"notes = {toml_value(NOTE + x.condition)}",
    ]
    if d.as_of is not None:
        lines.append(f"date = {toml_value(d.as_of)}")
    lines += ["", "[facts]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in w.facts.items()]
    lines += ["", "[expect]",
              f"# {d.base}.{d.term} gives {_plain(w.base_value)}; "
              f"{d.other}.{d.term} gives {_plain(w.other_value)}: state what it should be",
              f"# {d.base}.{d.term} = ...", f"# {d.other}.{d.term} = ..."]
    if w.error is not None:
        lines.insert(-3, f"# unconfirmed: evaluating these facts stops, {w.error}")
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> str:
    return "unknown" if value is None else toml_value(value)


def witness_files(report: DiffReport) -> Iterator[tuple[str, str]]:
    """(file name, text) for every disjunct's witness."""
    for pair in report.pairs:
        groups: list[tuple[str, tuple[TermDiff, ...]]] = [("", pair.diffs)]
        groups += [(f"-{p.start or 'before'}", p.diffs) for p in pair.periods]
        for suffix, diffs in groups:
            for d in diffs:
                yield from _term_files(d, suffix)


def _term_files(d: TermDiff, suffix: str) -> Iterator[tuple[str, str]]:
    for r in d.regions:
        for i, x in enumerate(r.disjuncts, 1):
            case_id = kebab(f"diff-{d.other}-{d.term}-{r.kind}{suffix}-{i}")
            if r.kind == "values":
                case_id = kebab(f"diff-{d.other}-{d.term}-{value_slug(r.base_value)}-to-"
                                f"{value_slug(r.other_value)}{suffix}-{i}")
            yield case_id + ".toml", case_text(case_id, d, r.label, x)


def value_slug(value: Any) -> str:
    """A region's value in a file name: its text in the language (`{RU}` -> `ru`, `{}` ->
    `empty`); None, the value of a fact the term passes through, `fact-value`."""
    if value is None:
        return "fact-value"
    return kebab(format_value(value)) or "empty"


def facts_only(facts: Mapping[str, Any]) -> dict[str, str]:
    return {k: toml_value(v) for k, v in facts.items()}


def counterexample_case(case_id: str, title: str, facts: Mapping[str, Any],
                        expected: Mapping[str, Any], source: str) -> str:
    """A case file of hypothetical facts: the facts, `source` (what found them, such as
    "hypothetical: a counterexample of kprules check --prove") its one source, and what each
    term (`policy.term`) gives as comments."""
    lines = ["[case]", f"id = {toml_value(case_id)}", f"title = {toml_value(title)}",
             f"sources = [{toml_value(source)}]", "",
             "[facts]", *(f"{k} = {toml_value(v)}" for k, v in facts.items()), "", "[expect]"]
    lines += [f"# {key} gives {_plain(value)}" for key, value in expected.items()]
    return "\n".join(lines) + "\n"
