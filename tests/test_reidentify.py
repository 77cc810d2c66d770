"""People keep their number (re-identification), the plain dashboard view, baseline feedback."""

from __future__ import annotations

import dataclasses
import io
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np
import pytest
from clips import ROOT, json_lines, portrait_frames
from rich.console import Console

from streamfer.config.load import load, with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Frame
from streamfer.method.baseline import Baselines
from streamfer.pipeline.stages import FramePipeline
from streamfer.ui.dashboard import PersonView, Snapshot, render
from streamfer.ui.keyboard import KeyReader
from streamfer.ui.live_view import LiveView
from streamfer.vision.describe import DESCRIBER_MODEL, FaceDescriber, eye_crop
from streamfer.vision.reidentify import People


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, np.float32)
    return v / np.linalg.norm(v)


# --- People: the mapping, with descriptions given -----------------------------------------


def test_a_person_who_returns_within_the_memory_gets_their_number_back() -> None:
    people = People(memory_seconds=60, threshold=0.6)
    alice, bob = unit(1, 0, 0), unit(0, 1, 0)
    ids, back, _ = people.update(0.0, [1], {1}, lambda i: alice)
    assert ids == [1] and back == [] and people.described == 0  # nobody to compare with yet
    people.update(0.1, [1], {1}, lambda i: alice)  # described on her second frame
    assert people.described == 1
    people.update(1.0, [], set(), lambda i: None)  # her track retired: she is remembered
    assert people.live == [] and people.remembered == [1]
    ids, back, _ = people.update(5.0, [2], {2}, lambda i: bob)  # someone else: a new number
    assert ids == [2] and back == []
    ids, back, _ = people.update(9.0, [3], {2, 3}, lambda i: unit(0.95, 0.1, 0.1))
    assert ids == [1] and [(r.track, round(r.after, 6)) for r in back] == [(1, 8.9)]
    assert back[0].similarity > 0.9 and people.returns == 1


def test_a_stranger_below_the_threshold_and_a_forgotten_person_get_new_numbers() -> None:
    people = People(memory_seconds=10, threshold=0.6)
    people.update(0.0, [1], {1}, lambda i: unit(1, 0))
    people.update(0.1, [1], {1}, lambda i: unit(1, 0))
    people.update(0.5, [], set(), lambda i: None)
    ids, back, _ = people.update(2.0, [2], {2}, lambda i: unit(0.5, 0.87))  # cosine 0.5
    assert ids == [2] and back == []
    people.update(2.5, [], set(), lambda i: None)
    ids, back, _ = people.update(13.0, [3], {3}, lambda i: unit(1, 0))  # person 1 forgotten
    assert ids == [3] and back == [] and 1 not in people.remembered


def test_someone_in_view_is_never_matched_and_a_track_in_grace_is_handed_over() -> None:
    people = People(memory_seconds=60, threshold=0.6)
    same = unit(1, 1)
    people.update(0.0, [1], {1}, lambda i: same)
    ids, back, _ = people.update(0.1, [1, 2], {1, 2}, lambda i: same)  # a twin beside her
    assert ids == [1, 2] and back == []
    # person 1's track 1 is in its grace period (not seen); a new track 3 looks like her
    ids, back, drop = people.update(0.2, [2, 3], {1, 2, 3}, lambda i: same)
    assert ids == [2, 1] and [r.track for r in back] == [1] and drop == [1]


def test_descriptions_are_taken_a_few_times_per_track_not_every_frame() -> None:
    people = People(memory_seconds=60, threshold=0.6, refresh_seconds=10)
    calls = []

    def describe(i: int) -> np.ndarray:
        calls.append(i)
        return unit(1, 0)

    for k in range(30 * 20):  # 20 s at 30 frames a second
        people.update(k / 30, [1], {1}, describe)
    assert len(calls) == 4  # on the second frame (nobody to compare with), 1 s, 3 s, 13 s


# --- the real model ---------------------------------------------------------------------------


