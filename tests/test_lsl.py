"""``streamfer run --lsl``: real Lab Streaming Layer streams, received by a real pylsl inlet.

LSL finds streams by multicast and answers on every interface, so the session and its
recorder (``tests/lsl_receiver.py``) run inside a private network namespace made for the test
(``ip netns``, root only) whose one interface is loopback, with an ``lsl_api.cfg`` (named by
``LSLAPICFG``) that keeps resolution on the machine: nothing can leave it. The received
streams are checked against the session's own log: names, ids, channels, every sample's
values and time stamps, the markers.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from clips import ROOT, cli_command, cli_env, json_lines

from streamfer.api.results import HeadPose, face_of
from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection
from streamfer.outputs import lsl_layout as layout
from streamfer.pipeline.results import FaceResult
from streamfer.vision.geometry import FaceGeometry

FRAMES = 150  # 5 s of the demo, played in real time
LSL_CONFIG = """\
; LSL kept on this machine: queries to 127.0.0.1 only, servers on loopback, no IPv6, and a
; session id of its own, so no other LSL program on the machine sees these streams
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
[lab]
SessionID = {session}
KnownPeers = {{127.0.0.1}}
[log]
level = -2
"""


@pytest.fixture(scope="module")
def session(
    network_namespace: list[str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What the recorder received of one ``run --lsl`` on the demo, and that session's log."""
    try:
        import pylsl  # noqa: F401
    except (ImportError, RuntimeError) as exc:
        pytest.skip(f"needs pylsl with its liblsl (pip install -e '.[test]'): {exc}")
    work = tmp_path_factory.mktemp("lsl")
    (work / "lsl_api.cfg").write_text(LSL_CONFIG.format(session=secrets.token_hex(8)))
    # geometry off: the streams carry the 8 probabilities, valence and arousal only
    (work / "config.toml").write_text(
        "[lsl]\nwait_for_recorder = 60.0\n\n[geometry]\nenabled = false\n"
    )
    command = [
        *network_namespace,
        sys.executable,
        str(ROOT / "tests" / "lsl_receiver.py"),
        str(work / "received.json"),
        "--",
        *cli_command(
            "run", "--source", "demo", "--lsl", "--no-dashboard", "--log-frames",
            "--max-frames", str(FRAMES), "--log-dir", str(work / "logs"),
            "--config", str(work / "config.toml"),
        ),
    ]  # fmt: skip
    env = cli_env() | {"LSLAPICFG": str(work / "lsl_api.cfg")}
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    received = json.loads((work / "received.json").read_text())
    assert received["returncode"] == 0, received["stderr"]
    (log,) = (work / "logs").glob("*.jsonl")
    records = json_lines(log)
    records[0]["log_name"] = log.stem  # the session's name in its streams' names
    return received, records


def _of(log: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in log if r["type"] == kind]


def test_the_log_names_the_streams_the_recorder_found(session) -> None:
    received, log = session
    start = log[0]
    assert start["config"]["lsl"]["enabled"] is True
    opened = {r["source_id"]: r for r in _of(log, "lsl_stream")}
    streams = {s["source_id"]: s for s in received["streams"]}
    assert set(streams) <= set(opened) and len(streams) >= 2
    labels = [*start["labels"], "valence", "arousal"]
    for sid, stream in streams.items():
        record = opened[sid]
        assert stream["name"].startswith(f"streamfer {start['log_name']} ")
        assert stream["name"] == record["name"] and stream["type"] == record["stream_type"]
        assert [c["label"] for c in stream["channels"]] == record["channels"]
        assert stream["channel_count"] == len(record["channels"])
        if record["track"] is None:
            assert stream["type"] == "Markers" and stream["channel_format"] == 3  # string
            assert stream["nominal_srate"] == record["rate"] == 0.0
            assert stream["name"].endswith(" markers")
        else:
            assert stream["type"] == "FacialExpression"
            assert record["channels"] == labels
            assert [c["unit"] for c in stream["channels"]] == ["normalized"] * len(labels)
            types = [c["type"] for c in stream["channels"]]
            assert types == ["Probability"] * len(start["labels"]) + ["Valence", "Arousal"]
            assert stream["nominal_srate"] == record["rate"] == start["source_fps"] == 30.0
            assert stream["person"] == str(record["track"])
            assert stream["model"] == start["models"]["classifier"]["name"]
            assert stream["name"].endswith(f" person {record['track']}")


def test_each_frame_is_one_sample_stamped_at_its_capture(session) -> None:
    received, log = session
    opened = {r["source_id"]: r["track"] for r in _of(log, "lsl_stream")}
    frames = _of(log, "frame")
    assert len(frames) == FRAMES
    people = [s for s in received["streams"] if s["type"] == "FacialExpression"]
    assert people
    for stream in people:
        track = opened[stream["source_id"]]
        logged = [(f, face) for f in frames for face in f["faces"] if face["track"] == track]
        samples = stream["samples"]
        assert len(samples) >= 30, f"person {track}: {len(samples)} samples"
        first = next(
            i
            for i, (_, face) in enumerate(logged)
            if np.allclose(face["probs"], samples[0][2 : 2 + len(face["probs"])], atol=6e-5)
        )
        matched = logged[first:]
        assert len(matched) == len(samples), "a frame without its sample, or one sample too many"
        offsets = []
        for (frame, face), (stamp, arrived, *values) in zip(matched, samples, strict=True):
            expected = [*face["probs"], face["valence"], face["arousal"]]
            assert np.allclose(values, expected, atol=6e-5)
            assert stamp <= arrived < stamp + 5.0
            offsets.append(stamp - frame["t"])
        # capture time minus the frame's time in the clip: the same for every frame (the demo
        # is paced in real time), up to the capture thread's wake-up jitter
        assert max(offsets) - min(offsets) < 0.25, (min(offsets), max(offsets))


