"""Checker pass 1: the module graph (`reads`, `amends`, status), and the order to check policies in.

Input: the parsed modules. Output: the policies in dependency order (a base before the policies
that amend it). Errors: KP202, KP203, KP204, KP214, KP220, KP221, KP292.
"""

from __future__ import annotations

from collections.abc import Mapping

from kprules.checker.context import STATUSES, Sink
from kprules.core.diagnostics import Related
from kprules.core.limits import MAX_AMENDMENT_DEPTH
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
    """Report broken references and return the policies whose whole chain is sound, bases first.

    Linear in the number of policies: each chain of amendments is walked once (KP204, KP292)."""
    facts = [m.name for m in modules.values() if isinstance(m, n.FactsModule)]
    policies = {m.name: m for m in modules.values() if isinstance(m, n.PolicyModule)}
    chains = _Chains(policies, sink)
    for p in policies.values():
        chains.walk(p)
    known = set(facts)
    for p in policies.values():
        _check_header(p, modules, known, policies, chains.vocab, sink)
    ordered: list[n.PolicyModule] = []
    placed: set[str] = set()
    for p in policies.values():
        _place(p, policies, chains, known, placed, ordered)
    return ordered


def _place(p: n.PolicyModule, policies: Mapping[str, n.PolicyModule], chains: _Chains,
           known: set[str], placed: set[str], ordered: list[n.PolicyModule]) -> None:
    """Append `p` to `ordered` after its bases (each policy once), unless its chain is broken:
    on a cycle, too deep, a base missing, or no known vocabulary."""
    chain: list[n.PolicyModule] = []
    current: n.PolicyModule | None = p
    while current is not None and current.name not in placed:
        if current.name in chains.bad or chains.vocab.get(current.name) not in known:
            return
        chain.append(current)
        base = current.amends.name if current.amends else None
        current = policies.get(base) if base is not None else None
        if base is not None and current is None:
            return
    for q in reversed(chain):
        placed.add(q.name)
        ordered.append(q)


class _Chains:
    """Each policy's depth in its chain of amendments (1 for a policy that amends none) and the
    vocabulary it reads, directly or through its bases; `bad`: the policies on or behind a
    cycle (KP204) or deeper than MAX_AMENDMENT_DEPTH (KP292, reported where the chain passes
    the limit). Each policy is visited once."""

    def __init__(self, policies: Mapping[str, n.PolicyModule], sink: Sink) -> None:
        self.policies, self.sink = policies, sink
        self.depth: dict[str, int] = {}
        self.vocab: dict[str, str | None] = {}
        self.bad: set[str] = set()

    def walk(self, start: n.PolicyModule) -> None:
        path: list[n.PolicyModule] = []
        index: dict[str, int] = {}
        current: n.PolicyModule | None = start
        while current is not None and current.name not in self.depth \
                and current.name not in self.bad and current.name not in index:
            index[current.name] = len(path)
            path.append(current)
            current = self.policies.get(current.amends.name) if current.amends else None
        if current is not None and current.name in index:
            self.bad.update(p.name for p in path)
            _report_cycle(path[index[current.name]:], self.sink)
        elif current is not None and current.name in self.bad:
            self.bad.update(p.name for p in path)
        else:
            self._assign(path, current)

    def _assign(self, path: list[n.PolicyModule], base: n.PolicyModule | None) -> None:
        depth = self.depth[base.name] if base is not None else 0
        vocab = self.vocab[base.name] if base is not None else None
        for p in reversed(path):
            depth += 1
            vocab = p.reads.name if p.reads is not None else vocab
            if depth > MAX_AMENDMENT_DEPTH:
                self.bad.add(p.name)
                if depth == MAX_AMENDMENT_DEPTH + 1 and p.amends is not None:
                    self.sink.error(
                        "KP292", f"with `{p.name}` the chain of amendments is {depth} policies "
                        f"long; the limit is {MAX_AMENDMENT_DEPTH}", p.amends.span,
                        hint="amend an earlier policy of the chain, or merge amendments")
                continue
            self.depth[p.name] = depth
            self.vocab[p.name] = vocab


def _check_header(p: n.PolicyModule, modules: Mapping[str, n.Module], facts: set[str],
                  policies: Mapping[str, n.PolicyModule], vocab: Mapping[str, str | None],
                  sink: Sink) -> None:
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
                   if found else did_you_mean(p.amends.name, list(policies))
                   or "pass the file that declares it, or its folder")
    if p.reads is None and p.amends is None:
        sink.error("KP220", f"policy `{p.name}` reads no vocabulary", p.ident.span,
                   hint="add `reads <vocabulary>` to the header")
    base = modules.get(p.amends.name) if p.amends else None
    if p.reads is not None and isinstance(base, n.PolicyModule):
        inherited = vocab.get(base.name)
        if inherited is not None and inherited != p.reads.name:
            sink.error("KP221", f"`{p.name}` reads `{p.reads.name}` but its base "
                       f"`{base.name}` reads `{inherited}`", p.reads.span,
                       hint="an amendment reads its base's vocabulary; remove this line")


def _report_cycle(cycle: list[n.PolicyModule], sink: Sink) -> None:
    """KP204 for one cycle of amendments, reported at its first policy by name."""
    first = min(cycle, key=lambda p: p.name)
    assert first.amends is not None
    if len(cycle) == 1:
        sink.error("KP204", f"policy `{first.name}` amends itself", first.amends.span,
                   hint="`amends` names the policy this one changes; remove the line "
                   "or name that policy")
        return
    shown = " -> ".join(f"`{p.name}`" for p in _rotate(cycle, first)) + f" -> `{first.name}`"
    sink.error("KP204", f"policies amend each other in a cycle: {shown}", first.amends.span,
               hint="an amendment changes an earlier text; remove the `amends` that closes "
               "the cycle",
               related=tuple(Related(p.amends.span, f"`{p.name}` amends "
                                     f"`{p.amends.name}` here")
                             for p in _rotate(cycle, first)[1:] if p.amends))


def _rotate(cycle: list[n.PolicyModule], first: n.PolicyModule) -> list[n.PolicyModule]:
    i = [p.name for p in cycle].index(first.name)
    return cycle[i:] + cycle[:i]
