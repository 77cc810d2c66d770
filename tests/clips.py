"""Test helpers: the CLI in a subprocess, its logs read back, clips built from a real face,
and the repository's scripts (``benchmarks/``) loaded as modules.

The frames come from ``streamfer.sources.demo.demo_frame`` (Grace Hopper's public-domain
portrait, shipped in ``streamfer/assets``) at chosen moments of the demo's timeline: 0-5 s one
face, 7-13 s two faces, 16-18 s no face.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np

from streamfer.assets import DEMO_PORTRAIT
from streamfer.sources import demo

ROOT = Path(__file__).resolve().parent.parent
#: ../shared beside the checkout: data sets (``shared_data`` in conftest.py) and models
SHARED = ROOT.parent / "shared"
ONE_FACE = 0.0
TWO_FACES = 8.0
NO_FACE = 16.2


def cli_env() -> dict[str, str]:
    """The environment for a CLI subprocess that runs this checkout's code."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "streamfer", *args]


def streamfer(
    *args: str | Path, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m streamfer ARGS`` to the end and return its output."""
    return subprocess.run(
        cli_command(*map(str, args)),
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def popen(
    command: list[str],
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    new_session: bool = False,
    quiet: bool = False,
) -> subprocess.Popen[str]:
    """``command`` started in ``cwd`` with this checkout's environment (``cli_env``, or
    ``env``), its output piped as text (``quiet``: thrown away); ``new_session``: in a session
    and process group of its own, as a command started from a terminal has."""
    output = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=cli_env() if env is None else env,
        stdout=output,
        stderr=output,
        text=True,
        start_new_session=new_session,
    )


def wait_for(condition: Callable[[], bool], seconds: float = 60.0, what: str = "it") -> None:
    """Poll ``condition`` until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.02)


def children_of(pid: int, cmdline_has: bytes | None = None) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc); with ``cmdline_has``, only those
    whose command line holds it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and (cmdline_has is None or cmdline_has in cmdline):
            found.append(int(entry.name))
    return found


def only_log(folder: Path) -> Path:
    """The one session log in ``folder`` (fails the test if there are none or several)."""
    logs = list(folder.glob("*.jsonl"))
    assert len(logs) == 1, logs
    return logs[0]


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSONL log as parsed JSON (a cut or garbled line fails the test)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def load_benchmark(name: str) -> ModuleType:
    """``benchmarks/NAME.py`` loaded as the module ``NAME`` (registered in ``sys.modules``,
    where dataclasses look their module up; ``benchmarks/`` on the path, as when it is run,
    for the scripts that import each other)."""
    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def catches(pid: int, sig: signal.Signals) -> bool:
    """Whether the process has a handler for ``sig`` (SigCgt in /proc/PID/status, Linux)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(mask, 16) >> (int(sig) - 1) & 1)


def wait_until_main_runs(process: subprocess.Popen[str], seconds: float = 60) -> None:
    """Wait until the CLI's ``main`` has taken the stop signals (its process catches SIGTERM,
    which nothing before ``main`` does), or the process has ended: from then on a signal's
    outcome is promised whatever the moment (docs/reliability.md); before it, the
    interpreter is still starting, for longer the busier the machine."""
    deadline = time.monotonic() + seconds
    while not catches(process.pid, signal.SIGTERM) and process.poll() is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"main did not start within {seconds:g} s")
        time.sleep(0.002)


def write_frame_folder(folder: Path, frames: int) -> None:
    """JPEG frames of the demo clip (Grace Hopper's portrait, moving) as a frame sequence."""
    folder.mkdir(parents=True)
    for i in range(frames):
        cv2.imwrite(str(folder / f"frame{i:04d}.jpg"), demo.demo_frame(i / demo.FPS))


def summary(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def row(rows: list[dict[str, str]], input_name: str, track: str = "all") -> dict[str, str]:
    """The summary row of the input whose path ends with ``input_name``, for ``track``."""
    found = [r for r in rows if Path(r["input"]).name == input_name and r["track"] == track]
    assert len(found) == 1, f"{input_name} track {track}: {found}"
    return found[0]


def write_clip(
    path: Path,
    segments: Sequence[tuple[float, int]],
    fps: float = 30.0,
    size: tuple[int, int] = (320, 240),
) -> int:
    """Write an mp4v clip of ``segments``: (demo time to start from, number of frames)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), f"cannot write {path}"
    count = 0
    for start, frames in segments:
        for i in range(frames):
            writer.write(demo.demo_frame(start + i / fps, width=size[0], height=size[1]))
            count += 1
    writer.release()
    return count


def serve_stream(clip: Path, url: str) -> subprocess.Popen[bytes]:
    """ffmpeg sending ``clip`` once, at its own pace, as H.264 in MPEG-TS to one client."""
    return subprocess.Popen(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-re",
            "-i",
            str(clip),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-f",
            "mpegts",
            f"{url}?listen=1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def portrait_canvas(width: int, height: int, face_height: int, cx: int, cy: int) -> np.ndarray:
    """Grace Hopper's portrait scaled to ``face_height`` pixels, centred at (cx, cy) on a grey
    ``width`` x ``height`` frame."""
    portrait = demo.grace_hopper()
    scale = face_height / portrait.shape[0]
    still = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 90, np.uint8)
    h, w = still.shape[:2]
    canvas[cy - h // 2 : cy - h // 2 + h, cx - w // 2 : cx - w // 2 + w] = still
    return canvas


def portrait_frames() -> tuple[np.ndarray, np.ndarray]:
    """The demo portrait at two places of a 640x480 frame."""
    face = cv2.imread(str(DEMO_PORTRAIT))
    face = cv2.resize(face, (200, 250))
    frames = []
    for x in (40, 400):
        frame = np.full((480, 640, 3), 128, np.uint8)
        frame[100:350, x : x + 200] = face
        frames.append(frame)
    return frames[0], frames[1]
