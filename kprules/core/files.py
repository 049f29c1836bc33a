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
import shutil
import signal
import stat
import sys
import tempfile
import threading
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


# Files kprules reads as inputs: an output is never written over one (except by `fmt`, and a
# data file by `eval --output`, whose outputs are data files).
POLICY_SUFFIXES = frozenset({".kpr", ".toml"})
# The data files' formats by extension (kprules.cases.bulk reads them).
DATA_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
DATA_SUFFIXES = frozenset(DATA_FORMATS)
SOURCE_SUFFIXES = POLICY_SUFFIXES | DATA_SUFFIXES


@contextlib.contextmanager
def atomic_binary(path: Path, inputs: Sequence[Path] = (), sources: bool = False,
                  data: bool = False) -> Iterator[BinaryIO]:
    """A binary stream whose content replaces `path` atomically when the block ends cleanly.

    `path` is first looked at (`OutputError`, before anything is written, when it must not be
    written): a symbolic link is followed, and its target written (the link stays); a FIFO, a
    device or a socket (`/dev/null`, `/dev/stdout`) is written as the stream it is, never
    replaced by a file, and so is the file this process's standard output or error is
    redirected to (`--output /dev/stdout > log`); a read-only file is refused, as is an input
    of the same run (`inputs`) and, unless `sources` (`fmt`), an existing policy, case or data
    file (with `data`, a data file may be replaced unless it is an input: `eval --output`). A
    file with several hard links is rewritten in place, so that every link sees the new
    content. Otherwise the data goes to a temporary file in the same folder, renamed over the
    target: it keeps the permissions of the file it replaces, and an error, an interrupt or
    SIGTERM removes it.
    """
    target = output_target(path, inputs, sources, data)
    info = _stat(target)
    fd = _standard(info)
    if fd is not None:  # `/dev/stdout` with the stream redirected to a file: written to it
        with _to_standard(fd) as fh:
            yield fh
        return
    if info is not None and _is_stream(info):
        with _stream(target) as fh:
            yield fh
        return
    if info is not None and info.st_nlink > 1:
        with _in_place(target) as fh:
            yield fh
        return
    with _replacing(target, info) as fh:
        yield fh


def _standard(info: os.stat_result | None) -> int | None:
    """1 or 2 when the target is this process's standard output or error (a path such as
    `/dev/stdout`): a file the stream is redirected to (replacing it would send what the
    stream writes next to a file no longer in its folder), or a pipe or terminal (written
    after what Python has buffered for the stream)."""
    if info is None or stat.S_ISDIR(info.st_mode):
        return None
    for fd in (1, 2):
        try:
            other = os.fstat(fd)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
            return fd
    return None


