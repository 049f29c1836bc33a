"""`kprules check --prove`: prove each assertion of the checked policies, or print a
counterexample as a case file. Effects only (printing); the proofs are
kprules.analysis.symbolic.prove."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kprules.cli.common import emit

if TYPE_CHECKING:
    from kprules.analysis.symbolic.prove import Proof
    from kprules.checker import CheckResult


def report_proofs(result: CheckResult, max_nodes: int) -> int:
    """Print one line per assertion (and each counterexample); the number that fail."""
    from kprules.analysis.symbolic.prove import prove_all

    proofs = prove_all(result.assertions, result.policies, max_nodes)
    for proof in proofs:
        emit(_text(proof))
    proved = sum(1 for p in proofs if p.holds and p.exhaustive)
    failed = sum(1 for p in proofs if not p.holds and p.counterexample is not None
                 and p.counterexample.error is None)
    unknown = len(proofs) - proved - failed
    emit(f"{len(proofs)} assertion{'s' if len(proofs) != 1 else ''}: "
         f"{proved} proved, {failed} failed"
         + (f", {unknown} not decided" if unknown else "") + "\n")
    return failed + unknown


def _text(proof: Proof) -> str:
    from kprules.analysis.symbolic.render import facts_text
    from kprules.analysis.symbolic.witnesses import counterexample_case, kebab

    claim = proof.assertion
    head = f"{claim.policy}: assert {claim.name}: {claim.text}"
    if proof.holds and proof.exhaustive:
        return f"proved {head}\n"
    if proof.holds:  # no counterexample found, by a search that is not a proof
        return (f"NOT PROVED {head}\n  no counterexample found, but the search is not "
                "exhaustive: " + "; ".join(proof.notes) + "\n")
    w = proof.counterexample
    if w is None:  # too large to decide: neither proved nor refuted
        return f"NOT PROVED {head}\n  " + "; ".join(proof.notes) + "\n"
    if w.error is not None:  # the evaluator stops on it: neither proved nor refuted
        return (f"NOT PROVED {head}\n  the only counterexamples found stop the evaluation "
                f"({w.error}), such as: {facts_text(w.facts, w.types)}\n")
    left, right = (f"{p}.{t}" for p, t in (claim.left, claim.right))
    case = counterexample_case(kebab(f"counterexample-{claim.policy}-{claim.name}"),
                               f"{claim.policy}: {claim.name} does not hold",
                               w.facts, {left: w.base_value, right: w.other_value},
                               "hypothetical: a counterexample of kprules check --prove")
    indented = "".join(f"    {line}\n" if line else "\n" for line in case.splitlines())
    return f"FAILED {head}\n  counterexample:\n{indented}"


def report_decisions(result: CheckResult, max_nodes: int) -> None:
    """Print the decision analysis of every decision each policy writes."""
    from kprules.analysis.symbolic.decisions import analyse_policy
    from kprules.analysis.symbolic.render import PROSE, witness_lines, wrap

    words = {"default": "only the default applies (no rule does)",
             "conflict": "both apply, with different outcomes: the first wins",
             "dead": "never the rule that applies", "too_large": "not analysed"}
    lines: list[str] = []
    for policy in result.policies.values():
        types = {name: info.type for name, info in policy.vocabulary.facts.items()}
        for report in analyse_policy(policy, max_nodes):
            mark = "" if report.exhaustive else " (not exhaustive)"
            lines.append(f"{report.policy}.{report.decision}{mark}:")
            for f in report.findings:
                lines.extend(wrap(", ".join(f.rules) + (": " if f.rules else "")
                                  + words[f.kind] + (f": {f.note}" if f.note else ""),
                                  "  ", "    ", at=PROSE))
                for i, c in enumerate(f.conditions, 1):
                    lines.extend(wrap(c, f"    {i}. ", "       "))
                if f.witness is not None:
                    lines.extend(witness_lines("witness: ", f.witness, types, "    ", "      "))
    emit("\n".join(lines) + "\n" if lines else "no decisions to analyse\n")
