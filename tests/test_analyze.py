"""``streamfer analyze`` for real: CLI subprocesses over clips made from real face stills."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from clips import row, streamfer, summary, write_frame_folder

from streamfer.config.settings import Config
from streamfer.session.events import Emotion, FrameRecord, GroupEmotion
from streamfer.session.log import read_log
from streamfer.session.start_end import SessionStart
from streamfer.sources.demo import write_demo_clip


@pytest.fixture(scope="module")
def batch(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One analyze run over: a one-face clip, a two-face clip, a frame folder, a corrupt and
    an empty file (the latter two among the good ones)."""
    base = tmp_path_factory.mktemp("batch")
    clips = base / "clips"
    (clips / "nested").mkdir(parents=True)
    write_demo_clip(str(clips / "one.mp4"), 3.0)  # Grace Hopper, one face
    write_demo_clip(str(clips / "nested" / "two.mp4"), 8.0)  # a second face joins at 6 s
    write_frame_folder(clips / "frames", 30)
    (clips / "bad.mp4").write_bytes(os.urandom(40_000))
    (clips / "empty.mp4").write_bytes(b"")
    result = streamfer("analyze", "clips", "--out", "out", "--workers", "2", cwd=base)
    return base, result


def test_analyze_logs_every_good_input_and_records_the_bad_ones(batch):
    base, result = batch
    assert result.returncode == 1, result.stdout + result.stderr  # something failed
    out = base / "out"
    rows = summary(out / "summary.csv")
    assert row(rows, "bad.mp4")["status"] == "failed"
    assert "not a video" in row(rows, "bad.mp4")["note"]
    assert row(rows, "empty.mp4")["status"] == "failed"
    assert "empty" in row(rows, "empty.mp4")["note"]
    for name, frames in (("one.mp4", 90), ("two.mp4", 240), ("frames", 30)):
        r = row(rows, name)
        assert r["status"] == "ok", r
        assert int(r["frames"]) == frames
        assert r["overall_emotion"], r
        log = read_log(out / r["log"])
        assert log.complete and log.truncated_line is None
        assert log.records[-1].to_json()["reason"] == "end_of_source"
        start = log.records[0]
        assert isinstance(start, SessionStart) and start.config["log"]["frames"] is True
        # files read as fast as possible: "auto" is one thread a geometry model
        assert start.config["geometry"]["num_threads"] == 1
        assert log.of_type(FrameRecord) and log.of_type(Emotion)
    assert row(rows, "two.mp4")["log"] == "nested__two.jsonl"
    shares = [float(v) for k, v in row(rows, "one.mp4", "1").items() if k.startswith("share_")]
    assert len(shares) == len(Config().emotions()) and sum(shares) == pytest.approx(1.0, abs=0.01)
    assert "ok one" in result.stdout and "failed bad" in result.stdout


def test_two_faces_get_two_tracks_and_group_records(batch):
    base, _ = batch
    rows = summary(base / "out" / "summary.csv")
    assert int(row(rows, "two.mp4")["faces_seen"]) >= 2
    log = read_log(base / "out" / "nested__two.jsonl")
    group = log.of_type(GroupEmotion)
    assert group, "two people in view give group consensus records"
    for record in group:
        assert len(record.tracks) >= 2
        assert sum(record.shares.values()) == pytest.approx(1.0, abs=1e-3)
        assert record.t >= 6.0  # the second face arrives at 6 s
    tracks = {r.track for r in log.of_type(Emotion)}
    assert len(tracks) >= 2


def _own_copy(batch: tuple[Path, object], tmp_path: Path) -> Path:
    """A copy of the shared batch folder for a test that runs analyze on it again, so no
    test sees another's changes, whatever the order they run in."""
    copy = tmp_path / "batch"
    shutil.copytree(batch[0], copy)
    return copy


def test_a_second_run_skips_what_is_done_and_force_redoes_it(batch, tmp_path):
    base = _own_copy(batch, tmp_path)
    out = base / "out"
    before = {p.name: p.read_bytes() for p in out.glob("*.jsonl")}
    again = streamfer("analyze", "clips", "--out", "out", "--workers", "2", cwd=base)
    assert again.returncode == 1  # the bad inputs are tried again, and fail again
    for name in ("one", "nested__two", "frames"):
        assert f"skipped {name}: up to date" in again.stdout
    assert "failed bad" in again.stdout
    assert {p.name: p.read_bytes() for p in out.glob("*.jsonl")} == before
    rows = summary(out / "summary.csv")
    assert row(rows, "one.mp4")["status"] == "ok"
    assert row(rows, "one.mp4")["note"].startswith("reused")
    assert row(rows, "two.mp4", "1")["overall_emotion"]  # per-track rows come from the old log

    forced = streamfer("analyze", "clips/one.mp4", "--out", "out", "--force", cwd=base)
    assert forced.returncode == 0, forced.stderr
    assert "ok one:" in forced.stdout and "skipped one" not in forced.stdout
    assert row(summary(out / "summary.csv"), "one.mp4")["note"] == ""


def test_other_settings_redo_the_analysis(batch, tmp_path):
    base = _own_copy(batch, tmp_path)
    result = streamfer("analyze", "clips/one.mp4", "--out", "out", "--no-frames", cwd=base)
    assert result.returncode == 0, result.stderr
    assert "ok one:" in result.stdout  # --no-frames changes the output: not skipped
    log = read_log(base / "out" / "one.jsonl")
    assert log.complete and not log.of_type(FrameRecord) and log.of_type(Emotion)


def test_analyze_gives_the_same_verdicts_as_run(batch, tmp_path):
    base = _own_copy(batch, tmp_path)
    run = streamfer(
        "run", "--source", "clips/one.mp4", "--no-dashboard", "--log-dir", "runlogs", cwd=base
    )
    assert run.returncode == 0, run.stderr
    (run_log,) = (base / "runlogs").glob("*.jsonl")
    live = [(r.t, r.track, r.label, r.counts) for r in read_log(run_log).of_type(Emotion)]
    batch_log = read_log(base / "out" / "one.jsonl")
    analysed = [(r.t, r.track, r.label, r.counts) for r in batch_log.of_type(Emotion)]
    assert live and live == analysed
