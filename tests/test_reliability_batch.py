"""``analyze`` and ``report`` never say "ok" for what they did not do: partial reads, skipped
files, a kill -9 mid-run, more workers than asked for, records of the wrong type."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from badmedia import BASE_FRAMES, make_case
from clips import (
    TWO_FACES,
    children_of,
    cli_command,
    popen,
    row,
    streamfer,
    summary,
    wait_for,
    write_clip,
)

DEADLINE_SECONDS = 120


@pytest.fixture(scope="module")
def corpus_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One analyze run over the corpus: good files in other containers, a truncated file,
    an empty and a random one, an mp4 named .txt (in a searched folder), a still image."""
    base = tmp_path_factory.mktemp("batch")
    made = base / "made"
    media = base / "media"
    media.mkdir()
    for name in ("mp4", "ts", "h264", "mpeg2", "truncated", "empty", "random", "mp4-as-txt"):
        case = make_case(name, made)
        shutil.copyfile(case.path, media / case.path.name)
    still = make_case("still", made).path
    result = streamfer("analyze", "media", str(still), "--out", "out", "--workers", "64", cwd=base)
    return base, result


def test_every_input_is_in_the_summary_with_what_happened(corpus_run) -> None:  # type: ignore[no-untyped-def]
    base, result = corpus_run
    assert result.returncode == 1, result.stdout + result.stderr  # two failed
    rows = summary(base / "out" / "summary.csv")
    for name in ("base.mp4", "clip.ts", "clip.h264", "clip.mpg"):
        assert row(rows, name)["status"] == "ok", row(rows, name)
        assert int(row(rows, name)["frames"]) == BASE_FRAMES
    assert row(rows, "still.jpg")["status"] == "ok" and row(rows, "still.jpg")["frames"] == "1"
    partial = row(rows, "truncated.mp4")
    assert partial["status"] == "partial"
    assert f"of the {BASE_FRAMES} frames its container promises" in partial["note"]
    assert row(rows, "empty.mp4")["status"] == "failed"
    assert row(rows, "random.mp4")["status"] == "failed"
    skipped = row(rows, "clip.txt")
    assert skipped["status"] == "skipped" and ".txt" in skipped["note"]
    assert "partial truncated" in result.stdout


def test_a_capped_worker_count_says_so(corpus_run) -> None:  # type: ignore[no-untyped-def]
    _, result = corpus_run
    assert "--workers 64" in result.stdout + result.stderr
    assert "using" in result.stdout + result.stderr


def test_partial_reads_alone_give_exit_3(tmp_path: Path) -> None:
    case = make_case("truncated", tmp_path / "made")
    result = streamfer("analyze", str(case.path), "--out", "out", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert row(summary(tmp_path / "out" / "summary.csv"), "truncated.mp4")["status"] == "partial"
    again = streamfer("analyze", str(case.path), "--out", "out", cwd=tmp_path)
    assert again.returncode == 3 and "skipped truncated" not in again.stdout  # not reused


def complete_logs(out: Path) -> set[str]:
    done = set()
    for log in out.glob("*.jsonl"):
        text = log.read_text(encoding="utf-8")
        if text.endswith("\n") and '"reason":"end_of_source"' in text.rsplit("\n", 2)[-2]:
            done.add(log.stem)
    return done


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the workers through /proc (Linux)")
def test_kill_9_loses_nothing_finished_and_leaves_no_worker(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(6):
        write_clip(clips / f"c{i}.mp4", [(0.0, 45)])
    cli = popen(
        cli_command("analyze", "clips", "--out", "out", "--workers", "1"),
        tmp_path,
        new_session=True,
        quiet=True,
    )
    try:
        wait_for(
            lambda: len(recorded(tmp_path / "out")) >= 2, DEADLINE_SECONDS
        )  # two files done, per the parent
        workers = children_of(cli.pid)
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait(timeout=DEADLINE_SECONDS)
    finally:
        cli.kill()
    wait_for(lambda: not any(Path(f"/proc/{w}").exists() for w in workers), 30)
    done = recorded(tmp_path / "out")
    assert done <= complete_logs(tmp_path / "out")  # what the manifest holds is whole
    rerun = streamfer("analyze", "clips", "--out", "out", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    for name in done:
        assert f"skipped {name}: up to date" in rerun.stdout
    assert len(summary_rows(tmp_path / "out")) == 6


def recorded(out: Path) -> set[str]:
    """The inputs the manifest holds as analysed (it is replaced whole, never half-written)."""
    try:
        entries = json.loads((out / "manifest.json").read_text())["entries"]
    except FileNotFoundError:
        return set()
    return {name for name, entry in entries.items() if entry["status"] == "ok"}


def summary_rows(out: Path) -> list[dict[str, str]]:
    return [r for r in summary(out / "summary.csv") if r["track"] == "all"]


# --- report ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-face clip analysed (group records), its log and summary in ``out``."""
    base = tmp_path_factory.mktemp("two")
    write_clip(base / "two.mp4", [(TWO_FACES, 120)])
    result = streamfer("analyze", "two.mp4", "--out", "out", cwd=base)
    assert result.returncode == 0, result.stdout + result.stderr
    return base


def test_track_seconds_never_exceed_the_clip(two_faces: Path) -> None:
    rows = summary(two_faces / "out" / "summary.csv")
    whole = row(rows, "two.mp4")
    assert int(whole["faces_seen"]) >= 2
    for r in rows:
        assert float(r["track_seconds"]) <= float(r["duration_s"]) + 1e-9, r


def test_the_html_report_shows_the_group_consensus(two_faces: Path) -> None:
    result = streamfer("report", "out/two.jsonl", "--out", "rep", cwd=two_faces)
    assert result.returncode == 0, result.stderr
    page = (two_faces / "rep" / "report.html").read_text(encoding="utf-8")
    assert "group consensus" in page.lower()


def test_report_skips_wrong_typed_records_and_counts_them(two_faces: Path) -> None:
    log = two_faces / "bad.jsonl"
    good = (two_faces / "out" / "two.jsonl").read_text(encoding="utf-8").splitlines()
    wrong = [
        '{"type":"emotion","ts":"x","t":"abc","track":1,"label":"happy"}',
        '{"type":"marker","ts":"x","t":1.0,"note":5}',
    ]
    log.write_text("\n".join([good[0], *wrong, *good[1:]]) + "\n", encoding="utf-8")
    result = streamfer("report", str(log), "--out", "rep2", cwd=two_faces)
    assert result.returncode == 0, result.stderr
    assert "2 " in result.stdout and "skipped" in result.stdout
    assert (two_faces / "rep2" / "report.html").exists()
