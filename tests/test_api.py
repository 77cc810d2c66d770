"""The Python API, through its public names only (``streamfer.__all__``; docs/api.md)."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from clips import ONE_FACE, ROOT, json_lines, write_clip
from clips import streamfer as run_cli

import streamfer

PORTRAIT = ROOT / "streamfer" / "assets" / "grace_hopper.jpg"
THREADS = ("streamfer-capture", "streamfer-detect")
TIMINGS = ("mean_fps", "wall_seconds", "latency_p50_ms", "latency_p95_ms")


def session_threads(wait: float = 3.0) -> list[str]:
    """The capture and detection threads still alive after up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        alive = [t.name for t in threading.enumerate() if t.name in THREADS]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


def test_import_streamfer_loads_nothing_heavy_and_names_resolve() -> None:
    code = (
        "import sys, streamfer\n"
        "heavy = ('cv2', 'numpy', 'ai_edge_litert', 'rich', 'pylsl', 'pandas')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "print(all(getattr(streamfer, name) is not None for name in streamfer.__all__))\n"
        "print(set(streamfer.__all__) <= set(dir(streamfer)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True", "True"]
    with pytest.raises(AttributeError):
        _ = streamfer.no_such_name  # type: ignore[attr-defined]


def test_the_wheel_marks_the_package_typed() -> None:
    assert (ROOT / "streamfer" / "py.typed").is_file()


def test_watch_the_demo_for_90_frames() -> None:
    results = list(streamfer.watch("demo", max_frames=90))  # in real time, as a camera
    assert len(results) == 90
    assert all(isinstance(r, streamfer.Result) and r.faces for r in results)
    assert [r.frame_index for r in results] == sorted(r.frame_index for r in results)
    verdicts = [v for r in results for v in r.verdicts]
    assert verdicts and all(isinstance(v, streamfer.Verdict) for v in verdicts)
    first = verdicts[0]
    assert first.track == 1 and first.label == "neutral" and sum(first.counts.values()) > 0
    face = results[-1].faces[0]
    assert isinstance(face, streamfer.Face) and face.track == 1
    x, y, w, h = face.box
    assert 0 <= x < 640 and 0 <= y < 480 and w > 50 and h > 50
    assert face.label == max(face.scores, key=lambda k: face.scores[k])
    assert sum(face.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert -1 <= face.valence <= 1 and -1 <= face.arousal <= 1
    # the default model fuses the geometry stage's blendshapes ([geometry] enabled = "auto")
    assert streamfer.Config().geometry_on()
    assert face.blendshapes is not None and len(face.blendshapes) == 52
    assert face.head_pose is not None and abs(face.head_pose.yaw) < 30


def test_two_faces_give_a_group_verdict() -> None:
    """The demo's second face comes at 6 s: play frames 0-12 s as fast as possible."""
    results = list(streamfer.watch("demo", max_frames=360, realtime=False))
    assert max(len(r.faces) for r in results) == 2
    group = [r.group for r in results if r.group is not None]
    assert group and isinstance(group[0], streamfer.GroupVerdict) and group[0].tracks == (1, 2)


def test_break_closes_the_source_and_its_threads(tmp_path: Path) -> None:
    for result in streamfer.watch("demo", log_dir=tmp_path):
        if result.frame_index >= 10:
            break
    assert session_threads() == []
    (path,) = tmp_path.glob("*.jsonl")
    log = streamfer.read_log(path)
    assert log.end is not None and log.end.reason_text == "stopped"


def test_garbage_collection_closes_an_abandoned_session() -> None:
    results = streamfer.watch("demo", realtime=False)
    next(results)
    assert session_threads(wait=0) != []
    del results
    gc.collect()
    assert session_threads() == []


def test_an_error_in_the_loop_closes_the_session(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError), streamfer.watch("demo", log_dir=tmp_path) as session:
        for result in session:
            _ = result.t / 0
    assert session_threads() == []
    assert session.reason == "stopped"
    assert session.log_path is not None and session.log_path.parent == tmp_path


def test_nothing_is_opened_or_written_before_the_first_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = streamfer.watch(tmp_path / "nope.mp4", log_dir=tmp_path / "logs")
    with pytest.raises(streamfer.SourceError):
        next(missing)
    results = list(streamfer.watch("demo", max_frames=5, realtime=False))
    assert len(results) == 5
    assert list(tmp_path.iterdir()) == []  # no log without log_dir, and none for a bad source


def test_the_log_has_the_records_run_writes(tmp_path: Path) -> None:
    write_clip(tmp_path / "a.mp4", [(ONE_FACE, 60)])
    cli = run_cli("run", "--source", "a.mp4", "--no-dashboard", "--log-dir", "cli", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    session = streamfer.watch(tmp_path / "a.mp4", log_dir=tmp_path / "api")
    assert len(list(session)) == 60 and session.reason == "end_of_source"

    def comparable(folder: Path) -> list[dict[str, object]]:
        (path,) = folder.glob("*.jsonl")
        records = json_lines(path)
        for record in records:
            for key in ("ts", "source", "host", "config", *TIMINGS):
                record.pop(key, None)
        return records

    assert comparable(tmp_path / "api") == comparable(tmp_path / "cli")


def test_config_as_dict_path_or_config(tmp_path: Path) -> None:
    for config in ({"aggregator.min_frames": 60}, {"aggregator": {"min_frames": 60}}):
        with streamfer.watch("demo", config=config, max_frames=80, realtime=False) as session:
            first = next(r.t for r in session if r.verdicts)
        assert first >= 59 / 30  # no verdict before the window holds 60 frames
    toml = tmp_path / "settings.toml"
    toml.write_text("[aggregator]\nmin_frames = 60\n")
    with streamfer.Monitor(toml) as monitor:
        assert monitor.config.aggregator.min_frames == 60
    assert streamfer.Monitor(streamfer.Config()).config == streamfer.Config()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"aggregator.threshhold": 0.2}, "unknown key aggregator.threshhold"),
        ({"aggregator.threshold": 2.0}, "config['aggregator.threshold']: aggregator.threshold"),
        ({"threshold": 0.2}, "names no section"),
        ("no-such-file.toml", "does not exist"),
        (42, "neither a streamfer.Config"),
    ],
)
def test_a_bad_config_is_a_config_error_at_once(config: object, message: str) -> None:
    with pytest.raises(streamfer.ConfigError) as error:
        streamfer.watch("demo", config=config)  # type: ignore[arg-type]
    assert message in str(error.value)
    assert issubclass(streamfer.ConfigError, streamfer.StreamferError)


