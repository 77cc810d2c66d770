"""Unit tests of the stages that need no model: crops, tracking, capture, log, dashboard."""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from streamfer.core.frames import Box, Detection
from streamfer.core.labels import CIRCUMPLEX, EMOTIONS, EMOTIONS_8, normalise_label, valence_arousal
from streamfer.session.events import Marker
from streamfer.session.log import SessionLog, read_log
from streamfer.sources.capture import Capture
from streamfer.ui.dashboard import PersonView, Snapshot, render, status_line
from streamfer.vision.align import face_crop, normalise
from streamfer.vision.track import IouTracker

# --- crops -------------------------------------------------------------------------------


def test_crop_levels_tilted_eyes() -> None:
    """Two bright dots on a tilted line end up on one row of the crop."""
    image = np.zeros((200, 200, 3), dtype=np.uint8)
    right_eye, left_eye = (80.0, 90.0), (120.0, 110.0)  # tilted by atan(20/40) = 26.6 degrees
    for x, y in (right_eye, left_eye):
        image[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3] = 255
    detection = Detection(Box(60, 60, 80, 80), 0.9, right_eye, left_eye)
    crop = face_crop(image, detection, margin=0.0, align_eyes=True)
    ys, xs = np.nonzero(crop > 100)
    left_blob, right_blob = ys[xs < 32], ys[xs >= 32]
    assert len(left_blob) and len(right_blob)
    assert abs(left_blob.mean() - right_blob.mean()) < 1.0
    unaligned = face_crop(image, detection, margin=0.0, align_eyes=False)
    ys, xs = np.nonzero(unaligned > 100)
    assert ys[xs >= 32].mean() - ys[xs < 32].mean() > 5  # tilted without alignment


def test_crop_shape_and_normalisation() -> None:
    image = np.full((100, 100, 3), 255, dtype=np.uint8)
    crop = face_crop(image, Detection(Box(-20, -20, 50, 50), 0.5), 0.25, True)
    assert crop.shape == (64, 64) and crop.dtype == np.uint8
    x = normalise(crop)
    assert x.shape == (1, 64, 64, 1) and np.allclose(x, 1.0)
    assert np.allclose(normalise(np.zeros((64, 64), np.uint8)), -1.0)


# --- labels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Happiness", "happy"),
        (" joy ", "happy"),
        ("calm", "neutral"),
        ("Afraid", "fear"),
        ("surprised", "surprise"),
        ("anger", "angry"),
        ("disgusted", "disgust"),
        ("contempt", None),
        ("pride", None),
    ],
)
def test_label_normalisation(raw: str, expected: str | None) -> None:
    assert normalise_label(raw) == expected


def test_valence_arousal_is_the_weighted_mean() -> None:
    one_hot = np.eye(7)
    for i in range(7):
        assert valence_arousal(one_hot[i]) == pytest.approx(tuple(CIRCUMPLEX[i]))
    half = np.zeros(7)
    half[EMOTIONS.index("happy")] = half[EMOTIONS.index("sad")] = 0.5
    assert valence_arousal(half) == pytest.approx((0.225, -0.37))


# --- tracking ------------------------------------------------------------------------------


def det(x: float, y: float = 50, size: float = 40) -> Detection:
    return Detection(Box(x, y, size, size), 0.9)


def test_tracker_keeps_ids_and_bridges_gaps() -> None:
    tracker = IouTracker(iou_threshold=0.3, max_missed_frames=3)
    assert tracker.update([det(10), det(200)]) == [1, 2]
    assert tracker.update([det(205), det(14)]) == [2, 1]  # order of detections does not matter
    assert tracker.update([det(18)]) == [1]  # person 2 missed one frame
    assert tracker.update([]) == []
    assert tracker.update([det(20), det(210)]) == [1, 2]  # ...and is still person 2
    for _ in range(4):
        tracker.update([det(20)])
    assert tracker.update([det(20), det(210)]) == [1, 3]  # gone longer than the grace period


def test_tracker_never_gives_one_id_twice_in_a_frame() -> None:
    tracker = IouTracker()
    tracker.update([det(10)])
    ids = tracker.update([det(12), det(14)])  # both overlap track 1
    assert sorted(ids) == [1, 2]


# --- capture ---------------------------------------------------------------------------------


class ScriptedReader:
    """Yields ``count`` tiny frames, each ``interval`` seconds apart, like a camera or a file."""

    def __init__(
        self, count: int, is_live: bool, interval: float = 0.0, fail_after: int | None = None
    ):
        self.count, self.is_live, self.interval, self.fail_after = (
            count,
            is_live,
            interval,
            fail_after,
        )
        self.description = "scripted"
        self.fps = 100.0
        self.index = 0

    def read(self) -> np.ndarray | None:
        if self.fail_after is not None and self.index >= self.fail_after:
            raise OSError("device unplugged")
        if self.index >= self.count:
            return None
        time.sleep(self.interval)
        image = np.full((4, 4, 3), self.index % 256, dtype=np.uint8)
        self.index += 1
        return image

    def close(self) -> None:
        pass


