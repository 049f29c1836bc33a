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

Validating entry points (`function()`, `evaluate`, `evaluate_many`): the checked entry
(kprules.eval.gen_checked), validation fused into the strict code, decides a dict whose values
are of their canonical forms without building typed facts; any other record takes the reference
path above (`validate`, then the strict or traced code), so values and errors are the same.
One call of generated code per record: `evaluate_many` is the entry's own generator loop, and
after its first call with the facts alone an evaluator's `evaluate` is the entry itself, set on
the instance with the method's signature (any other call goes to the method).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, NamedTuple

from attrs import frozen

from kprules import ir
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source
from kprules.core.suggest import did_you_mean
from kprules.eval.codegen import Compiled
from kprules.eval.gen_checked import (
    Front,
    compile_checked,
    evaluation_output,
    mapping_output,
    stand_in,
)
from kprules.eval.gen_common import NOT_DECIDED
from kprules.eval.validator import compile_acceptor, compile_validator
from kprules.ir.slots import Key, Layout, build_layout
from kprules.ir.types import Type
from kprules.ir.values import FactError, Value, coerce, public, type_hint

if TYPE_CHECKING:
    from kprules.explain.tree import Explanation


@frozen(repr=False)
class FactProblem(SharedRepr):
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
    Every problem has a hint: a name close to an unknown one, or how to write the value.
    TypeError when `facts` is not a mapping (a list of pairs, None, one record's text)."""
    if not isinstance(facts, Mapping):
        raise TypeError(f"facts are a mapping of fact names to values (such as a dict), not "
                        f"{type(facts).__name__}")
    out: dict[str, Any] = {}
    problems: list[FactProblem] = []
    for name, raw in facts.items():
        if not isinstance(name, str):
            problems.append(FactProblem(repr(name), f"a fact's name is a text, not "
                                        f"{type(name).__name__}", 'such as "rough"'))
            continue
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


def _plain_date(as_of: object) -> bool:
    """None, or a `datetime.date` itself (the fast path; a subclass takes the reference path,
    which gives it back as it is)."""
    return as_of is None or type(as_of) is dt.date


def resolve_as_of(facts: Mapping[str, Any], vocabulary: ir.Vocabulary,
                  as_of: dt.date | None) -> dt.date | None:
    if as_of is not None:
        return _date(as_of)
    if vocabulary.dated_by is not None:
        value = facts.get(vocabulary.dated_by)
        return value if isinstance(value, dt.date) else None
    return None


class _Context:
    """What every evaluation of one evaluator's entry shares: the keys of its targets, where
    each is (by key, and by term name when the name is one target's), its layout, its
    validator, and how the entry dates a record: the fixed `as_of`, else the fact `dated_by`
    (the checked entry reads it as a date), else none; `evaluation`, the class of its
    evaluations: `Evaluation` with this context as a class attribute, so that an evaluation
    does not carry it; and `kept`, the same for the reference path's evaluations, which keep
    their typed facts, date and slots (`_Kept`)."""

    __slots__ = ("as_of", "dated_by", "evaluation", "kept", "keys", "layout", "positions",
                 "sources", "validate")

    def __init__(self, layout: Layout, validate: Callable[[Mapping[str, Any]], dict[str, Any]],
                 as_of: dt.date | None = None, dated_by: str | None = None,
                 sources: Mapping[str, Source] | None = None) -> None:
        self.keys = layout.targets
        self.sources = sources  # the texts, for the explanations' lines
        self.layout = layout
        self.validate = validate
        self.as_of, self.dated_by = as_of, dated_by
        names = [k[1] for k in self.keys]
        positions: dict[object, int] = {k: i for i, k in enumerate(self.keys)}
        positions.update((n, i) for i, n in enumerate(names) if names.count(n) == 1)
        self.positions = positions
        own = {"context": self, "__module__": __name__, "__doc__": Evaluation.__doc__}
        self.evaluation: type[Evaluation] = type("Evaluation", (Evaluation,),
                                                 {"__slots__": (), **own})
        self.kept: type[_Kept] = type("Evaluation", (_Kept,), own)

    def date_of(self, record: Mapping[str, Any]) -> dt.date | None:
        """The date of a record the checked entry evaluated as given."""
        return record[self.dated_by] if self.dated_by is not None else self.as_of


_item = tuple.__getitem__
_ROW = slice(1, None)  # the values follow the record


class Evaluation(tuple[Any, ...]):
    """The values of the requested terms for one fact set (UNKNOWN where undecided).

    `values` maps each target's key to its value; `row` is the same values as a tuple, in the
    order of the evaluator's keys; `evaluation[name]` or `evaluation[key]` is one of them;
    `facts` the typed facts evaluated, `as_of` the evaluation date, `slots` the clause values
    (with explain=True), `explanation` the tree built from them; `record` the mapping evaluated.

    Built once per record by the validating entry points, so it is cheap to build and to keep:
    one tuple of the record followed by the values, made by calling the class (the context's
    `evaluation`, which holds the context), whose construction is tuple's own: one object per
    record, a small one with no `__dict__` (the garbage collector scans each result kept, and
    a dict slot makes each scan and each construction dearer). So nothing is cached on it:
    `values` is a new dict at each reading, and when the record was evaluated as given (its
    values already of their canonical forms, floats for decimals aside) `facts` and `as_of`
    are `validate`'s reading of the record and its date at each reading: do not change the
    record while they may still be needed.
    The reference path's evaluations keep their typed facts, date and slots (`_Kept`)."""

    __slots__ = ()
    context: _Context  # a class attribute of each context's own subclass

    @property
    def record(self) -> Mapping[str, Any]:
        return _item(self, 0)

    @property
    def as_of(self) -> dt.date | None:
        return self.context.date_of(self.record)

    @property
    def slots(self) -> tuple[Any, ...] | None:
        return None

    @classmethod
    def of_typed(cls, row: tuple[Any, ...], as_of: dt.date | None, context: _Context,
                 slots: tuple[Any, ...] | None, typed: dict[str, Any]) -> Evaluation:
        """An evaluation of typed facts (as `validate` gives them), with its slots, if any."""
        out = context.kept((typed, *row))
        out.kept_facts, out.kept_as_of, out.kept_slots = typed, as_of, slots
        return out

    @property
    def row(self) -> tuple[Any, ...]:
        return tuple.__getitem__(self, _ROW)

    @property
    def values(self) -> Mapping[Key, Any]:
        return dict(zip(self.context.keys, self.row, strict=True))

    @property
    def layout(self) -> Layout:
        return self.context.layout

    @property
    def facts(self) -> Mapping[str, Any]:
        return self.context.validate(self.record)

    def __getitem__(self, key: str | Key) -> Any:  # type: ignore[override]
        position = self.context.positions.get(key)
        if position is None:
            raise KeyError(key)
        return self.row[position]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Evaluation):  # a plain tuple of the same items is not one
            return False if isinstance(other, tuple) else NotImplemented
        return (self.values, self.as_of, self.layout, self.slots, self.facts) == \
            (other.values, other.as_of, other.layout, other.slots, other.facts)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (tuple(self),), getattr(self, "__dict__", None)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Evaluation(values={self.values!r}, as_of={self.as_of!r}, "
                f"slots={self.slots!r}, facts={self.facts!r})")

    @property
    def explanation(self) -> Explanation:
        """The explanation tree (evaluate with explain=True to have one)."""
        from kprules.explain.tree import Explanation

        if self.slots is None:
            raise ValueError("this evaluation was made without explain=True")
        return Explanation(self.layout, self.slots, self.facts, self.as_of,
                           self.context.sources)


