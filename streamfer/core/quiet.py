"""Keep the C++ INFO chatter of MediaPipe and LiteRT off the user's terminal.

Those libraries write to file descriptor 2 directly, so Python's ``sys.stderr`` cannot catch
it. ``quiet_stderr`` points fd 2 at a scratch file for the duration of a call and prints back
any line that looks like a real error (glog ``E``/``F`` lines, "error", "failed"). It is cheap
enough for the per-frame path: two ``dup2`` calls and an ``lseek``; the scratch file is read
only when something was written. ``STREAMFER_VERBOSE=1`` turns it off.

Python's own ``sys.stderr`` is moved to a copy of fd 2 the first time, so what Python writes
(Rich's progress bars and dashboard, warnings, tracebacks) is never silenced with it.
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# FFmpeg inside OpenCV logs each damaged packet from its own decoding threads, after the
# read that caused it has returned, so no fd 2 redirect can catch it: tell it to be quiet
# (streamfer says itself what was lost: see sources.videofile). STREAMFER_VERBOSE keeps it.
if not os.environ.get("STREAMFER_VERBOSE"):
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

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
def quiet_stderr(replay: bool = True, kept: list[str] | None = None) -> Iterator[None]:
    """Silence fd 2 inside the block; print back the lines that look like errors.

    ``replay=False`` drops everything: for calls whose failure streamfer reports itself.
    ``kept``: what was written is appended to it, for a caller that reads the library's
    own account of a failure (Ray's refusals).
    """
    global _depth, _saved
    if os.environ.get("STREAMFER_VERBOSE"):
        yield
        return
    with _lock:
        sink = _scratch()
        outermost = _depth == 0
        if outermost:
            _keep_python_stderr()
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
                    _replay(sink, start, end, replay, kept)


_python_stderr_kept = False


def _keep_python_stderr() -> None:
    """Give Python's ``sys.stderr`` its own copy of fd 2, made before fd 2 is first redirected.

    Only native libraries' writes to fd 2 are then silenced: Rich's progress bars and
    dashboard redraws, warnings and tracebacks, which Python writes through ``sys.stderr``,
    keep reaching the terminal while a model loads or a frame is detected.
    """
    global _python_stderr_kept
    if _python_stderr_kept:
        return
    _python_stderr_kept = True
    stream = sys.stderr
    try:
        if stream is None or stream.fileno() != 2:
            return  # already redirected in Python (pytest's capture, a log file)
    except (AttributeError, OSError, ValueError):
        return
    stream.flush()
    copy = io.FileIO(os.dup(2), "w", closefd=True)
    sys.stderr = io.TextIOWrapper(
        copy,
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=True,
        write_through=True,
    )


def _replay(sink: int, start: int, end: int, show: bool, kept: list[str] | None) -> None:
    wanted = show or kept is not None
    text = os.pread(sink, end - start, start).decode("utf-8", "replace") if wanted else ""
    if kept is not None:
        kept.append(text)
        text = text if show else ""
    for line in text.splitlines():
        if _SERIOUS.search(line) and "not aligned" not in line:
            print(line, file=sys.stderr)
    os.ftruncate(sink, 0)
    os.lseek(sink, 0, os.SEEK_SET)
