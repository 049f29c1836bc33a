"""Case files: TOML in, validated `Case` objects (with the place of every key) out.

Stage: case files (a file, or a folder searched recursively for `*.toml`) and the checked policies
-> a `Suite` of `Case`s and every diagnostic (KP4xx; KP100-KP102 for unreadable files). A case's
facts are validated against the vocabulary its policies read (`kprules.evaluate.validate`), its
expectations against the types of the terms they name. Every problem of a file is reported at
once, each located (a span into the TOML text) and with a hint; nothing is evaluated here.

Two forms (docs/cases.md): one case (`[case]`, `[facts]`, `[expect]`), or a family (`[family]`
with shared `[family.facts]` and `[family.expect]`, then `[[case]]` entries whose own facts and
expectations override the family's).

Positions come from kprules.cases.toml_locate (tomllib gives none); how values are judged from
kprules.cases.values (shared with the data-file readers, kprules.cases.bulk).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias

from attrs import define, field, frozen

from kprules import ir
from kprules.cases.toml_locate import KeyPath, Place, is_date, locate, parse
from kprules.cases.values import expect_hint, expected_value, fact_code, found, type_hint
from kprules.checker import CheckResult
from kprules.core.diagnostics import Diagnostic, PolicyError, Related, errors_in, sort_diagnostics
from kprules.core.files import SourceError, display_name, expand_paths, read_source
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import NO_SPAN, Source, Span
from kprules.core.suggest import did_you_mean
from kprules.eval.evaluate import FactsError, validate
from kprules.eval.loaded import Loaded
from kprules.ir.types import TEXT, EnumType, SetType, Type
from kprules.ir.values import FactError, coerce
from kprules.syntax.search import find_module

CASE_KEYS = ("id", "title", "sources", "date", "contested", "notes", "facts", "expect")
_TOP_SINGLE = ("case", "facts", "expect")
_TOP_FAMILY = ("family", "case")
_KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# ----------------------------------------------------------------------------- the objects


@frozen(repr=False)
class Expectation(SharedRepr):
    """`policy.term = value`: the value a case expects (UNKNOWN: the facts do not decide it)."""

    policy: str
    term: str
    value: Any
    span: Span = field(default=NO_SPAN, eq=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.policy}.{self.term}"


@frozen(repr=False)
class Case(SharedRepr):
    """One validated case. `facts` are typed (as `validate` returns them); `raw_facts` as written.

    `spans` maps each key to its place in the file: "" (the case's `[case]` or `[[case]]`), "id",
    "title", "sources", "date", "contested", "notes", "facts.<name>", "expect.<policy>.<term>";
    a key a family gives points into the family's part of the file. `lines` are their lines."""

    id: str
    title: str
    sources: tuple[str, ...]
    date: dt.date | None
    contested: str | None
    notes: str | None
    facts: Mapping[str, Any]
    raw_facts: Mapping[str, Any]
    expect: tuple[Expectation, ...]
    vocabulary: str
    file: str
    family: str | None = None
    spans: Mapping[str, Span] = field(factory=dict, eq=False, repr=False)
    lines: Mapping[str, int] = field(factory=dict, eq=False, repr=False)

    @property
    def span(self) -> Span:
        return self.spans[""]

    @property
    def line(self) -> int:
        return self.lines[""]

    def as_of(self, dated_by: str | None, default: dt.date | None = None) -> dt.date | None:
        """The evaluation date: the case's `date`, else its `dated by` fact, else `default`."""
        if self.date is not None:
            return self.date
        value = self.facts.get(dated_by) if dated_by else None
        return value if isinstance(value, dt.date) else default


@frozen(repr=False)
class Suite(SharedRepr):
    """The cases of some files, the sources read, and every diagnostic (sorted)."""

    cases: tuple[Case, ...]
    sources: Mapping[str, Source]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not errors_in(self.diagnostics)

    def by_id(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        hint = did_you_mean(case_id, [c.id for c in self.cases])
        raise KeyError(f"no case `{case_id}`" + (f"; {hint}" if hint else ""))


class CaseError(PolicyError):
    """Case files with errors: the diagnostics, and the sources to render them with."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, Source]) -> None:
        super().__init__(diagnostics)
        self.sources = sources


# ----------------------------------------------------------------------------- reading files


@define(repr=False)
class _File(SharedRepr):
    """The diagnostics of one case file as they are found, and the places to attach them to."""

    source: Source
    path: Path | None
    places: dict[KeyPath, Place] = field(factory=dict)
    diagnostics: list[Diagnostic] = field(factory=list)
    reported: int = 0  # problems found, counting those a family's keys give every case
    ids: list[tuple[str, Span]] = field(factory=list)  # every case id, valid case or not
    seen: set[Diagnostic] = field(factory=set)  # the diagnostics above, for a linear check

    def where(self, path: KeyPath, value: bool = False) -> Span:
        """The span of a key (or of its value), else of the nearest enclosing key, else the
        file's first line."""
        for n in range(len(path), 0, -1):
            place = self.places.get(path[:n])
            if place is not None:
                return place.value if value and n == len(path) else place.key
        return self.source.span(0, 0)

    def error(self, code: str, message: str, path: KeyPath, *, value: bool = False,
              hint: str | None = None, related: tuple[Related, ...] = ()) -> None:
        self.reported += 1
        diag = Diagnostic(code, message, self.where(path, value), hint=hint, related=related)
        if diag not in self.seen:  # a family's problem is found once per case
            self.seen.add(diag)
            self.diagnostics.append(diag)


def case_files(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Files as given, and every `*.toml` under each folder, sorted; KP400/KP100 otherwise."""
    return expand_paths(paths, ".toml", _no_case_files)


def _no_case_files(name: str) -> Diagnostic:
    return Diagnostic("KP400", f"`{name}` holds no case files (`*.toml`)", None,
                      hint="case files end in `.toml`")


PolicySet: TypeAlias = "CheckResult | Loaded"


def read_suite(paths: Sequence[Path], policies: PolicySet, *,
               allow_unloaded: bool = False) -> Suite:
    """Read and validate case files and folders against checked policies (a `Library`, anything
    `Loaded`, or a `CheckResult`); every problem is in `Suite.diagnostics` (this never raises for
    bad input).

    With `allow_unloaded` (for commands that only evaluate), an expectation naming a policy
    that is not loaded is left out when a `.kpr` file near its case file declares that policy;
    a name that no such file declares is still an error (it is most likely misspelt)."""
    files, problems = case_files(paths)
    sources: dict[str, Source] = {}
    items: list[tuple[Source, Path | None]] = []
    for path in files:
        try:
            src = read_source(path)
        except SourceError as err:
            problems.extend(err.diagnostics)
            if err.source is not None:
                sources[err.source.name] = err.source
            continue
        items.append((src, path))
    suite = _suite(items, policies, allow_unloaded)
    return Suite(suite.cases, {**sources, **suite.sources},
                 sort_diagnostics([*problems, *suite.diagnostics]))


def read_texts(texts: Iterable[tuple[str, str]], policies: PolicySet, *,
               allow_unloaded: bool = False) -> Suite:
    """`read_suite` for (name, text) pairs: the same validation, without files."""
    return _suite([(Source(name, text), None) for name, text in texts], policies,
                  allow_unloaded)


def load_suite(paths: Sequence[Path], policies: PolicySet, *,
               allow_unloaded: bool = False) -> Suite:
    """`read_suite`, raising `CaseError` (with every diagnostic) when there are errors."""
    suite = read_suite(paths, policies, allow_unloaded=allow_unloaded)
    if not suite.ok:
        raise CaseError(suite.diagnostics, suite.sources)
    return suite


def _suite(items: Sequence[tuple[Source, Path | None]], policies: PolicySet,
           allow_unloaded: bool) -> Suite:
    result: CheckResult = policies if isinstance(policies, CheckResult) else policies.result
    cases: list[Case] = []
    diagnostics: list[Diagnostic] = []
    ids: list[tuple[str, Span]] = []
    for source, path in items:
        f = _File(source, path)
        cases.extend(_parse_file(f, _Context(result, allow_unloaded, {})))
        diagnostics.extend(f.diagnostics)
        ids.extend(f.ids)
    diagnostics.extend(_duplicate_ids(ids))
    return Suite(tuple(cases), {s.name: s for s, _ in items}, sort_diagnostics(diagnostics))


def _duplicate_ids(ids: Sequence[tuple[str, Span]]) -> Iterator[Diagnostic]:
    first: dict[str, Span] = {}
    for case_id, span in ids:
        other = first.setdefault(case_id, span)
        if other is not span:
            yield Diagnostic("KP406", f"case id `{case_id}` is used twice", span,
                             hint="give each case its own id",
                             related=(Related(other, "first used here"),))


# ----------------------------------------------------------------------------- file structure


def _toml(f: _File) -> dict[str, Any] | None:
    doc = parse(f.source)
    if isinstance(doc, Diagnostic):
        f.diagnostics.append(doc)
        return None
    return doc




@frozen(repr=False)
class _Context(SharedRepr):
    result: CheckResult
    allow_unloaded: bool
    declared: dict[tuple[str, Path], Path | None]  # where nearby policies are (searched once)

    def find(self, name: str, f: _File) -> Path | None:
        """The `.kpr` file near a case file that declares the policy `name`, if any."""
        if f.path is None:
            return None
        key = (name, f.path.parent)
        if key not in self.declared:
            self.declared[key] = find_module(name, f.path.parent)
        return self.declared[key]


@frozen(repr=False)
class _Layer(SharedRepr):
    """One level of a case's keys: the family's part, or the case's own."""

    table: Mapping[str, Any]
    path: KeyPath


def _parse_file(f: _File, ctx: _Context) -> list[Case]:
    doc = _toml(f)
    if doc is None:
        return []
    f.places = locate(f.source)
    if "family" in doc or isinstance(doc.get("case"), list):
        return _family_file(doc, f, ctx)
    return _single_file(doc, f, ctx)


def _unknown_keys(table: Mapping[str, Any], path: KeyPath, allowed: Sequence[str],
                  f: _File) -> None:
    for key, value in table.items():
        if key in allowed:
            continue
        if path:
            f.error("KP402", f"unknown key `{key}` in `{_table_name(path)}`", (*path, key),
                    hint=did_you_mean(key, allowed)
                    or "its keys are " + ", ".join(f"`{k}`" for k in allowed))
        elif isinstance(value, dict):
            f.error("KP402", f"unknown table `[{key}]`", (key,),
                    hint=_bracket(did_you_mean(key, allowed))
                    or "the tables are " + ", ".join(f"`[{k}]`" for k in allowed))
        else:
            f.error("KP402", f"unknown key `{key}` at the top of the file", (key,),
                    hint=f"put it under `[{allowed[0]}]`" if key in CASE_KEYS
                    else did_you_mean(key, allowed))


def _bracket(hint: str | None) -> str | None:
    """`did you mean `case`?` as `did you mean `[case]`?`."""
    return re.sub(r"`([^`]*)`", r"`[\1]`", hint) if hint else None


def _table_name(path: KeyPath) -> str:
    if path and isinstance(path[-1], int):
        return "[[" + ".".join(str(p) for p in path[:-1]) + "]]"
    return "[" + ".".join(str(p) for p in path) + "]"


def _single_file(doc: Mapping[str, Any], f: _File, ctx: _Context) -> list[Case]:
    before = f.reported
    _unknown_keys(doc, (), _TOP_SINGLE, f)
    case = doc.get("case")
    if case is None and f.reported > before:  # an unknown table says it better (`[cas]`)
        return []
    if case is None:
        f.diagnostics.append(Diagnostic(
            "KP403", "the file has no `[case]` table", f.source.span(0, 0),
            hint="a case file starts with [case] (one case), or with [family] and [[case]] "
            "entries (several)"))
        return []
    if not isinstance(case, dict):
        f.error("KP404", f"`case` must be a table, found {found(case)}", ("case",), value=True,
                hint="write [case] on its own line, then one `key = value` per line")
        return []
    _unknown_keys(case, ("case",), CASE_KEYS[:6], f)
    top = _Layer({k: v for k, v in doc.items() if k in ("facts", "expect")}, ())
    built = _case([top], _Layer(case, ("case",)), f, ctx, require_sources=True)
    return [built] if built else []


def _family_file(doc: Mapping[str, Any], f: _File, ctx: _Context) -> list[Case]:
    _unknown_keys(doc, (), _TOP_FAMILY, f)
    family = doc.get("family", {})
    layers: list[_Layer] = []
    if not isinstance(family, dict):
        f.error("KP404", f"`family` must be a table, found {found(family)}", ("family",),
                value=True, hint="write [family] on its own line")
        return []
    if family:
        _unknown_keys(family, ("family",), CASE_KEYS, f)
        layers.append(_Layer(family, ("family",)))
        _family_header(family, f)
    entries = doc.get("case")
    if not isinstance(entries, list) or not entries:
        _no_entries(entries, f)
        return []
    out = []
    for i, entry in enumerate(entries):
        path: KeyPath = ("case", i)
        if not isinstance(entry, dict):
            f.error("KP404", f"each case must be a table, found {found(entry)}", path,
                    value=True, hint="write each case as [[case]] followed by its keys")
            continue
        _unknown_keys(entry, path, CASE_KEYS, f)
        built = _case(layers, _Layer(entry, path), f, ctx, require_sources=not family)
        if built:
            out.append(built)
    return out


def _family_header(family: Mapping[str, Any], f: _File) -> None:
    """The family's own id, title and sources: required and checked, though no case uses the
    family id as its own."""
    for key in ("id", "title"):
        _text(family, key, ("family",), f, required=True)
    if isinstance(family.get("id"), str):
        _check_id(family["id"], ("family", "id"), f)
    _sources(family, ("family",), f, required=True)


def _no_entries(entries: Any, f: _File) -> None:
    if isinstance(entries, dict):
        f.error("KP404", "with [family], each case is written [[case]], not [case]", ("case",),
                value=True, hint="write [[case]] (double brackets) before each case")
    elif entries is None or entries == []:
        f.error("KP403", "the family has no cases", ("family",), value=True,
                hint="add one [[case]] entry per case, each with its id, title and facts")
    else:
        f.error("KP404", f"`case` must be a list of tables, found {found(entries)}", ("case",),
                value=True, hint="write [[case]] before each case")


# ----------------------------------------------------------------------------- one case


def _case(layers: Sequence[_Layer], own: _Layer, f: _File, ctx: _Context,
          require_sources: bool) -> Case | None:
    before = f.reported
    path, table = own.path, own.table
    case_id = _text(table, "id", path, f, required=True)
    if case_id is not None:
        _check_id(case_id, (*path, "id"), f)
        f.ids.append((case_id, f.where((*path, "id"), value=True)))
    title = _text(table, "title", path, f, required=True)
    sources = tuple(s for layer in (*layers, own)
                    for s in _sources(layer.table, layer.path, f,
                                      required=require_sources and layer is own))
    date = _inherited(layers, own, "date", f, _date)
    contested = _inherited(layers, own, "contested", f, _optional_text)
    notes = _inherited(layers, own, "notes", f, _optional_text)
    raw, fact_paths = _merged(layers, own, "facts", f)
    expect_raw, expect_paths = _expectations(layers, own, f)
    expect, vocab = _check_expectations(expect_raw, expect_paths, f, ctx)
    vocabulary = _vocabulary(raw, path, f, ctx) if vocab is None else vocab or None
    typed = _facts(raw, fact_paths, vocabulary, f) if vocabulary else {}
    if f.reported > before or case_id is None or title is None or vocabulary is None:
        return None
    spans = _spans(path, layers, own, f, fact_paths, expect)
    family = layers[0].table.get("id") if layers and layers[0].path else None
    return Case(case_id, title, sources, date, contested, notes, typed, raw, tuple(expect),
                vocabulary.name, f.source.name, family if isinstance(family, str) else None,
                spans, {k: f.source.line_col(s.start)[0] for k, s in spans.items()})


def _spans(path: KeyPath, layers: Sequence[_Layer], own: _Layer, f: _File,
           fact_paths: Mapping[str, KeyPath], expect: Sequence[Expectation]) -> dict[str, Span]:
    spans = {"": f.where(path)}
    for key in CASE_KEYS[:6]:
        for layer in (*layers, own):
            if key in layer.table:
                spans[key] = f.where((*layer.path, key))
    spans.update({f"facts.{n}": f.where(p) for n, p in fact_paths.items()})
    spans.update({f"expect.{e.key}": e.span for e in expect})
    return spans


def _text(table: Mapping[str, Any], key: str, path: KeyPath, f: _File,
          required: bool) -> str | None:
    if key not in table:
        if required:
            f.error("KP403", f"`{_table_name(path)}` has no `{key}`", path, value=True,
                    hint=f"add `{key} = {_EXAMPLES[key]}`")
        return None
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        shown = "empty text" if isinstance(value, str) else found(value)
        f.error("KP404", f"`{key}` must be text, found {shown}", (*path, key), value=True,
                hint=f"write it in quotes: {key} = {_EXAMPLES[key]}")
        return None
    return value


_EXAMPLES = {"id": '"a-kebab-case-id"', "title": '"what happened, where, when"',
             "contested": '"why the outcome is disputed"', "notes": '"..."'}


def _optional_text(table: Mapping[str, Any], key: str, path: KeyPath, f: _File) -> str | None:
    return _text(table, key, path, f, required=False)


def _check_id(case_id: str, path: KeyPath, f: _File) -> None:
    if not _KEBAB.fullmatch(case_id):
        better = "-".join(re.findall(r"[a-z0-9]+", case_id.lower()))
        f.error("KP405", f"case id `{case_id}` is not kebab-case", path, value=True,
                hint=(f"write `{better}`: " if better else "use ")
                + "lower-case letters and digits, words joined by `-`")


def _sources(table: Mapping[str, Any], path: KeyPath, f: _File, required: bool) -> list[str]:
    if "sources" not in table:
        if required:
            f.error("KP403", f"`{_table_name(path)}` has no `sources`", path, value=True,
                    hint='add `sources = ["where the facts come from"]` (seed ids or text)')
        return []
    value = table["sources"]
    if not isinstance(value, list):
        f.error("KP404", f"`sources` must be a list of text, found {found(value)}",
                (*path, "sources"), value=True, hint='write sources = ["...", "..."]')
        return []
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str) and item.strip():
            out.append(item)
        else:
            shown = "empty text" if isinstance(item, str) else found(item)
            f.error("KP404", f"`sources` item {i + 1} must be text, found {shown}",
                    (*path, "sources", i), value=True, hint="write each source in quotes")
    return out


def _date(table: Mapping[str, Any], key: str, path: KeyPath, f: _File) -> dt.date | None:
    if key not in table:
        return None
    value = table[key]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    hint = "write a TOML date, without quotes, such as date = 2023-06-01"
    if isinstance(value, str) and is_date(value.strip()):
        hint = f"remove the quotes: date = {value.strip()}"
    elif isinstance(value, dt.datetime):
        hint = f"write the day only: date = {value.date()}"
    what = "a date without a time" if isinstance(value, dt.datetime) else "a date"
    f.error("KP404", f"`{key}` must be {what}, found {found(value)}", (*path, key), value=True,
            hint=hint)
    return None


def _inherited(layers: Sequence[_Layer], own: _Layer, key: str, f: _File, read: Any) -> Any:
    """A header key the case gives, else the family gives (every layer is checked)."""
    found = None
    for layer in (*layers, own):
        value = read(layer.table, key, layer.path, f)
        if value is not None:
            found = value
    return found


def _table(layer: _Layer, key: str, f: _File) -> Mapping[str, Any]:
    table = layer.table.get(key, {})
    if isinstance(table, dict):
        return table
    f.error("KP404", f"`{key}` must be a table, found {found(table)}", (*layer.path, key),
            value=True, hint=f"write [{key}] on its own line (or `{key} = {{ ... }}` in a "
            "[[case]]), then one `name = value` per entry")
    return {}


def _merged(layers: Sequence[_Layer], own: _Layer, key: str,
            f: _File) -> tuple[dict[str, Any], dict[str, KeyPath]]:
    """The facts of every layer merged, later layers overriding earlier ones; with the path of
    each entry."""
    values: dict[str, Any] = {}
    paths: dict[str, KeyPath] = {}
    for layer in (*layers, own):
        for name, value in _table(layer, key, f).items():
            values[name] = value
            paths[name] = (*layer.path, key, name)
    return values, paths


# ----------------------------------------------------------------------------- facts


def _vocabulary(raw: Mapping[str, Any], case_path: KeyPath, f: _File,
                ctx: _Context) -> ir.Vocabulary | None:
    """The vocabulary of a case whose expectations name no loaded policy: the only one the
    policies read, else the only one all its facts belong to."""
    read = {p.vocabulary.name: p.vocabulary for p in ctx.result.policies.values()}
    candidates = read or dict(ctx.result.vocabularies)
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    fits = [v for v in candidates.values() if all(name in v.facts for name in raw)]
    if len(fits) == 1:
        return fits[0]
    names = ", ".join(f"`{v}`" for v in sorted(candidates)) or "none"
    f.error("KP414", f"cannot tell which vocabulary the facts of this case belong to "
            f"(loaded: {names})", case_path, value=True,
            hint="add an expectation naming a policy, or evaluate the policies of one "
            "vocabulary at a time")
    return None


def _facts(raw: Mapping[str, Any], paths: Mapping[str, KeyPath], vocab: ir.Vocabulary,
           f: _File) -> dict[str, Any]:
    """The typed facts of a case; `"unknown"` makes a fact unknown (a family's value
    included), unless "unknown" is itself a value of the fact's type (text, or an enum with a
    value `unknown`)."""
    given = {name: value for name, value in raw.items()
             if not (value == UNKNOWN_TEXT and name in vocab.facts
                     and not _has_unknown(vocab.facts[name].type))}
    try:
        return validate(given, vocab, record_id=False)
    except FactsError as err:
        for problem in err.problems:
            _fact_problem(problem.name, problem.message, problem.hint, raw, paths[problem.name],
                          vocab, f)
    return {}


UNKNOWN_TEXT = "unknown"  # how a case file writes an unknown fact or expectation


def _has_unknown(typ: Type) -> bool:
    """Whether "unknown" is a value of the type (then it cannot spell the unknown value)."""
    return typ == TEXT or (isinstance(typ, EnumType) and UNKNOWN_TEXT in typ.values)


def _fact_problem(name: str, message: str, hint: str | None, raw: Mapping[str, Any],
                  path: KeyPath, vocab: ir.Vocabulary, f: _File) -> None:
    info = vocab.facts.get(name)
    if info is None:
        f.error("KP407", f"the vocabulary `{vocab.name}` has no fact `{name}`", path,
                hint=did_you_mean(name, vocab.facts)
                or f"the facts are declared in `{vocab.source}`")
        return
    value, typ = raw[name], info.type
    if isinstance(typ, SetType) and isinstance(value, list):
        for i, item in enumerate(value):
            try:
                coerce(item, typ.element)
            except FactError as err:
                value, typ, path, message, hint = item, typ.element, (*path, i), \
                    err.message, err.hint
                break
    f.error(fact_code(typ, value), f"fact `{name}`: {message}", path, value=True,
            hint=hint or type_hint(typ))


# ----------------------------------------------------------------------------- expectations


def _expectations(layers: Sequence[_Layer], own: _Layer,
                  f: _File) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], KeyPath]]:
    """Every `policy.term = value` (dotted keys, or quoted "policy.term" keys); a case's own
    expectation overrides its family's."""
    values: dict[tuple[str, str], Any] = {}
    paths: dict[tuple[str, str], KeyPath] = {}
    for layer in (*layers, own):
        seen: dict[tuple[str, str], KeyPath] = {}
        for name, value, path in _flatten(_table(layer, "expect", f), (*layer.path, "expect"), f):
            if name in seen:
                f.error("KP415", f"expectation `{name[0]}.{name[1]}` is given twice", path,
                        hint="remove one of them",
                        related=(Related(f.where(seen[name]), "first given here"),))
            seen[name] = path
            values[name], paths[name] = value, path
    return values, paths


