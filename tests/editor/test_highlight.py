"""Highlighting: the Pygments lexer and the TextMate grammar, run over every bundled policy."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pygments.token import Error, Keyword, Name, Operator

from kprules.editor.pygments_lexer import (
    CONSTANTS,
    DECLARING,
    KEYWORDS,
    OPERATOR_WORDS,
    PSEUDO,
    UNITS,
    KprulesLexer,
)
from tests.editor.textmate import Grammar

ROOT = Path(__file__).resolve().parent.parent.parent
POLICIES = sorted((ROOT / "policies").rglob("*.kpr")) + sorted(
    (ROOT / "tests" / "robustness" / "fixtures").rglob("*.kpr"))
TEXTMATE = ROOT / "editors" / "vscode" / "syntaxes" / "kprules.tmLanguage.json"
ILLEGAL = "invalid.illegal.kpr"


def grammar_words() -> set[str]:
    """Every word the Lark grammar writes as a literal: the language's keywords."""
    text = (ROOT / "grammar" / "kprules.lark").read_text(encoding="utf-8")
    text = re.sub(r"//[^\n]*", "", text)
    return set(re.findall(r'"([a-z]+)"', text)) | set(
        re.search(r"\(ct\|g\|usd\)", text).group(0)[1:-1].split("|"))  # type: ignore[union-attr]


def test_lexer_keywords_are_the_grammars() -> None:
    ours = {*DECLARING, *KEYWORDS, *OPERATOR_WORDS, *CONSTANTS, *PSEUDO, *UNITS}
    assert ours == grammar_words()


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_lexer_has_no_error_tokens_on_bundled_policies(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tokens = list(KprulesLexer().get_tokens(text))
    assert [t for t in tokens if t[0] in Error] == []
    assert "".join(value for _, value in tokens) == text + ("" if text.endswith("\n") else "\n")


def test_lexer_marks_declarations_and_references() -> None:
    text = ('policy p "x"\n  amends kpcs_2003\nredefine decision d: {a}\n  default a\n'
            'define t cite src "loc" = base.t and 5 ct > 2 ct\n')
    tokens = [(t, v) for t, v in KprulesLexer().get_tokens(text) if v.strip()]
    assert (Name.Namespace, "p") in tokens
    assert (Name.Namespace, "kpcs_2003") in tokens
    assert (Keyword.Declaration, "decision") in tokens
    assert (Name.Function, "d") in tokens
    assert (Name.Label, "src") in tokens
    assert (Name.Builtin.Pseudo, "base") in tokens
    assert (Keyword.Type, "ct") in tokens
    assert (Operator.Word, "and") in tokens


def test_lexer_is_found_by_pygments_under_its_aliases() -> None:
    from pygments.lexers import find_lexer_class_for_filename, get_lexer_by_name

    lexer = get_lexer_by_name("kpr")  # through the entry point of the installed kprules
    assert isinstance(lexer, KprulesLexer)
    assert find_lexer_class_for_filename("policy.kpr") is KprulesLexer


def test_kprules_imports_pygments_only_when_the_lexer_is_used() -> None:
    import subprocess
    import sys

    code = ("import sys, kprules, kprules.editor, kprules.cli; "
            "print(any(m.split('.')[0] == 'pygments' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- TextMate


def load_textmate() -> dict[str, Any]:
    data = json.loads(TEXTMATE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def declared_scopes(node: Any) -> set[str]:
    """Every scope name the grammar can give."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "name" and isinstance(value, str) and "." in value:
                found.add(value)
            else:
                found |= declared_scopes(value)
    elif isinstance(node, list):
        for item in node:
            found |= declared_scopes(item)
    return found


def includes(node: Any) -> set[str]:
    if isinstance(node, dict):
        here = {node["include"]} if "include" in node else set()
        return here.union(*(includes(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(includes(v) for v in node))
    return set()


def test_textmate_grammar_is_json_with_every_repository_entry_used_and_defined() -> None:
    data = load_textmate()
    assert data["scopeName"] == "source.kpr"
    refs = includes(data)
    assert {r.removeprefix("#") for r in refs if r.startswith("#")} == set(data["repository"])
    assert all(r.startswith("#") or r == "$self" for r in refs)
    assert all(s.endswith(".kpr") for s in declared_scopes(data))


def test_textmate_grammar_gives_every_scope_and_nothing_illegal_on_the_library() -> None:
    grammar = Grammar(load_textmate())
    seen: dict[str, list[str]] = {}
    for path in POLICIES:
        for text, scope in grammar.tokenize(path.read_text(encoding="utf-8")):
            seen.setdefault(scope, []).append(f"{path.name}: {text!r}")
    assert seen.get(ILLEGAL, []) == []
    assert declared_scopes(load_textmate()) - {ILLEGAL} - set(seen) == set()


def test_textmate_grammar_marks_illegal_characters() -> None:
    grammar = Grammar(load_textmate())
    assert ("@", ILLEGAL) in grammar.tokenize("define x = @")


def test_textmate_and_pygments_agree_on_the_words() -> None:
    """The TextMate grammar knows exactly the keywords the lexer knows."""
    words = set()
    for rule in load_textmate()["repository"]["keyword"]["patterns"]:
        words |= set(re.findall(r"[a-z]+", rule["match"].removeprefix(r"\b(?:")))
    words.discard("b")
    assert words == {*DECLARING, *KEYWORDS, *OPERATOR_WORDS, *CONSTANTS, *PSEUDO}


def test_vscode_extension_points_at_files_that_exist() -> None:
    folder = TEXTMATE.parent.parent
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    contributes = manifest["contributes"]
    [grammar] = contributes["grammars"]
    assert (folder / grammar["path"]).resolve() == TEXTMATE
    assert grammar["scopeName"] == load_textmate()["scopeName"]
    [language] = contributes["languages"]
    assert language["extensions"] == [".kpr"]
    json.loads((folder / language["configuration"]).read_text(encoding="utf-8"))
    assert (folder / manifest["main"]).is_file()
    assert "kprules lsp" in (folder / "README.md").read_text(encoding="utf-8")