@contextlib.contextmanager
def _to_standard(fd: int) -> Iterator[BinaryIO]:
    """The standard stream `fd` as a binary stream, written where the stream is (what Python
    has buffered for it written first)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with os.fdopen(os.dup(fd), "wb") as fh:
        yield fh


def output_target(path: Path, inputs: Sequence[Path] = (), sources: bool = False,
                  data: bool = False) -> Path:
    """The file an output to `path` writes (links followed), or `OutputError` if it must not
    (`atomic_binary` says when)."""
    shown = display_name(path)
    info = _stat(path)  # links followed, `/dev/stdout` and `/dev/fd/N` too
    if info is not None and _is_stream(info):  # written through the path given: the
        return path  # real path of a pipe (`/proc/self/fd/1` -> `pipe:[...]`) is no file
    target = Path(os.path.realpath(path))  # the file `info` describes
    if info is None:
        if not sources and target.suffix.lower() in POLICY_SUFFIXES:
            raise OutputError(f"cannot write `{shown}`: an output named like a policy or case "
                              "file would be read as one by the next run; give it another name")
        return target
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write `{shown}`: it is a folder")
    if stat.S_ISREG(info.st_mode):
        if not info.st_mode & 0o222:
            raise OutputError(f"cannot write `{shown}`: it is read-only")
        for given in inputs:
            other = _stat(Path(os.path.realpath(given)))
            if other is not None and (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
                raise OutputError(f"cannot write `{shown}`: it is an input of this command")
        kept = POLICY_SUFFIXES if data else SOURCE_SUFFIXES
        if not sources and target.suffix.lower() in kept:
            raise OutputError(f"cannot write `{shown}`: it is a policy, case or data file")
    return target


def _is_stream(info: os.stat_result) -> bool:
    """A FIFO, a device or a socket: written as a stream, never replaced."""
    return not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode))


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


@contextlib.contextmanager
def _stream(target: Path) -> Iterator[BinaryIO]:
    try:
        fh = target.open("wb")
    except OSError as err:
        raise OutputError(f"cannot write `{display_name(target)}`: "
                          f"{err.strerror or err}") from None
    with fh:
        yield fh


@contextlib.contextmanager
def _in_place(target: Path) -> Iterator[BinaryIO]:
    """Rewrite a hard-linked file in place (renaming would split it from its other names):
    the content is written in full to memory first; then a copy beside the file proves that
    it fits (the disk's space, a file-size limit) before the file is touched; then it is
    written over the file, whose old content goes back if that write fails all the same."""
    buffer = io.BytesIO()
    yield buffer
    data = buffer.getvalue()
    try:
        _fits(target.parent, data)
        old = target.read_bytes()
        try:
            _overwrite(target, data)
        except OSError:
            with contextlib.suppress(OSError):
                _overwrite(target, old)
            raise
    except OSError as err:
        raise OutputError(f"cannot write `{display_name(target)}`: "
                          f"{err.strerror or err}") from None


def _fits(folder: Path, data: bytes) -> None:
    """OSError unless `data` can be written as a file in `folder` (the copy is removed)."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kprules-fits.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _overwrite(target: Path, data: bytes) -> None:
    with target.open("r+b") as fh:
        fh.write(data)
        fh.truncate()
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def _replacing(target: Path, info: os.stat_result | None) -> Iterator[BinaryIO]:
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise OutputError(f"cannot write `{display_name(target)}`: "
                          f"{err.strerror or err}") from None
    try:
        with _terminate_as_exit(), os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            mode = info.st_mode & 0o7777 if info is not None else 0o666 & ~_umask()
            os.chmod(tmp, mode)
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM during the write raises SystemExit (143), so that the temporary file is removed
    as on any error; the previous handler is restored after. Only the main thread can."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def atomic_output(path: Path | None, inputs: Sequence[Path] = (),
                  data: bool = False) -> Iterator[TextIO]:
    """A text stream (UTF-8, `\\n` line ends) written atomically to `path` (as `atomic_binary`
    describes); standard output when `path` is None."""
    if path is None:
        yield sys.stdout
        return
    with atomic_binary(path, inputs, data=data) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        yield text
        text.flush()
        text.detach()


def write_atomic(path: Path, data: str | bytes, sources: bool = False) -> None:
    """Write a whole file so that readers see the old or the new content, never a part of it
    (`sources`: it may be a policy, as `fmt` writes)."""
    with atomic_binary(path, sources=sources) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


# The first line of every case file kprules generates (witnesses): a new run replaces a file
# that starts with it, and refuses any other (a drafter's file, or a witness they edited).
GENERATED = "# Written by kprules; a new run rewrites it. Delete this line to keep your edits."


