"""A Pygments lexer for kprules (`.kpr`), registered as the `kpr` plugin (entry point
`pygments.lexers` in pyproject.toml), so that `pygmentize -l kpr` and Markdown tools that use
Pygments highlight policies.

The keywords are those of the language grammar (a test keeps the two equal). Names that follow a
declaring keyword are marked as declarations, source ids after `cite` as labels and module names
after `reads` and `amends` as namespaces. Every character of a valid file gets a token that is not
`Error`; a test runs the lexer on every bundled policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from pygments import lexer
from pygments.lexer import RegexLexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

DECLARING = ("facts", "policy", "define", "redefine", "decision", "parameter", "enum", "fact",
             "measure", "assert")
KEYWORDS = ("dated", "by", "set", "of", "status", "in", "force", "reads", "amends", "from",
            "until", "default", "when", "except", "cite", "if", "then", "else", "implies")
OPERATOR_WORDS = ("and", "or", "not")
CONSTANTS = ("true", "false")
PSEUDO = ("base",)
UNITS = ("ct", "g", "usd")

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# `redefine decision x`: the name after `redefine` is then the next keyword's.
_DECLARED = r"(?!(?:decision|parameter)\b)[A-Za-z_][A-Za-z0-9_]*"
_END = r"(?![0-9A-Za-z_])"
_Rules = list[tuple[str, object] | tuple[str, object, str]]
# Pygments' stubs leave `bygroups` untyped: one typed name for it.
_bygroups: Callable[..., object] = lexer.bygroups


def _words(names: Sequence[str]) -> str:
    return rf"\b(?:{'|'.join(names)})\b"


def _declaration(keyword: str, kind: _TokenType) -> tuple[str, object]:
    return (rf"\b({keyword})(\s+)({_DECLARED})", _bygroups(Keyword.Declaration, Whitespace, kind))


class KprulesLexer(RegexLexer):
    """Lexer for kprules policies and vocabularies."""

    name = "kprules"
    aliases: ClassVar[list[str]] = ["kpr", "kprules"]
    filenames: ClassVar[list[str]] = ["*.kpr"]
    mimetypes: ClassVar[list[str]] = ["text/x-kprules"]

    tokens: ClassVar[dict[str, _Rules]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"', String.Double, "string"),
            (rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{_END}", Number.Other),
            (rf"([0-9]+(?:\.[0-9]+)?)([ \t]*)({'|'.join(UNITS)}){_END}",
             _bygroups(Number, Whitespace, Keyword.Type)),
            (rf"[0-9]+\.[0-9]+{_END}", Number.Float),
            (rf"[0-9]+{_END}", Number.Integer),
            _declaration("(?:facts|policy)", Name.Namespace),
            _declaration("(?:enum)", Name.Class),
            _declaration("(?:define|redefine|decision|parameter|fact|measure)", Name.Function),
            (rf"\b(reads|amends)(\s+)({_NAME})", _bygroups(Keyword, Whitespace, Name.Namespace)),
            (rf"\b(cite)(\s+)({_NAME})", _bygroups(Keyword, Whitespace, Name.Label)),
            (rf"\b(base)(\.)({_NAME})", _bygroups(Name.Builtin.Pseudo, Operator, Name)),
            (_words(DECLARING), Keyword.Declaration),
            (_words(KEYWORDS), Keyword),
            (_words(OPERATOR_WORDS), Operator.Word),
            (_words(CONSTANTS), Keyword.Constant),
            (_words(PSEUDO), Name.Builtin.Pseudo),
            (r"\b[A-Z]{2}\b", Name.Constant),
            (_NAME, Name),
            (r"\.\.|<=|>=|!=|[=<>+\-*/.]", Operator),
            (r"[{}(),:]", Punctuation),
        ],
        "string": [
            (r'\\.', String.Escape),
            (r'[^"\\]+', String.Double),
            (r'"', String.Double, "#pop"),
        ],
    }
