"""The library API: load policies once, evaluate many fact sets fast.

    >>> import kprules
    >>> lib = kprules.load("policies/")                         # doctest: +SKIP
    >>> policy = lib["kpcs_2003"]                               # doctest: +SKIP
    >>> policy.evaluate({"rough": True, ...})["conflict_diamond"]   # doctest: +SKIP

`load` and `loads` read, check and compile; they raise `PolicyError` (with every diagnostic) when
a policy has errors. A `Policy` evaluates one fact mapping (`evaluate`, optionally with an
explanation), a stream of them (`evaluate_many`), or gives the compiled function itself
(`function`). Unknown results are `UNKNOWN`. See docs/library.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from kprules import ir
from kprules.checker import CheckResult, check
from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.source import Source
from kprules.core.suggest import did_you_mean
from kprules.eval.evaluate import Evaluation, Evaluator, validate
from kprules.explain.tree import Explanation
from kprules.syntax.loader import Workspace, load_texts
from kprules.syntax.loader import load as load_workspace


@frozen
class Result:
    """The values of one evaluation, by term name; `explanation` when asked for."""

    values: Mapping[str, Any]
    as_of: dt.date | None
    explanation: Explanation | None = None

    def __getitem__(self, term: str) -> Any:
        return self.values[term]


class Library:
    """Checked policies and vocabularies, with the sources they were read from."""

    def __init__(self, workspace: Workspace, result: CheckResult) -> None:
        self.workspace = workspace
        self.result = result
        self._evaluators: dict[tuple[tuple[str, str], ...], Evaluator] = {}
        self.policies = {name: Policy(self, p) for name, p in result.policies.items()}

    @property
    def sources(self) -> Mapping[str, Source]:
        return self.workspace.sources

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self.result.diagnostics

    def __getitem__(self, name: str) -> Policy:
        if name not in self.policies:
            hint = did_you_mean(name, self.policies)
            raise KeyError(f"no policy `{name}`" + (f"; {hint}" if hint else ""))
        return self.policies[name]

    def __iter__(self) -> Iterator[Policy]:
        return iter(self.policies.values())

    def evaluator(self, targets: Sequence[tuple[str, str]]) -> Evaluator:
        """A compiled evaluator for (policy, term) pairs, built once and kept."""
        key = tuple(targets)
        if key not in self._evaluators:
            pairs = [(self[p].checked, t) for p, t in targets]
            for (policy, term), (p, _) in zip(targets, pairs, strict=True):
                if term not in p.terms:
                    hint = did_you_mean(term, p.terms)
                    raise KeyError(f"policy `{policy}` has no term `{term}`"
                                   + (f"; {hint}" if hint else ""))
            self._evaluators[key] = Evaluator(pairs, self.sources)
        return self._evaluators[key]


class Policy:
    """One checked, compiled policy."""

    def __init__(self, library: Library, checked: ir.CheckedPolicy) -> None:
        self.library = library
        self.checked = checked

    def __repr__(self) -> str:
        return f"<Policy {self.name} ({self.status})>"

    @property
    def name(self) -> str:
        return self.checked.name

    @property
    def title(self) -> str | None:
        return self.checked.title

    @property
    def status(self) -> str:
        return self.checked.status

    @property
    def vocabulary(self) -> ir.Vocabulary:
        return self.checked.vocabulary

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term: own and inherited, in name order."""
        return tuple(sorted(self.checked.terms))

    def _evaluator(self, terms: Sequence[str] | None) -> Evaluator:
        names = tuple(terms) if terms is not None else self.terms
        return self.library.evaluator([(self.name, t) for t in names])

    def evaluate(self, facts: Mapping[str, Any], *, as_of: dt.date | None = None,
                 terms: Sequence[str] | None = None, explain: bool = False) -> Result:
        """Evaluate the terms (all by default) on one fact mapping."""
        ev = self._evaluator(terms)
        out = ev.evaluate(facts, as_of=as_of, explain=explain)
        return self._result(out, explain)

    def _result(self, out: Evaluation, explain: bool) -> Result:
        values = {key[1]: value for key, value in out.values.items()}
        explanation = Explanation(out.layout, out.slots, out.facts, out.as_of,
                                  self.library.sources) if explain and out.slots else None
        return Result(values, out.as_of, explanation)

    def explain(self, facts: Mapping[str, Any], *, as_of: dt.date | None = None,
                terms: Sequence[str] | None = None) -> Explanation:
        result = self.evaluate(facts, as_of=as_of, terms=terms, explain=True)
        assert result.explanation is not None
        return result.explanation

    def evaluate_many(self, records: Iterable[Mapping[str, Any]], *,
                      as_of: dt.date | None = None,
                      terms: Sequence[str] | None = None) -> Iterator[Result]:
        """Evaluate a stream of fact mappings lazily (memory does not grow with the stream)."""
        ev = self._evaluator(terms)
        for record in records:
            yield self._result(ev.evaluate(record, as_of=as_of), False)

    def function(self, terms: Sequence[str] | None = None, *, as_of: dt.date | None = None,
                 validate_input: bool = True,
                 explain: bool = False) -> Callable[[Mapping[str, Any]], Any]:
        """The compiled function from a fact mapping to the tuple of the terms' values.

        The fastest path for bulk evaluation. With `validate_input=False` the function trusts
        its input: every value present must already have its fact's type (as `validate`
        returns them), and no value may be None; a missing fact is handled (three-valued).
        With `explain=True` it returns an `Explained` (`values`, and `explanation` built when
        read), at a few times the cost.
        """
        return self._evaluator(terms).function(validate_input=validate_input, as_of=as_of,
                                               explain=explain)

    def validate(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Typed facts from raw ones (raises FactsError listing every problem)."""
        return validate(facts, self.vocabulary)


def _library(ws: Workspace, seeds_dir: Path | None) -> Library:
    from kprules.syntax.seeds import load_seeds

    result = check(ws, load_seeds(seeds_dir) if seeds_dir is not None else None)
    if not result.ok:
        raise PolicyError(result.errors)
    return Library(ws, result)


def load(*paths: str | Path, seeds: str | Path | None = None) -> Library:
    """Read and check policy files or folders (and what they need from nearby folders)."""
    if not paths:
        raise ValueError("load() needs at least one path")
    ws = load_workspace([Path(p) for p in paths])
    return _library(ws, Path(seeds) if seeds is not None else None)


def loads(*texts: str) -> Library:
    """Check policies given as texts (a vocabulary and its policies), named <text 1>, ..."""
    ws = load_texts((f"<text {i}>", text) for i, text in enumerate(texts, 1))
    return _library(ws, None)
