"""A small TextMate grammar interpreter, enough to run the kprules grammar in tests.

It supports what editors/vscode/syntaxes/kprules.tmLanguage.json uses: `match` with `name` or
`captures`, `begin`/`end` (across lines) with `name`, `beginCaptures`, `endCaptures` and inner
`patterns`, `patterns` lists, and `include` of `#repository` entries and `$self`. Regular
expressions are compiled with Python's `re`, so a test also shows that the grammar's expressions
mean the same in both engines for the features used (no Oniguruma-only syntax). Like an editor,
it works line by line, and at each position takes the earliest match, the first listed on a tie;
inside a `begin`/`end` rule the `end` pattern wins a tie.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Rule = dict[str, Any]


class Grammar:
    def __init__(self, data: Rule) -> None:
        self.data = data
        self.repository: dict[str, Rule] = data.get("repository", {})

    def flatten(self, rules: list[Rule]) -> Iterator[Rule]:
        """The `match` and `begin` rules of a pattern list, includes expanded, in order."""
        for rule in rules:
            if "include" in rule:
                ref = rule["include"]
                target = self.data if ref == "$self" else self.repository[ref.removeprefix("#")]
                yield from self.flatten(target.get("patterns", []) if "patterns" in target
                                        and "match" not in target and "begin" not in target
                                        else [target])
            elif "match" in rule or "begin" in rule:
                yield rule
            else:
                yield from self.flatten(rule.get("patterns", []))

    def tokenize(self, text: str) -> list[tuple[str, str]]:
        """(text, scope) pairs for every scoped piece of the text, in order."""
        out: list[tuple[str, str]] = []
        stack: list[Rule] = []
        for line in text.split("\n"):
            pos = 0
            while pos <= len(line):
                found = self._next(line, pos, stack)
                if found is None:
                    break
                rule, m, is_end = found
                self._emit(rule, m, is_end, stack, out)
                if is_end:
                    stack.pop()
                elif "begin" in rule:
                    stack.append(rule)
                pos = m.end() if m.end() > pos else pos + 1
        return out

    def _next(self, line: str, pos: int,
              stack: list[Rule]) -> tuple[Rule, re.Match[str], bool] | None:
        candidates: list[tuple[Rule, re.Match[str], bool]] = []
        if stack:
            m = re.compile(stack[-1]["end"]).search(line, pos)
            if m:
                candidates.append((stack[-1], m, True))
        rules = stack[-1].get("patterns", []) if stack else self.data["patterns"]
        for rule in self.flatten(rules):
            m = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
            if m:
                candidates.append((rule, m, False))
        if not candidates:
            return None
        return min(candidates, key=lambda c: c[1].start())

    def _emit(self, rule: Rule, m: re.Match[str], is_end: bool, stack: list[Rule],
              out: list[tuple[str, str]]) -> None:
        captures = (rule.get("endCaptures") if is_end else rule.get("beginCaptures")
                    if "begin" in rule else rule.get("captures")) or {}
        name = rule.get("name")
        for group, spec in captures.items():
            if m.group(int(group)):
                out.append((m.group(int(group)), spec["name"]))
        if name and (not captures or "begin" in rule):
            out.append((m.group(0), name))