def test_markers_say_start_verdicts_and_end(session) -> None:
    received, log = session
    markers = next(s for s in received["streams"] if s["type"] == "Markers")
    texts = [text for _, _, text in markers["samples"]]
    assert texts[0] == f"session start: {log[0]['log_name']} (demo (Grace Hopper portrait))"
    assert texts[-1] == "session end: max_frames"
    changes: list[str] = []
    last: dict[Any, str] = {}
    for record in _of(log, "emotion"):
        if last.get(record["track"]) != record["label"]:
            last[record["track"]] = record["label"]
            who = "group" if record["track"] == "group" else f"person {record['track']}"
            changes.append(f"{who}: {record['label']}")
    assert changes and texts[1:-1] == changes
    stamps = [stamp for stamp, _, _ in markers["samples"]]
    assert stamps == sorted(stamps)


def test_stream_layout_without_pylsl() -> None:
    """Names, ids, channels and samples, with and without the geometry stage's values."""
    assert layout.source_id("lab-pc", "camera 0", 1) == layout.source_id("lab-pc", "camera 0", 1)
    assert layout.source_id("lab-pc", "camera 0", 1) != layout.source_id("lab-pc", "camera 0", 2)
    assert layout.source_id("lab-pc", "camera 0", None) != layout.source_id("pi", "camera 0", None)
    assert layout.stream_name("sf", "session-1", 2) == "sf session-1 person 2"
    assert layout.stream_name("sf", "session-1", None) == "sf session-1 markers"
    assert layout.geometry_on(Config()), '"auto", and the default model has a head'
    old = with_overrides(Config(), {"classifier.model": "emotion_mini_ferplus2"})
    assert not layout.geometry_on(old), '"auto", and this older model has none'
    assert layout.geometry_on(with_overrides(Config(), {"geometry.enabled": True}))
    channels = layout.face_channels(("happy", "neutral"), geometry=True)
    names = [c.label for c in channels]
    assert names[:4] == ["happy", "neutral", "valence", "arousal"] and len(names) == 4 + 52 + 3
    assert names[4] == "_neutral" and names[-3:] == ["yaw", "pitch", "roll"]
    assert [c.unit for c in channels][-3:] == ["degrees"] * 3
    face = FaceResult(1, Detection(Box(0, 0, 10, 10), 0.9), np.array([0.75, 0.25]), 0.5, 0.1)
    assert layout.face_sample(face, geometry=False) == [0.75, 0.25, 0.5, 0.1]
    without = layout.face_sample(face, geometry=True)
    assert without[:4] == [0.75, 0.25, 0.5, 0.1] and all(math.isnan(v) for v in without[4:])
    shapes = np.linspace(0, 1, 52, dtype=np.float32)
    geometry = FaceGeometry(np.zeros((478, 3), np.float32), shapes, 10.0, -5.0, 1.0, 0.99, None)  # type: ignore[arg-type]
    object.__setattr__(face, "geometry", geometry)  # as FaceResult will carry it
    sample = layout.face_sample(face, geometry=True)
    assert np.allclose(sample[4:-3], shapes) and sample[-3:] == [10.0, -5.0, 1.0]
    api_face = face_of(face, ("happy", "neutral"))  # the API's Face carries it too
    assert api_face.blendshapes == geometry.blendshape_dict() and len(api_face.blendshapes) == 52
    assert api_face.head_pose == HeadPose(10.0, -5.0, 1.0)


def test_the_clock_map_takes_the_offset_of_the_two_clocks() -> None:
    ticks = iter(range(100))
    clock = layout.ClockMap(lambda: 1000.0 + next(ticks) * 0.0, lambda: 5.0)
    assert clock.offset == 995.0 and clock.lsl_time(6.5) == 1001.5


@pytest.mark.parametrize(
    ("fake_pylsl", "expected"),
    [
        ("raise ImportError('no pylsl here')", 'pip install "streamfer[lsl]"'),
        ("raise RuntimeError('LSL binary library file was not found')", "mne-lsl"),
    ],
)
def test_without_pylsl_or_liblsl_lsl_is_one_line(
    tmp_path: Path, fake_pylsl: str, expected: str
) -> None:
    fake = tmp_path / "fake" / "pylsl"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(fake_pylsl + "\n")
    env = cli_env()
    env["PYTHONPATH"] = str(tmp_path / "fake") + os.pathsep + env["PYTHONPATH"]
    env["PYLSL_LIB"] = "/nonexistent"  # no fallback to an installed mne-lsl's liblsl
    result = subprocess.run(
        cli_command("run", "--source", "demo", "--lsl", "--no-dashboard", "--max-frames", "5"),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("streamfer: error: --lsl"), lines
    assert expected in lines[0]
    assert not (tmp_path / "logs").exists()  # nothing opened before the check


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
