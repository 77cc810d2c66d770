"""``streamfer run`` as a real process on clips built from a real face, read back from its log."""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from clips import (
    NO_FACE,
    ONE_FACE,
    ROOT,
    TWO_FACES,
    cli_command,
    only_log,
    popen,
    serve_stream,
    streamfer,
    write_clip,
)

from streamfer.config.settings import Config
from streamfer.session.events import Emotion, SourceLost
from streamfer.session.log import read_log
from streamfer.session.start_end import EndReason, SessionEnd, SessionStart
from streamfer.vision.models import sha256_of


def run_clip(
    tmp_path: Path, segments: list[tuple[float, int]], *extra: str
) -> tuple[list[dict], int]:
    clip = tmp_path / "clip.mp4"
    frames = write_clip(clip, segments)
    result = streamfer(
        "run",
        "--source",
        str(clip),
        "--no-dashboard",
        "--log-dir",
        str(tmp_path / "logs"),
        *extra,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    contents = read_log(only_log(tmp_path / "logs"))
    assert contents.truncated_line is None and not contents.bad_lines
    return [r.to_json() for r in contents.records], frames  # typed, then back to JSON


def test_one_face(tmp_path: Path) -> None:
    records, frames = run_clip(tmp_path, [(ONE_FACE, 90)])
    assert records[0]["type"] == "session_start" and records[-1]["type"] == "session_end"
    start, end = records[0], records[-1]
    assert start["config"]["aggregator"]["threshold"] == 0.2
    # a file read as fast as possible: "auto" geometry threads are one a model, logged so
    assert start["config"]["geometry"]["num_threads"] == 1
    default = Config()
    assert {start["models"][k]["file"] for k in ("detector", "classifier")} == {
        "blazeface_short_range.tflite",
        default.emotion_model_path().name,
    }
    models = start["models"]
    assert models["detector"]["shipped"] and models["classifier"]["shipped"]
    assert all(m["shipped"] for m in models.get("geometry", {}).values())
    classifier = start["models"]["classifier"]  # the model's name and sha256 are logged
    assert classifier["name"] == default.classifier.model
    assert classifier["sha256"] == sha256_of(default.emotion_model_path())
    assert start["labels"] == classifier["classes"] == list(default.emotions())
    assert end["reason"] == "end_of_source"
    assert end["frames_processed"] == frames == 90 and end["frames_dropped"] == 0
    emotions = [r for r in records if r["type"] == "emotion"]
    # 3 s at 30 fps, a verdict each second once 5 frames are in: t = 0.133, 1.133, 2.133
    assert [round(e["t"], 3) for e in emotions] == [0.133, 1.133, 2.133]
    assert {e["track"] for e in emotions} == {1}
    assert (
        emotions[-1]["n_frames"] == 65 and sum(emotions[-1]["counts"].values()) == 65
    )  # frames 0-64
    assert emotions[-1]["label"] == "neutral"
    assert all(e["method"] == "threshold" and e["window_s"] == 3.0 for e in emotions)


def test_two_faces_get_two_tracks_and_a_group_record(tmp_path: Path) -> None:
    records, _ = run_clip(tmp_path, [(TWO_FACES, 60)], "--log-frames")
    frames = [r for r in records if r["type"] == "frame"]
    assert len(frames) == 60
    assert all(sorted(f["track"] for f in fr["faces"]) == [1, 2] for fr in frames)
    face = frames[0]["faces"][0]
    assert (
        len(face["probs"]) == len(Config().emotions())
        and len(face["box"]) == 4
        and -1 <= face["valence"] <= 1
    )
    tracks = {r["track"] for r in records if r["type"] == "emotion"}
    assert tracks == {1, 2, "group"}
    group = [r for r in records if r.get("track") == "group"]
    assert group and all(
        r["tracks"] == [1, 2] and sum(r["shares"].values()) == pytest.approx(1) for r in group
    )


def test_a_stretch_with_no_face(tmp_path: Path) -> None:
    # 2 s face, 1 s no face (longer than the 15-frame grace period), 2 s face
    records, frames = run_clip(tmp_path, [(ONE_FACE, 60), (NO_FACE, 30), (ONE_FACE + 2, 60)])
    emotions = [r for r in records if r["type"] == "emotion"]
    assert {e["track"] for e in emotions} == {1}  # the returning face keeps its number
    back = [r for r in records if r["type"] == "person_back"]
    assert [(r["track"], round(r["after"], 3)) for r in back] == [(1, round(31 / 30, 3))]
    assert not [e for e in emotions if 2.0 <= e["t"] < 3.0]  # nothing while nobody is there
    assert min(e["t"] for e in emotions if e["t"] > 2.0) >= 3.0  # a new window after the return
    assert records[-1]["frames_processed"] == frames == 150


def test_log_reads_with_pandas(tmp_path: Path) -> None:
    run_clip(tmp_path, [(ONE_FACE, 40)], "--log-frames")
    frame = pd.read_json(only_log(tmp_path / "logs"), lines=True)
    assert list(frame["type"].unique()) == ["session_start", "frame", "emotion", "session_end"]
    assert frame["t"].is_monotonic_increasing


def test_flags_override_the_config(tmp_path: Path) -> None:
    records, _ = run_clip(
        tmp_path,
        [(ONE_FACE, 45)],
        "--method",
        "top1",
        "--labels",
        "3",
        "--window",
        "1",
        "--interval",
        "0.5",
    )
    emotions = [r for r in records if r["type"] == "emotion"]
    assert emotions and all(e["method"] == "top1" and e["threshold"] == 1.0 for e in emotions)
    assert set(emotions[-1]["counts"]) == {"negative", "positive", "neutral"}
    assert max(e["n_frames"] for e in emotions) <= 30


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_ends_the_session_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    log_dir = tmp_path / "logs"
    process = popen(
        cli_command("run", "--source", "demo", "--no-dashboard", "--log-dir", str(log_dir)),
        tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the demo's first verdicts are logged
            logs = list(log_dir.glob("*.jsonl"))
            if logs and logs[0].read_text().count('"type":"emotion"') >= 2:
                break
            time.sleep(0.2)
        process.send_signal(sig)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 128 + sig, err  # as a shell reports a signal's end
    contents = read_log(only_log(log_dir))
    assert contents.truncated_line is None and contents.ended and not contents.complete
    end = contents.records[-1].to_json()
    assert end["reason"] == sig.name and end["frames_processed"] > 30
    assert f"ended by {sig.name}" in err


def test_max_frames_and_summary_line(tmp_path: Path) -> None:
    result = streamfer(
        "run",
        "--source",
        "demo",
        "--no-realtime",
        "--no-dashboard",
        "--max-frames",
        "50",
        "--log-dir",
        "logs",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    end = read_log(only_log(tmp_path / "logs")).records[-1].to_json()
    assert end["reason"] == "max_frames" and end["frames_processed"] == 50
    assert "50 frames processed" in result.stderr


# --- errors: one line, a hint, a non-zero exit code, nothing lost --------------------------------


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("streamfer: error: ")
    return lines[0]


def make_file(folder: Path, name: str, content: bytes | None) -> str:
    if content is not None:
        (folder / name).write_bytes(content)
    return str(folder / name)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.mp4", None, "does not exist"),
        ("empty.mp4", b"", "is empty"),
        ("bad.mp4", bytes(range(256)) * 40, "not a video"),
        ("notes.txt", b"hello", "not a video"),
        ("9", None, "no camera at index 9"),
        ("rtsp://127.0.0.1:9/none", None, "cannot reach stream"),
    ],
)
def test_bad_sources(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    source = name if name == "9" or "://" in name else make_file(tmp_path, name, content)
    code = 3
    result = streamfer(
        "run", "--source", str(source), "--no-dashboard", "--log-dir", "logs", cwd=tmp_path
    )
    assert result.returncode == code
    line = one_line_error(result)
    assert message in line and "hint:" in line
    assert not (tmp_path / "logs").exists()  # nothing half-made


def test_bad_config_key(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[aggregator]\nwindow = 3\n")
    result = streamfer("run", "--source", "demo", "--no-dashboard", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown key aggregator.window" in one_line_error(result)


def test_bad_flag_value(tmp_path: Path) -> None:
    result = streamfer("run", "--source", "demo", "--threshold", "2", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "--threshold: aggregator.threshold = 2.0 is not a number in (0.0, 1.0]"
        in one_line_error(result)
    )


@pytest.mark.parametrize("frames", ["-3", "0"])
def test_max_frames_below_one_is_refused(tmp_path: Path, frames: str) -> None:
    """It ran one frame and exited 0 (issue #27); the API refuses 0 too."""
    result = streamfer(
        "run", "--source", "demo", "--no-dashboard", "--max-frames", frames, cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert f"--max-frames {frames} is not a positive number" in one_line_error(result)
    assert not (tmp_path / "logs").exists()


def test_a_bad_reconnect_names_the_flag_given(tmp_path: Path) -> None:
    """It named --reconnect-seconds, a flag that does not exist (issue #27)."""
    result = streamfer("run", "--source", "demo", "--reconnect", "-5", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line_error(result).startswith("streamfer: error: --reconnect: ")


def test_every_flag_an_error_may_name_exists() -> None:
    """The flags that config errors name for the settings that run's flags override."""
    from streamfer.cli import build_parser
    from streamfer.commands.options import _FLAGS

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    known = set().union(*(set(p._option_string_actions) for p in sub.choices.values()))
    assert set(_FLAGS.values()) <= known, set(_FLAGS.values()) - known


def test_labels_offers_two_words_and_explains_them() -> None:
    """--labels offered {emotions,3,7,8,broad} and explained none (issue #27)."""
    from streamfer.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in ("run", "analyze", "calibrate"):
        action = sub.choices[command]._option_string_actions["--labels"]
        assert action.metavar == "{emotions,3}"
        assert "model's own labels" in action.help and "negative, positive, neutral" in action.help
        assert "7 and 8 are read as emotions, broad as 3" in action.help


def test_missing_model(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[classifier]\nmodel = 'models/nope.tflite'\n")
    result = streamfer("run", "--source", "demo", "--no-dashboard", cwd=tmp_path)
    assert result.returncode == 4
    assert "emotion model not found" in one_line_error(result)


def test_log_dir_not_writable(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = streamfer(
        "run", "--source", "demo", "--no-dashboard", "--log-dir", "afile/logs", cwd=tmp_path
    )
    assert result.returncode == 5
    assert "cannot write the log" in one_line_error(result)


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("needs root to mount a small tmpfs for the full-disk test")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_full_disk(tmp_path: Path, tiny_disk: Path) -> None:
    clip = tmp_path / "clip.mp4"
    write_clip(clip, [(ONE_FACE, 300)])
    result = streamfer(
        "run",
        "--source",
        str(clip),
        "--no-dashboard",
        "--log-frames",
        "--log-dir",
        str(tiny_disk),
        cwd=tmp_path,
    )
    assert result.returncode == 5
    line = one_line_error(result)
    log = only_log(tiny_disk)
    assert "the disk filled up: the session ended early" in line and str(log) in line
    contents = read_log(log)
    assert isinstance(contents.records[0], SessionStart) and len(contents.records) > 50
    assert not contents.bad_lines and contents.truncated_line is None  # whole lines only
    end = contents.records[-1]
    assert isinstance(end, SessionEnd) and end.reason is EndReason.DISK_FULL


def test_help_teaches() -> None:
    result = streamfer("run", "--help", cwd=ROOT)
    assert result.returncode == 0
    for words in (
        "--source",
        "demo",
        "--threshold",
        "--no-dashboard",
        "examples:",
        "pandas.read_json",
    ):
        assert words in result.stdout


@pytest.fixture
def tcp_stream(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real H.264 stream over TCP from ffmpeg, at its own frame rate: 2 s of one face."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg to serve a network stream (.ci/run installs it)")
    clip = tmp_path / "stream.mp4"
    write_clip(clip, [(ONE_FACE, 60)])
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    server = serve_stream(clip, url)
    time.sleep(0.5)  # let ffmpeg listen
    yield url
    server.kill()
    server.wait()


def test_network_stream_then_its_loss(tmp_path: Path, tcp_stream: str) -> None:
    """A live stream is read as it comes; when it stops sending and does not come back within
    --reconnect seconds, the session ends with a clear error."""
    result = streamfer(
        "run",
        "--source",
        tcp_stream,
        "--stream-timeout",
        "5",  # not the default 10 s: the wait for the lost stream is the test's longest
        "--reconnect",
        "1",
        "--no-dashboard",
        "--log-dir",
        "logs",
        cwd=tmp_path,
    )
    assert result.returncode == 3
    line = one_line_error(result)
    assert f"{tcp_stream} was lost and did not come back within 1 s" in line
    assert f"no frame from {tcp_stream} for 5 s" in line or "cannot reach" in line
    contents = read_log(only_log(tmp_path / "logs"))
    start, end = (r.to_json() for r in (contents.records[0], contents.records[-1]))
    assert start["live"] is True and start["source"] == tcp_stream
    # live: "auto" geometry threads are the live number, logged as used
    assert start["config"]["geometry"]["num_threads"] == Config().geometry_threads()
    assert end["type"] == "session_end" and "did not come back" in end["reason"]
    assert [r.detail for r in contents.of_type(SourceLost)] == [
        f"no frame from {tcp_stream} for 5 s"
    ]
    # read as it comes: most of the 60 frames are read; how many are processed (newest frame
    # wins) depends on the machine's load, and the emotion records below need at least 5
    assert end["frames_read"] > 20 and end["frames_processed"] >= 5
    assert {r.track for r in contents.of_type(Emotion)} == {1}
