"""`kprules check` on case files and data files: the same located diagnostics as `kprules test`
and `kprules compare` give, without running anything.

Effects only: a TOML case file is read and validated (keys, facts against the vocabulary,
expectations against the policies they name); the policies are those given on the command line,
else those the expectations name, found near the case file as `kprules test` finds a base. A data
file (JSON Lines, CSV, Parquet) is read record by record against the vocabulary of the policies
given.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kprules.api import Library
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.source import Source

CASE_SUFFIXES = (".toml",)
DATA_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet")
MAX_BAD_RECORDS = 20  # records reported per data file; the others are counted


def is_case_file(path: Path) -> bool:
    return path.suffix.lower() in CASE_SUFFIXES


def is_data_file(path: Path) -> bool:
    return path.suffix.lower() in DATA_SUFFIXES


# diagnostics, sources, files read, and per data file the invalid records not shown
Checked = tuple[list["Diagnostic"], dict[str, "Source"], int, dict[str, int]]


def check_case_files(paths: Sequence[Path], library: Library | None) -> Checked:
    """Validate case files against `library` (None: the policies their expectations name)."""
    from kprules.cases.files import read_suite

    lib = library if library is not None else _named_policies(paths)
    if lib is None:
        from kprules.api import loads

        lib = loads()
    suite = read_suite(list(paths), lib)
    return list(suite.diagnostics), dict(suite.sources), len(paths), {}


def _named_policies(paths: Sequence[Path]) -> Library | None:
    """The policies the case files' expectations name, found near each file (with what they
    need); None when they name none that can be found, or those do not check."""
    from kprules.api import Library
    from kprules.cli.common import load_and_check
    from kprules.core.diagnostics import PolicyError
    from kprules.syntax.search import find_module

    found: dict[str, Path] = {}
    for path in paths:
        for name in _expectation_policies(path):
            where = found.get(name) or find_module(name, path.parent)
            if where is not None:
                found[name] = where
    if not found:
        return None
    try:
        ws, result = load_and_check(sorted(set(found.values())), use_seeds=False)
    except PolicyError:
        return None
    return Library(ws, result) if result.ok else None


def _expectation_policies(path: Path) -> list[str]:
    """The policy names a case file's expectations use (none when it does not parse: reading it
    properly then reports where)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    tables: list[object] = [doc.get("expect"), (doc.get("family") or {}).get("expect")
                            if isinstance(doc.get("family"), dict) else None]
    cases = doc.get("case")
    for case in cases if isinstance(cases, list) else [cases]:
        if isinstance(case, dict):
            tables.append(case.get("expect"))
    names: list[str] = []
    for table in tables:
        if isinstance(table, Mapping):
            names.extend(str(key).partition(".")[0] for key in table)
    return list(dict.fromkeys(names))


def check_data_files(paths: Sequence[Path], library: Library | None,
                     quiet: bool = False) -> Checked:
    """Read every record of the data files against the one vocabulary of `library`, with a
    progress line per file on a terminal (unless `quiet`): records read, rate, share done and
    time left."""
    from kprules.cases.bulk import BadRecord, DataError, read_data
    from kprules.cases.records import excerpts
    from kprules.cli.progress import measured
    from kprules.core.diagnostics import Diagnostic
    from kprules.core.files import display_name
    from kprules.core.progress import Progress

    vocabularies = {p.vocabulary.name: p.vocabulary for p in library.values()} if library \
        else {}
    if len(vocabularies) != 1:
        why = "no policy was given" if not vocabularies else "the policies read " + ", ".join(
            f"`{v}`" for v in sorted(vocabularies))
        return ([Diagnostic("KP603", f"cannot check {display_name(paths[0])}: a data file is "
                            f"read against one vocabulary, and {why}", None,
                            hint="give the policies whose facts the records hold, such as "
                            "`kprules check policies/ shipments.jsonl`")], {}, 0, {})
    vocab = next(iter(vocabularies.values()))
    diagnostics: list[Diagnostic] = []
    sources: dict[str, Source] = {}
    hidden: dict[str, int] = {}
    for path in paths:
        bad, name = 0, display_name(path)
        shown: list[BadRecord] = []
        progress = Progress(name, "records", quiet=quiet)
        try:
            for record in progress.over(read_data(path, vocab, name, measured(progress, path))):
                if isinstance(record, BadRecord):
                    bad += 1
                    if bad <= MAX_BAD_RECORDS:
                        shown.append(record)
        except DataError as err:
            diagnostics.extend(err.diagnostics)
            sources.update(err.sources)
        finally:
            progress.close()
        found, texts = excerpts(shown)  # each record on its own lines, in one source
        diagnostics.extend(found)
        sources.update(texts)
        if bad > MAX_BAD_RECORDS:
            hidden[name] = bad - MAX_BAD_RECORDS
    return diagnostics, sources, len(paths), hidden