def _flatten(table: Mapping[str, Any], base: KeyPath,
             f: _File) -> Iterator[tuple[tuple[str, str], Any, KeyPath]]:
    for key, value in table.items():
        if isinstance(value, dict):
            for term, v in value.items():
                yield (key, term), v, (*base, key, term)
        elif "." in key:
            policy, _, term = key.partition(".")
            yield (policy, term), value, (*base, key)
        else:
            f.error("KP415", f"expectation `{key}` does not name a policy and a term",
                    (*base, key), hint="write `policy.term = value`, such as "
                    "`kpcs_2003.conflict_diamond = true`")


def _check_expectations(raw: Mapping[tuple[str, str], Any],
                        paths: Mapping[tuple[str, str], KeyPath], f: _File,
                        ctx: _Context) -> tuple[list[Expectation], _Found]:
    """The expectations, and the vocabulary of the policies they name (None: they name no
    loaded policy; False: policies of several vocabularies, reported)."""
    out: list[Expectation] = []
    vocabularies: dict[str, list[str]] = {}
    for (policy_name, term), value in raw.items():
        path = paths[(policy_name, term)]
        policy = ctx.result.policies.get(policy_name)
        if policy is None:
            declared = ctx.find(policy_name, f)
            if not ctx.allow_unloaded or (declared is None and f.path is not None):
                _unloaded(policy_name, path, f, ctx, declared)
            continue
        vocabularies.setdefault(policy.vocabulary.name, []).append(policy_name)
        expected = _expected(policy, term, value, path, f)
        if expected is not _BAD:
            out.append(Expectation(policy_name, term, expected, f.where(path)))
    if len(vocabularies) > 1:
        listed = "; ".join(f"`{v}` ({', '.join(sorted(set(p)))})"
                           for v, p in sorted(vocabularies.items()))
        f.error("KP414", f"the expectations name policies of different vocabularies: {listed}",
                next(iter(paths.values())),
                hint="a case's facts belong to one vocabulary: split the case")
        return out, False
    policies = next(iter(vocabularies.values()), None)
    out.sort(key=lambda e: (e.span.source, e.span.start))  # as written, not as TOML groups them
    return out, ctx.result.policies[policies[0]].vocabulary if policies else None


