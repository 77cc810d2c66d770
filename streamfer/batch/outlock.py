"""One ``analyze`` at a time per output folder.

Two runs on the same ``--out`` would analyse every file twice, delete each other's logs and
write one summary over the other. ``out_lock`` takes an exclusive ``flock`` on a hidden file
in the folder (``.streamfer-analyze.lock``) for the whole run and writes who holds it (process
id, host, start time) into it. The kernel drops the lock when the holder's process ends, however
it ends (``kill -9``, a power cut's reboot): a crash never leaves a stale lock behind, and the
file itself, left in place, means nothing without the lock on it. A second run says who holds
the folder and stops (OutputError), or with ``wait`` waits until the first one is done.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from streamfer.core.durable import FILE_MODE
from streamfer.core.errors import OutputError
from streamfer.core.safetext import printable

LOCK_NAME = ".streamfer-analyze.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock (documented)
    fcntl = None  # type: ignore[assignment]


class FolderBusyError(OutputError):
    """Another ``analyze`` holds the output folder."""


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "a process that has not said who it is yet"


@contextlib.contextmanager
def out_lock(out: Path, wait: bool = False) -> Iterator[None]:
    """Hold ``out``'s analyze lock inside the block; FolderBusyError naming the holder when
    another run has it (``wait``: wait for it, saying so once on stderr)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    path = out / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    except OSError as exc:
        raise OutputError(f"cannot create the lock file {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if not wait:
                raise FolderBusyError(
                    f"{out} is in use by another streamfer analyze ({holder})",
                    "wait for it to end, give another --out, or add --wait to start when it ends",
                ) from None
            print(
                f"streamfer: waiting for the analyze holding {printable(out)} ({printable(holder)})",
                file=sys.stderr,
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        note = f"pid {os.getpid()} on {socket.gethostname()}, since {stamp}\n"
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, note.encode("utf-8"), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock
