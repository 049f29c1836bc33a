"""Files: the one safe reader of input files and the one atomic writer of output files.

Reading (`read_source`, `open_binary`): only regular files are opened, checked on the open file
itself, so a named pipe, a device (`/dev/zero`), a folder or a socket is refused at once with
KP100 instead of blocking or reading without end; a policy or case file is read whole up to a size
limit (KP102), decoded as UTF-8 (KP101, located at the bad byte) without NUL bytes (KP103).

Writing (`atomic_output`, `write_atomic`): the data goes to a temporary file in the target's
folder, flushed to disk, then renamed over the target, so a reader sees the old file or the new
one, never a part; an error or an interrupt removes the temporary file.

`display_name` is how every message shows a path.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from kprules.core.diagnostics import Diagnostic, PolicyError
from kprules.core.limits import MAX_POLICY_BYTES
from kprules.core.source import Source

MAX_BYTES = MAX_POLICY_BYTES
"""The largest policy, case or seed file read (bulk data files are streamed, a line at a time:
MAX_RECORD_BYTES)."""


def display_name(path: Path) -> str:
    """How a path is shown in messages: relative to the working folder when it is inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


class SourceError(PolicyError):
    """A file that could not be read as text; `source` (if any) lets the diagnostic show a line."""

    def __init__(self, diagnostics: Sequence[Diagnostic], source: Source | None = None) -> None:
        super().__init__(diagnostics)
        self.source = source


# ----------------------------------------------------------------------------- reading


def open_binary(path: Path, name: str | None = None) -> BinaryIO:
    """A regular file opened for reading in binary; KP100 (`SourceError`) for anything else.

    The file is opened without blocking (a named pipe with no writer would otherwise wait for
    ever) and its type is checked on the open descriptor, so nothing can swap it in between.
    """
    name = name or display_name(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        what = "is a link to a missing file" if path.is_symlink() else "does not exist"
        raise SourceError([Diagnostic("KP100", f"`{name}` {what}", None)]) from None
    except IsADirectoryError:
        raise SourceError([Diagnostic("KP100", f"`{name}` is a folder", None)]) from None
    except OSError as err:
        raise SourceError([_unreadable(name, err)]) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise SourceError([Diagnostic("KP100", f"`{name}` is {what}", None)])
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, name: str | None = None, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes` (KP100, KP102 otherwise); at most
    `max_bytes + 1` bytes are read whatever size the file claims."""
    name = name or display_name(path)
    with open_binary(path, name) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise SourceError([too_large(name, f"{size:,} bytes", max_bytes)])
        try:
            data = fh.read(max_bytes + 1)
        except OSError as err:
            raise SourceError([_unreadable(name, err)]) from None
    if len(data) > max_bytes:
        raise SourceError([too_large(name, f"more than {max_bytes:,} bytes", max_bytes)])
    return data


def read_source(path: Path, name: str | None = None, max_bytes: int = MAX_BYTES) -> Source:
    """A UTF-8 text file as a Source; problems become KP100-KP103 diagnostics (`SourceError`)."""
    name = name or display_name(path)
    return decode(read_bytes(path, name, max_bytes), name)


def decode(data: bytes, name: str) -> Source:
    """The text of a file's bytes; invalid UTF-8 (KP101) and NUL bytes (KP103) are located.

    A leading byte-order mark is dropped. On such an error the `SourceError` carries the text
    (each byte that is not UTF-8 replaced by U+FFFD), so that the diagnostic can show the line.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        src = Source(name, data.decode("utf-8", errors="replace").removeprefix("\ufeff"))
        at = len(data[: err.start].decode("utf-8").removeprefix("\ufeff"))
        raise SourceError([Diagnostic(
            "KP101", f"`{name}` is not valid UTF-8 (byte {err.start + 1}, line {line})",
            src.span(at, at + 1), hint="save the file as UTF-8")], src) from None
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        src = Source(name, text)
        raise SourceError([Diagnostic("KP103", "a NUL byte in the text", src.span(nul, nul + 1),
                                      hint="this looks like a binary file")], src)
    return Source(name, text)


def too_large(name: str, size: str, max_bytes: int) -> Diagnostic:
    return Diagnostic("KP102", f"`{name}` is {size}; the limit is {max_bytes:,}", None,
                      hint="split it into several files")


def _unreadable(name: str, err: OSError) -> Diagnostic:
    return Diagnostic("KP100", f"cannot read `{name}`: {err.strerror or err}", None)


# ----------------------------------------------------------------------------- writing


class OutputError(OSError):
    """An output file that cannot be written (one-line message)."""


@contextlib.contextmanager
def atomic_binary(path: Path) -> Iterator[BinaryIO]:
    """A binary stream whose content replaces `path` atomically when the block ends cleanly.

    The new file keeps the permissions of the file it replaces (or gets the default ones);
    `OutputError` before anything is written when the folder cannot take a file.
    """
    if path.is_dir():
        raise OutputError(f"cannot write `{display_name(path)}`: it is a folder")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise OutputError(f"cannot write `{display_name(path)}`: "
                          f"{err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_output(path: Path | None) -> Iterator[TextIO]:
    """A text stream (UTF-8, `\\n` line ends) written atomically to `path`; standard output
    when `path` is None."""
    if path is None:
        yield sys.stdout
        return
    with atomic_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        yield text
        text.flush()
        text.detach()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a whole file so that readers see the old or the new content, never a part of it."""
    with atomic_binary(path) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def expand_paths(paths: Sequence[Path], suffix: str, empty: Callable[[str], Diagnostic], *,
                 resolve: bool = False) -> tuple[list[Path], list[Diagnostic]]:
    """Files as given, and every `*suffix` file under each folder (sorted), without repeats;
    `empty(name)` for a folder holding none, KP100 for a path that does not exist."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        name = display_name(path)
        if path.is_dir():
            found = sorted(p for p in path.rglob(f"*{suffix}") if p.is_file())
            if not found:
                problems.append(empty(name))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            what = "is a link to a missing file" if path.is_symlink() else "does not exist"
            problems.append(Diagnostic("KP100", f"`{name}` {what}", None))
    unique = list(dict.fromkeys(p.resolve() if resolve else p for p in files))
    return unique, problems
