"""A private, authenticated cache: bytes kept under a name, trusted only if this user's
kprules wrote them.

Effects: reads and writes one folder. What is kept there may be run (a plan's SQL), so, as
issue 14 asks of any cache, nothing is read unless
- the folder is a real folder (not a link), owned by the user, closed to everyone else (0700);
- the file carries an HMAC-SHA256 of its bytes under the folder's key: 32 random bytes in the
  file `key` (0600, owned by the user), made once.
A file that fails any test is not read: the caller does the work instead. The folder is
`$KPRULES_CACHE_DIR`, else `$XDG_CACHE_HOME/kprules`, else `~/.cache/kprules`; setting
`KPRULES_NO_CACHE` to anything but an empty text turns the cache off. A cache never fails a
run: every error reading or writing it is a miss. It holds at most `MAX_ENTRIES` entries: the
ones used least recently go first. POSIX only (elsewhere there is no cache).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import time
from pathlib import Path

ENV_DIR = "KPRULES_CACHE_DIR"
ENV_OFF = "KPRULES_NO_CACHE"
KEY_FILE = "key"
KEY_BYTES = 32
MAX_ENTRY = 8 * 1024 * 1024  # bytes of one entry read at most
_NAME = re.compile(r"[a-z]+-[0-9a-f]{64}")
MAX_ENTRIES = 200  # past them, the entries used least recently are removed
_OPEN = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FOLDER = getattr(os, "O_DIRECTORY", 0)


def folder() -> Path | None:
    """The cache folder (whether or not it exists yet), or None when the cache is off."""
    if os.environ.get(ENV_OFF) or not hasattr(os, "getuid"):
        return None
    given = os.environ.get(ENV_DIR)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home folder: no cache
            return None
    return Path(base) / "kprules"


def get(name: str) -> bytes | None:
    """The bytes kept under `name`, or None (missing, not private, not authenticated)."""
    where = folder()
    if where is None or not _NAME.fullmatch(name):
        return None
    try:
        fd = _open_folder(where, create=False)
    except OSError:
        return None
    try:
        key = _key(fd, create=False)
        data = _read(name, fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    if key is None or data is None or len(data) < KEY_BYTES:
        return None
    tag, body = data[:KEY_BYTES], data[KEY_BYTES:]
    if not hmac.compare_digest(tag, _tag(key, body)):
        return None
    with contextlib.suppress(OSError):  # used now: the last to be removed (`_prune`)
        os.utime(where / name, follow_symlinks=False)
    return body


def put(name: str, body: bytes) -> None:
    """Keep `body` under `name` (written whole, then renamed into place); nothing on error."""
    where = folder()
    if where is None or not _NAME.fullmatch(name) or len(body) + KEY_BYTES > MAX_ENTRY:
        return
    with contextlib.suppress(OSError):
        fd = _open_folder(where, create=True)
        try:
            key = _key(fd, create=True)
            if key is not None:
                _write(fd, name, _tag(key, body) + body)
                _prune(fd)
        finally:
            os.close(fd)


def _prune(folder_fd: int) -> None:
    """Keep the `MAX_ENTRIES` entries used last; remove the others (and leftover parts of
    writes that were cut short, an hour old)."""
    entries, now = [], time.time()
    for name in os.listdir(folder_fd):
        with contextlib.suppress(OSError):
            info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
            if _NAME.fullmatch(name):
                entries.append((info.st_mtime_ns, name))
            elif name.endswith(".part") and info.st_mtime < now - 3600:
                os.unlink(name, dir_fd=folder_fd)
    for _, name in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder_fd)


def _tag(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def _open_folder(where: Path, create: bool) -> int:
    """A descriptor of the folder, once it is known to be private (OSError if not)."""
    if create:
        where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            where.mkdir(mode=0o700)
    fd = os.open(where, os.O_RDONLY | _FOLDER | _OPEN)
    info = os.fstat(fd)
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        os.close(fd)
        raise PermissionError(f"{where} is not private to this user")
    return fd


def _private_file(fd: int) -> bool:
    info = os.fstat(fd)
    return (stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & 0o077)


def _key(folder_fd: int, create: bool) -> bytes | None:
    """The folder's key; made when `create` and missing."""
    try:
        fd = os.open(KEY_FILE, os.O_RDONLY | _OPEN, dir_fd=folder_fd)
    except FileNotFoundError:
        if not create:
            return None
        with contextlib.suppress(FileExistsError):  # a rival made it first: its key it is
            _write(folder_fd, KEY_FILE, secrets.token_bytes(KEY_BYTES))
        return _key(folder_fd, create=False)
    try:
        key = os.read(fd, KEY_BYTES + 1)
        return key if _private_file(fd) and len(key) == KEY_BYTES else None
    finally:
        os.close(fd)


def _read(name: str, folder_fd: int) -> bytes | None:
    try:
        fd = os.open(name, os.O_RDONLY | _OPEN, dir_fd=folder_fd)
    except FileNotFoundError:
        return None
    try:
        if not _private_file(fd):
            return None
        chunks, size = [], 0
        while size <= MAX_ENTRY and (chunk := os.read(fd, 1 << 20)):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks) if size <= MAX_ENTRY else None
    finally:
        os.close(fd)


def _write(folder_fd: int, name: str, data: bytes) -> None:
    """`data` into `name` in the folder: a new private file, renamed into place (never a
    file half written). A key is never replaced: a rival's stays, and this one is dropped."""
    part = f".{name}.{secrets.token_hex(8)}.part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN, 0o600, dir_fd=folder_fd)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if name == KEY_FILE:
            os.link(part, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
        else:
            os.replace(part, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part, dir_fd=folder_fd)
