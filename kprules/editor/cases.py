""""Evaluate the cases of this policy": every expectation about the policy in the case files
near it, run as `kprules test` runs them (kprules.analysis.testing), pass or fail per case.

The case files are those under the nearest `cases/` folder at or above the policy's folder (the
bundled library keeps them in policies/cases/). Expectations about other policies are left out.
"""

from __future__ import annotations

from pathlib import Path

import attrs
from attrs import frozen

from kprules.analysis.testing import Runner
from kprules.api import Library
from kprules.cases.files import read_suite
from kprules.cases.model import Suite
from kprules.core.diagnostics import Severity
from kprules.core.shared_repr import SharedRepr
from kprules.editor.project import Analysis


@frozen(repr=False)
class Outcome(SharedRepr):
    """One expectation of one case: what was expected, what was found."""

    case: str
    term: str
    expected: str
    got: str
    passed: bool
    file: str
    line: int
    error: str | None = None


@frozen(repr=False)
class CaseRun(SharedRepr):
    policy: str
    outcomes: tuple[Outcome, ...]
    problem: str | None = None  # why nothing could be run

    def summary(self) -> str:
        if self.problem is not None:
            return f"{self.policy}: {self.problem}"
        passed = sum(1 for o in self.outcomes if o.passed)
        cases = len({o.case for o in self.outcomes})
        return (f"{self.policy}: {cases} case{'s' if cases != 1 else ''}, "
                f"{len(self.outcomes)} expectations: {passed} passed, "
                f"{len(self.outcomes) - passed} failed")


def cases_folder(path: Path) -> Path | None:
    """The nearest `cases/` folder at or above the folder of `path`."""
    for folder in (path.parent, *path.parent.parents):
        if (folder / "cases").is_dir():
            return folder / "cases"
        if (folder / "pyproject.toml").exists() or (folder / ".git").exists():
            return None
    return None


def run_cases(analysis: Analysis, policy: str) -> CaseRun:
    """Run the expectations about `policy` of the cases near its file."""
    if not analysis.result.ok or policy not in analysis.result.policies:
        return CaseRun(policy, (), "the policy has errors: fix them first")
    folder = cases_folder(analysis.path)
    if folder is None:
        return CaseRun(policy, (), "no `cases/` folder near the policy")
    library = Library(analysis.workspace, analysis.result)
    suite = read_suite([folder], library, allow_unloaded=True)
    errors = [d for d in suite.diagnostics if d.severity is Severity.ERROR]
    if errors:  # a misspelt expectation is not a passing one
        return CaseRun(policy, (), f"the case files of `{folder.name}/` have {len(errors)} "
                       f"error{'s' if len(errors) != 1 else ''} ({errors[0].code}: "
                       f"{errors[0].message}); `kprules check {folder.name}/` shows them")
    mine = tuple(attrs.evolve(c, expect=tuple(e for e in c.expect if e.policy == policy))
                 for c in suite.cases)
    own = Suite(tuple(c for c in mine if c.expect), suite.sources, ())
    if not own.cases:
        return CaseRun(policy, (), f"no case in `{folder.name}/` expects a value of `{policy}`")
    outcomes = [Outcome(c.case.id, c.expectation.term, c.shown(c.expectation.value),
                        c.shown(c.got), c.passed, c.case.file,
                        c.case.lines.get(f"expect.{policy}.{c.expectation.term}", c.case.line),
                        c.error)
                for checks, _ in Runner(library, own).run() for c in checks]
    return CaseRun(policy, tuple(outcomes))
