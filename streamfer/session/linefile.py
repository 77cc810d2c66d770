"""An append-only file of whole lines that a full disk cannot leave with half a line.

Each line goes to the file in one ``os.write`` on a descriptor opened with ``O_APPEND``; a
short write (the disk filled up mid-line) is finished or undone, never left behind. When a
write fails with ENOSPC, EDQUOT or EIO the file is cut back to the end of its last whole line
and ``LineWriteError`` is raised, so the file stays readable line by line
(``pandas.read_json(path, lines=True)``).

A full disk would then also refuse the record that says so. ``LineFile`` therefore keeps a
small reserve: a hidden file of ``RESERVE_BYTES`` beside it, created before the first line.
``release_reserve`` deletes it, which frees room for a last line (a ``session_end`` saying
"disk full"). The file's name is claimed first (``O_EXCL``), then the reserve is written; a
disk too full for the reserve removes the file again, so no empty file is left behind.

The file is created 0600 (see ``streamfer.durable``).
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from streamfer.core.durable import FILE_MODE, private_file

RESERVE_BYTES = 16 * 1024
#: errno values that mean "the disk cannot take this" rather than a programming error
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS})


class LineWriteError(OSError):
    """A line could not be written; the file still ends with a whole line (``size`` bytes)."""


class LineFile:
    """Whole lines appended to ``path``, which must not exist yet.

    Raises OSError when the file (or its reserve) cannot be created; the caller turns it into
    a message. ``size`` is the length of the file's whole lines, in bytes.
    """

    def __init__(self, path: Path, reserve_bytes: int = RESERVE_BYTES) -> None:
        self.path = path
        self.size = 0
        self.lines = 0
        self.reserve = path.with_name(f".{path.name}.reserve")
        self._fd: int | None = None
        # the name is claimed first (O_EXCL), so the reserve beside it is this file's own: a
        # writer that loses a race for the name never touches the winner's reserve
        self._fd = private_file(path)
        if reserve_bytes > 0:
            try:
                _write_reserve(self.reserve, reserve_bytes)
            except OSError:
                os.close(self._fd)
                self._fd = None
                with contextlib.suppress(OSError):
                    path.unlink()
                raise

    @property
    def closed(self) -> bool:
        return self._fd is None

    def append(self, line: str) -> None:
        """Write ``line`` (a newline is added) whole, or raise LineWriteError and keep the file
        ending with its last whole line."""
        if self._fd is None:
            raise LineWriteError(errno.EBADF, f"{self.path} is closed")
        data = memoryview((line + "\n").encode("utf-8"))
        done = 0
        try:
            while done < len(data):
                written = os.write(self._fd, data[done:])
                if written <= 0:  # pragma: no cover - a regular file never returns 0
                    raise OSError(errno.EIO, "write returned 0")
                done += written
        except OSError as exc:
            self._cut_back()
            raise LineWriteError(exc.errno, exc.strerror) from None
        self.size += done
        self.lines += 1

    def _cut_back(self) -> None:
        """Drop whatever part of a line reached the file (best effort: an EIO may persist)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if os.fstat(self._fd).st_size != self.size:
                os.ftruncate(self._fd, self.size)

    def release_reserve(self) -> bool:
        """Delete the reserve file (freeing room for a last line); False when there was none."""
        try:
            self.reserve.unlink()
        except FileNotFoundError:
            return False
        except OSError:
            return False
        return True

    def sync(self) -> None:
        """fsync the file (errors are left to the caller)."""
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        """fsync, close and drop the reserve; errors of the fsync are swallowed (the lines
        that reached the file are whole either way)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        self.release_reserve()

    def discard(self) -> None:
        """Close and delete the file: for a log that never got its first line."""
        self.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def _write_reserve(path: Path, size: int) -> None:
    """A file of ``size`` real bytes (not a sparse hole), synced, so the space is truly taken."""
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), FILE_MODE
    )
    try:
        block = b"\0" * size
        done = 0
        while done < size:
            done += os.write(fd, block[done:])
        os.fsync(fd)
    except OSError:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)