def test_the_describer_gives_unit_descriptions_that_match_the_same_face() -> None:
    config = load(None, ROOT)
    describer = FaceDescriber(config.resolve_model(DESCRIBER_MODEL))
    pipeline = FramePipeline(with_overrides(config, {"geometry.enabled": False}))
    try:
        a, b = portrait_frames()
        da, db = (pipeline.detect(Frame(0, 0.0, f, 0.0)).faces[0] for f in (a, b))
        crop = eye_crop(a, da, describer.input_size)
        assert crop is not None and crop.shape == (224, 224, 3)
        va, vb = describer.describe(a, da), describer.describe(b, db)
        assert va is not None and vb is not None and va.shape == (1024,)
        assert abs(float(np.linalg.norm(va)) - 1) < 1e-4
        assert float(va @ vb) > 0.9  # the same face elsewhere in the frame
        no_eyes = dataclasses.replace(da, right_eye=None)
        assert describer.describe(a, no_eyes) is None
    finally:
        pipeline.close()


def run_frames(pipeline: FramePipeline, frames: list[np.ndarray]) -> list[Any]:
    return [
        pipeline.process(Frame(i, i / 30, image, time.monotonic()))
        for i, image in enumerate(frames)
    ]


def test_the_pipeline_gives_a_returning_face_its_number_and_says_so() -> None:
    config = with_overrides(load(None, ROOT), {"geometry.enabled": False})
    a, b = portrait_frames()
    blank = np.full_like(a, 128)
    pipeline = FramePipeline(config)
    try:
        steps = run_frames(pipeline, [a] * 10 + [blank] * 30 + [b] * 10)
    finally:
        pipeline.close()
    tracks = [f.track for s in steps for f in s.frame.faces]
    assert set(tracks) == {1}
    returns = [r for s in steps for r in s.returns]
    assert [(r.track, round(r.after, 2)) for r in returns] == [(1, round(31 / 30, 2))]
    assert 1 in steps[30].remembered  # out of view, remembered
    off = with_overrides(config, {"tracker.reidentify": False})
    pipeline = FramePipeline(off)
    try:
        assert pipeline.describer is None
        steps = run_frames(pipeline, [a] * 10 + [blank] * 30 + [b] * 10)
    finally:
        pipeline.close()
    assert {f.track for s in steps for f in s.frame.faces} == {1, 2}  # as before: a new person


@pytest.mark.needs_shared_data
def test_a_different_person_gets_a_new_number(shared_data: Any) -> None:
    config = with_overrides(load(None, ROOT), {"geometry.enabled": False})
    london = shared_data("london_faces")
    frames = []
    for name in ("neutral/001_03.jpg", "neutral/002_03.jpg", "smiling/001_08.jpg"):
        photo = cv2.resize(cv2.imread(str(london / name)), (300, 300))
        frame = np.full((480, 640, 3), 128, np.uint8)
        frame[90:390, 170:470] = photo
        frames += [frame] * 8 + [np.full_like(frame, 128)] * 20
    pipeline = FramePipeline(config)
    try:
        steps = run_frames(pipeline, frames)
    finally:
        pipeline.close()
    firsts = [steps[k].frame.faces[0].track for k in (0, 28, 56)]
    assert firsts == [1, 2, 1]  # person 2 is new; person 1 comes back smiling


def test_a_returning_person_keeps_their_baseline_and_a_log_says_she_returned(
    tmp_path: Path,
) -> None:
    from streamfer.session.lifecycle import Recorder
    from streamfer.session.log import SessionLog
    from streamfer.session.sinks import ObservedLog
    from streamfer.sources.readers import DemoReader

    config = with_overrides(
        Config(), {"geometry.enabled": False, "aggregator.baseline_seconds": 2.0}
    )
    log = ObservedLog(SessionLog(tmp_path / "s.jsonl"), [])
    recorder = Recorder(config, log, DemoReader())
    pipeline = FramePipeline(config)
    try:
        recorder.record(pipeline, [])
    finally:
        pipeline.close()
    records = json_lines(tmp_path / "s.jsonl")
    assert records[0]["schema"] == 7
    back = [r for r in records if r["type"] == "person_back"]
    assert [r["track"] for r in back] == [1] and back[0]["similarity"] >= 0.6
    baselines = [r["track"] for r in records if r["type"] == "baseline"]
    assert baselines == [1, 2]  # she is not collected again on her return: hers still holds
    tracks = {r["track"] for r in records if r["type"] == "emotion" and r["track"] != "group"}
    assert tracks == {1, 2}