def test_bad_arguments_are_config_errors() -> None:
    with pytest.raises(streamfer.ConfigError, match="max_frames = 0"):
        streamfer.watch("demo", max_frames=0)
    with pytest.raises(streamfer.ConfigError, match="stream_timeout"):
        streamfer.watch("demo", stream_timeout=0)


def test_classify_image_of_a_path_or_an_array() -> None:
    (face,) = streamfer.classify_image(PORTRAIT)
    assert face.label == "neutral" and face.track == 1
    image = cv2.imread(str(PORTRAIT))
    assert streamfer.classify_image(image) == (face,)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert streamfer.classify_image(gray)[0].label == "neutral"
    assert streamfer.classify_image(np.zeros((240, 320, 3), np.uint8)) == ()
    with pytest.raises(streamfer.SourceError, match="not uint8"):
        streamfer.classify_image(image.astype(np.float32))
    with pytest.raises(streamfer.SourceError, match="cannot read the image"):
        streamfer.classify_image(ROOT / "README.md")


def test_classify_image_of_a_missing_file_says_only_its_own_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """OpenCV's "[ WARN:0@17.160] ... findDecoder" came first on stderr (issue #27)."""
    with pytest.raises(streamfer.SourceError, match=r"missing\.jpg does not exist"):
        streamfer.classify_image(tmp_path / "missing.jpg")
    (tmp_path / "notes.jpg").write_text("not a photo")
    with pytest.raises(streamfer.SourceError, match="cannot read the image"):
        streamfer.classify_image(tmp_path / "notes.jpg")
    assert capfd.readouterr().err == ""


@pytest.mark.needs_shared_data
def test_classify_image_says_happy_of_a_smile(shared_data: Callable[..., Path]) -> None:
    london = shared_data("london_faces")
    for person in ("001", "013"):
        (smiling,) = streamfer.classify_image(london / "smiling" / f"{person}_08.jpg")
        (neutral,) = streamfer.classify_image(london / "neutral" / f"{person}_03.jpg")
        assert smiling.label == "happy" and smiling.scores["happy"] > 0.6
        assert neutral.label == "neutral"


def test_a_monitor_reuses_its_models_one_thing_at_a_time(tmp_path: Path) -> None:
    write_clip(tmp_path / "a.mp4", [(ONE_FACE, 20)])
    with streamfer.Monitor() as monitor:
        assert "happy" in monitor.emotions and monitor.emotions[-1] == "neutral"
        for _ in range(2):  # a new tracker each time: person 1 again
            results = list(monitor.watch(tmp_path / "a.mp4"))
            assert len(results) == 20 and results[0].faces[0].track == 1
        (face,) = monitor.classify_image(PORTRAIT)
        assert set(face.scores) == set(monitor.emotions)
        session = monitor.watch("demo")
        next(session)
        with pytest.raises(RuntimeError, match="one Monitor does one thing at a time"):
            monitor.classify_image(PORTRAIT)
        session.close()
        assert monitor.classify_image(PORTRAIT) == (face,)
        open_one = monitor.watch("demo")
        next(open_one)
    assert session_threads() == []  # closing the monitor ended the open session
    assert open_one.reason == "stopped"


def test_a_stop_event_ends_the_session() -> None:
    stop = threading.Event()
    session = streamfer.watch("demo", stop=stop)
    next(session)  # the models are loaded and the session runs
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    results = list(session)
    timer.join()
    assert 0 < len(results) < 500 and session.reason == "stopped"


def test_read_log_tolerates_a_cut_off_line_and_gives_dataframes(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    session = streamfer.watch(
        "demo", config={"log.frames": True}, max_frames=60, realtime=False, log_dir=tmp_path
    )
    assert len(list(session)) == 60
    assert session.log_path is not None
    with session.log_path.open("a") as f:
        f.write('{"type":"marker","t":9.0,"no')
    log = streamfer.read_log(session.log_path)
    assert isinstance(log, streamfer.Log)
    assert log.truncated_line == len(log.records) + 1 and log.bad_lines == []
    assert log.start is not None and log.end is None  # the last line is the cut one
    assert log.emotions and len(log.frames) == 60
    table = log.to_dataframe()
    assert table["type"].iloc[0] == "session_start" and len(table) == len(log.records)
    assert len(log.to_dataframe("emotion")) == len(log.emotions)
    faces = log.to_dataframe("face")
    assert len(faces) == 60 and set(log.start.labels) <= set(faces.columns)
    assert faces["track"].eq(1).all()
    with pytest.raises(streamfer.OutputError):
        streamfer.read_log(tmp_path / "nope.jsonl")
