"""Checker pass 1: the module graph (`reads`, `amends`, status), and the order to check policies in.

Input: the parsed modules. Output: the policies in dependency order (a base before the policies
that amend it). Errors: KP202, KP203, KP204, KP214, KP220, KP221.
"""

from __future__ import annotations

from collections.abc import Mapping

from kprules.checker.context import STATUSES, Sink
from kprules.core.diagnostics import Related
from kprules.core.suggest import did_you_mean
from kprules.syntax import nodes as n


def vocabulary_of(policy: n.PolicyModule, modules: Mapping[str, n.Module]) -> str | None:
    """The name of the vocabulary a policy reads, directly or through its base chain."""
    seen: set[str] = set()
    current: n.Module | None = policy
    while isinstance(current, n.PolicyModule) and current.name not in seen:
        seen.add(current.name)
        if current.reads is not None:
            return current.reads.name
        current = modules.get(current.amends.name) if current.amends else None
    return None


def check_modules(modules: Mapping[str, n.Module], sink: Sink) -> list[n.PolicyModule]:
    """Report broken references and return the policies whose whole chain is sound, bases first."""
    facts = [m.name for m in modules.values() if isinstance(m, n.FactsModule)]
    policies = {m.name: m for m in modules.values() if isinstance(m, n.PolicyModule)}
    for p in policies.values():
        _check_header(p, modules, facts, list(policies), sink)
    bad = _cyclic(policies, sink)
    ordered: list[n.PolicyModule] = []
    placed: set[str] = set()

    def place(p: n.PolicyModule) -> bool:
        if p.name in placed:
            return True
        if p.name in bad:
            return False
        base = policies.get(p.amends.name) if p.amends else None
        if p.amends is not None and (base is None or not place(base)):
            return False
        if vocabulary_of(p, modules) not in facts:
            return False
        placed.add(p.name)
        ordered.append(p)
        return True

    for p in policies.values():
        place(p)
    return ordered


def _check_header(p: n.PolicyModule, modules: Mapping[str, n.Module], facts: list[str],
                  policies: list[str], sink: Sink) -> None:
    if p.status is not None and p.status.name not in STATUSES:
        sink.error("KP214", f"unknown status `{p.status.name}`", p.status.span,
                   hint=did_you_mean(p.status.name, STATUSES)
                   or "the status is `current`, `proposed` or `repealed`")
    if p.reads is not None and p.reads.name not in facts:
        found = modules.get(p.reads.name)
        sink.error("KP202", f"no vocabulary named `{p.reads.name}`", p.reads.span,
                   hint=("`" + p.reads.name + "` is a policy; `reads` names a `facts` module")
                   if found else did_you_mean(p.reads.name, facts)
                   or "pass the file that declares it, or its folder")
    if p.amends is not None and p.amends.name not in policies:
        found = modules.get(p.amends.name)
        sink.error("KP203", f"no policy named `{p.amends.name}` to amend", p.amends.span,
                   hint=("`" + p.amends.name + "` is a vocabulary; `amends` names a policy")
                   if found else did_you_mean(p.amends.name, policies)
                   or "pass the file that declares it, or its folder")
    if p.reads is None and p.amends is None:
        sink.error("KP220", f"policy `{p.name}` reads no vocabulary", p.ident.span,
                   hint="add `reads <vocabulary>` to the header")
    base = modules.get(p.amends.name) if p.amends else None
    if p.reads is not None and isinstance(base, n.PolicyModule):
        inherited = vocabulary_of(base, modules)
        if inherited is not None and inherited != p.reads.name:
            sink.error("KP221", f"`{p.name}` reads `{p.reads.name}` but its base "
                       f"`{base.name}` reads `{inherited}`", p.reads.span,
                       hint="an amendment reads its base's vocabulary; remove this line")


def _cyclic(policies: Mapping[str, n.PolicyModule], sink: Sink) -> set[str]:
    """Names of policies on or behind an `amends` cycle; each cycle is reported once."""
    bad: set[str] = set()
    reported: set[frozenset[str]] = set()
    for start in policies.values():
        path: list[n.PolicyModule] = []
        names: list[str] = []
        current: n.PolicyModule | None = start
        while current is not None and current.name not in names:
            path.append(current)
            names.append(current.name)
            current = policies.get(current.amends.name) if current.amends else None
        if current is None:
            continue
        cycle = path[names.index(current.name):]
        bad.update(p.name for p in path)
        key = frozenset(p.name for p in cycle)
        if key in reported:
            continue
        reported.add(key)
        first = min(cycle, key=lambda p: p.name)
        assert first.amends is not None
        if len(cycle) == 1:
            sink.error("KP204", f"policy `{first.name}` amends itself", first.amends.span,
                       hint="`amends` names the policy this one changes; remove the line "
                       "or name that policy")
            continue
        shown = " -> ".join(f"`{p.name}`" for p in _rotate(cycle, first)) + f" -> `{first.name}`"
        sink.error("KP204", f"policies amend each other in a cycle: {shown}", first.amends.span,
                   hint="an amendment changes an earlier text; remove the `amends` that closes "
                   "the cycle",
                   related=tuple(Related(p.amends.span, f"`{p.name}` amends "
                                         f"`{p.amends.name}` here")
                                 for p in _rotate(cycle, first)[1:] if p.amends))
    return bad


def _rotate(cycle: list[n.PolicyModule], first: n.PolicyModule) -> list[n.PolicyModule]:
    i = [p.name for p in cycle].index(first.name)
    return cycle[i:] + cycle[:i]