# --- baselines: kept for people remembered, and given-up ones said ------------------------------


def test_baselines_kept_for_the_remembered_and_a_half_taken_one_is_reported() -> None:
    baselines = Baselines(0.0, (0.0,) * 3, 0.0, 0.25)
    probs = np.asarray([0.2, 0.2, 0.6], np.float32)
    baselines.request({1, 2})
    for k in range(100):
        baselines.read(1, k / 30, probs)
    for k in range(10):
        baselines.read(2, k / 30, probs)
    assert baselines.taken(1) is not None and baselines.collecting(2)
    missed = baselines.forget(live=set(), keep={1, 2})
    assert [(m.track, m.frames, m.reason) for m in missed] == [(2, 10, "face left")]
    assert baselines.taken(1) is not None and not baselines.collecting(2)
    assert baselines.forget(live=set(), keep=set()) == [] and baselines.taken(1) is None


def test_pressing_b_with_nobody_in_view_is_said() -> None:
    pipeline = FramePipeline(with_overrides(Config(), {"geometry.enabled": False}))
    try:
        assert pipeline.request_baseline()
        step = pipeline.process(Frame(0, 0.0, np.full((480, 640, 3), 128, np.uint8), 0.0))
    finally:
        pipeline.close()
    assert [(m.track, m.reason) for m in step.baselines_missed] == [(None, "no face in view")]


# --- the live view: baseline banner, plain view ------------------------------------------------


def fake_recorder(config: Config) -> Any:
    clock = {"now": 0.0}
    return SimpleNamespace(config=config, clock=lambda: clock["now"], now=clock)


def test_the_baseline_banner_ends_when_the_record_is_written_or_says_why_not() -> None:
    config = with_overrides(Config(), {"geometry.enabled": False})
    a, _ = portrait_frames()
    blank = np.full_like(a, 128)
    pipeline = FramePipeline(config)
    view = LiveView(fake_recorder(config), pipeline)
    try:
        for i in range(5):
            view.on_step(pipeline.process(Frame(i, i / 30, a, 0.0)))
        assert pipeline.request_baseline()
        view.baseline_requested(pipeline.baselines.request_seconds)
        assert "taking everyone's baseline" in view.message
        i = 5
        while "taking" in view.message and i < 200:
            view.on_step(pipeline.process(Frame(i, i / 30, a, 0.0)))
            i += 1
        assert view.message == "baseline taken: person 1"
        assert view.people[1].baseline == "taken"
        # again, and she leaves after 20 frames: the banner says so
        pipeline.request_baseline()
        view.baseline_requested(3.0)
        frames = [a] * 20 + [blank] * 20
        for image in frames:
            view.on_step(pipeline.process(Frame(i, i / 30, image, 0.0)))
            i += 1
    finally:
        pipeline.close()
    assert "none for person 1 (face left after 20 frames)" in view.message
    assert view.people[1].baseline == "taken"  # the earlier one still holds


def plain(people: tuple[PersonView, ...], width: int, height: int) -> str:
    snap = Snapshot("demo", "threshold", 30, 30, 7, 12, 0, 75, "s.jsonl", 9, people)
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    console.print(render(snap))
    return console.file.getvalue()  # type: ignore[attr-defined]


def person(track: int, **kw: Any) -> PersonView:
    base = PersonView(track, "happy", {}, (0.1,) * 7, 0.5, 0.1, True, since=75.0)
    return dataclasses.replace(base, **kw)


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_the_plain_view_speaks_plainly_and_fits(width: int, height: int) -> None:
    people = (
        person(1, trend=("neutral",) * 20 + ("happy",) * 10, baseline="taken", face_pixels=150),
        person(2, label="sad", since=4.0, head_pose=(41.0, 2.0, 0.0), face_pixels=150),
        person(3, label="neutral", face_pixels=40, baseline="taking"),
        person(4, in_view=False, unseen=12.0, baseline="none"),
    )
    text = plain(people, width, height)
    lines = text.splitlines()
    assert len(lines) <= height and max(len(line) for line in lines) <= width
    assert "HAPPY" in text and "for 1 min 15 s" in text and "for 4 s" in text
    assert "neutral 20 s, happy 10 s" in text
    assert "can be trusted now · read against their own neutral" in text
    assert "uncertain: face turned sideways" in text
    assert "uncertain: face too small (move closer)" in text
    assert "taking their neutral now" in text
    assert "uncertain: not seen for 12 s · no baseline (b takes one)" in text
    for word in ("fps", "p95", "latency", "window", "eyeSquint", "valence"):
        assert word not in text
    assert "d details" in text


