"""Never a silent wrong result: the bad-media corpus, full disks, kills, hang-ups and bad input,
through the real CLI. Each case ends complete, or with one named line and a non-zero exit.

The logs are read back as plain JSON lines (what a user's pandas sees), not through streamfer.
"""

from __future__ import annotations

import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from badmedia import BASE_FRAMES, fill, make_case, need_ffmpeg, small_disk, vfr_times
from clips import cli_command, cli_env, json_lines, only_log, popen, serve_stream, streamfer

DEADLINE_SECONDS = 90


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failure prints on stderr."""
    text = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(text) == 1, result.stderr
    assert text[0].startswith("streamfer: "), text
    return text[0]


def run(tmp_path: Path, source: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return streamfer(
        "run", "--source", source, "--no-dashboard", "--log-dir", "logs", *extra, cwd=tmp_path
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


# --- honest decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ts", "h264", "mpeg2", "mp4-as-txt"])
def test_other_containers_are_read_whole(tmp_path: Path, corpus: Path, name: str) -> None:
    result = run(tmp_path, str(make_case(name, corpus).path))
    assert result.returncode == 0, result.stderr
    end = json_lines(only_log(tmp_path / "logs"))[-1]
    assert end["type"] == "session_end" and end["reason"] == "end_of_source"
    assert end["frames_read"] == end["frames_processed"] == BASE_FRAMES


def test_a_truncated_file_fails_by_name_and_the_log_says_so(tmp_path: Path, corpus: Path) -> None:
    case = make_case("truncated", corpus)
    result = run(tmp_path, str(case.path))
    assert result.returncode == 3
    line = error_line(result)
    assert f"of the {BASE_FRAMES} frames its container promises" in line and "log:" in line
    end = json_lines(only_log(tmp_path / "logs"))[-1]
    assert end["type"] == "session_end" and end["reason"].startswith("source_incomplete")
    assert end["frames_expected"] == BASE_FRAMES and end["frames_read"] < BASE_FRAMES


@pytest.mark.parametrize("name", ["still", "jpg-as-mp4"])
def test_a_still_image_is_one_frame(tmp_path: Path, corpus: Path, name: str) -> None:
    result = run(tmp_path, str(make_case(name, corpus).path))
    assert result.returncode == 0, result.stderr
    end = json_lines(only_log(tmp_path / "logs"))[-1]
    assert end["frames_processed"] == 1 and end["reason"] == "end_of_source"


@pytest.mark.parametrize(("name", "times"), [("slow", [0.0, 2.0, 4.0, 6.0]), ("vfr", vfr_times())])
def test_frames_carry_the_containers_time_stamps(
    tmp_path: Path, corpus: Path, name: str, times: list[float]
) -> None:
    result = run(tmp_path, str(make_case(name, corpus).path), "--log-frames")
    assert result.returncode == 0, result.stderr
    slow_warning = "warning: at 0.5 fps a 3 s window holds at most 2 frames"
    assert (slow_warning in result.stderr) == (name == "slow")  # the rule, stated
    records = json_lines(only_log(tmp_path / "logs"))
    assert records[0]["source_fps"] == (0.5 if name == "slow" else pytest.approx(11.739, 0.01))
    frames = {r["frame"]: r["t"] for r in records if r["type"] == "frame"}
    assert frames, "no faces found"
    for index, t in frames.items():
        assert t == pytest.approx(times[index], abs=0.002)


@pytest.mark.parametrize(("name", "message"), [("empty", "is empty"), ("random", "not a video")])
def test_unreadable_files_fail_by_name(
    tmp_path: Path, corpus: Path, name: str, message: str
) -> None:
    case = make_case(name, corpus)
    result = run(tmp_path, str(case.path))
    assert result.returncode == 3
    assert message in error_line(result) and str(case.path) in error_line(result)
    assert not (tmp_path / "logs").exists()


# --- bad input at the boundary -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "--source is empty"),
        ("99999999999999999999", "camera index 99999999999999999999 is out of range"),
        ("foo://bar", "unknown URL scheme 'foo'"),
    ],
)
def test_bad_sources_are_named(tmp_path: Path, source: str, message: str) -> None:
    result = run(tmp_path, source)
    assert result.returncode == 3
    assert message in error_line(result)


@pytest.mark.parametrize(
    ("config", "flags", "message"),
    [
        (b"[aggregator]\nthreshold = 0.2 # caf\xe9\n", [], "is not UTF-8"),
        (b"[aggregator]\nwindow_seconds = inf\n", [], "aggregator.window_seconds = inf"),
        (b"[aggregator]\nthreshold = nan\n", [], "aggregator.threshold = nan"),
        (b"", ["--window", "inf"], "--window: aggregator.window_seconds = inf"),
    ],
)
def test_bad_settings_are_named(
    tmp_path: Path, config: bytes, flags: list[str], message: str
) -> None:
    (tmp_path / "config.toml").write_bytes(config)
    result = run(tmp_path, "demo", *flags)
    assert result.returncode == 2
    assert message in error_line(result)
    assert not (tmp_path / "logs").exists()


# --- privacy ---------------------------------------------------------------------------------------


def test_logs_are_private_whatever_the_umask(tmp_path: Path, corpus: Path) -> None:
    clip = make_case("mp4", corpus).path
    result = subprocess.run(
        [
            "sh",
            "-c",
            'umask 000 && exec "$@"',
            "sh",
            *cli_command("run", "--source", str(clip), "--no-dashboard", "--log-dir", "new/logs"),
        ],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    log = only_log(tmp_path / "new" / "logs")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new" / "logs").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


# --- full disks ------------------------------------------------------------------------------------


def test_a_disk_full_from_the_start_is_one_line_and_no_log(tmp_path: Path, corpus: Path) -> None:
    clip = make_case("mp4", corpus).path
    with small_disk(tmp_path / "disk", "256k") as disk:
        fill(disk)
        result = run(tmp_path, str(clip), "--log-dir", str(disk / "logs"))
        assert result.returncode == 5
        assert "full" in error_line(result)
        assert not (disk / "logs").exists() or not any((disk / "logs").iterdir())


def test_a_disk_that_fills_up_ends_the_log_with_a_whole_session_end(
    tmp_path: Path, corpus: Path
) -> None:
    clip = make_case("mp4", corpus).path
    with small_disk(tmp_path / "disk", "256k") as disk:
        fill(disk, leave_bytes=28 * 1024)  # the reserve, session_start and a few frames
        result = run(tmp_path, str(clip), "--log-frames", "--log-dir", str(disk / "logs"))
        assert result.returncode == 5
        line = error_line(result)
        log = only_log(disk / "logs")
        assert str(log) in line and "ended early" in line
        records = json_lines(log)  # every line whole
        assert records[0]["type"] == "session_start" and records[-1]["type"] == "session_end"
        assert records[-1]["reason"].startswith("disk_full")
        assert len(pd.read_json(log, lines=True)) == len(records)
        assert not list(disk.glob("logs/.*"))  # the reserve is gone


# --- signals ---------------------------------------------------------------------------------------


def importing_numpy(pid: int) -> bool:
    """Whether the process has loaded numpy's core: streamfer's own imports are under way."""
    try:
        return "_multiarray_umath" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def start_run(tmp_path: Path, sigint_ignored: bool = False) -> subprocess.Popen[str]:
    """``run`` on the demo; ``sigint_ignored``: as a script's ``&`` starts it (SIGINT ignored)."""
    command = cli_command("run", "--source", "demo", "--no-dashboard", "--log-dir", "logs")
    if sigint_ignored:
        command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    return popen(command, tmp_path)


