"""The report model: a comparison as JSON-ready dictionaries, one per case, then a summary.

Stage: `Comparison` + cases -> `RowStream` (a header, rows produced lazily, a summary complete
once the rows are consumed) -> `Spool` (the rows kept in a temporary file, so that a report can
lead with the summary and still read the rows again, in constant memory). Every format renders
from these dictionaries, whose shape is the JSON report's (docs/report-schema.md): one model, so
that the formats cannot disagree.

Explanations cost more than evaluations: a difference carries its aligned explanations when
`ReportOptions.explain_limit` allows (None: every difference; N: the first N cases of each
transition), else `"explained": false`.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from json.encoder import encode_basestring
from typing import IO, Any, Literal, TypeAlias

from attrs import frozen

from kprules.compare import CaseInput, Comparison, Difference, Provision, Row, Summary
from kprules.core.escape import printable
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, location
from kprules.eval.arith import normal
from kprules.explain.render import node_json
from kprules.ir.types import Quantity
from kprules.ir.values import to_json

SCHEMA_VERSION = "1.3"
Json = dict[str, Any]


CaseSourceKind: TypeAlias = Literal["library", "bulk"]
Matrix: TypeAlias = Literal["all", "differences", "none"]
Detail: TypeAlias = Literal["summary", "all"]


@frozen(repr=False)
class CaseSource(SharedRepr):
    """Where the cases come from: `library` (TOML case files) or `bulk` (JSON Lines, CSV)."""

    path: str
    kind: CaseSourceKind = "library"


@frozen(repr=False)
class ReportOptions(SharedRepr):
    """How to report. `matrix`: "all" rows, only "differences", or "none"; `explain_limit`: see
    above. `detail` (the text report): "summary" (the first screen: per policy, the transitions
    and the cases they move) or "all" (also the matrix and every explanation); `listed`: cases
    listed per transition (None: all), the others counted with the option that shows them.
    `symbolic`: the header carries the symbolic difference (kprules.report.symbolic)."""

    fail_on_difference: bool = False
    matrix: Matrix = "all"
    explain_limit: int | None = None
    colour: bool = False
    width: int = 100
    detail: Detail = "all"
    listed: int | None = 10
    symbolic: bool = True


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kprules")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"




def unit_text(value: Any, unit: str | None) -> str:
    """A term's value as `value_text` writes it, with the term's unit when it has one and the
    value is known (`0.5 ct`; a quantity's JSON value is its decimal text)."""
    text = value_text(value)
    return f"{text} {unit}" if unit and value is not None else text


def value_text(value: Any) -> str:
    """A JSON value of a term as a drafter writes it: true, unknown, prohibited, {RU, BY}."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "{" + ", ".join(str(v) for v in value) + "}"
    return str(value)


# ---------------------------------------------------------------------------- header


def policy_json(comparison: Comparison, name: str) -> Json:
    p = comparison.library.result.policies[name]
    return {"name": name, "title": p.title, "status": p.status,
            "location": location(p.span, comparison.library.sources),
            "amends": p.base.name if p.base is not None else None}


def header_json(comparison: Comparison, source: CaseSource, options: ReportOptions) -> Json:
    vocab = comparison.vocabulary
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "comparison",
        "tool": {"name": "kprules", "version": tool_version()},
        "base": policy_json(comparison, comparison.base),
        "others": [policy_json(comparison, name) for name in comparison.others],
        "terms": list(comparison.terms),
        "term_units": dict(comparison.term_units),
        "as_of": comparison.as_of.isoformat() if comparison.as_of else None,
        "vocabulary": vocab.name,
        "cases": {"path": source.path, "kind": source.kind},
        "weight_facts": [{"name": name, "unit": _unit(comparison, name)}
                         for name in comparison.weight_facts],
        "explain_limit": options.explain_limit,
        "symbolic": _symbolic(comparison) if options.symbolic else None,
    }


def _symbolic(comparison: Comparison) -> list[Json]:
    from kprules.report.symbolic import symbolic_json

    return symbolic_json(comparison)


def _unit(comparison: Comparison, fact: str) -> str:
    return str(getattr(comparison.vocabulary.facts[fact].type, "unit", ""))


# ---------------------------------------------------------------------------- rows


def provision_json(p: Provision, sources: Mapping[str, Source]) -> Json:
    return {"label": p.label, "kind": p.kind, "policy": p.policy, "term": p.term,
            "note": p.note, "location": location(p.origin.span, sources),
            "description": p.origin.description,
            "cites": [{"source": c.source, "locator": c.locator, "quote": c.quote}
                      for c in p.origin.cites]}


def difference_json(d: Difference, explain: bool, sources: Mapping[str, Source]) -> Json:
    out: Json = {
        "term": d.term, "other": d.other,
        "base_value": to_json(d.base_value), "other_value": to_json(d.other_value),
        "transition": d.transition,
        "cause": d.cause.label,
        "explained": explain,
    }
    if isinstance(d.type, Quantity):  # a quantity's values are decimal text: the unit is the term's
        out["unit"] = d.type.unit
    if explain:
        a = d.alignment
        ex = d.explanation
        out["path"] = [{"text": s.label, "kind": s.kind, "base_value": _node_value(s.base_value),
                        "other_value": _node_value(s.other_value)} for s in a.path]
        out["base_explanation"] = node_json(a.base, ex)
        out["other_explanation"] = node_json(a.other, ex)
    return out


def _node_value(value: Any) -> Any:
    from kprules.explain.nodes import value_json

    return value_json(value)


_PLAIN = frozenset({bool, str, int})  # values that are their own JSON


def _values_json(row: Row, comparison: Comparison) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {t: {} for t in comparison.terms}
    for (policy, term), value in row.values.items():
        values[term][policy] = value if type(value) in _PLAIN else to_json(value)
    return values


def row_json(row: Row, comparison: Comparison, explain: Iterable[bool]) -> Json:
    case = row.case
    sources = comparison.library.sources
    return {
        "id": case.id,
        "title": case.title,
        "location": case.location,
        "as_of": row.as_of.isoformat() if row.as_of else None,
        "sources": list(case.sources),
        "contested": case.contested,
        "values": _values_json(row, comparison),
        "differences": [difference_json(d, e, sources)
                        for d, e in zip(row.differences, explain, strict=True)],
    }


_KEEP_VALUES = 4096  # combinations of values whose JSON text is kept


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _plain_line(row: Row, values: str) -> str:
    """`dumps(row_json(row, ...))` for a row without differences, `values` its values' JSON."""
    case = row.case
    sources = ",".join(encode_basestring(x) for x in case.sources)
    return (f'{{"id":{encode_basestring(case.id)},"title":{_text(case.title)},'
            f'"location":{_text(case.location)},'
            f'"as_of":{_text(row.as_of.isoformat() if row.as_of else None)},'
            f'"sources":[{sources}],"contested":{_text(case.contested)},'
            f'"values":{values},"differences":[]}}')


# ---------------------------------------------------------------------------- the stream


class RowStream:
    """A comparison's rows as report dictionaries, produced once, lazily; `summary` is complete
    when `rows()` has been consumed (memory does not grow with the number of cases)."""

    def __init__(self, comparison: Comparison, cases: Iterable[CaseInput], source: CaseSource,
                 options: ReportOptions | None = None) -> None:
        self.comparison = comparison
        self.options = options or ReportOptions()
        self.source = source
        self.header = header_json(comparison, source, self.options)
        self.summary = Summary(types=comparison.term_types)
        self._cases = cases
        self._used = False

    def results(self) -> Iterator[Row]:
        """The comparison's rows as objects (for writers that render from them), each added to
        `summary` before it is given. A stream is read once: `results()` or `rows()`."""
        if self._used:
            raise RuntimeError("kprules bug: a RowStream is read once (spool it to reread)")
        self._used = True
        for row in self.comparison.rows(self._cases):
            self.summary.add(row, self.comparison.weights(row.case))
            yield row

    def explained(self, d: Difference) -> bool:
        """Whether a report shows this difference's explanation (`explain_limit`)."""
        limit = self.options.explain_limit
        return limit is None or self.summary.transitions[Summary.transition_key(d)].count <= limit

    def rows(self) -> Iterator[Json]:
        """The rows as report dictionaries (the JSON report's `rows`)."""
        for row in self.results():
            yield row_json(row, self.comparison, [self.explained(d) for d in row.differences])

    def lines(self) -> Iterator[tuple[str, str]]:
        """Each row's id and its JSON text (`dumps(row_json(...))`, exactly). Over bulk data most
        rows differ nowhere and share their values with many others: their text is put together
        from pieces kept per combination of values, which costs less than building the row."""
        values: dict[tuple[tuple[type, str], ...], str] = {}
        for row in self.results():
            if row.differences:
                yield row.case.id, dumps(row_json(row, self.comparison,
                                                  [self.explained(d) for d in row.differences]))
                continue
            # keyed by type and text too: 0, Decimal("0") and Decimal("0.0") are equal as
            # values but are written differently
            key = tuple((type(v), str(v)) for v in row.values.values())
            text = values.get(key)
            if text is None:
                if len(values) >= _KEEP_VALUES:
                    values.clear()
                text = values[key] = dumps(_values_json(row, self.comparison))
            yield row.case.id, _plain_line(row, text)

    def summary_json(self) -> Json:
        return summary_json(self.summary, self.comparison)


# ---------------------------------------------------------------------------- the summary


def summary_json(s: Summary, comparison: Comparison) -> Json:
    sources = comparison.library.sources
    return {
        "cases": s.cases,
        "differing_cases": s.differing_cases,
        "differences": [{"other": o, "term": t, "cases": s.differences.get((o, t), 0)}
                        for o in comparison.others for t in comparison.terms],
        "outcomes": [{"policy": p, "term": t, "value": v, "cases": n}
                     for (p, t, v), n in sorted(s.outcome_counts().items(), key=_outcome_order(
                         comparison))],
        "causes": _causes(s, comparison, sources),
        "weights": [{"fact": f, "unit": _unit(comparison, f),
                     "total": _dec(s.weight_totals.get(f, Decimal(0))),
                     "cases": s.weight_cases.get(f, 0)} for f in comparison.weight_facts],
        "reclassified": _reclassified(s, comparison),
    }


def _outcome_order(comparison: Comparison) -> Any:
    policies = {name: i for i, name in enumerate((comparison.base, *comparison.others))}
    terms = {name: i for i, name in enumerate(comparison.terms)}

    def key(item: tuple[tuple[str, str, str], int]) -> tuple[int, int, str]:
        (p, t, v), _ = item
        return (terms[t], policies[p], v)

    return key


def _causes(s: Summary, comparison: Comparison, sources: Mapping[str, Source]) -> list[Json]:
    """Transitions grouped by (other policy, the provision that caused them)."""
    groups: dict[tuple[str, str], list[Json]] = {}
    terms = {name: i for i, name in enumerate(comparison.terms)}
    for (other, term, old, new, cause), t in sorted(
            s.transitions.items(), key=lambda kv: (terms[kv[0][1]], -kv[1].count, kv[0])):
        groups.setdefault((other, cause), []).append({
            "term": term, "from": old, "to": new, "cases": t.count, "examples": list(t.cases),
            "weights": {name: _dec(v) for name, v in sorted(t.weights.items())}})
    others = {name: i for i, name in enumerate(comparison.others)}
    return [{"other": other, "provision": provision_json(s.causes[cause], sources),
             "cases": sum(t["cases"] for t in items), "transitions": items}
            for (other, cause), items in sorted(groups.items(), key=lambda kv: (
                others[kv[0][0]], s.causes[kv[0][1]].kind != "term", kv[0][1]))]


def _reclassified(s: Summary, comparison: Comparison) -> list[Json]:
    out = []
    for other in comparison.others:
        for term in comparison.terms:
            shifted = s.reclassified.get((other, term), {})
            for fact in comparison.weight_facts:
                total = s.weight_totals.get(fact, Decimal(0))
                value = shifted.get(fact, Decimal(0))
                out.append({"other": other, "term": term, "fact": fact, "value": _dec(value),
                            "share": share(value, total)})
    return out


def share(part: Decimal, total: Decimal) -> float | None:
    """part / total, rounded to 4 decimal places (None when the total is zero)."""
    if total == 0:
        return None
    return float(round(Decimal(part) / Decimal(total), 4))


def _dec(value: Decimal | int) -> str:
    return format(normal(Decimal(value)), "f") if value else "0"


# ---------------------------------------------------------------------------- the spool


class Spool:
    """Rows kept as JSON lines in a temporary file; `rows()` reads them again, any number of
    times. `header` and `summary` are complete; `widest_id` is the longest case id."""

    def __init__(self, header: Json, summary: Json, file: IO[str], widest_id: int) -> None:
        self.header = header
        self.summary = summary
        self._file = file
        self.widest_id = widest_id

    def lines(self) -> Iterator[str]:
        """Each row as its JSON text (no newline)."""
        self._file.seek(0)
        for line in self._file:
            yield line.rstrip("\n")

    def rows(self) -> Iterator[Json]:
        for line in self.lines():
            yield json.loads(line)


@contextmanager
def spooled(stream: RowStream) -> Iterator[Spool]:
    """Consume the stream into a temporary file (removed on exit) and give the spool."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", prefix="kprules-report-") as fh:
        widest = 0
        for case_id, line in stream.lines():
            fh.write(line + "\n")
            widest = max(widest, len(printable(case_id)))  # as the text report shows it
        fh.flush()
        yield Spool(stream.header, stream.summary_json(), fh, widest)


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal | dt.date):
        return to_json(obj)
    raise TypeError(f"kprules bug: {type(obj).__name__} in a report")


# Built once: `json.dumps` with options builds an encoder per call (a cost per row of bulk data).
# An encoder holds its options only, so sharing it is safe.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)


def dumps(obj: Any) -> str:
    """Compact, deterministic JSON (keys in the model's order; non-ASCII kept)."""
    return _ENCODER.encode(obj)

