"""Driving the pipeline over a frame source: ``run`` feeds frames through a
``FramePipeline`` (``pipeline/stages.py``) until the source ends, a
frame limit is reached or the stop event is set, calling back after each; ``steps`` does the
same as a generator, for callers that pull results (the Python API); ``DetectAhead`` runs the
stages before the emotion CNN (``FramePipeline.prepare``: detection, tracking, the geometry
stage) ahead of it on their own thread.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Literal

from streamfer.core.frames import Frame
from streamfer.pipeline.reading import Measured
from streamfer.pipeline.results import StepResult

if TYPE_CHECKING:  # a type only: the pipeline is built by the caller
    from streamfer.pipeline.stages import FramePipeline

#: Why ``run`` stopped feeding frames.
EndOfFrames = Literal["end_of_source", "max_frames", "stopped"]

#: Frames ``DetectAhead`` may hold prepared for the emotion models, live (a camera, a file
#: played in real time): few, so that a machine slower than the source drops frames at the
#: capture instead of queueing them behind the newest (each one held is a frame of latency).
AHEAD_LIVE = 2
#: The same for a file read as fast as possible (``analyze``, ``run`` without ``realtime``):
#: more, so that a measured frame's landmark model on the thread ahead overlaps the second
#: model of an earlier measured frame on the other (2026-12-06, one face: about 11 % more
#: frames a second than with 2; docs/benchmarks.md). At 640x480 a frame is 0.9 MB.
AHEAD_FILE = 8


def run(
    frames: Iterable[Frame],
    pipeline: FramePipeline,
    on_step: Callable[[StepResult], None],
    stop: threading.Event | None = None,
    max_frames: int | None = None,
    ahead: int = AHEAD_LIVE,
) -> tuple[int, EndOfFrames]:
    """Feed ``frames`` through ``pipeline``, calling ``on_step`` after each.

    With ``[detector] own_thread`` detection, tracking and the geometry stage run ahead on
    their own thread (``DetectAhead``); results and their order are the same either way.
    ``ahead``: the frames that thread may hold prepared (``AHEAD_LIVE``, ``AHEAD_FILE``).
    Returns the number of frames processed and why it ended.
    """
    processed = 0
    results = steps(frames, pipeline, stop, max_frames, ahead)
    while True:
        try:
            step = next(results)
        except StopIteration as end:
            return processed, end.value
        on_step(step)
        processed += 1


def steps(
    frames: Iterable[Frame],
    pipeline: FramePipeline,
    stop: threading.Event | None = None,
    max_frames: int | None = None,
    ahead: int = AHEAD_LIVE,
) -> Generator[StepResult, None, EndOfFrames]:
    """``run`` one frame at a time: yields each frame's result and returns why it ended.

    The next frame is taken only when the next result is asked for, so a caller that stops
    asking (and closes the generator, as ``for`` does when it is garbage collected) stops
    the detection thread with it.
    """
    if not pipeline.config.detector.own_thread:
        return (yield from _steps(frames, pipeline, stop, max_frames))
    if max_frames is not None:
        # the thread ahead measures faces too: it must not take a frame that is never stepped
        # (session_end's geometry counts would count its measures)
        frames = itertools.islice(frames, max_frames)
    prepared = DetectAhead(frames, pipeline, depth=ahead)
    try:
        return (yield from _steps(prepared, pipeline, stop, max_frames))
    finally:
        prepared.close()


def _steps(
    items: Iterable[Frame | Measured],
    pipeline: FramePipeline,
    stop: threading.Event | None,
    max_frames: int | None,
) -> Generator[StepResult, None, EndOfFrames]:
    for processed, item in enumerate(items, start=1):
        if stop is not None and stop.is_set():
            return "stopped"
        if isinstance(item, Measured):
            yield pipeline.step(item)
        else:
            yield pipeline.process(item)
        if max_frames is not None and processed >= max_frames:
            return "max_frames"
    if stop is not None and stop.is_set():
        return "stopped"
    return "end_of_source"


_DONE = object()


class DetectAhead:
    """The stages before the emotion CNN on their own thread, ahead of the rest.

    Iterate over it for each frame's ``Measured`` (``FramePipeline.prepare``: detection or
    the faces followed, tracking, the geometry stage's measures), in the frames' order. The
    thread takes frames from ``frames`` (usually the capture thread), prepares them and
    hands each over through a queue of ``depth`` frames; so the detector's and the landmark
    model's work runs on one core while the emotion models run on another. An error from the
    frames or those stages is raised in the iterating thread, as it would be without this
    stage. ``close`` stops the thread and returns only when those stages are no longer
    running, so the pipeline may then be closed.
    """

    def __init__(
        self, frames: Iterable[Frame], pipeline: FramePipeline, depth: int = AHEAD_LIVE
    ) -> None:
        self._frames = frames
        self._pipeline = pipeline
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._closing = threading.Event()
        self._busy = threading.Lock()  # held while the stages run
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="streamfer-detect", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            for frame in self._frames:
                with self._busy:
                    if self._closing.is_set():
                        return
                    prepared = self._pipeline.prepare(frame)
                if not self._put(prepared):
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

    def __iter__(self) -> Iterator[Measured]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                break
            yield item  # type: ignore[misc]
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._closing.set()
        with self._busy:  # waits out a frame in progress; none starts after this
            pass
        self._thread.join(timeout=0.5)  # may still wait on a frame source; it is a daemon
