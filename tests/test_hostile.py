"""Hostile input through the real CLI: a bad file never costs the batch, the machine or the
terminal (issue 28; docs/reliability.md, "Hostile input").

Every hostile file is made here, at test time. Peak memory is the child's own maximum
resident set size as ``wait4`` reports it (workers included, once waited for), never a time.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from clips import cli_command, cli_env, popen, row, streamfer, summary, wait_for, write_clip
from hostile import BAD_BYTES, jpeg_with_size, png_bomb

MIB = 1024 * 1024
DEADLINE_SECONDS = 120.0


def bad_name(folder: Path, suffix: str = ".mp4") -> Path:
    """``folder/bad\\xff\\xfe<suffix>``: a name that is not UTF-8."""
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + BAD_BYTES + suffix.encode()))


def run_measured(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, int]:
    """Run the CLI; its exit code, stderr and peak resident memory in bytes (wait4)."""
    process = subprocess.Popen(
        cli_command(*args),
        cwd=cwd,
        env=env or cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    timer = threading.Timer(DEADLINE_SECONDS, process.kill)  # a hang fails, never blocks
    timer.start()
    try:
        err = process.stderr.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, err, usage.ru_maxrss * 1024  # Linux: kilobytes


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("streamfer: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    write_clip(path, [(0.0, 12)])
    return path


# --- 1. names that are not UTF-8 ----------------------------------------------------------


def test_a_name_that_is_not_utf8_is_analysed_with_the_good_files(
    clip: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(clip, folder / "good.mp4")
    shutil.copy(clip, bad_name(folder))
    frames = Path(os.fsdecode(os.fsencode(folder) + b"/frames\xff"))
    frames.mkdir()
    shutil.copy(clip, folder / "other.mp4")
    import cv2

    from streamfer.sources import demo

    for i in range(3):
        name = os.fsdecode(os.fsencode(frames) + b"/f%d\xfe.jpg" % i)
        ok, data = cv2.imencode(".jpg", demo.demo_frame(i / 30))
        assert ok
        Path(name).write_bytes(data.tobytes())
    result = streamfer("analyze", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = summary(tmp_path / "out" / "summary.csv")  # UTF-8: the bad bytes as \xff escapes
    assert row(rows, "good.mp4")["status"] == "ok"
    assert row(rows, "other.mp4")["status"] == "ok"
    assert row(rows, "bad\\xff\\xfe.mp4")["status"] == "ok"
    assert row(rows, "frames\\xff")["frames"] == "3"


def test_run_reads_a_file_and_a_frame_folder_whose_names_are_not_utf8(
    clip: Path, tmp_path: Path
) -> None:
    shutil.copy(clip, bad_name(tmp_path))
    result = streamfer(
        "run", "--source", str(bad_name(tmp_path)), "--no-dashboard", "--log-dir", "logs",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "12 frames processed" in result.stderr


API_SCRIPT = """
import os, sys
import streamfer
from streamfer.core.errors import SourceError
folder = os.fsencode(sys.argv[1])
def attempt(name):
    try:
        faces = streamfer.classify_image(os.fsdecode(folder + name))
        print(name, "faces", len(faces))
    except SourceError as exc:
        print(name, "SourceError", exc.message.encode("ascii", "backslashreplace").decode())
for name in sys.argv[2:]:
    attempt(os.fsencode(name) if not name.startswith("b:") else eval(name[2:]))
