"""``streamfer report`` from real logs: one ``analyze`` wrote, one ``run`` wrote with markers
typed on a (pseudo) terminal, one cut off mid-line, one without frame records."""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clips import cli_command, cli_env, json_lines, streamfer

from streamfer.session.events import Emotion, Marker
from streamfer.session.log import read_log
from streamfer.sources.demo import write_demo_clip

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """analyze's output for a two-face clip (with frames) and a one-face clip (without)."""
    base = tmp_path_factory.mktemp("report")
    (base / "clips").mkdir()
    write_demo_clip(str(base / "clips" / "two.mp4"), 8.0)
    result = streamfer("analyze", "clips", "--out", "logs", "--no-geometry", cwd=base)
    assert result.returncode == 0, result.stdout + result.stderr
    write_demo_clip(str(base / "clips" / "plain.mp4"), 3.0)
    result = streamfer(
        "analyze", "clips/plain.mp4", "--out", "logs", "--no-frames", "--no-geometry", cwd=base
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = streamfer("analyze", "clips/plain.mp4", "--out", "geometry", "--geometry", cwd=base)
    assert result.returncode == 0, result.stdout + result.stderr
    return base


def _pngs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.glob("*.png")}


def test_report_of_a_folder_of_analyze_logs(logs: Path) -> None:
    result = streamfer("report", "logs", "--out", "rep", cwd=logs)
    assert result.returncode == 0, result.stderr
    pngs = _pngs(logs / "rep")
    tracks = {
        log.stem: sorted({r.track for r in read_log(log).of_type(Emotion)})
        for log in (logs / "logs").glob("*.jsonl")
    }
    assert len(tracks["two"]) >= 2 and tracks["plain"] == [1]
    html = (logs / "rep" / "report.html").read_text(encoding="utf-8")
    for stem, numbers in tracks.items():
        assert f"{stem}-overview.png" in pngs
        for n in numbers:
            assert pngs[f"{stem}-track{n}.png"].startswith(PNG_MAGIC)
            assert f"track {n}" in html
    assert html.count("data:image/png;base64,") == len(pngs)  # self-contained
    assert "two.jsonl" in html and "plain.jsonl" in html
    assert "two.jsonl" in result.stdout and "group verdicts" in result.stdout


def test_report_draws_blendshapes_and_head_pose_of_a_geometry_log(logs: Path) -> None:
    result = streamfer("report", "geometry", "--out", "geometry-rep", cwd=logs)
    assert result.returncode == 0, result.stderr
    track = (logs / "geometry-rep" / "plain-track1.png").read_bytes()
    plain = (logs / "rep" / "two-track1.png").read_bytes()
    height = int.from_bytes(track[20:24], "big")  # the PNG header's height
    assert height > int.from_bytes(plain[20:24], "big") + 200, "two more panels"
    summary = (logs / "geometry" / "summary.csv").read_text().splitlines()
    header, first = summary[0].split(","), summary[1].split(",")
    yaw = float(first[header.index("mean_abs_yaw")])
    assert 0.0 < yaw < 15.0 and first[header.index("turned_30_share")] == "0.000"
    html = (logs / "geometry-rep" / "report.html").read_text(encoding="utf-8")
    assert "mean |yaw|" in html and "turned > 30°" in html