def consume(capture: Capture, delay: float) -> list[int]:
    seen = []
    for frame in capture.start():
        seen.append(frame.index)
        time.sleep(delay)  # a slow consumer
    capture.close()
    return seen


def test_live_source_keeps_the_newest_frame_and_counts_drops() -> None:
    capture = Capture(ScriptedReader(60, is_live=True, interval=0.002))
    seen = consume(capture, delay=0.02)
    assert capture.stats.read == 60
    assert capture.stats.dropped > 0
    assert len(seen) + capture.stats.dropped == 60
    assert seen == sorted(seen) and seen[-1] == 59  # newest wins, the last one arrives


def test_file_source_loses_nothing_for_a_slow_consumer() -> None:
    capture = Capture(ScriptedReader(40, is_live=False), queue_size=2)
    seen = consume(capture, delay=0.005)
    assert seen == list(range(40))
    assert capture.stats.dropped == 0


def test_file_timestamps_come_from_the_position() -> None:
    capture = Capture(ScriptedReader(5, is_live=False))
    times = [f.t for f in capture.start()]
    assert times == pytest.approx([0.0, 0.01, 0.02, 0.03, 0.04])


def test_reader_failure_reaches_the_consumer() -> None:
    capture = Capture(ScriptedReader(10, is_live=False, fail_after=3))
    with pytest.raises(Exception, match="device unplugged"):
        list(capture.start())


def test_stop_event_ends_an_endless_source() -> None:
    stop = threading.Event()
    capture = Capture(ScriptedReader(10**9, is_live=True, interval=0.001), stop=stop).start()
    for n, _ in enumerate(capture):
        if n == 5:
            stop.set()
    capture.close()
    assert capture.stats.read >= 6


# --- log -------------------------------------------------------------------------------------


def test_log_lines_are_json_and_a_cut_last_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    log = SessionLog(path)
    log.write(Marker(0.0, "start"))
    log.write(Marker(1.5, "later"))
    log.close()
    lines = path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["marker", "marker"]
    assert all({"type", "ts", "t"} <= json.loads(line).keys() for line in lines)
    with path.open("a") as f:
        f.write('{"type":"emotion","t":2.0,"tra')  # a crash mid-line
    contents = read_log(path)
    assert len(contents.records) == 2 and contents.truncated_line == 3
    assert not contents.complete and not contents.ended


def test_log_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text("keep me\n")
    with pytest.raises(Exception, match="cannot write the log"):
        SessionLog(path)
    assert path.read_text() == "keep me\n"


# --- dashboard -------------------------------------------------------------------------------


def snapshot(people: int, view: str = "details") -> Snapshot:
    probs = (0.05, 0.0, 0.05, 0.7, 0.1, 0.0, 0.1)
    return Snapshot(
        source="demo",
        method="threshold 0.20 · 7 labels · 3 s",
        input_fps=30.0,
        processed_fps=29.5,
        latency_p50_ms=7.0,
        latency_p95_ms=12.4,
        dropped=3,
        uptime_seconds=3725,
        log_path="/tmp/logs/session-1.jsonl",
        records=42,
        people=tuple(
            PersonView(
                track=i + 1,
                label="happy" if i == 0 else None,
                counts={"happy": 12, "neutral": 30} if i == 0 else {},
                probs=probs,
                valence=0.61,
                arousal=0.05,
                in_view=i != 1,
            )
            for i in range(people)
        ),
        view=view,
    )


def screen(renderable: object, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, height=24, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_dashboard_two_people_fit_80x24() -> None:
    text = screen(render(snapshot(2)))
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert "HAPPY" in text and "WAITING" in text
    assert "person 1" in text and "person 2" in text and "out of view" in text
    assert "1:02:05" in text and "p95 12" in text and "dropped 3" in text
    assert "session-1.jsonl" in text and "42 records logged" in text
    assert "70%" in text and "valence +0.61" in text


def test_dashboard_two_people_with_geometry_and_8_labels_fit_80x24() -> None:
    base = snapshot(2)
    people = tuple(
        dataclasses.replace(
            p,
            emotions=EMOTIONS_8,
            probs=(0.1,) * 7 + (0.3,),
            counts=dict.fromkeys(EMOTIONS_8, 4),
            geometry=True,
            head_pose=(12.3, -3.4, 1.0) if p.track == 1 else None,
            blendshapes=(
                ("mouthSmileLeft", 0.82),
                ("mouthLowerDownRight", 0.31),
                ("jawOpen", 0.05),
            ),
        )
        for p in base.people
    )
    text = screen(render(dataclasses.replace(base, people=people)))
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert "contempt" in text and "yaw" in text and "+12°" in text and "pitch" in text
    assert "mouthSmileL" in text and ".82" in text and "mouthLowerD…" in text
    assert "no geometry" in text  # person 2: not measured (too small, cut by the edge)


def test_dashboard_many_people_one_line_each_and_empty() -> None:
    text = screen(render(snapshot(5)))
    assert "5 people" in text and text.count("person ") == 5
    assert "no face in view" in screen(render(snapshot(0)))


def test_status_line() -> None:
    line = status_line(snapshot(1))
    assert "#1 happy" in line and "dropped 3" in line and "\n" not in line