"""


def test_classify_image_reads_any_name_and_refuses_bombs_and_animations(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from streamfer.sources import demo

    ok, data = cv2.imencode(".jpg", demo.demo_frame(0.0))
    assert ok
    (tmp_path / Path(os.fsdecode(b"img\xff.jpg"))).write_bytes(data.tobytes())
    png_bomb(tmp_path / "bomb.png", 20000, 15000)
    jpeg_with_size(tmp_path / "bomb.jpg", 30000, 30000)
    animation = cv2.Animation()
    animation.frames = [np.full((64, 64, 3), 40 * i, np.uint8) for i in range(4)]
    animation.durations = [100] * 4
    assert cv2.imwriteanimation(str(tmp_path / "anim.gif"), animation)
    process = subprocess.Popen(
        [sys.executable, "-c", API_SCRIPT, str(tmp_path), "b:b'/img\\xff.jpg'",
         "/bomb.png", "/bomb.jpg", "/anim.gif"],
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    out, err = process.communicate(timeout=DEADLINE_SECONDS)
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("faces 1"), out
    assert "SourceError" in lines[1] and "20000 x 15000 pixels" in lines[1], out
    assert "SourceError" in lines[2] and "30000 x 30000 pixels" in lines[2], out
    assert "SourceError" in lines[3] and "holds 4 frames" in lines[3], out


# --- 2. decompression bombs -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_a_bomb_is_refused_before_decoding(kind: str, tmp_path: Path) -> None:
    bomb = tmp_path / f"bomb.{'png' if kind == 'png' else 'jpg'}"
    if kind == "png":
        assert png_bomb(bomb, 30000, 30000) < MIB  # 900 megapixels in under a megabyte
    else:
        jpeg_with_size(bomb, 30000, 30000)
    code, err, peak = run_measured(
        "run", "--source", str(bomb), "--no-dashboard", "--log-dir", "logs", cwd=tmp_path
    )
    line = one_error_line(err)
    assert code == 3
    assert "30000 x 30000 pixels" in line and "max_pixels" in line
    assert peak < 600 * MIB, f"peak {peak / MIB:.0f} MiB"
    assert not (tmp_path / "logs").exists()


def test_a_bomb_in_a_folder_is_one_failed_row_and_stays_small(clip: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(clip, folder / "good.mp4")
    frames = folder / "frames"
    frames.mkdir()
    png_bomb(frames / "f0.png", 20000, 20000)
    png_bomb(folder / "still.png", 20000, 20000)
    code, err, peak = run_measured(
        "analyze", str(folder), str(folder / "still.png"), "--out", str(tmp_path / "out"),
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 1, err  # a file failed
    rows = summary(tmp_path / "out" / "summary.csv")
    assert row(rows, "good.mp4")["status"] == "ok"
    for name in ("frames", "still.png"):
        failed = row(rows, name)
        assert failed["status"] == "failed" and "20000 x 20000 pixels" in failed["note"], failed
    assert peak < 600 * MIB, f"peak {peak / MIB:.0f} MiB"


def test_a_video_larger_than_max_pixels_is_refused_before_its_first_frame(
    clip: Path, tmp_path: Path
) -> None:
    (tmp_path / "small.toml").write_text("[source]\nmax_pixels = 10000\n")
    result = streamfer(
        "run", "--config", "small.toml", "--source", str(clip), "--no-dashboard",
        "--log-dir", "logs", cwd=tmp_path,
    )  # fmt: skip
    line = one_error_line(result.stderr)
    assert result.returncode == 3
    assert "video's frame is 320 x 240 pixels" in line


def test_the_default_limit_is_the_config_default() -> None:
    from streamfer.config.settings import SourceSettings
    from streamfer.sources.media import DEFAULT_MAX_PIXELS

    assert SourceSettings().max_pixels == DEFAULT_MAX_PIXELS


# --- 3. one analyze per --out ---------------------------------------------------------------


def lock_holder(out: Path) -> str:
    try:
        return (out / ".streamfer-analyze.lock").read_text()
    except OSError:
        return ""


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    write_clip(folder / "a.mp4", [(0.0, 90)])
    write_clip(folder / "b.mp4", [(8.0, 90)])
    return folder


def start_analyze(folder: Path, out: Path, *more: str) -> subprocess.Popen[str]:
    """``analyze`` on one worker, returned once it holds ``out``."""
    process = popen(
        cli_command("analyze", str(folder), "--out", str(out), "--workers", "1", *more), out.parent
    )
    wait_for(
        lambda: lock_holder(out).startswith("pid "), DEADLINE_SECONDS, "the first run to hold it"
    )
    return process


def test_a_second_analyze_on_the_same_out_says_who_holds_it(
    long_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = start_analyze(long_clip, out)
    second = streamfer("analyze", str(long_clip), "--out", str(out), cwd=tmp_path)
    line = one_error_line(second.stderr)
    assert second.returncode == 5
    assert f"in use by another streamfer analyze (pid {first.pid} on " in line
    _, err = first.communicate(timeout=DEADLINE_SECONDS)
    assert first.returncode == 0, err
    rows = summary(out / "summary.csv")
    assert row(rows, "a.mp4")["status"] == row(rows, "b.mp4")["status"] == "ok"
    assert len({r["input"] for r in rows}) == 2
    # --wait: the second starts when the first ends, and finds both done
    first = start_analyze(long_clip, out, "--force")
    waited = streamfer("analyze", str(long_clip), "--out", str(out), "--wait", cwd=tmp_path)
    first.communicate(timeout=DEADLINE_SECONDS)
    assert first.returncode == 0
    assert waited.returncode == 0, waited.stderr
    assert "waiting for the analyze holding" in waited.stderr
    assert waited.stdout.count("up to date") == 2, waited.stdout


def test_a_killed_analyze_leaves_no_stale_lock(long_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = start_analyze(long_clip, out)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=DEADLINE_SECONDS)
    again = streamfer("analyze", str(long_clip), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    rows = summary(out / "summary.csv")
    assert row(rows, "a.mp4")["status"] == row(rows, "b.mp4")["status"] == "ok"


# --- 4. no control character reaches the terminal -------------------------------------------

ESCAPES = "\x1b]2;PWNED\x07\x1b[2J\x1b[41mRED"


def no_raw_escape(text: str) -> None:
    assert "\x1b]2;" not in text and "PWNED\x07" not in text and "\x1b[2J" not in text, text
    assert "\x1b[41mRED" not in text, text


def test_file_names_and_notes_never_reach_the_terminal_raw(clip: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    hostile = folder / f"x{ESCAPES}.mp4"
    shutil.copy(clip, hostile)
    (folder / f"notes{ESCAPES}.txt").write_text("a note")
    analysed = streamfer("analyze", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert analysed.returncode == 0, analysed.stderr
    no_raw_escape(analysed.stdout + analysed.stderr)
    assert "\\x1b]2;PWNED\\x07" in analysed.stdout  # shown, as escapes
    missing = streamfer("run", "--source", str(folder / f"gone{ESCAPES}.mp4"), cwd=tmp_path)
    assert missing.returncode == 3
    no_raw_escape(one_error_line(missing.stderr))
    ran = streamfer(
        "run", "--source", str(hostile), "--no-dashboard", "--log-dir", f"logs{ESCAPES}",
        cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    no_raw_escape(ran.stdout + ran.stderr)


def test_the_dashboard_shows_a_hostile_source_and_note_escaped() -> None:
    import io

    from rich.console import Console

    from streamfer.ui.dashboard import Snapshot, render

    snapshot = Snapshot(
        source=f"clip{ESCAPES}[b red]markup[/].mp4", method="threshold 0.20",
        input_fps=30, processed_fps=30, latency_p50_ms=5, latency_p95_ms=9, dropped=0,
        uptime_seconds=3, log_path=f"/logs/session{ESCAPES}.jsonl", records=2,
        message=f"marker added at 1.0 s: {ESCAPES}",
    )  # fmt: skip
    # the technical view shows the source, the log and the message; the plain view the
    # source and the message
    for view, count in (("details", 3), ("plain", 2)):
        buffer = io.StringIO()
        Console(file=buffer, force_terminal=True, width=200, color_system="standard").print(
            render(dataclasses.replace(snapshot, view=view))
        )
        shown = buffer.getvalue()
        no_raw_escape(shown)
        assert "[b red]markup[/]" in shown  # a name's brackets are text, not Rich markup
        assert shown.count("\\x1b]2;PWNED\\x07") == count, view


# --- 5. log names claimed atomically --------------------------------------------------------


def test_sessions_started_at_once_each_get_their_own_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime

    from streamfer.session import log as log_module

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Frozen:  # type: ignore[override]
            return cls(2026, 12, 6, 7, 0, 0)

    monkeypatch.setattr(log_module, "datetime", Frozen)
    barrier = threading.Barrier(8)
    logs: list[log_module.SessionLog] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            logs.append(log_module.dated_log(tmp_path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    names = sorted(log.path.name for log in logs)
    assert "session-20261206-070000.jsonl" in names and len(set(names)) == 8
    reserves = sorted(p.name for p in tmp_path.glob(".*.reserve"))
    assert reserves == sorted(f".{name}.reserve" for name in names)  # each kept its own
    for log in logs:
        log.close()
    assert not list(tmp_path.glob(".*.reserve"))


# --- 6. one line instead of a traceback -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = " + "[" * 100_000 + "]" * 100_000, "nested more than 32 deep"),
        ("[source]\nx = " + "{a = " * 50_000 + "1" + "}" * 50_000, "more than the 256 KiB"),
        ("a" + ".a" * 20_000 + " = 1", "a dotted key of more than 32 parts"),
        ('[lsl]\nname = "a\\u0000b"', "without control characters"),
    ],
    ids=["nested", "large", "dotted", "nul"],
)
def test_hostile_configs_are_one_line(text: str, expected: str, tmp_path: Path) -> None:
    from streamfer.config.load import load
    from streamfer.core.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text(text)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ConfigError, match=expected):
        load(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB


def test_a_config_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    from streamfer.config.load import load

    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[source]\ndefault = 'demo'\n")
    assert load(path).source.default == "demo"


def test_a_deep_config_through_the_cli_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000)
    result = streamfer("run", "--config", "deep.toml", "--source", "demo", cwd=tmp_path)
    one_error_line(result.stderr)
    assert result.returncode == 2


@pytest.mark.parametrize("home", ["missing", "read-only"])
def test_write_config_without_a_writable_home_is_one_line(home: str, tmp_path: Path) -> None:
    if os.geteuid() == 0 and home == "read-only":
        pytest.skip("root writes into a read-only folder")
    env = cli_env()
    folder = tmp_path / "home"
    if home == "read-only":
        folder.mkdir(mode=0o500)
    else:
        (tmp_path / "file").write_text("not a folder")
        folder = tmp_path / "file" / "home"  # cannot be created, even by root
    env["HOME"] = str(folder)
    env.pop("XDG_CONFIG_HOME", None)
    result = subprocess.run(
        cli_command("calibrate", str(tmp_path), "--write-config"),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=DEADLINE_SECONDS,
    )  # fmt: skip
    line = one_error_line(result.stderr)
    assert result.returncode == 5
    assert "--write-config: cannot make your config file" in line


def test_too_few_open_files_is_one_line(clip: Path, tmp_path: Path) -> None:
    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (20, 20))

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(clip, folder / name)
    result = subprocess.run(
        cli_command("analyze", str(folder), "--out", str(tmp_path / "out")),
        cwd=tmp_path, env=cli_env(), capture_output=True, text=True, preexec_fn=few_files,
        timeout=DEADLINE_SECONDS,
    )  # fmt: skip
    line = one_error_line(result.stderr)
    assert result.returncode == 8
    assert "too many open files (this process may open 20)" in line


def test_out_of_memory_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from streamfer import cli
    from streamfer.commands import report

    def exhausted(*_args: object) -> int:
        raise MemoryError

    monkeypatch.setattr(report, "handle", exhausted)
    assert cli.main(["report", "x.jsonl", "--out", "unused"]) == 8
    err = capsys.readouterr().err
    assert err.startswith("streamfer: error: out of memory") and err.count("\n") == 1


# --- 7. report on hostile logs --------------------------------------------------------------


def test_report_on_a_hostile_log_writes_everything_and_prints_little(
    clip: Path, tmp_path: Path
) -> None:
    import json

    ran = streamfer(
        "run", "--source", str(clip), "--no-dashboard", "--log-dir", "logs", cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr
    log = next((tmp_path / "logs").glob("*.jsonl"))
    lines = log.read_text().splitlines()
    start = json.loads(lines[0])
    start["source"] = f"src\udcff{ESCAPES}$x^2$"
    markers = [
        {"type": "marker", "ts": start["ts"], "t": 0.1, "note": f"lone \udcff {ESCAPES} $a_b$"},
        {"type": "marker", "ts": start["ts"], "t": 0.2, "note": "x" * 1_000_000},
    ]
    records = [json.dumps(start), *lines[1:-1], *map(json.dumps, markers), lines[-1]]
    log.write_text("\n".join(records) + "\n")
    code, err, peak = run_measured("report", str(log), "--out", "rep", cwd=tmp_path)
    assert code == 0, err
    shown = subprocess.run(
        cli_command("report", str(log), "--out", "rep"),
        cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=DEADLINE_SECONDS,
    )  # fmt: skip
    no_raw_escape(shown.stdout + shown.stderr)
    assert "lone \\xff \\x1b]2;PWNED" in shown.stdout
    assert len(shown.stdout) < 10_000, len(shown.stdout)
    page = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "src\\xff" in page and len(page) < 2 * MIB
    assert len(list((tmp_path / "rep").glob("*.png"))) >= 2
    assert peak < 500 * MIB, f"peak {peak / MIB:.0f} MiB"


# --- 8. smaller cases -----------------------------------------------------------------------


def test_every_entry_of_a_folder_is_in_the_summary_and_names_are_stable(
    clip: Path, tmp_path: Path
) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    shutil.copy(clip, folder / "a b.mp4")
    first = streamfer("analyze", str(folder), "--out", str(out), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    report = streamfer("report", str(out), "--out", str(folder / "rep"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    shutil.copy(clip, folder / "a_b.mp4")
    (folder / "dangling.mp4").symlink_to("nowhere.mp4")
    shutil.copy(clip, folder / ".hidden.mp4")
    again = streamfer("analyze", str(folder), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "skipped a_b: up to date" in again.stdout  # "a b" kept its name
    rows = summary(out / "summary.csv")
    assert row(rows, "a b.mp4")["log"] == "a_b.jsonl"
    assert row(rows, "a_b.mp4")["log"].startswith("a_b-")
    assert "does not exist (nowhere.mp4)" in row(rows, "dangling.mp4")["note"]
    assert "hidden file" in row(rows, ".hidden.mp4")["note"]
    assert "streamfer output folder" in row(rows, "rep")["note"]
    logs = {p.name for p in out.glob("*.jsonl")}
    assert logs == {"a_b.jsonl", row(rows, "a_b.mp4")["log"]}  # no stale log counted twice


def test_a_device_is_refused_at_once(tmp_path: Path) -> None:
    ran = streamfer("run", "--source", "/dev/zero", "--no-dashboard", cwd=tmp_path)
    assert ran.returncode == 3
    assert "/dev/zero is a device" in one_error_line(ran.stderr)
    analysed = streamfer("analyze", "/dev/zero", "--out", "out", cwd=tmp_path, timeout=60)
    assert analysed.returncode == 1
    assert "/dev/zero is a device" in row(summary(tmp_path / "out" / "summary.csv"), "zero")["note"]


def test_a_dead_worker_says_what_to_try() -> None:
    from types import SimpleNamespace

    from streamfer.batch.workers import _death

    def death(code: int) -> str:
        return _death(SimpleNamespace(exitcode=code, pid=42))  # type: ignore[arg-type]

    assert "out-of-memory killer" in death(-signal.SIGKILL)
    assert "crash in native code" in death(-signal.SIGSEGV)
    assert "streamfer run --source FILE" in death(255)
