"""The detector on its own thread (``[detector] own_thread``) changes speed, nothing else.

Same results in the same order as one thread, with the real detector and emotion model on the
demo's frames; errors from the frames or the detector reach the caller; once ``run``
returns no detection is running or starts, so the pipeline may be closed; and the thread
holds no more frames prepared than it is allowed (few live, more for a file)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from streamfer.config.settings import Config
from streamfer.core.errors import SourceError
from streamfer.core.frames import Box, Detection, Frame, Image
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.run import AHEAD_FILE, AHEAD_LIVE, run
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources import demo


def with_own_thread(config: Config, own_thread: bool, geometry: bool = False) -> Config:
    return dataclasses.replace(
        config,
        detector=dataclasses.replace(config.detector, own_thread=own_thread),
        geometry=dataclasses.replace(config.geometry, enabled=geometry),
    )


def demo_frames(count: int) -> Iterator[Frame]:
    # 0-5 s one face, 7-13 s two: cover both
    for i in range(count):
        t = 4.0 + i * 0.1
        yield Frame(i, t, demo.demo_frame(t), 0.0)


def summary(steps: list[StepResult]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for step in steps:
        faces = tuple(
            (
                f.track,
                f.detection.box,
                tuple(np.round(f.probs, 6)),
                None if f.geometry is None else (round(f.geometry.yaw, 4), f.geometry_fresh),
            )
            for f in step.frame.faces
        )
        verdicts = tuple((e.track, e.label, e.t) for e in step.verdicts)
        rows.append((step.frame.frame_index, faces, verdicts, step.group, step.live_tracks))
    return rows


@pytest.mark.parametrize("geometry", [False, True], ids=["plain", "geometry"])
def test_same_results_in_the_same_order_as_one_thread(geometry: bool) -> None:
    results = {}
    for own_thread in (False, True):
        pipeline = FramePipeline(with_own_thread(Config(), own_thread, geometry))
        steps: list[StepResult] = []
        processed, why = run(demo_frames(60), pipeline, steps.append)
        pipeline.close()
        assert (processed, why) == (60, "end_of_source")
        results[own_thread] = summary(steps)
    assert results[True] == results[False]
    faces_per_frame = {len(row[1]) for row in results[True]}
    assert faces_per_frame >= {1, 2}, "the frames should cover one and two faces"
    measured = {face[3] is not None for row in results[True] for face in row[1]}
    assert measured == ({True} if geometry else {False})


class Scripted:
    """A detector with one face, that can fail at a frame and counts its calls."""

    def __init__(self, fail_at: int | None = None, delay: float = 0.0) -> None:
        self.fail_at = fail_at
        self.delay = delay
        self.calls = 0
        self.lock = threading.Lock()

    def detect(self, image: Image, t: float) -> list[Detection]:
        with self.lock:
            self.calls += 1
        if self.fail_at is not None and round(t * 10) == self.fail_at:
            raise RuntimeError("detector broke")
        time.sleep(self.delay)
        return [Detection(Box(10, 10, 60, 60), 0.9)]

    def close(self) -> None:
        pass


class Fixed:
    classes = ("happy", "neutral")
    input_size = 64

    def classify(self, crop: object) -> np.ndarray:
        return np.array([0.8, 0.2], dtype=np.float32)


def plain_frames(count: int, fail_at: int | None = None) -> Iterator[Frame]:
    image = np.zeros((120, 160, 3), dtype=np.uint8)
    for i in range(count):
        if i == fail_at:
            raise SourceError("camera unplugged")
        yield Frame(i, i / 10, image, 0.0)


def scripted_pipeline(detector: Scripted) -> FramePipeline:
    return FramePipeline(with_own_thread(Config(), True), detector=detector, classifier=Fixed())


def test_a_detector_error_reaches_the_caller_after_the_frames_before_it() -> None:
    pipeline = scripted_pipeline(Scripted(fail_at=5))
    steps: list[StepResult] = []
    with pytest.raises(RuntimeError, match="detector broke"):
        run(plain_frames(20), pipeline, steps.append)
    assert [s.frame.frame_index for s in steps] == [0, 1, 2, 3, 4]


def test_a_source_error_reaches_the_caller_as_itself() -> None:
    pipeline = scripted_pipeline(Scripted())
    steps: list[StepResult] = []
    with pytest.raises(SourceError, match="camera unplugged"):
        run(plain_frames(20, fail_at=7), pipeline, steps.append)
    assert len(steps) == 7


def test_no_detection_runs_after_run_returns() -> None:
    detector = Scripted(delay=0.01)
    pipeline = scripted_pipeline(detector)
    processed, why = run(plain_frames(1000), pipeline, lambda _step: None, max_frames=3)
    assert (processed, why) == (3, "max_frames")
    calls = detector.calls
    assert calls <= 3 + 3, "at most the queue's depth and one in hand beyond the last frame"
    time.sleep(0.1)
    assert detector.calls == calls


def test_an_error_in_a_step_stops_the_detector_thread() -> None:
    detector = Scripted(delay=0.005)
    pipeline = scripted_pipeline(detector)

    def fail(step: StepResult) -> None:
        if step.frame.frame_index == 2:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run(plain_frames(1000), pipeline, fail)
    calls = detector.calls
    time.sleep(0.1)
    assert detector.calls == calls
    assert not any(t.name == "streamfer-detect" and t.is_alive() for t in threading.enumerate())


def test_stop_ends_the_run_with_the_detector_thread() -> None:
    detector = Scripted(delay=0.002)
    pipeline = scripted_pipeline(detector)
    stop = threading.Event()

    def stop_at_ten(step: StepResult) -> None:
        if step.frame.frame_index == 10:
            stop.set()

    processed, why = run(plain_frames(1000), pipeline, stop_at_ten, stop=stop)
    assert (processed, why) == (11, "stopped")
    assert not any(t.name == "streamfer-detect" and t.is_alive() for t in threading.enumerate())


@pytest.mark.parametrize("ahead", [AHEAD_LIVE, AHEAD_FILE])
def test_the_thread_ahead_holds_at_most_its_depth(ahead: int) -> None:
    """The detector's thread prepares at most ``ahead`` frames (plus the one in hand and
    the one it waits to hand over) beyond the frame being read."""
    detector = Scripted()
    pipeline = scripted_pipeline(detector)
    most_ahead = 0

    def on_step(step: StepResult) -> None:
        nonlocal most_ahead
        time.sleep(0.01)  # a slow reader: the thread ahead fills its queue
        with detector.lock:
            most_ahead = max(most_ahead, detector.calls - (step.frame.frame_index + 1))

    processed, _ = run(plain_frames(60), pipeline, on_step, ahead=ahead)
    pipeline.close()
    assert processed == 60
    assert ahead <= most_ahead <= ahead + 2


@pytest.mark.parametrize(("realtime", "expected"), [(False, AHEAD_FILE), (True, AHEAD_LIVE)])
def test_a_file_read_as_fast_as_possible_is_prepared_further_ahead(
    monkeypatch: pytest.MonkeyPatch, realtime: bool, expected: int
) -> None:
    """Live (a camera, a file in real time) few frames wait prepared, each one held being a
    frame of latency; a file read as fast as possible gets more, for the overlap."""
    from streamfer.core.choices import Pace
    from streamfer.pipeline import run as run_module
    from streamfer.session.lifecycle import Recorder
    from streamfer.session.sinks import NullLog
    from streamfer.sources.readers import DemoReader

    depths: list[int] = []
    real = run_module.DetectAhead.__init__

    def spy(self: object, frames: object, pipeline: object, depth: int = AHEAD_LIVE) -> None:
        depths.append(depth)
        real(self, frames, pipeline, depth)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module.DetectAhead, "__init__", spy)
    pipeline = scripted_pipeline(Scripted())
    recorder = Recorder(Config(), NullLog(), DemoReader(), pace=Pace.of(realtime))
    recorder.record(pipeline, [], models={}, max_frames=3)
    pipeline.close()
    assert depths == [expected]