def wait_for_verdicts(log_dir: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        logs = list(log_dir.glob("*.jsonl"))
        if logs and logs[0].read_text().count('"type":"emotion"') >= 1:
            return
        time.sleep(0.1)
    raise AssertionError("no verdict logged in time")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
@pytest.mark.parametrize("sigint_ignored", [False, True])
def test_ctrl_c_during_start_up_is_one_line_and_130(tmp_path: Path, sigint_ignored: bool) -> None:
    """Whether the parent left SIGINT at its default or ignored it (issue #20): numpy loads
    inside ``main``, which takes the signal first thing, so the moment is always start-up."""
    process = start_run(tmp_path, sigint_ignored)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not importing_numpy(process.pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGINT)  # while it imports its libraries
        _, err = process.communicate(timeout=DEADLINE_SECONDS)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert [line for line in err.splitlines() if line.strip()] == ["streamfer: interrupted"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_a_signal_mid_session_ends_the_log_and_exits_128_plus_n(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    process = start_run(tmp_path)
    try:
        wait_for_verdicts(tmp_path / "logs", process)
        process.send_signal(sig)
        _, err = process.communicate(timeout=DEADLINE_SECONDS)
    finally:
        process.kill()
    assert process.returncode == code, err
    assert f"ended by {sig.name}" in err
    end = json_lines(only_log(tmp_path / "logs"))[-1]
    assert end["type"] == "session_end" and end["reason"] == sig.name


# --- live streams come back ----------------------------------------------------------------------


def wait_until_listening(port: int) -> None:
    """Poll the kernel's socket table (connecting would use up ffmpeg's one client)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if int(local.split(":")[1], 16) == port and state == "0A":  # LISTEN
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc/net/tcp (Linux)")
def test_a_stream_that_drops_and_comes_back_is_followed_in_the_same_log(
    tmp_path: Path, corpus: Path
) -> None:
    need_ffmpeg()  # the stream is served by ffmpeg
    clip = make_case("mp4", corpus).path
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    servers = [serve_stream(clip, url)]
    wait_until_listening(port)
    run = popen(
        [
            *cli_command("run", "--source", url, "--no-dashboard", "--log-dir", "logs"),
            "--stream-timeout",
            "2",
            "--reconnect",
            "6",
        ],
        tmp_path,
    )
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and run.poll() is None:
            logs = list((tmp_path / "logs").glob("*.jsonl"))
            if logs and '"type":"source_lost"' in logs[0].read_text():
                break
            time.sleep(0.1)
        servers.append(serve_stream(clip, url))  # the camera is back
        _, err = run.communicate(timeout=DEADLINE_SECONDS)
    finally:
        run.kill()
        for server in servers:
            server.kill()
            server.wait()
    assert run.returncode == 3, err
    assert "did not come back within 6 s" in err
    records = json_lines(only_log(tmp_path / "logs"))
    kinds = [r["type"] for r in records if r["type"] in ("source_lost", "source_back")]
    assert kinds == ["source_lost", "source_back", "source_lost"]
    _, back, lost_again = (r for r in records if r["type"] in ("source_lost", "source_back"))
    assert back["attempts"] >= 1 and back["seconds"] > 0
    assert lost_again["t"] > back["t"], "frames were processed after the source came back"
    end = records[-1]
    assert end["type"] == "session_end" and "did not come back" in end["reason"]
