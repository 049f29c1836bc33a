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
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

from attrs import frozen

from kprules import ir
from kprules.checker import CheckResult, check
from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source
from kprules.core.suggest import closest, did_you_mean
from kprules.eval.evaluate import Evaluation, Evaluator, Explained, validate
from kprules.eval.gen_checked import Front, stand_in
from kprules.ir.values import Value
from kprules.syntax.loader import Workspace, load_texts
from kprules.syntax.loader import load as load_workspace

if TYPE_CHECKING:  # imported where an explanation is made: `import kprules.api` stays light
    from kprules.explain.tree import Explanation

Facts: TypeAlias = Mapping[str, object]  # fact name -> value (as JSON, TOML or Python gives it)


@frozen(repr=False, unsafe_hash=False)
class Result(SharedRepr):
    """The values of one evaluation, by term name; `explanation` when asked for. Hashable, by
    its values and date (results that are equal have the same hash)."""

    values: Mapping[str, Value]
    as_of: dt.date | None
    explanation: Explanation | None = None

    def __hash__(self) -> int:
        return hash((frozenset(self.values.items()), self.as_of))

    def __getitem__(self, term: str) -> Value:
        try:
            return self.values[term]
        except KeyError:
            raise UnknownName("term", term, self.values) from None


@frozen(repr=False, unsafe_hash=False)
class ExplainedResult(Result):
    """A `Result` evaluated with `explain=True`: its explanation is always there."""

    explanation: Explanation

    __hash__ = Result.__hash__


class UnknownName(KeyError):
    """A policy or term name that is not there; `suggestions` are the closest names."""

    def __init__(self, kind: str, name: str, known: Iterable[str], where: str = "") -> None:
        self.kind, self.name = kind, name
        self.suggestions = closest(name, known)
        self.hint = did_you_mean(name, self.suggestions)
        self.message = (f"no {kind} `{name}`{where}" + (f"; {self.hint}" if self.hint else ""))
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class Library(Mapping[str, "Policy"]):
    """Checked policies and vocabularies, with the sources they were read from: a read-only
    mapping of policy names to policies (`len`, iteration over names, `in`, `items()`)."""

    def __init__(self, workspace: Workspace, result: CheckResult) -> None:
        self.workspace = workspace
        self.result = result
        self._evaluators: dict[tuple[tuple[str, str], ...], Evaluator] = {}
        self.policies = {name: Policy(self, p) for name, p in result.policies.items()}

    def __repr__(self) -> str:
        return f"<Library of {len(self)} policies: {', '.join(self.policies)}>"

    @property
    def sources(self) -> Mapping[str, Source]:
        return self.workspace.sources

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self.result.diagnostics

    def __getitem__(self, name: str) -> Policy:
        policy = self.policies.get(name) if isinstance(name, str) else None
        if policy is None:  # a KeyError (UnknownName) for anything else, as Mapping.get wants
            raise UnknownName("policy", name if isinstance(name, str) else repr(name),
                              self.policies)
        return policy

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.policies

    def __iter__(self) -> Iterator[str]:
        return iter(self.policies)

    def __len__(self) -> int:
        return len(self.policies)

    def __eq__(self, other: object) -> bool:  # a library is itself, not its contents
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def evaluator(self, targets: Sequence[tuple[str, str]]) -> Evaluator:
        """A compiled evaluator for (policy, term) pairs, built once and kept."""
        key = tuple(targets)  # read once: `targets` may be an iterator
        if key not in self._evaluators:
            pairs = [(self[p].checked, t) for p, t in key]
            for (policy, term), (p, _) in zip(key, pairs, strict=True):
                if term not in p.terms:
                    raise UnknownName("term", term, p.terms, f" in policy `{policy}`")
            self._evaluators[key] = Evaluator(pairs, self.sources)
        return self._evaluators[key]


