"""`kprules test --region-coverage BASE OTHER`: which disjuncts of the regions where BASE and
OTHER disagree the case library reaches (kprules.analysis.symbolic.coverage), and a witness case
file for each one it does not, under `--region-witnesses DIR`. Effects only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kprules.cli.common import emit

if TYPE_CHECKING:
    from kprules.analysis.symbolic.coverage import DisjunctCoverage
    from kprules.api import Library
    from kprules.cases.model import Suite


def report_region_coverage(library: Library, suite: Suite, base: str, other: str,
                           witness_dir: Path | None) -> None:
    from kprules.analysis.symbolic.coverage import CaseFacts, region_coverage
    from kprules.cli.inputs import Stop, fail, named_policies, shared_terms
    from kprules.compare import CompareError

    try:
        base_names, others = named_policies(library, base), named_policies(library, other)
        if len(base_names) != 1:
            fail("KP606", f"the base `{base}` must be one policy", 2)
        b = library[base_names[0]].checked
        rows: list[DisjunctCoverage] = []
        for name in [n for n in others if n != b.name]:
            o = library[name].checked
            cases = [CaseFacts(c.id, c.facts, c.date) for c in suite.cases
                     if c.vocabulary == b.vocabulary.name]
            rows.extend(region_coverage(b, o, shared_terms(b, o, ()), cases, library.sources))
    except CompareError as err:
        fail(err.code, str(err), 2)
    except Stop as err:
        fail(err.code, err.message, err.status)
    emit(_text(b.name, rows))
    if witness_dir is not None:
        _write(b.name, rows, witness_dir)


def _text(base: str, rows: list[DisjunctCoverage]) -> str:
    from kprules.analysis.symbolic.render import wrap

    lines = [f"region coverage: the regions where {base} and the others disagree"]
    heading: tuple[str, str, str] | None = None
    number = 0
    for r in rows:
        if (r.other, r.term, r.region) != heading:
            heading = (r.other, r.term, r.region)
            lines.append(f"  {r.other}.{r.term}, {r.region}:")
            number = 0
        number += 1
        mark = "NO CASE" if not r.covered else "covered by " + ", ".join(r.cases[:3]) + (
            " ..." if len(r.cases) > 3 else "")
        lines.extend(wrap(f"{number}. {r.disjunct.condition} -- {mark}", "    ", "       "))
    covered = sum(1 for r in rows if r.covered)
    share = 100.0 * covered / len(rows) if rows else 100.0
    lines.append(f"region coverage: {covered} of {len(rows)} disjuncts reached by a case "
                 f"({share:.1f}%)")
    return "\n".join(lines) + "\n"


SOURCE = "hypothetical: a witness of a region of kprules test --region-coverage"


def _write(base: str, rows: list[DisjunctCoverage], folder: Path) -> None:
    from kprules.cli.inputs import fail
    from kprules.core.files import OutputError, write_generated

    try:
        write_generated(folder, list(_witnesses(base, rows)))
    except (OSError, OutputError) as err:
        fail("KP604", f"cannot write witnesses to `{folder}`: {err}")


def _witnesses(base: str, rows: list[DisjunctCoverage]) -> Iterator[tuple[str, str]]:
    """(file name, case file) for each disjunct no case reaches."""
    from kprules.analysis.symbolic.witnesses import counterexample_case, kebab

    for n, r in enumerate((r for r in rows if not r.covered), 1):
        w = r.disjunct.witness
        case_id = kebab(f"region-{r.other}-{r.term}-{n}")
        title = f"{r.other}.{r.term}: {r.region}: {r.disjunct.condition}"
        gives = {f"{base}.{r.term}": w.base_value, f"{r.other}.{r.term}": w.other_value}
        yield f"{case_id}.toml", counterexample_case(case_id, title, w.facts, gives, SOURCE)