def test_many_people_get_a_line_each_in_the_plain_view() -> None:
    text = plain(tuple(person(i + 1) for i in range(6)), 80, 24)
    assert "6 people" in text and text.count("person ") == 6
    assert len(text.splitlines()) <= 24


def test_d_switches_the_view() -> None:
    switched = []
    keys = KeyReader(
        lambda: None, lambda note: None, lambda text: None, None, lambda: switched.append(1)
    )
    keys._key("d")
    assert switched == [1]


def test_a_baseline_banner_never_stays_when_its_person_was_gone_as_it_began() -> None:
    config = with_overrides(Config(), {"geometry.enabled": False})
    a, b = portrait_frames()
    both = np.where(a != 128, a, b)  # two faces, left and right
    pipeline = FramePipeline(config)
    recorder = fake_recorder(config)
    view = LiveView(recorder, pipeline)
    try:
        for i in range(5):
            view.on_step(pipeline.process(Frame(i, i / 30, both, 0.0)))
        assert sorted(view.people) == [1, 2]
        view.baseline_requested(3.0)  # the screen still shows both in view ...
        pipeline.request_baseline()  # ... but on the next frame person 1 is gone
        i = 5
        while i < 5 + 4 * 30:  # 4 s: person 2's baseline is written
            view.on_step(pipeline.process(Frame(i, i / 30, b, 0.0)))
            i += 1
        assert "taking everyone's baseline" in view.message  # person 1 still awaited
        recorder.now["now"] = 14.0  # past the 3 s and the grace
        view.on_step(pipeline.process(Frame(i, i / 30, b, 0.0)))
    finally:
        pipeline.close()
    assert view.message == (
        "baseline taken: person 2; none for person 1 (not in view): press b again"
    )


def test_the_trend_is_one_cell_a_second_with_gaps_where_the_person_was_away() -> None:
    from streamfer.method.aggregate import RepresentativeEmotion
    from streamfer.pipeline.results import FrameResult, StepResult

    config = with_overrides(Config(), {"aggregator.emit_interval_seconds": 0.5})
    view = LiveView(fake_recorder(config))

    def verdict(t: float, label: str) -> StepResult:
        emotion = RepresentativeEmotion(1, t, label, {label: 10}, 10, 0.0, 0.0)
        return StepResult(FrameResult(int(t * 30), t, 0.0), (emotion,), None, (1,))

    # verdicts every 0.5 s: happy 0-10 s, away 10-20 s (none), sad 20-40 s
    for k in range(21):
        view.on_step(verdict(k * 0.5, "happy"))
    for k in range(40, 51):
        view.on_step(verdict(k * 0.5, "sad"))
    from streamfer.ui.dashboard import trend_words

    assert trend_words(view._trend(1, 25.0)) == "happy 12 s, sad 6 s"  # from 0 s: 26 cells
    for k in range(51, 81):
        view.on_step(verdict(k * 0.5, "sad"))
    trend = view._trend(1, 40.0)
    assert len(trend) == 30  # one cell a second, not one a verdict
    # seconds 11 to 40: happy still in force at 11, away 12-19, sad from 20
    assert trend == ("happy",) + ("",) * 8 + ("sad",) * 21
    assert trend_words(trend) == "sad 21 s, happy 1 s"


def test_a_face_just_gone_is_out_of_view_not_unseen_for_0_s() -> None:
    text = plain((person(1, in_view=False, unseen=0.4),), 80, 24)
    assert "uncertain: out of view" in text and "for 0 s" not in text
