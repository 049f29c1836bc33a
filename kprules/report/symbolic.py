"""The symbolic difference in the comparison report: per other policy and term, the verdict and
the regions where it disagrees with the base over every fact set, not only the cases.

Stage: `Comparison` -> the header's `symbolic` list (JSON-ready, docs/report-schema.md), computed
by kprules.analysis.symbolic (as `kprules diff` does) and summarised: the conditions of each
region, and of the region where one text decides and the other is unknown only its facts (as
`kprules diff` writes it by default). `lines` gives the compact text the formats show.
"""

from __future__ import annotations

from typing import Any

from kprules.analysis.symbolic.engine import symbolic_diff
from kprules.analysis.symbolic.model import Region, TermDiff
from kprules.analysis.symbolic.render import VERDICT_SHORT
from kprules.compare import Comparison

Json = dict[str, Any]
ROOM = 80  # characters of conditions shown per region; the others are counted


def symbolic_json(comparison: Comparison) -> list[Json]:
    """One entry per other policy and compared term both policies have."""
    policies = comparison.library.result.policies
    base = policies[comparison.base]
    # the comparison's date stands for every point only when no fact dates a case
    as_of = comparison.as_of if comparison.vocabulary.dated_by is None else None
    out = []
    for name in comparison.others:
        other = policies[name]
        terms = [t for t in comparison.terms if t in base.terms and t in other.terms]
        for d in symbolic_diff(base, other, terms, as_of, comparison.library.sources):
            out.append(term_json(d))
    return out


def term_json(d: TermDiff) -> Json:
    return {"other": d.other, "term": d.term, "verdict": d.verdict,
            "exhaustive": d.exhaustive, "regions": [_region(r) for r in d.regions]}


def _region(r: Region) -> Json:
    return {"kind": r.kind, "label": r.label, "empty": r.empty,
            "conditions": [x.condition for x in r.disjuncts] if r.listed else [],
            "complete": r.complete, "unknown_facts": list(r.unknown_facts)}


def region_text(r: Json, room: int = ROOM) -> str:
    """`label: cond1 or N more`: the conditions that fit in `room` characters, the others
    counted; `label: nowhere`; the undecided region by its facts (as `kprules diff` does)."""
    if r["empty"]:
        return f"{r['label']}: nowhere"
    if r["kind"] == "undecided" and not r["conditions"]:
        facts = ", ".join(r["unknown_facts"])
        if not facts:
            return f"{r['label']}: where a computation has no value (a division by zero)"
        if len(facts) > room:
            facts = f"{len(r['unknown_facts'])} facts"
        return f"{r['label']}: where one of {facts} is unknown"
    conds = r["conditions"]
    shown = _fitting(conds, room)
    text = " or ".join(f"({c})" if len(conds) > 1 else c for c in shown)
    more = len(conds) - len(shown)
    plus = "" if r.get("complete", True) else "+"  # more conditions than were written out
    if not shown:
        return f"{r['label']}: {more}{plus} {'condition' if more == 1 else 'conditions'}"
    return f"{r['label']}: {text}" + (f" or {more}{plus} more" if more or plus else "")


def _fitting(conds: list[str], room: int) -> list[str]:
    """The shortest conditions, as many as fit."""
    shown: list[str] = []
    for c in sorted(conds, key=len):
        room -= len(c) + 6
        if room < 0:
            break
        shown.append(c)
    return shown


def compact(entry: Json) -> str:
    """One entry in one sentence: `state_actors.conflict_diamond: broader -- only under
    state_actors: acts_for_states != {} or 3 more`; empty regions are left out."""
    mark = "" if entry["exhaustive"] else " (not exhaustive)"
    verdict = VERDICT_SHORT.get(entry["verdict"], entry["verdict"])
    head = f"{entry['other']}.{entry['term']}: {verdict}{mark}"
    regions = [region_text(r) for r in entry["regions"] if not r["empty"]]
    return head + "".join(f" -- {r}" for r in regions)


def hint(base: str) -> str:
    """Where every condition, with a witness and its cause, is listed."""
    return f"kprules diff {base} OTHER --term TERM"