class _Kept(Evaluation):
    """An evaluation of the reference path: its typed facts (the record it holds), its date
    and its slots, kept in its `__dict__` (a subclass, so that the checked entries' evaluations
    have none)."""

    kept_facts: dict[str, Any]
    kept_as_of: dt.date | None
    kept_slots: tuple[Any, ...] | None

    @property
    def as_of(self) -> dt.date | None:
        return self.kept_as_of

    @property
    def slots(self) -> tuple[Any, ...] | None:
        return self.kept_slots

    @property
    def facts(self) -> Mapping[str, Any]:
        return self.kept_facts


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
        self._entries: dict[dt.date | None, _Entry] = {}

    # The generated code is compiled at its first use, not here: the SQL engines need only the
    # vocabulary and the layout (`kprules eval --engine duckdb` starts 0.02 s sooner).

    @cached_property
    def compiled(self) -> Compiled:
        """The strict and traced functions of the layout."""
        return Compiled(self.layout)

    @cached_property
    def validate(self) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """Facts -> typed facts, or `FactsError` (the vocabulary's generated validator)."""
        vocab = self.vocabulary
        return compile_validator(vocab, partial(validate, vocabulary=vocab))

    @cached_property
    def accepts(self) -> Callable[[Mapping[str, Any]], bool]:
        """Whether typed facts can go to the compiled code as they are (no validation)."""
        return compile_acceptor(self.vocabulary)

    @cached_property
    def _context(self) -> _Context:
        return _Context(self.layout, self.validate, sources=self.sources)

    @property
    def keys(self) -> tuple[Key, ...]:
        return self.layout.targets

    def run(self, facts: Mapping[str, Any], as_of: dt.date | None,
            explain: bool = False) -> tuple[tuple[Any, ...], tuple[Any, ...] | None]:
        """Values (None = unknown) for validated facts; slots too when explaining."""
        if not explain:
            try:
                return self.compiled.strict(facts, as_of), None
            except NOT_DECIDED:  # two values cannot decide: three values do
                pass
        values, slots = self.compiled.traced(facts, as_of)
        return values, tuple(slots) if explain else None

    def evaluate(self, facts: Mapping[str, Any], *, as_of: dt.date | None = None,
                 explain: bool = False, validated: bool = False) -> Evaluation:
        """Validate the facts (unless `validated`) and evaluate them on `as_of` (else the
        records' own dates); with `explain=True`, keep every clause's value.

        The first call with the facts alone sets this evaluator's own `evaluate` (unless a
        subclass overrides it): the checked entry standing in for this method (`_Entry.front`),
        so that every later call is one call of generated code; it hands any other call (a
        keyword, a wrong argument) to this method."""
        if as_of is None and not explain and not validated:
            front = self._entry(None).front
            if type(self).evaluate is Evaluator.evaluate:
                vars(self)["evaluate"] = front
            return front(facts)  # type: ignore[no-any-return]
        return self._evaluate_general(facts, as_of, explain, validated)

    def _evaluate_general(self, facts: Mapping[str, Any], as_of: dt.date | None,
                          explain: bool, validated: bool) -> Evaluation:
        """Explaining, facts already validated, or an `as_of` that is not a plain date: the
        reference path (its FactsError, then the TypeError of a bad `as_of`); else the
        checked entry of the date."""
        if explain or validated or not _plain_date(as_of):
            return self._evaluate(dict(facts) if validated else self.validate(facts), as_of,
                                  explain)
        return self._entry(as_of).evaluating(facts)  # type: ignore[no-any-return]

    def _evaluate(self, typed: dict[str, Any], as_of: dt.date | None,
                  explain: bool) -> Evaluation:
        """The reference path: typed facts, their date, the strict or traced code."""
        date = resolve_as_of(typed, self.vocabulary, as_of)
        values, slots = self.run(typed, date, explain)
        return Evaluation.of_typed(tuple(public(v) for v in values), date, self._context, slots,
                                   typed)

    def evaluate_many(self, records: Iterable[Mapping[str, Any]], *,
                      as_of: dt.date | None = None) -> Iterator[Evaluation]:
        """`evaluate` on each record, lazily: a generator (nothing is read before the first
        result is asked for); for a plain date or none, the checked entry's own loop."""
        if not _plain_date(as_of):
            return self._evaluate_each(records, as_of)
        many: Iterator[Evaluation] = self._entry(as_of).many(records)
        return many

    def _evaluate_each(self, records: Iterable[Mapping[str, Any]],
                       as_of: dt.date | None) -> Iterator[Evaluation]:
        """The reference path (a bad as_of: each record's FactsError first)."""
        for record in records:
            yield self._evaluate_general(record, as_of, False, False)

    def mapping_entry(self, names: Sequence[str],
                      make: Callable[[dict[str, Any], dt.date | None], Any], *,
                      front: Front | None = None, many: bool = False) -> Callable[..., Any]:
        """The checked entry of the records' own dates returning `make({name: value, ...},
        as_of)` (the targets' values under `names`, in order), or `slow(r)`'s result for any
        record it does not decide, where `slow` makes the same of `evaluate(r)`; with `front`
        or `many`, in that shape (kprules.eval.gen_checked)."""
        slow_evaluation = self._entry(None).slow_evaluation

        def slow(r: Mapping[str, Any]) -> Any:
            out = slow_evaluation(r)
            return make(dict(zip(names, out.row, strict=True)), out.as_of)

        return compile_checked(self.layout, _types(self.vocabulary), slow,
                               as_of_fact=self.vocabulary.dated_by,
                               output=mapping_output(make, names), front=front, many=many)

    def function(self, *, validate_input: bool = True, as_of: dt.date | None = None,
                 explain: bool = False) -> Callable[[Mapping[str, Any]], Any]:
        """A function from a fact mapping to the tuple of target values (UNKNOWN if undecided);
        with `explain=True`, to an `Explained` (the values, and the explanation when asked for).

        With `validate_input=False` it is the compiled code itself, the fastest path: it trusts
        that every value present has its fact's type (as `validate` returns them, or as
        loaded by kprules' readers; a float is accepted for a decimal or quantity fact and read
        as its shortest decimal) and that no value is None; a missing fact is handled.
        With validation (the default), it is the checked entry (kprules.eval.gen_checked):
        validation fused into the compiled code, and the reference path for anything unusual.
        """
        entry = self._entry(as_of)
        compiled = entry.compiled
        if not validate_input:
            return compiled.explain if explain else compiled.fast
        if not explain:
            return entry.checked
        fast, check, accepts = compiled.explain, self.validate, self.accepts

        def checked(r: Mapping[str, Any]) -> Any:
            return fast(r) if type(r) is dict and accepts(r) else fast(check(r))

        return checked

    def _entry(self, as_of: dt.date | None) -> _Entry:
        """The entry points for one evaluation date, or for dates taken from the records."""
        if as_of is not None:
            as_of = _date(as_of)
        entry = self._entries.get(as_of)
        if entry is None:
            entry = self._entries[as_of] = _Entry(self, as_of)
        return entry


