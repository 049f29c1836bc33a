"""A case's facts and expectations: the vocabulary its facts belong to, its typed facts, and
each `policy.term = value` checked against the term's type.

Stage: a case's merged keys (kprules.cases.files) -> typed facts and `Expectation`s; every
problem reported to the `CaseFile` (KP407-KP415), located and with a hint.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias

from kprules import ir
from kprules.cases.case_state import CaseFile, Layer, ReadContext, table_of
from kprules.cases.model import Expectation
from kprules.cases.toml_locate import KeyPath
from kprules.cases.values import expect_hint, expected_value, fact_code, type_hint
from kprules.core.diagnostics import Related
from kprules.core.files import display_name
from kprules.core.suggest import did_you_mean
from kprules.eval.evaluate import FactsError, validate
from kprules.ir.types import TEXT, EnumType, SetType, Type
from kprules.ir.values import FactError, coerce

# ----------------------------------------------------------------------------- facts


def vocabulary_of(raw: Mapping[str, Any], case_path: KeyPath, f: CaseFile,
                ctx: ReadContext) -> ir.Vocabulary | None:
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


def typed_facts(raw: Mapping[str, Any], paths: Mapping[str, KeyPath], vocab: ir.Vocabulary,
           f: CaseFile) -> dict[str, Any]:
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
                  path: KeyPath, vocab: ir.Vocabulary, f: CaseFile) -> None:
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


def expectations(layers: Sequence[Layer], own: Layer,
                  f: CaseFile) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], KeyPath]]:
    """Every `policy.term = value` (dotted keys, or quoted "policy.term" keys); a case's own
    expectation overrides its family's."""
    values: dict[tuple[str, str], Any] = {}
    paths: dict[tuple[str, str], KeyPath] = {}
    for layer in (*layers, own):
        seen: dict[tuple[str, str], KeyPath] = {}
        for name, value, path in _flatten(table_of(layer, "expect", f), (*layer.path, "expect"), f):
            if name in seen:
                f.error("KP415", f"expectation `{name[0]}.{name[1]}` is given twice", path,
                        hint="remove one of them",
                        related=(Related(f.where(seen[name]), "first given here"),))
            seen[name] = path
            values[name], paths[name] = value, path
    return values, paths


def _flatten(table: Mapping[str, Any], base: KeyPath,
             f: CaseFile) -> Iterator[tuple[tuple[str, str], Any, KeyPath]]:
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


def check_expectations(raw: Mapping[tuple[str, str], Any],
                        paths: Mapping[tuple[str, str], KeyPath], f: CaseFile,
                        ctx: ReadContext) -> tuple[list[Expectation], Found]:
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
Found: TypeAlias = "ir.Vocabulary | Literal[False] | None"


def _unloaded(name: str, path: KeyPath, f: CaseFile, ctx: ReadContext,
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
              f: CaseFile) -> Any:
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