def write_generated(folder: Path, files: Sequence[tuple[str, str]]) -> None:
    """Write each (name, text) into `folder` (made if need be), each text after the line
    `GENERATED`. A file there is replaced only when it starts with that line (kprules wrote it
    and nobody took it over): any other is refused (`OutputError`) before a file is written."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, _ in files:
        _generated_or_absent(folder / name)
    for name, text in files:
        write_atomic(folder / name, f"{GENERATED}\n{text}", sources=True)


def _generated_or_absent(path: Path) -> None:
    target = output_target(path, sources=True)
    if not target.is_file():
        return
    with open(target, "rb") as fh:
        first = fh.readline(len(GENERATED) + 2).rstrip(b"\r\n")
    if first != GENERATED.encode("utf-8"):
        raise OutputError(f"`{display_name(path)}` was not written by kprules, or was "
                          "edited (its first line is not `# Written by kprules...`), and is "
                          "kept: move it away, or write to another folder")


@contextlib.contextmanager
def written_beside(target: Path) -> Iterator[Path]:
    """A path beside `target` for a writer other than Python (DuckDB's `COPY`) to write whole;
    when the block ends cleanly the file is put at `target` as `atomic_binary` writes
    (`place_file`), and in any case it is gone after."""
    part = target.with_name(f".{target.name}.{os.urandom(6).hex()}.part")
    try:
        yield part
        place_file(part, target)
    finally:
        part.unlink(missing_ok=True)


def place_file(part: Path, target: Path) -> None:
    """Put the finished file `part` (beside `target`) at `target` as `atomic_binary` writes:
    renamed over a regular file with one name (keeping its permissions), or where there is
    none; otherwise (a FIFO, a device, standard output, a file with several names) its bytes
    written through `atomic_binary`. `OutputError` when the target cannot be written."""
    info = _stat(target)
    try:
        if info is None or (stat.S_ISREG(info.st_mode) and info.st_nlink == 1
                            and _standard(info) is None):
            if info is not None:
                os.chmod(part, stat.S_IMODE(info.st_mode))
            os.replace(part, target)
            return
        with part.open("rb") as src, atomic_binary(target, data=True) as dst:
            shutil.copyfileobj(src, dst)
    except OSError as err:
        if isinstance(err, OutputError):
            raise
        raise OutputError(f"cannot write `{display_name(target)}`: "
                          f"{err.strerror or err}") from None


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


def has_lone_carriage_return(path: Path, chunk_size: int = 1 << 22) -> bool:
    """Whether a carriage return of the file is neither before a line feed nor at its end: the
    Python readers split lines at line feeds only (a line's `\r\n` or last `\r` is taken
    off), where DuckDB's CSV reader splits at a lone `\r` too."""
    import mmap

    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            if mm.find(b"\r") < 0:  # the common case: one pass at the speed of memchr
                return False
        after_cr = False  # the chunk before ended with a carriage return
        while chunk := fh.read(chunk_size):
            if after_cr and chunk[:1] != b"\n":
                return True
            ends = chunk.endswith(b"\r")
            if chunk.count(b"\r") != chunk.count(b"\r\n") + ends:
                return True
            after_cr = ends
        return False


def count_lines(path: Path) -> int:
    """The number of lines of a file up to its last one that is not empty, as `readline`
    counts them (a last line without a line feed counts; empty lines at the end do not: the
    readers skip them, and they number no record)."""
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            count += chunk.count(b"\n")
            last = chunk[-1:]
        return count + (last != b"\n") - _empty_lines_at_end(fh)


def _empty_lines_at_end(fh: BinaryIO) -> int:
    """The empty lines (`\n` or `\r\n` alone) that end an open file, read backwards."""
    end = fh.seek(0, os.SEEK_END)
    feeds, at = 0, end
    while at > 0:
        step = min(at, 4096)
        at -= step
        fh.seek(at)
        chunk = fh.read(step)
        tail = chunk.rstrip(b"\r\n")
        feeds += chunk[len(tail):].count(b"\n")
        if tail:
            return max(feeds - 1, 0)  # the first line feed ends the last line that is not empty
    return feeds  # nothing but empty lines


def may_have_long_line(path: Path, limit: int) -> bool:
    """Whether a line of the file may be longer than `limit` bytes: False proves none is. A
    line that long holds a whole aligned block of `limit // 2` bytes, so the test looks for a
    line feed in each block: a few bytes of each, read through the page cache, where counting
    every line would read the whole file."""
    import mmap

    block = max(limit // 2, 1)
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size <= limit:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return any(mm.find(b"\n", start, start + block) < 0
                       for start in range(0, size - block + 1, block))