class _Entry:
    """The generated entry points of an evaluator for one way of dating records, each compiled
    once, when first needed: `compiled` (the fast and explaining functions), `checked` (the
    checked entry: its slow path is the validating function's, `fast(r)` for a dict that
    `accepts` takes, else `fast(validate(r))`: another mapping, a dict subclass among them, may
    give other values to the two readings, and `validate` reads it once), and `evaluating`
    (the checked entry returning an `Evaluation`: its slow path is the reference path of
    `evaluate`)."""

    def __init__(self, ev: Evaluator, as_of: dt.date | None) -> None:
        vocab = ev.vocabulary
        run, check = ev.run, ev.validate
        self.as_of = as_of
        self.dated_by = vocab.dated_by if as_of is None else None

        def fallback(r: Mapping[str, Any]) -> tuple[Any, ...]:
            typed = check(r)
            values, _ = run(typed, resolve_as_of(typed, vocab, as_of), False)
            return tuple(public(v) for v in values)

        self.compiled = Compiled(
            ev.layout, fallback=fallback, as_of_fact=self.dated_by, as_of=as_of,
            explained=partial(tuple.__new__, Explained), explain_context=(ev.layout, ev.sources))
        self._ev = ev
        self._types = _types(vocab)
        self.context = _Context(ev.layout, ev.validate, as_of, self.dated_by, ev.sources)

    @cached_property
    def checked(self) -> Callable[..., Any]:
        fast, check, accepts = self.compiled.fast, self._ev.validate, self._ev.accepts

        def validating(r: Mapping[str, Any]) -> tuple[Any, ...]:
            return fast(r) if type(r) is dict and accepts(r) else fast(check(r))

        return compile_checked(self._ev.layout, self._types, validating,
                               as_of_fact=self.dated_by, as_of=self.as_of)

    def slow_evaluation(self, r: Mapping[str, Any]) -> Evaluation:
        """The reference path of `evaluate` on this entry's dates."""
        return self._ev._evaluate(self._ev.validate(r), self.as_of, False)

    def _evaluating(self, **shape: Any) -> Callable[..., Any]:
        """The checked entry returning an `Evaluation` (its slow path `slow_evaluation`)."""
        ev = self._ev
        return compile_checked(ev.layout, self._types, self.slow_evaluation,
                               as_of_fact=self.dated_by, as_of=self.as_of,
                               output=evaluation_output(self.context.evaluation), **shape)

    @cached_property
    def evaluating(self) -> Callable[..., Any]:
        return self._evaluating()

    @cached_property
    def many(self) -> Callable[..., Any]:
        """`evaluating` over an iterable of records, as a generator."""
        return self._evaluating(many=True)

    @cached_property
    def front(self) -> Callable[..., Any]:
        """`evaluating` standing in for `Evaluator.evaluate` (for the records' own dates: a
        call with keywords goes to the method)."""
        general = Evaluator.evaluate.__get__(self._ev)
        keywords = (("as_of", None), ("explain", False), ("validated", False))
        front = Front(keywords, general)
        return stand_in(self._evaluating(front=front), Evaluator.evaluate)


def _types(vocab: ir.Vocabulary) -> dict[str, Type]:
    return {name: info.type for name, info in vocab.facts.items()}