def test_report_of_a_log_whose_last_line_was_cut(logs: Path, tmp_path: Path) -> None:
    text = (logs / "logs" / "two.jsonl").read_text(encoding="utf-8")
    cut = tmp_path / "crashed.jsonl"
    cut.write_text(text[: len(text) - 60], encoding="utf-8")  # half of session_end is lost
    lines = text.count("\n")
    result = streamfer("report", str(cut), "--out", str(tmp_path / "rep"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"the last line ({lines}) was cut off" in " ".join(result.stdout.split())
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "was cut off" in html and "no session_end record" in html
    assert (tmp_path / "rep" / "crashed-track1.png").read_bytes().startswith(PNG_MAGIC)


def _lines(folder: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in folder.glob("*.jsonl"))


def test_markers_typed_during_run_reach_the_log_and_the_report(tmp_path: Path) -> None:
    write_demo_clip(str(tmp_path / "clip.mp4"), 4.0)
    controller, terminal = pty.openpty()
    run = subprocess.Popen(
        cli_command(
            "run", "--source", "clip.mp4", "--realtime", "--log-dir", "logs", "--no-dashboard"
        ),
        cwd=tmp_path,
        env=cli_env(),
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(terminal)
    try:
        deadline = time.monotonic() + 60
        while _lines(tmp_path / "logs") < 2:  # session_start, then the first verdict (0.17 s)
            assert time.monotonic() < deadline and run.poll() is None, "run did not start"
            time.sleep(0.05)
        os.write(controller, b"m")
        os.write(controller, b"child looks away\r")
        time.sleep(0.5)
        os.write(controller, b"m\r")  # a marker without a note
        _, stderr = run.communicate(timeout=60)
    finally:
        run.kill()
        os.close(controller)
    assert run.returncode == 0, stderr
    (log_path,) = (tmp_path / "logs").glob("*.jsonl")
    markers = read_log(log_path).of_type(Marker)
    assert [m.note for m in markers] == ["child looks away", ""]
    assert 0.0 < markers[0].t <= markers[1].t < 4.0
    result = streamfer("report", str(log_path), "--out", "rep", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "marker at" in result.stdout and "child looks away" in result.stdout
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "child looks away" in html
    assert (tmp_path / "rep" / f"{log_path.stem}-track1.png").is_file()


def test_report_says_what_is_wrong_with_its_arguments(tmp_path: Path) -> None:
    result = streamfer("report", "missing.jsonl", "--out", "rep", cwd=tmp_path)
    assert result.returncode == 3
    assert "missing.jsonl does not exist" in result.stderr


# --- what is not a log, and what a report says about a log (issue #27) ----------------------------


@pytest.mark.parametrize("kind", ["text named .mp4", "video", "other JSON lines", "empty"])
def test_report_refuses_a_file_that_is_not_a_streamfer_log(tmp_path: Path, kind: str) -> None:
    """It used to draw an empty report, exit 0 and call the file a log cut off by a crash."""
    if kind == "text named .mp4":
        path = tmp_path / "notes.mp4"
        path.write_text("notes of the session\nchild calm\n")
    elif kind == "video":
        path = tmp_path / "clip.mp4"
        write_demo_clip(str(path), 1.0)
    elif kind == "other JSON lines":
        path = tmp_path / "other.jsonl"
        path.write_text('{"a": 1}\n')
    else:
        path = tmp_path / "empty.jsonl"
        path.write_bytes(b"")
    result = streamfer("report", str(path), "--out", "rep", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{path.name} is not a streamfer log" in lines[0], result.stderr
    assert "cut off" not in result.stdout + result.stderr
    assert not (tmp_path / "rep" / "report.html").exists()


def _rewritten(source: Path, target: Path, change: Callable[[list[dict[str, Any]]], None]) -> Path:
    records = json_lines(source)
    change(records)
    target.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return target


def test_a_session_ended_with_q_is_said_in_words_not_warned_about(
    logs: Path, tmp_path: Path
) -> None:
    def quit_with_q(records: list[dict[str, Any]]) -> None:
        records[-1]["reason"] = "user_quit"

    log = _rewritten(logs / "logs" / "plain.jsonl", tmp_path / "quit.jsonl", quit_with_q)
    result = streamfer("report", str(log), "--out", "rep", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "the session was ended with the q key" in result.stdout
    assert "warning" not in result.stdout and "user_quit" not in result.stdout
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "ended with the q key" in html and "class='warn'" not in html


def test_a_tie_is_not_read_as_one_emotion_and_both_views_list_shares_alike(
    logs: Path, tmp_path: Path
) -> None:
    """Three verdicts, happy, sad, neutral: a third each. It read "mostly happy", and the
    terminal and the page listed the shares in different orders."""

    def three_way_tie(records: list[dict[str, Any]]) -> None:
        verdicts = [r for r in records if r["type"] == "emotion"]
        records[:] = [r for r in records if r["type"] != "emotion"]
        for t, label in zip((0.5, 1.5, 2.5), ("neutral", "sad", "happy"), strict=True):
            records.insert(-1, {**verdicts[0], "t": t, "label": label})

    log = _rewritten(logs / "logs" / "plain.jsonl", tmp_path / "tie.jsonl", three_way_tie)
    result = streamfer("report", str(log), "--out", "rep", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "happy = sad = neutral" in result.stdout
    assert "happy 33%, sad 33%, neutral 33%" in result.stdout
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "<td>happy = sad = neutral</td>" in html
    assert "happy 33%, sad 33%, neutral 33%" in html


def test_the_page_gives_a_one_person_log_one_row(logs: Path) -> None:
    """A log with one person had an ``all`` row and a ``track 1`` row saying the same."""
    result = streamfer("report", "logs", "--out", "rows", cwd=logs)
    assert result.returncode == 0, result.stderr
    html = (logs / "rows" / "report.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", html)
    assert [track for log, track in rows if log == "plain.jsonl"] == ["track 1"]
    two = [track for log, track in rows if log == "two.jsonl"]
    assert two[0] == "all" and len(two) >= 3  # two people: the file's row, then each


def test_the_note_about_missing_frame_records_names_flags_that_exist() -> None:
    """It named --no-frames for every log; run's flag is --log-frames."""
    from streamfer.cli import build_parser
    from streamfer.reports.figures import NO_FRAME_RECORDS

    named = set(re.findall(r"(\w+) (?:without )?(--[a-z-]+)", NO_FRAME_RECORDS))
    assert {command for command, _ in named} == {"run", "analyze"}
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command, flag in named:
        assert flag in sub.choices[command]._option_string_actions, (command, flag)
