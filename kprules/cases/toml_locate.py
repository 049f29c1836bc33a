"""Where things are in a TOML text, and TOML syntax errors as located diagnostics.

Stage: a TOML `Source` -> the place (a `Span`) of every table, key and array element, by key
path (`locate`); tomllib's error messages -> KP401 diagnostics (`parse`, `toml_error`).
tomllib gives values without positions, so `locate` re-reads the text: `[table]` and
`[[array]]` headers, `key =` lines, dotted and quoted keys, inline tables and array elements.
It assumes the text is valid TOML (tomllib has read it) and never fails: on anything it does not
understand it keeps what it found so far.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import tomllib
from decimal import Decimal
from typing import Any, TypeAlias

from attrs import frozen

from kprules.core.diagnostics import Diagnostic
from kprules.core.limits import MAX_NUMBER_DIGITS
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span

KeyPath: TypeAlias = tuple[str | int, ...]


@frozen(repr=False)
class Place(SharedRepr):
    """Where a key is written (`key`) and where its value is (`value`); for a `[table]` header
    both are the header, for an array element both are the element."""

    key: Span
    value: Span


class _Stop(Exception):
    """The text is not what the locator understands: keep what was found so far."""


_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}[^,\]}\s#]*|[^,\]}\s#]+")
_Part: TypeAlias = tuple[str, int, int]


class _Locator:
    """A small reader of TOML that records positions (it assumes tomllib accepted the text)."""

    def __init__(self, source: Source) -> None:
        self.src = source
        self.text = source.text
        self.pos = 0
        self.places: dict[KeyPath, Place] = {}
        self.arrays: dict[KeyPath, int] = {}  # array of tables -> index of its last entry

    def span(self, start: int, end: int) -> Span:
        return self.src.span(start, end)

    def at(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def expect(self, token: str) -> None:
        if not self.at(token):
            raise _Stop
        self.pos += len(token)

    def skip(self, newlines: bool) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.pos += 1
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.at("["):
                table = self.header()
            else:
                self.pair(table)
            self.skip(newlines=False)
            if self.pos < len(self.text) and self.text[self.pos] not in "\r\n":
                raise _Stop

    def header(self) -> KeyPath:
        start = self.pos
        double = self.at("[[")
        self.pos += 2 if double else 1
        parts = self.key()
        self.skip(newlines=False)
        self.expect("]]" if double else "]")
        prefixes = self.resolve([p[0] for p in parts], double)
        header = self.span(start, self.pos)
        for (_, _, end), keys in zip(parts, prefixes, strict=True):
            place = Place(self.span(parts[0][1], end), header)
            for key in keys:  # `[x.y]` makes the table `x` too: it is written here, if first
                self.places.setdefault(key, place)
        return prefixes[-1][-1]

    def resolve(self, names: list[str], double: bool) -> list[list[KeyPath]]:
        """The paths a header names, name by name: the name's, and after it, with the index
        of the entry, that of an array of tables it goes through (the last is the header's)."""
        path: list[str | int] = []
        out: list[list[KeyPath]] = []
        for i, name in enumerate(names):
            path.append(name)
            key = tuple(path)
            if double and i == len(names) - 1:
                self.arrays[key] = self.arrays.get(key, -1) + 1
                path.append(self.arrays[key])
            elif key in self.arrays:
                path.append(self.arrays[key])
            out.append([key] if len(path) == len(key) else [key, tuple(path)])
        return out

    def key(self) -> list[_Part]:
        parts: list[_Part] = []
        while True:
            self.skip(newlines=False)
            start = self.pos
            if self.at('"') or self.at("'"):
                self.pos = self.string_end()
                name = _unquote(self.text[start:self.pos])
            else:
                match = _BARE.match(self.text, self.pos)
                if match is None:
                    raise _Stop
                name, self.pos = match.group(), match.end()
            parts.append((name, start, self.pos))
            self.skip(newlines=False)
            if not self.at("."):
                return parts
            self.pos += 1

    def pair(self, base: KeyPath) -> None:
        """`key = value` (a dotted key too), recorded under the table `base`."""
        parts = self.key()
        self.expect("=")
        self.skip(newlines=False)
        start = self.pos
        names = tuple(p[0] for p in parts)
        self.value((*base, *names))
        first = parts[0][1]
        for i in range(1, len(parts)):
            self.places.setdefault((*base, *names[:i]),
                                   Place(self.span(first, parts[i - 1][2]),
                                         self.span(first, self.pos)))
        self.places[(*base, *names)] = Place(self.span(first, parts[-1][2]),
                                             self.span(start, self.pos))

    def value(self, path: KeyPath) -> None:
        if self.at("{"):
            self.inline_table(path)
        elif self.at("["):
            self.array(path)
        elif self.at('"') or self.at("'"):
            self.pos = self.string_end()
        else:
            match = _SCALAR.match(self.text, self.pos)
            if match is None:
                raise _Stop
            self.pos = match.end()

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        self.skip(newlines=True)
        while not self.at("}"):
            self.pair(path)
            self.skip(newlines=True)
            if not self.at(","):
                break
            self.pos += 1
            self.skip(newlines=True)
        self.expect("}")

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip(newlines=True)
            if self.at("]"):
                break
            start = self.pos
            self.value((*path, index))
            element = self.span(start, self.pos)
            self.places.setdefault((*path, index), Place(element, element))
            self.skip(newlines=True)
            if not self.at(","):
                break
            self.pos += 1
            index += 1
        self.expect("]")

    def string_end(self) -> int:
        """The offset just after the string starting here."""
        text, quote = self.text, self.text[self.pos]
        if text.startswith(quote * 3, self.pos):
            i = self.pos + 3
            while i < len(text):
                if quote == '"' and text[i] == "\\":
                    i += 2
                elif text.startswith(quote * 3, i):
                    run = len(text[i:i + 5]) - len(text[i:i + 5].lstrip(quote))
                    return i + run
                else:
                    i += 1
            raise _Stop
        i = self.pos + 1
        while i < len(text) and text[i] != "\n":
            if quote == '"' and text[i] == "\\":
                i += 2
                continue
            if text[i] == quote:
                return i + 1
            i += 1
        raise _Stop


def _unquote(quoted: str) -> str:
    try:
        return next(iter(tomllib.loads(f"{quoted} = 0")))
    except (tomllib.TOMLDecodeError, StopIteration):
        raise _Stop from None


def locate(source: Source) -> dict[KeyPath, Place]:
    """The place of every table, key and array element of a TOML text, by key path.

    Paths are as tomllib's result is indexed: `("case", 2, "facts", "rough")` is the fact
    `rough` of the third `[[case]]`. Where the text is not valid TOML, what comes before the
    problem is located and the rest is not."""
    loc = _Locator(source)
    with contextlib.suppress(_Stop, RecursionError):
        loc.document()
    return loc.places


# ----------------------------------------------------------------------------- errors

_TOML_POS = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_QUOTE_HINT = 'close it with a quote, or write text over several lines between """ and """'
_ONE_PLACE = "give all the keys of a table in one place"
_TOML_MESSAGES = (  # tomllib's message (its start) -> what it means here, and the fix
    ("Invalid value", "a value is missing or is not a TOML value",
     'write text in quotes ("..."), true or false, a number, a date such as 2024-03-01, or a '
     "list [...]"),
    ("Cannot overwrite a value", "a key is given twice", "remove one of them"),
    ("Cannot declare", "a table is declared twice",
     "merge the two tables, or write [[...]] for a list of tables"),
    ("Cannot mutate immutable namespace", "keys are added to a table that is already complete",
     _ONE_PLACE),
    ("Cannot redefine namespace", "a table is declared after its keys were given", _ONE_PLACE),
    ("Duplicate inline table key", "a key is given twice in an inline table",
     "remove one of them"),
    ("Illegal character '\\n'", "a string is not closed on its line", _QUOTE_HINT),
    ("Illegal character", "a character that is not allowed in a string",
     "remove it, or write it as an escape such as \\t"),
    ("Unterminated string", "a string is not closed", _QUOTE_HINT),
    ("Unescaped '\\'", "a backslash that starts no escape",
     "write \\\\ for a backslash, or use a 'literal string'"),
    ("Escaped character", "an escape that is not a character", "use \\uXXXX with a real code"),
    ("Invalid hex value", "an escape that is not a character", "use \\uXXXX with a real code"),
    ("Expected newline or end of document", "unexpected text after a value",
     "write one `key = value` per line, and text in quotes"),
    ("Invalid initial character for a key part", "a key is missing or is not valid",
     "a key is a bare word (letters, digits, `_`, `-`) or is quoted; an inline table { ... } "
     "must be on one line"),
    ("Invalid statement", "a line that is neither `key = value` nor a [table] header",
     "write `key = value`, or [table]"),
    ("Expected '=' after a key", "`=` is missing after a key", "write `key = value`"),
    ("Expected ']]' at the end", "a [[table]] header is not closed", "write [[case]]"),
    ("Expected ']' at the end", "a table header is not closed", "write [name]"),
    ("Unclosed array", "a list is not closed", "close it with ]"),
    ("Unclosed inline table", "an inline table is not closed",
     "close it with }; an inline table { ... } must be on one line"),
    ("Invalid date or datetime", "a date or time that does not exist",
     "write a date such as 2024-03-01"),
    ("Found invalid character", "a character that TOML does not allow here", "remove it"),
    ("Expected", "a character is missing", "check the punctuation of this line"),
)
_KEY_AT = re.compile(r"\s*([^=\s][^=]*?)\s*=")
_LONG_NUMBER = re.compile(r"[0-9][0-9_]{" + str(MAX_NUMBER_DIGITS) + ",}")
_DATE_LIKE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def parse(source: Source) -> dict[str, Any] | Diagnostic:
    """The TOML document (floats read as Decimal, exactly), or its first error (KP401)."""
    try:
        return tomllib.loads(source.text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as err:
        return toml_error(str(err), source)
    except ValueError:  # Python converts integers of at most 4,300 digits
        found = _LONG_NUMBER.search(source.text)
        span = source.span(*found.span()) if found else source.span(0, 0)
        return Diagnostic("KP490", f"a number of more than {MAX_NUMBER_DIGITS} digits; at most "
                          f"{MAX_NUMBER_DIGITS} digits are allowed", span,
                          hint="check the figure (docs/limits.md)")
    except RecursionError:
        return Diagnostic("KP401", "invalid TOML: values nested too deeply", source.span(0, 0),
                          hint="nest lists and tables less deeply")


def toml_error(message: str, source: Source) -> Diagnostic:
    """A tomllib error as a KP401 diagnostic: located at its line and column, in words a
    drafter knows, with a hint."""
    match = _TOML_POS.search(message)
    what = message[: match.start()] if match else message
    text = source.text
    if match and match.group(1):
        line, col = int(match.group(1)), int(match.group(2))
        start = sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + col - 1
    else:
        start = len(text.rstrip())
    start = min(start, len(text))
    end = start + 1 if start < len(text) and text[start] != "\n" else start
    summary, hint = what[:1].lower() + what[1:], "check the TOML syntax of this line"
    for head, short, advice in _TOML_MESSAGES:
        if what.startswith(head):
            summary, hint = short, advice
            break
    line_no = source.line_col(start)[0]
    key = _KEY_AT.match(source.line_text(line_no))
    if what.startswith("Cannot overwrite") and key:
        begin = start - source.line_col(start)[1] + 1 + key.start(1)
        start, end = begin, begin + len(key.group(1))
        summary = f"`{key.group(1)}` is given twice"
    for found in _DATE_LIKE.findall(source.line_text(line_no)):
        if not is_date(found):
            hint = f"`{found}` is not a real date"
    return Diagnostic("KP401", f"invalid TOML: {summary}", source.span(start, end), hint=hint)


def is_date(text: str) -> bool:
    """Whether a text is a real date written 2024-03-01."""
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
