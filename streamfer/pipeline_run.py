"""Driving the pipeline over a frame source: ``run`` feeds frames through a
``FramePipeline`` (``streamfer.pipeline``, which re-exports this) until the source ends, a
frame limit is reached or the stop event is set; ``DetectAhead`` runs the detection stage
one frame ahead on its own thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Literal

from streamfer.core import Detection, Frame

if TYPE_CHECKING:  # pipeline.py imports this module
    from streamfer.pipeline import FramePipeline, StepResult

#: Why ``run`` stopped feeding frames.
EndOfFrames = Literal["end_of_source", "max_frames", "stopped"]


def run(
    frames: Iterable[Frame],
    pipeline: FramePipeline,
    on_step: Callable[[StepResult], None],
    stop: threading.Event | None = None,
    max_frames: int | None = None,
) -> tuple[int, EndOfFrames]:
    """Feed ``frames`` through ``pipeline``, calling ``on_step`` after each.

    With ``[detector] own_thread`` the detector runs one frame ahead on its own thread
    (``DetectAhead``); results and their order are the same either way.
    Returns the number of frames processed and why it ended.
    """
    if not pipeline.config.detector.own_thread:
        return _run_steps(((f, None) for f in frames), pipeline, on_step, stop, max_frames)
    ahead = DetectAhead(frames, pipeline)
    try:
        return _run_steps(ahead, pipeline, on_step, stop, max_frames)
    finally:
        ahead.close()


def _run_steps(
    items: Iterable[tuple[Frame, tuple[list[Detection], float] | None]],
    pipeline: FramePipeline,
    on_step: Callable[[StepResult], None],
    stop: threading.Event | None,
    max_frames: int | None,
) -> tuple[int, EndOfFrames]:
    processed = 0
    for frame, detected in items:
        if stop is not None and stop.is_set():
            return processed, "stopped"
        if detected is None:
            on_step(pipeline.process(frame))
        else:
            on_step(pipeline.step(frame, *detected))
        processed += 1
        if max_frames is not None and processed >= max_frames:
            return processed, "max_frames"
    if stop is not None and stop.is_set():
        return processed, "stopped"
    return processed, "end_of_source"


_DONE = object()


class DetectAhead:
    """The detection stage on its own thread, one frame ahead of the rest of the pipeline.

    Iterate over it for ``(frame, (detections, detect_seconds))`` in the frames' order. The
    thread takes frames from ``frames`` (usually the capture thread), detects and hands each
    over through a queue of ``depth``; so the detector's model runs on one core while the
    emotion model runs on another. An error from the frames or the detector is raised in the
    iterating thread, as it would be without this stage. ``close`` stops the thread and
    returns only when the detector is no longer in use, so the pipeline may then be closed.
    """

    def __init__(self, frames: Iterable[Frame], pipeline: FramePipeline, depth: int = 2) -> None:
        self._frames = frames
        self._pipeline = pipeline
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._closing = threading.Event()
        self._busy = threading.Lock()  # held while the detector runs
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="streamfer-detect", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            for frame in self._frames:
                with self._busy:
                    if self._closing.is_set():
                        return
                    t0 = time.perf_counter()
                    detections = self._pipeline.detect(frame)
                    seconds = time.perf_counter() - t0
                if not self._put((frame, (detections, seconds))):
                    return
        except BaseException as exc:  # raised again in the iterating thread
            self._error = exc
        finally:
            self._put(_DONE)

    def _put(self, item: object) -> bool:
        while not self._closing.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[tuple[Frame, tuple[list[Detection], float]]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                break
            yield item  # type: ignore[misc]
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._closing.set()
        with self._busy:  # waits out a detection in progress; none starts after this
            pass
        self._thread.join(timeout=0.5)  # may still wait on a frame source; it is a daemon
