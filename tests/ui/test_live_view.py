"""The live view (``streamfer.ui.live_view``): the baseline banner ends when the record is
written or says why not, the trend is one cell a second, the status lines of a session
without a dashboard are not printed twice."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from clips import portrait_frames

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Frame
from streamfer.pipeline.stages import FramePipeline
from streamfer.ui.live_view import LiveView


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


def test_the_last_status_line_is_not_printed_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """A periodic line, then at once the closing one with the same figures: twice (#27)."""
    from streamfer.ui import live_view

    now = [100.0]
    recorder = SimpleNamespace(clock=lambda: now[0], started=100.0)
    view = SimpleNamespace(recorder=recorder, snapshot=lambda: now[0])
    monkeypatch.setattr(live_view, "status_line", lambda snapshot: f"at {snapshot:g}")
    printed: list[str] = []
    console = SimpleNamespace(print=lambda text, **_: printed.append(text))
    status = live_view._StatusLines(view, console, 5.0)  # type: ignore[arg-type]
    for t in (101.0, 104.9, 105.0, 105.2):
        now[0] = t
        status.on_step(None)  # type: ignore[arg-type]
    status.finish()  # at 105.2: the line of 105.0 still holds
    assert printed == ["at 105"]
    now[0] = 106.5
    status.finish()
    assert printed == ["at 105", "at 106.5"]
