"""Files that survive a crash, a kill or a power cut whole, and that only their owner can read.

One way to write a file whole (``write_atomic``): the bytes go to a temporary file in the
same folder, which is flushed to the disk (fsync), renamed over the final name, and then the
folder itself is flushed so that the rename survives a power cut too. A reader therefore sees
either the old file or the new one, never half of one.

What streamfer writes records sessions with children and patients, so every file it creates
is private: files 0600 and new folders 0700, whatever the umask (``private_file``,
``private_dir``).

One way to hash: ``sha256_file`` for one file's bytes, ``sha256_files`` for several in order
(a frame folder), ``sha256_text`` for settings and the like.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from streamfer.core.errors import OutputError

FILE_MODE = 0o600
DIR_MODE = 0o700
_BLOCK = 1 << 20


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to the disk.

    Some file systems cannot fsync a folder (EINVAL) and some platforms cannot open one; the
    rename is then as durable as that file system makes it.
    """
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (and missing parents) with mode 0700; an existing folder is kept as is.

    Raises OSError as ``Path.mkdir`` does.
    """
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            path.mkdir(mode=DIR_MODE)
            os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    return folder


def private_file(path: Path, exclusive: bool = True) -> int:
    """Open ``path`` for appending as a new 0600 file; return the file descriptor.

    ``exclusive``: fail with FileExistsError when it exists. The mode is set with fchmod
    after creation because the umask may remove bits from the mode given to open.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
    if exclusive:
        flags |= os.O_EXCL
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def write_atomic(path: Path, data: str | bytes, mode: int = FILE_MODE) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` whole, or leave ``path`` as it was.

    Temporary file beside it, fsync, rename over ``path``, fsync of the folder. ``mode``
    is the new file's permission bits (0600 unless a caller keeps an existing file's mode).
    Raises OutputError naming the file and the reason (full disk, permissions).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(
            temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), mode
        )
        try:
            os.fchmod(fd, mode)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise OutputError(
            f"cannot write {path}: {exc.strerror or exc}",
            "free some space or pick another folder" if _is_full(exc) else "check the folder",
        ) from None


def _is_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def sha256_text(text: str) -> str:
    """sha256 (hex) of ``text`` as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    """sha256 (hex) of one file's bytes, read a block at a time. Raises OSError."""
    return sha256_files([path], delimit=False)


def sha256_files(files: Iterable[Path], salt: str = "", delimit: bool = True) -> str:
    """sha256 (hex) of several files' bytes in the order given.

    ``delimit``: each file's size goes in before its bytes, so that the boundaries between
    files count. ``salt`` (settings, say) is hashed first. Raises OSError.
    """
    digest = hashlib.sha256(salt.encode("utf-8"))
    for file in files:
        with file.open("rb") as f:
            if delimit:
                digest.update(os.fstat(f.fileno()).st_size.to_bytes(8, "little"))
            while block := f.read(_BLOCK):
                digest.update(block)
    return digest.hexdigest()
