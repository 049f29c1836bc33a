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
kprules.cases.values (shared with the data-file readers, kprules.cases.bulk). This module reads
the files and their structure and each case's header keys; kprules.cases.case_checks checks its
facts and expectations, reporting to the file's state (kprules.cases.case_state); the objects
made are in kprules.cases.model.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from kprules.cases.case_checks import (
    check_expectations,
    expectations,
    typed_facts,
    vocabulary_of,
)
from kprules.cases.case_state import CaseFile, Layer, ReadContext, table_of
from kprules.cases.model import Case, CaseError, Expectation, Suite
from kprules.cases.toml_locate import KeyPath, is_date, locate, parse
from kprules.cases.values import found
from kprules.checker import CheckResult
from kprules.core.diagnostics import Diagnostic, Related, sort_diagnostics
from kprules.core.files import SourceError, expand_paths, read_source
from kprules.core.source import Source, Span
from kprules.core.suggest import did_you_mean
from kprules.eval.loaded import Loaded

CASE_KEYS = ("id", "title", "sources", "date", "contested", "notes", "facts", "expect")
_TOP_SINGLE = ("case", "facts", "expect")
_TOP_FAMILY = ("family", "case")
_KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# ----------------------------------------------------------------------------- reading files


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
        f = CaseFile(source, path)
        cases.extend(_parse_file(f, ReadContext(result, allow_unloaded, {})))
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


def _toml(f: CaseFile) -> dict[str, Any] | None:
    doc = parse(f.source)
    if isinstance(doc, Diagnostic):
        f.diagnostics.append(doc)
        return None
    return doc


def _parse_file(f: CaseFile, ctx: ReadContext) -> list[Case]:
    doc = _toml(f)
    if doc is None:
        return []
    f.places = locate(f.source)
    if "family" in doc or isinstance(doc.get("case"), list):
        return _family_file(doc, f, ctx)
    return _single_file(doc, f, ctx)


def _unknown_keys(table: Mapping[str, Any], path: KeyPath, allowed: Sequence[str],
                  f: CaseFile) -> None:
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


def _single_file(doc: Mapping[str, Any], f: CaseFile, ctx: ReadContext) -> list[Case]:
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
    top = Layer({k: v for k, v in doc.items() if k in ("facts", "expect")}, ())
    built = _case([top], Layer(case, ("case",)), f, ctx, require_sources=True)
    return [built] if built else []


def _family_file(doc: Mapping[str, Any], f: CaseFile, ctx: ReadContext) -> list[Case]:
    _unknown_keys(doc, (), _TOP_FAMILY, f)
    family = doc.get("family", {})
    layers: list[Layer] = []
    if not isinstance(family, dict):
        f.error("KP404", f"`family` must be a table, found {found(family)}", ("family",),
                value=True, hint="write [family] on its own line")
        return []
    if family:
        _unknown_keys(family, ("family",), CASE_KEYS, f)
        layers.append(Layer(family, ("family",)))
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
        built = _case(layers, Layer(entry, path), f, ctx, require_sources=not family)
        if built:
            out.append(built)
    return out


def _family_header(family: Mapping[str, Any], f: CaseFile) -> None:
    """The family's own id, title and sources: required and checked, though no case uses the
    family id as its own."""
    for key in ("id", "title"):
        _text(family, key, ("family",), f, required=True)
    if isinstance(family.get("id"), str):
        _check_id(family["id"], ("family", "id"), f)
    _sources(family, ("family",), f, required=True)


def _no_entries(entries: Any, f: CaseFile) -> None:
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


def _case(layers: Sequence[Layer], own: Layer, f: CaseFile, ctx: ReadContext,
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
    expect_raw, expect_paths = expectations(layers, own, f)
    expect, vocab = check_expectations(expect_raw, expect_paths, f, ctx)
    vocabulary = vocabulary_of(raw, path, f, ctx) if vocab is None else vocab or None
    typed = typed_facts(raw, fact_paths, vocabulary, f) if vocabulary else {}
    if f.reported > before or case_id is None or title is None or vocabulary is None:
        return None
    spans = _spans(path, layers, own, f, fact_paths, expect)
    family = layers[0].table.get("id") if layers and layers[0].path else None
    return Case(case_id, title, sources, date, contested, notes, typed, raw, tuple(expect),
                vocabulary.name, f.source.name, family if isinstance(family, str) else None,
                spans, {k: f.source.line_col(s.start)[0] for k, s in spans.items()})


def _spans(path: KeyPath, layers: Sequence[Layer], own: Layer, f: CaseFile,
           fact_paths: Mapping[str, KeyPath], expect: Sequence[Expectation]) -> dict[str, Span]:
    spans = {"": f.where(path)}
    for key in CASE_KEYS[:6]:
        for layer in (*layers, own):
            if key in layer.table:
                spans[key] = f.where((*layer.path, key))
    spans.update({f"facts.{n}": f.where(p) for n, p in fact_paths.items()})
    spans.update({f"expect.{e.key}": e.span for e in expect})
    return spans


def _text(table: Mapping[str, Any], key: str, path: KeyPath, f: CaseFile,
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


def _optional_text(table: Mapping[str, Any], key: str, path: KeyPath, f: CaseFile) -> str | None:
    return _text(table, key, path, f, required=False)


def _check_id(case_id: str, path: KeyPath, f: CaseFile) -> None:
    if not _KEBAB.fullmatch(case_id):
        better = "-".join(re.findall(r"[a-z0-9]+", case_id.lower()))
        f.error("KP405", f"case id `{case_id}` is not kebab-case", path, value=True,
                hint=(f"write `{better}`: " if better else "use ")
                + "lower-case letters and digits, words joined by `-`")


def _sources(table: Mapping[str, Any], path: KeyPath, f: CaseFile, required: bool) -> list[str]:
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
    if not value and required:  # a case's facts come from somewhere: say where
        f.error("KP403", f"`{_table_name(path)}` lists no `sources`", (*path, "sources"),
                value=True, hint='add `sources = ["where the facts come from"]` (seed ids or '
                "text)")
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


def _date(table: Mapping[str, Any], key: str, path: KeyPath, f: CaseFile) -> dt.date | None:
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


def _inherited(layers: Sequence[Layer], own: Layer, key: str, f: CaseFile, read: Any) -> Any:
    """A header key the case gives, else the family gives (every layer is checked)."""
    found = None
    for layer in (*layers, own):
        value = read(layer.table, key, layer.path, f)
        if value is not None:
            found = value
    return found


def _merged(layers: Sequence[Layer], own: Layer, key: str,
            f: CaseFile) -> tuple[dict[str, Any], dict[str, KeyPath]]:
    """The facts of every layer merged, later layers overriding earlier ones; with the path of
    each entry."""
    values: dict[str, Any] = {}
    paths: dict[str, KeyPath] = {}
    for layer in (*layers, own):
        for name, value in table_of(layer, key, f).items():
            values[name] = value
            paths[name] = (*layer.path, key, name)
    return values, paths
