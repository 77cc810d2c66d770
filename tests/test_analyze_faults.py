"""``streamfer analyze`` under faults, for real: a worker killed mid-file, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from clips import children_of, cli_command, popen, row, streamfer, summary, wait_for

from streamfer.session.log import read_log
from streamfer.session.start_end import EndReason, SessionEnd
from streamfer.sources.demo import write_demo_clip


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _analyze_while_a_is_halfway(tmp_path: Path, seconds: dict[str, float]) -> subprocess.Popen[str]:
    """Start ``analyze`` on one worker over demo clips; return once a.mp4 is being analysed.

    The CLI gets its own session (process group), as a command started from a terminal has.
    """
    clips = tmp_path / "clips"
    clips.mkdir()
    for name, length in seconds.items():
        write_demo_clip(str(clips / f"{name}.mp4"), length)
    cli = popen(
        cli_command("analyze", "clips", "--out", "out", "--workers", "1"),
        tmp_path,
        new_session=True,
    )
    try:
        wait_for(lambda: _lines(tmp_path / "out" / "a.jsonl") > 20)  # mid-file
    except BaseException:
        cli.kill()
        raise
    return cli


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker through /proc (Linux)")
def test_a_killed_worker_fails_its_file_and_the_others_go_on(tmp_path):
    cli = _analyze_while_a_is_halfway(tmp_path, {"a": 8.0, "b": 2.0, "c": 2.0})
    try:
        (worker,) = children_of(cli.pid, b"spawn_main")
        os.kill(worker, signal.SIGKILL)
        stdout, stderr = cli.communicate(timeout=120)
    finally:
        cli.kill()
    assert cli.returncode == 1, stdout + stderr
    assert f"failed a: worker process {worker} was killed by SIGKILL" in stdout
    rows = summary(tmp_path / "out" / "summary.csv")
    assert row(rows, "a.mp4")["status"] == "failed"
    assert "SIGKILL" in row(rows, "a.mp4")["note"]
    assert [row(rows, f"{n}.mp4")["status"] for n in "bc"] == ["ok", "ok"]
    assert not read_log(tmp_path / "out" / "a.jsonl").complete
    rerun = streamfer("analyze", "clips", "--out", "out", cwd=tmp_path)
    assert "ok a:" in rerun.stdout and "skipped b" in rerun.stdout and rerun.returncode == 0


def test_ctrl_c_ends_files_cleanly_and_marks_them_interrupted(tmp_path):
    cli = _analyze_while_a_is_halfway(tmp_path, {"a": 8.0, "b": 2.0})
    try:
        os.killpg(cli.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stdout, stderr = cli.communicate(timeout=60)
    finally:
        cli.kill()
    assert cli.returncode == 130, stdout + stderr
    log = read_log(tmp_path / "out" / "a.jsonl")
    end = log.records[-1]
    assert isinstance(end, SessionEnd) and end.reason is EndReason.STOPPED and log.ended
    rows = summary(tmp_path / "out" / "summary.csv")
    assert row(rows, "a.mp4")["status"] == "interrupted"
    assert row(rows, "b.mp4")["status"] == "interrupted"
    assert not (tmp_path / "out" / "b.jsonl").exists()
