"""JSON Lines data: one JSON object a line, read as a stream of validated records (every
problem located at its line and key)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from kprules import ir
from kprules.cases.records import (
    BadRecord,
    Record,
    RecordSource,
    Validator,
    _check,
    _decode,
    _diagnostic,
    _not_utf8,
    _overlong,
    _overlong_record,
)
from kprules.core.diagnostics import Diagnostic
from kprules.core.limits import MAX_NUMBER_DIGITS
from kprules.ir.values import LongNumber


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; `_Duplicate` if a key is given twice (json would keep the
    last one silently)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_int(text: str) -> int | LongNumber:
    """Python converts at most 4,300 digits (and slowly); `coerce` refuses a LongNumber."""
    return LongNumber(text) if len(text) > MAX_NUMBER_DIGITS + 1 else int(text)


def _json_decimal(text: str) -> Decimal | LongNumber:
    return LongNumber(text) if len(text) > 4 * MAX_NUMBER_DIGITS else Decimal(text)


_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_float=_json_decimal,
                         parse_int=_json_int)


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(value: Any) -> bool:
    """A string (or a key) holding half of a UTF-16 pair: it is not Unicode text."""
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


def jsonl_records(lines: Iterable[bytes | str], name: str,
                  vocabulary: ir.Vocabulary) -> Iterator[Record | BadRecord]:
    """One record per non-blank line, each a JSON object of fact values (null: unknown)."""
    number = 0
    check = Validator(vocabulary, from_text=False)
    for line, raw in enumerate(lines, 1):
        if _overlong(raw):
            yield _overlong_record(number + 1, line)
            return
        text, bad = _decode(raw, line == 1)
        if not text.strip():
            continue
        number += 1
        if bad is not None:
            yield _not_utf8(number, line, text, bad, name)
            continue
        yield _json_record(text.rstrip("\r\n"), number, line, name, check)


def _json_record(text: str, number: int, line: int, name: str,
                 check: Validator) -> Record | BadRecord:
    try:
        fields = _JSON.decode(text)
    except _Duplicate as dup:
        return _json_bad(text, number, line, name, f"the field `{dup.key}` is given twice",
                         None, "remove one of them", key=dup.key)
    except json.JSONDecodeError as err:
        return _json_bad(text, number, line, name, f"not valid JSON: {err.msg.lower()}",
                         err.pos, "write one JSON object per line, such as "
                         '{"rough": true, "mined_in": "CF"}')
    except RecursionError:
        return _json_bad(text, number, line, name, "values nested too deeply", 0, None)
    if not isinstance(fields, dict):
        return _json_bad(text, number, line, name, "not a JSON object", 0,
                         'write one JSON object per line, such as {"rough": true}')
    if "\\u" in text and _lone_surrogate(fields):
        found = _SURROGATE.search(text)
        return _json_bad(text, number, line, name, "a string holds a lone surrogate escape "
                         "(half of a UTF-16 pair), which is not Unicode text",
                         found.start() if found else 0, "write the character itself, or "
                         "both halves of its pair")
    checked = _check(fields, check, number, line)
    if isinstance(checked, Record):
        return checked
    vocab = check.vocabulary
    src = RecordSource(name, text, first_line=line)
    places = _json_places(text)
    diags = []
    for problem in checked:
        key, value = places.get(problem.name, ((0, 0), (0, 0)))
        at = key if vocab.facts.get(problem.name) is None else value
        diags.append(_diagnostic(problem, number, {**fields}, vocab, src.span(*at)))
    return BadRecord(number, line, tuple(diags), src)


def _json_bad(text: str, number: int, line: int, name: str, message: str, pos: int | None,
              hint: str | None, key: str | None = None) -> BadRecord:
    src = RecordSource(name, text, first_line=line)
    if key is not None:
        places = _json_places(text, last=True)
        span = src.span(*places[key][0]) if key in places else src.span(0, 0)
    else:
        at = min(pos or 0, len(text))
        span = src.span(at, min(at + 1, len(text)))
    return BadRecord(number, line, (Diagnostic("KP421", f"record {number}: {message}", span,
                                               hint=hint),), src)


def _json_places(text: str, last: bool = False) -> dict[str, tuple[tuple[int, int],
                                                                   tuple[int, int]]]:
    """The span of each top-level key and value of a JSON object (the first of a key given
    twice, or with `last` the last one); what cannot be read is left out."""
    places: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
    decoder = json.JSONDecoder(parse_int=_json_int, parse_float=_json_decimal)
    ws = " \t\r\n"
    try:
        i = text.index("{") + 1
        while True:
            while text[i] in ws:
                i += 1
            if text[i] != '"':
                return places
            key, end = decoder.raw_decode(text, i)
            j = text.index(":", end) + 1
            while text[j] in ws:
                j += 1
            _, after = decoder.raw_decode(text, j)
            if last or key not in places:
                places[key] = ((i, end), (j, after))
            i = after
            while text[i] in ws:
                i += 1
            if text[i] != ",":
                return places
            i += 1
    except (ValueError, IndexError):
        return places