_BAD = object()
_Found: TypeAlias = "ir.Vocabulary | Literal[False] | None"


def _unloaded(name: str, path: KeyPath, f: _File, ctx: _Context,
              declared: Path | None) -> None:
    """KP411, with the file to pass when one nearby declares the policy."""
    hint = did_you_mean(name, ctx.result.policies)
    if declared is not None:
        advice = f"pass `{display_name(declared)}` too (it declares `policy {name}`)"
    else:
        advice = f"pass the file that declares `policy {name}`"
    f.error("KP411", f"the expectation names the policy `{name}`, which is not loaded",
            path[: path.index("expect") + 2] if "expect" in path else path,
            hint=f"{hint[:-1]}, or {advice}" if hint else advice)


def _expected(policy: ir.CheckedPolicy, term: str, value: Any, path: KeyPath,
              f: _File) -> Any:
    info = policy.terms.get(term)
    if info is None:
        f.error("KP412", f"policy `{policy.name}` has no term `{term}`", path,
                hint=did_you_mean(term, policy.terms)
                or "its terms are " + ", ".join(f"`{t}`" for t in sorted(policy.terms)))
        return _BAD
    try:
        return expected_value(value, info)
    except FactError as err:
        f.error("KP413", f"`{policy.name}.{term}`: {err.message}", path, value=True,
                hint=err.hint or expect_hint(info))
        return _BAD


