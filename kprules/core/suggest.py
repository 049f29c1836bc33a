"""Did-you-mean suggestions: the closest candidates to a misspelt name.

Pure functions; used by every pass that reports an unknown name, value, unit or key.
"""

from __future__ import annotations

from collections.abc import Iterable


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance, stopping early above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def closest(name: str, candidates: Iterable[str], most: int = 3) -> tuple[str, ...]:
    """Up to `most` candidates close to `name`, best first (ties in alphabetical order).

    Close means: the same letters ignoring case and underscores (best); else an edit distance of
    at most a third of the name's length (at least 1); else, for names of 4 letters or more, one
    name is the start of the other (`conflict` for `conflict_diamond`).
    """
    limit = max(1, len(name) // 3)
    scored = sorted((score, cand) for cand in set(candidates) if cand != name
                    if (score := _score(name, cand, limit)) is not None)
    return tuple(c for _, c in scored[:most])


def _score(name: str, cand: str, limit: int) -> int | None:
    """How far `cand` is from `name` (lower is closer), or None when it is not close."""
    if _fold(cand) == _fold(name):
        return 0
    d = distance(name, cand, limit)
    if d <= limit:
        return d
    if min(len(name), len(cand)) >= 4 and (cand.startswith(name) or name.startswith(cand)):
        return limit + 1
    return None


def _fold(name: str) -> str:
    return name.lower().replace("_", "")


def term_hint(term: str, terms: Iterable[str]) -> str | None:
    """A hint for a term a compared policy lacks: a `policy.term` name (as `eval --term` takes
    it) names the term alone, since every policy is compared on the same terms."""
    names = list(terms)
    if "." in term and term.rsplit(".", 1)[1] in names:
        return f"the policies are compared on the same terms: give `{term.rsplit('.', 1)[1]}`"
    return did_you_mean(term, names)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint sentence, or None when nothing is close."""
    found = closest(name, candidates)
    if not found:
        return None
    if len(found) == 1:
        return f"did you mean `{found[0]}`?"
    listed = ", ".join(f"`{c}`" for c in found[:-1])
    return f"did you mean {listed} or `{found[-1]}`?"