class Policy:
    """One checked, compiled policy."""

    def __init__(self, library: Library, checked: ir.CheckedPolicy) -> None:
        self.library = library
        self.checked = checked
        # (terms) -> its evaluator and the names of its values, so that a call is a look-up
        self._prepared: dict[tuple[str, ...] | None, _Prepared] = {}

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
        return self._prepare(terms).ev

    def _prepare(self, terms: Sequence[str] | None) -> _Prepared:
        """The library's evaluator of these terms (all by default), with the term name of each
        of its values; kept for the next call."""
        if isinstance(terms, str):  # one name is not a list of one-letter names
            raise TypeError(f"terms is a list of term names, not a text: give [{terms!r}]")
        key = tuple(terms) if terms is not None else None
        prepared = self._prepared.get(key)
        if prepared is None:
            names = self.terms if key is None else key
            ev = self.library.evaluator([(self.name, t) for t in names])
            prepared = self._prepared[key] = _Prepared(ev)
        return prepared

    @overload
    def evaluate(self, facts: Facts, *, as_of: dt.date | None = None,
                 terms: Sequence[str] | None = None,
                 explain: Literal[False] = False) -> Result: ...

    @overload
    def evaluate(self, facts: Facts, *, as_of: dt.date | None = None,
                 terms: Sequence[str] | None = None,
                 explain: Literal[True]) -> ExplainedResult: ...

    @overload
    def evaluate(self, facts: Facts, *, as_of: dt.date | None = None,
                 terms: Sequence[str] | None = None, explain: bool) -> Result: ...

    def evaluate(self, facts: Facts, *, as_of: dt.date | None = None,
                 terms: Sequence[str] | None = None, explain: bool = False) -> Result:
        """Evaluate the terms (all by default) on one fact mapping; with `explain=True`, an
        `ExplainedResult` (its `explanation` always there).

        The first call with the facts alone sets this policy's own `evaluate` (unless a
        subclass overrides it): the checked entry of every term standing in for this method
        and making the `Result` itself, so that every later call is one call of generated code;
        it hands any other call (a keyword, a wrong argument) to this method."""
        if as_of is None and terms is None and not explain:
            front = self._prepare(None).front(Policy.evaluate.__get__(self))
            if type(self).evaluate is Policy.evaluate:
                vars(self)["evaluate"] = front
            return front(facts)
        return self._evaluate_general(facts, as_of, terms, explain)

    def _evaluate_general(self, facts: Facts, as_of: dt.date | None,
                          terms: Sequence[str] | None, explain: bool) -> Result:
        prepared = self._prepare(terms)
        if as_of is None and not explain:
            return prepared.results(facts)
        out = prepared.ev.evaluate(facts, as_of=as_of, explain=explain)
        if explain:
            return self._result(out, explain, prepared.names)
        return _new_result(dict(zip(prepared.names, out.row, strict=True)), out.as_of)

    def _result(self, out: Evaluation, explain: bool, names: tuple[str, ...]) -> Result:
        values: dict[str, Value] = dict(zip(names, out.row, strict=True))
        if explain and out.slots is not None:
            from kprules.explain.tree import Explanation

            return ExplainedResult(values, out.as_of, Explanation(
                out.layout, out.slots, out.facts, out.as_of, self.library.sources))
        return Result(values, out.as_of)

    def explain(self, facts: Facts, *, as_of: dt.date | None = None,
                terms: Sequence[str] | None = None) -> Explanation:
        return self.evaluate(facts, as_of=as_of, terms=terms, explain=True).explanation

    def evaluate_many(self, records: Iterable[Facts], *,
                      as_of: dt.date | None = None,
                      terms: Sequence[str] | None = None) -> Iterator[Result]:
        """Evaluate a stream of fact mappings lazily (memory does not grow with the stream)."""
        prepared = self._prepare(terms)
        if as_of is None:
            yield from prepared.many(records)
            return
        for out in prepared.ev.evaluate_many(records, as_of=as_of):
            yield _new_result(dict(zip(prepared.names, out.row, strict=True)), out.as_of)

    @overload
    def function(self, terms: Sequence[str] | None = None, *, as_of: dt.date | None = None,
                 validate_input: bool = True,
                 explain: Literal[False] = False) -> Callable[[Facts], tuple[Value, ...]]: ...

    @overload
    def function(self, terms: Sequence[str] | None = None, *, as_of: dt.date | None = None,
                 validate_input: bool = True,
                 explain: Literal[True]) -> Callable[[Facts], Explained]: ...

    def function(self, terms: Sequence[str] | None = None, *, as_of: dt.date | None = None,
                 validate_input: bool = True, explain: bool = False
                 ) -> Callable[[Facts], tuple[Value, ...]] | Callable[[Facts], Explained]:
        """The compiled function from a fact mapping to the tuple of the terms' values.

        The fastest path for bulk evaluation. With `validate_input=False` the function trusts
        its input: every value present must already have its fact's type (as `validate`
        returns them), and no value may be None; a missing fact is handled (three-valued).
        With `explain=True` it returns an `Explained` (`values`, and `explanation` built when
        read), at a few times the cost.
        """
        fn: Callable[[Facts], Any] = self._evaluator(terms).function(
            validate_input=validate_input, as_of=as_of, explain=explain)
        return fn

    def validate(self, facts: Facts) -> dict[str, Value]:
        """Typed facts from raw ones (raises FactsError listing every problem, each with a
        hint)."""
        return validate(facts, self.vocabulary)


class _Prepared:
    """A policy's evaluator of some terms, the term name of each of its values (in order), and
    its checked entries making `Result`s (of one record, and a generator over many), each made
    when first needed."""

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self.names = tuple(k[1] for k in ev.keys)
        self._front: Callable[..., Result] | None = None

    @cached_property
    def results(self) -> Callable[[Facts], Result]:
        return self.ev.mapping_entry(self.names, _new_result)

    @cached_property
    def many(self) -> Callable[[Iterable[Facts]], Iterator[Result]]:
        return self.ev.mapping_entry(self.names, _new_result, many=True)

    def front(self, general: Callable[..., Result]) -> Callable[..., Result]:
        """The checked entry standing in for `Policy.evaluate` (`general`, bound), made once."""
        if self._front is None:
            keywords = (("as_of", None), ("terms", None), ("explain", False))
            entry = self.ev.mapping_entry(self.names, _new_result,
                                          front=Front(keywords, general))
            self._front = stand_in(entry, Policy.evaluate)
        return self._front


_new_object = object.__new__
_SET_VALUES, _SET_AS_OF, _SET_EXPLANATION = (
    Result.__dict__[name].__set__ for name in ("values", "as_of", "explanation"))


def _new_result(values: dict[str, Value], as_of: dt.date | None) -> Result:
    """`Result(values, as_of)`, made as attrs' frozen `__init__` makes it (the object, then
    its three slots set past the frozen `__setattr__`) without the cost of that call: the
    validating entry points make one per record (tests/evaluator/test_checked_entry.py checks
    that the two are the same)."""
    out: Result = _new_object(Result)
    _SET_VALUES(out, values)
    _SET_AS_OF(out, as_of)
    _SET_EXPLANATION(out, None)
    return out


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
