"""Writing a report file atomically, as a stream.

`atomic_output(path)` gives a text stream to write to: standard output when `path` is None; else
a temporary file in the same folder, renamed over `path` when the block ends without an error,
and removed when it ends with one (an error, an interrupt). A reader never sees a partial report,
and a failed run leaves no file behind. Opening fails early (`OutputError`, one line) when the
folder cannot be written, before any work is done.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from kprules.syntax.loader import display_name


class OutputError(OSError):
    """A report file that cannot be written (one-line message)."""


@contextlib.contextmanager
def atomic_output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    if path.is_dir():
        raise OutputError(f"cannot write `{display_name(path)}`: it is a folder")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise OutputError(f"cannot write `{display_name(path)}`: "
                          f"{err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
