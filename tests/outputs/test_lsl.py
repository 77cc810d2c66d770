"""The LSL output (``streamfer.outputs.lsl``) on a fake pylsl that keeps what is pushed, on no
network: samples stamped on the LSL clock, the streams' descriptions, and a wait for a
recorder said and not counted in the frame rate. Real streams received by a real inlet:
``tests/test_lsl.py``."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from clips import json_lines

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config


class _Xml:
    """pylsl's XMLElement, as much of it as streamfer writes."""

    def __init__(self) -> None:
        self.children: list[tuple[str, _Xml]] = []
        self.values: dict[str, str] = {}

    def append_child(self, name: str) -> _Xml:
        self.children.append((name, _Xml()))
        return self.children[-1][1]

    def append_child_value(self, name: str, value: str) -> _Xml:
        self.values[name] = value
        return self


class _FakePylsl:
    """Stands in for pylsl: outlets that keep what is pushed, on no network at all."""

    IRREGULAR_RATE = 0.0

    def __init__(self) -> None:
        self.pushed: dict[str, list[tuple[float, list[Any]]]] = {}
        self.infos: dict[str, Any] = {}

    def local_clock(self) -> float:
        return time.monotonic() + 1000.0  # another clock than the frames'

    def StreamInfo(self, name: str, kind: str, count: int, rate: float, fmt: str, sid: str):
        info = SimpleNamespace(name=name, kind=kind, count=count, rate=rate, fmt=fmt, sid=sid)
        info.xml = _Xml()
        info.desc = lambda: info.xml
        self.infos[name] = info
        return info

    def StreamOutlet(self, info: Any) -> Any:
        pushed = self.pushed.setdefault(info.name, [])
        return SimpleNamespace(
            push_sample=lambda values, stamp: pushed.append((stamp, list(values))),
            wait_for_consumers=lambda timeout: True,
            have_consumers=lambda: False,
        )


def test_lsl_output_on_a_fake_pylsl(tmp_path: Path) -> None:
    """Two people come and go in the demo, and the first comes back (16-18 s without a face):
    markers, streams and their records, no network; the one who returns keeps her stream."""
    from streamfer.config.load import with_overrides
    from streamfer.config.settings import Config
    from streamfer.outputs.lsl import LslOutput
    from streamfer.pipeline.stages import FramePipeline
    from streamfer.session.lifecycle import Recorder
    from streamfer.session.log import SessionLog
    from streamfer.session.sinks import ObservedLog
    from streamfer.sources.readers import DemoReader

    # geometry off keeps the test quick; the CNN alone is then the model's whole reading, so
    # the model whose CNN alone reads the demo's expectations below is named
    config = with_overrides(
        Config(),
        {
            "lsl.enabled": True,
            "geometry.enabled": False,
            "classifier.model": "emotion_mini_mix",
        },
    )
    fake = _FakePylsl()
    log = ObservedLog(SessionLog(tmp_path / "session-x.jsonl"), [])
    recorder = Recorder(config, log, DemoReader())
    lsl = LslOutput(recorder, pylsl=fake)
    log.observers.append(lsl)
    seen: list[set[int]] = []

    class Watcher:
        def on_step(self, step: Any) -> None:
            seen.append(set(lsl.people))
            if step.frame.frame_index == 100:
                recorder.add_marker("child looks away")

    pipeline = FramePipeline(config)
    try:
        summary = recorder.record(pipeline, [lsl, Watcher()])
    finally:
        pipeline.close()
        lsl.close()
    assert summary.end.frames_processed == 600
    # person 2 left at 14 s, person 1 at 16 s: both remembered, their streams kept open
    assert {1, 2} in seen and seen[-1] == {1, 2}
    records = json_lines(tmp_path / "session-x.jsonl")
    opened = [r for r in records if r["type"] == "lsl_stream"]
    assert [r["track"] for r in opened] == [None, 1, 2]  # no new stream for her return
    back = [r for r in records if r["type"] == "person_back"]
    assert [r["track"] for r in back] == [1] and 1.9 < back[0]["after"] < 2.5
    assert records[1] == opened[0]  # the markers stream right after session_start
    assert [r["name"] for r in opened] == [
        "streamfer session-x markers", "streamfer session-x person 1", "streamfer session-x person 2",
    ]  # fmt: skip
    texts = [values[0] for _, values in fake.pushed["streamfer session-x markers"]]
    assert texts[0] == "session start: session-x (demo (Grace Hopper portrait))"
    assert "marker: child looks away" in texts and "person 2: neutral" in texts
    assert "group: neutral" in texts and texts[-1] == "session end: end_of_source"
    person1 = fake.pushed["streamfer session-x person 1"]
    assert len(person1) >= 530  # one sample per frame with her face, before and after the gap
    stamps = [stamp for stamp, _ in person1]
    assert stamps == sorted(stamps) and stamps[0] > 1000  # on the LSL clock, not the frames'
    info = fake.infos["streamfer session-x person 1"]
    assert (info.kind, info.count, info.rate, info.fmt) == ("FacialExpression", 10, 30.0, "float32")
    channels = dict(info.xml.children)["channels"].children
    assert [c.values["label"] for _, c in channels][-2:] == ["valence", "arousal"]


def test_a_wait_for_a_recorder_is_said_and_not_counted_in_the_frame_rate(tmp_path: Path) -> None:
    """``[lsl] wait_for_recorder = 4`` and no recorder: it paused 4 s without a word, and the
    wait counted in the session's frame rate (issue #27). The wait is made on a clock of the
    test's (each 0.25 s try moves it on), so it takes no time here."""
    from streamfer.outputs.lsl import LslOutput
    from streamfer.pipeline.stages import FramePipeline
    from streamfer.session.lifecycle import Recorder
    from streamfer.session.log import SessionLog
    from streamfer.session.sinks import ObservedLog
    from streamfer.sources.readers import DemoReader

    waited = [0.0]

    def clock() -> float:
        return time.monotonic() + waited[0]

    class NoRecorder(_FakePylsl):
        def StreamOutlet(self, info: Any) -> Any:
            outlet = super().StreamOutlet(info)

            def wait_for_consumers(timeout: float) -> bool:
                waited[0] += timeout
                return False

            outlet.wait_for_consumers = wait_for_consumers
            return outlet

    config = with_overrides(
        Config(),
        {"lsl.enabled": True, "lsl.wait_for_recorder": 4.0, "geometry.enabled": False},
    )
    said: list[str] = []
    log = ObservedLog(SessionLog(tmp_path / "session-w.jsonl"), [])
    recorder = Recorder(config, log, DemoReader(), clock=clock)
    lsl = LslOutput(recorder, pylsl=NoRecorder(), say=said.append)
    log.observers.append(lsl)
    pipeline = FramePipeline(config)
    try:
        summary = recorder.record(pipeline, [lsl], max_frames=5)
    finally:
        pipeline.close()
        lsl.close()
    assert waited[0] == 4.0
    assert said[0].startswith("waiting up to 4 s for a recorder")
    assert said[1].startswith("no recorder took the markers stream within 4 s")
    assert summary.end.wall_seconds < 4.0  # the frames' time, not the wait
