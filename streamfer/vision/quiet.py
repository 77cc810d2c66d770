"""Keep the C++ INFO chatter of MediaPipe and LiteRT off the user's terminal.

Those libraries write to file descriptor 2 directly, so Python's ``sys.stderr`` cannot catch
it. ``quiet_stderr`` points fd 2 at a scratch file for the duration of a call and prints back
any line that looks like a real error (glog ``E``/``F`` lines, "error", "failed"). It is cheap
enough for the per-frame path: two ``dup2`` calls and an ``lseek``; the scratch file is read
only when something was written. ``STREAMFER_VERBOSE=1`` turns it off.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_SERIOUS = re.compile(r"^(E\d{4}|F\d{4})|ERROR|FATAL|[Ee]rror|[Ff]ailed")
_lock = threading.RLock()
_sink: int | None = None
_depth = 0
_saved: int | None = None


def _scratch() -> int:
    global _sink
    if _sink is None:
        handle, path = tempfile.mkstemp(prefix="streamfer-stderr-")
        os.unlink(path)
        _sink = handle
    return _sink


@contextmanager
def quiet_stderr(replay: bool = True) -> Iterator[None]:
    """Silence fd 2 inside the block; print back the lines that look like errors.

    ``replay=False`` drops everything: for calls whose failure streamfer reports itself.
    """
    global _depth, _saved
    if os.environ.get("STREAMFER_VERBOSE"):
        yield
        return
    with _lock:
        sink = _scratch()
        outermost = _depth == 0
        if outermost:
            sys.stderr.flush()
            _saved = os.dup(2)
            start = os.lseek(sink, 0, os.SEEK_END)
            os.dup2(sink, 2)
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            if outermost and _saved is not None:
                os.dup2(_saved, 2)
                os.close(_saved)
                _saved = None
                end = os.lseek(sink, 0, os.SEEK_END)
                if end > start:
                    _replay(sink, start, end, replay)


def _replay(sink: int, start: int, end: int, show: bool) -> None:
    text = os.pread(sink, end - start, start).decode("utf-8", "replace") if show else ""
    for line in text.splitlines():
        if _SERIOUS.search(line) and "not aligned" not in line:
            print(line, file=sys.stderr)
    os.ftruncate(sink, 0)
    os.lseek(sink, 0, os.SEEK_SET)
