"""Evaluation: validated facts and a date in, typed values (and an explanation) out.

Stage: checked policies -> `Evaluator` (compiled once) -> `Evaluation` per fact set. Input facts
are validated against the vocabulary (`validate`): unknown names and ill-typed values are errors
(`FactsError`, KP4xx), a missing or null fact is unknown. The evaluation date is, in order: the
date passed in, the vocabulary's `dated by` fact, or none (then anything dated is unknown).

Fast path: the compiled strict function; when it cannot decide (a fact missing, no date), the
compiled three-valued traced function decides. With `explain=True` the traced function always
runs, and its slots become the explanation. `Evaluator.function(explain=True)` is the fast path
with explanations: the traced function, returning `Explained` values whose explanation tree is
built only when asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from attrs import frozen

from kprules import ir
from kprules.core.source import Source
from kprules.core.suggest import did_you_mean
from kprules.eval.codegen import Compiled, Undecided
from kprules.eval.validator import compile_acceptor, compile_validator
from kprules.ir.slots import Key, Layout, build_layout
from kprules.ir.values import FactError, Value, coerce, public, type_hint

if TYPE_CHECKING:
    from kprules.explain.tree import Explanation


@frozen
class FactProblem:
    """One bad fact: its name, what is wrong, and a hint."""

    name: str
    message: str
    hint: str | None = None


class FactsError(ValueError):
    """Facts that do not fit the vocabulary; `problems` lists every one of them."""

    def __init__(self, problems: Sequence[FactProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"`{p.name}`: {p.message}" for p in self.problems))


def validate(facts: Mapping[str, Any], vocabulary: ir.Vocabulary, *,
             from_text: bool = False, record_id: bool = True) -> dict[str, Any]:
    """Typed facts from raw ones; None (JSON null) and empty CSV cells mean unknown (omitted).
    An `id` field names a record (as in data files) and is left out, unless `id` is a fact (or
    `record_id` is false: a case file's facts have no id).
    Every problem has a hint: a name close to an unknown one, or how to write the value."""
    out: dict[str, Any] = {}
    problems: list[FactProblem] = []
    for name, raw in facts.items():
        info = vocabulary.facts.get(name)
        if info is None and name == "id" and record_id:
            continue
        if info is None:
            problems.append(FactProblem(name, f"`{vocabulary.name}` has no fact `{name}`",
                                        did_you_mean(name, vocabulary.facts)))
            continue
        if raw is None or (from_text and raw == ""):
            continue
        try:
            out[name] = coerce(raw, info.type, from_text=from_text)
        except FactError as err:
            problems.append(FactProblem(name, err.message, err.hint or type_hint(info.type)))
    if problems:
        raise FactsError(problems)
    return out


def _date(as_of: object) -> dt.date:
    """`as_of` itself if it is a date; a clear TypeError for a datetime, a text or anything
    else (a datetime is a date to Python, but its time would be silently dropped)."""
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        return as_of
    hint = "; pass its .date()" if isinstance(as_of, dt.datetime) else \
        "; read a text with datetime.date.fromisoformat" if isinstance(as_of, str) else ""
    raise TypeError(f"as_of must be a datetime.date such as date(2024, 3, 1), not "
                    f"{type(as_of).__name__} {as_of!r}{hint}")


def resolve_as_of(facts: Mapping[str, Any], vocabulary: ir.Vocabulary,
                  as_of: dt.date | None) -> dt.date | None:
    if as_of is not None:
        return _date(as_of)
    if vocabulary.dated_by is not None:
        value = facts.get(vocabulary.dated_by)
        return value if isinstance(value, dt.date) else None
    return None


@frozen
class Evaluation:
    """The values of the requested terms for one fact set (UNKNOWN where undecided)."""

    values: Mapping[Key, Any]
    as_of: dt.date | None
    layout: Layout
    slots: tuple[Any, ...] | None
    facts: Mapping[str, Any]

    def __getitem__(self, key: str | Key) -> Any:
        if isinstance(key, str):
            matches = [k for k in self.values if k[1] == key]
            if len(matches) != 1:
                raise KeyError(key)
            key = matches[0]
        return self.values[key]

    @property
    def explanation(self) -> Any:
        """The explanation tree (evaluate with explain=True to have one)."""
        from kprules.explain.tree import Explanation

        if self.slots is None:
            raise ValueError("this evaluation was made without explain=True")
        return Explanation(self.layout, self.slots, self.facts, self.as_of)


class Explained(NamedTuple):
    """The values of one evaluation (UNKNOWN where undecided), in the order of the targets, and
    what its explanation is built from, when asked for. `facts` is the mapping evaluated, kept
    as it is (not copied): do not change it while the explanation may still be needed."""

    values: tuple[Value, ...]
    slots: Sequence[Any]
    facts: Mapping[str, Any]
    as_of: dt.date | None
    layout: Layout
    sources: Mapping[str, Source] | None = None

    @property
    def explanation(self) -> Explanation:
        from kprules.explain.tree import Explanation

        return Explanation(self.layout, self.slots, self.facts, self.as_of, self.sources)


class Evaluator:
    """Compiled functions for terms of one or more policies that read one vocabulary.

    `sources` (the texts the policies were read from) lets explanations give line numbers."""

    def __init__(self, targets: Sequence[tuple[ir.CheckedPolicy, str]],
                 sources: Mapping[str, Source] | None = None) -> None:
        if not targets:
            raise ValueError("nothing to evaluate")
        vocabularies = {p.vocabulary.name for p, _ in targets}
        if len(vocabularies) != 1:
            raise ValueError("the policies read different vocabularies: "
                             + ", ".join(sorted(vocabularies)))
        self.vocabulary = targets[0][0].vocabulary
        self.layout = build_layout(targets)
        self.sources = sources
        self.compiled = Compiled(self.layout)
        vocab = self.vocabulary
        self.validate: Callable[[Mapping[str, Any]], dict[str, Any]] = compile_validator(
            vocab, partial(validate, vocabulary=vocab))
        self.accepts = compile_acceptor(vocab)
        self._entries: dict[dt.date | None, Compiled] = {}

    @property
    def keys(self) -> tuple[Key, ...]:
        return self.layout.targets

    def run(self, facts: Mapping[str, Any], as_of: dt.date | None,
            explain: bool = False) -> tuple[tuple[Any, ...], tuple[Any, ...] | None]:
        """Values (None = unknown) for validated facts; slots too when explaining."""
        if not explain:
            try:
                return self.compiled.strict(facts, as_of), None
            except Undecided:  # two values cannot decide: three values do
                pass
        values, slots = self.compiled.traced(facts, as_of)
        return values, tuple(slots) if explain else None

    def evaluate(self, facts: Mapping[str, Any], *, as_of: dt.date | None = None,
                 explain: bool = False, validated: bool = False) -> Evaluation:
        typed = dict(facts) if validated else self.validate(facts)
        date = resolve_as_of(typed, self.vocabulary, as_of)
        values, slots = self.run(typed, date, explain)
        return Evaluation({k: public(v) for k, v in zip(self.keys, values, strict=True)},
                          date, self.layout, slots, typed)

    def evaluate_many(self, records: Iterable[Mapping[str, Any]], *,
                      as_of: dt.date | None = None) -> Iterator[Evaluation]:
        for record in records:
            yield self.evaluate(record, as_of=as_of)

    def function(self, *, validate_input: bool = True, as_of: dt.date | None = None,
                 explain: bool = False) -> Callable[[Mapping[str, Any]], Any]:
        """A function from a fact mapping to the tuple of target values (UNKNOWN if undecided);
        with `explain=True`, to an `Explained` (the values, and the explanation when asked for).

        With `validate_input=False` it is the compiled code itself, the fastest path: it trusts
        that every value present has its fact's type (as `validate` returns them, or as
        loaded by kprules' readers; a float is accepted for a decimal or quantity fact and read
        as its shortest decimal) and that no value is None; a missing fact is handled.
        """
        as_of = _date(as_of) if as_of is not None else None
        compiled = self._entries.get(as_of)
        if compiled is None:
            compiled = self._entries[as_of] = self._entry(as_of)
        fast = compiled.explain if explain else compiled.fast
        if not validate_input:
            return fast
        check, accepts = self.validate, self.accepts

        def checked(r: Mapping[str, Any]) -> Any:
            return fast(r) if accepts(r) else fast(check(r))

        return checked

    def _entry(self, as_of: dt.date | None) -> Compiled:
        """The generated entry points for one way of dating records (compiled once)."""
        vocab = self.vocabulary
        run = self.run
        check = self.validate

        def fallback(r: Mapping[str, Any]) -> tuple[Any, ...]:
            typed = check(r)
            values, _ = run(typed, resolve_as_of(typed, vocab, as_of), False)
            return tuple(public(v) for v in values)

        return Compiled(self.layout, fallback=fallback,
                        as_of_fact=None if as_of is not None else vocab.dated_by,
                        as_of=as_of, explained=partial(tuple.__new__, Explained),
                        explain_context=(self.layout, self.sources))
