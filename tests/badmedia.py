"""A corpus of awkward and broken media, made at test time with OpenCV and ffmpeg.

Every case starts from the same short clip of real faces (``streamfer.demo``'s Grace Hopper
portrait, moving), so a case that decodes at all gives faces and verdicts. The cases are what
users hand to ``run`` and ``analyze`` in practice: containers and codecs other than mp4
(MPEG-TS, raw H.264, MPEG-2), files cut short by a crash or a full card, empty and random
files, a still image, a wrong file ending, a clip at 0.5 fps and a variable-frame-rate clip
such as phones record.

Each case is a ``Case``: the file, and what its container promises (frames, duration), so a
test can compare what was read with what should have been. ``make_case(name, folder)`` builds
one case; cases that need ffmpeg skip the test when it is not installed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from streamfer.sources import demo

#: Frames of the base clip; with a 10-frame GOP the first GOP is a sixth of it.
BASE_FRAMES = 60
BASE_FPS = 30.0
SIZE = (320, 240)
GOP = 10


@dataclass(frozen=True)
class Case:
    """One corpus file. ``frames`` is how many frames a complete read gives (None: unknown)."""

    name: str
    path: Path
    frames: int | None
    note: str


def has_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def need_ffmpeg() -> None:
    if not has_ffmpeg():
        pytest.skip("needs ffmpeg (apt-get install ffmpeg)")


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; fail the test with its stderr when it fails."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def ffprobe_pts(path: Path) -> list[float]:
    """The presentation time stamps (seconds) of the video frames of ``path``, in order."""
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time,best_effort_timestamp_time",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    frames = json.loads(result.stdout)["frames"]
    return [float(f.get("pts_time", f.get("best_effort_timestamp_time", "nan"))) for f in frames]


def demo_image(index: int, fps: float = BASE_FPS) -> np.ndarray:
    return demo.demo_frame(index / fps, width=SIZE[0], height=SIZE[1])


def png_frames(folder: Path, frames: int, fps: float = BASE_FPS) -> Path:
    """``frames`` PNG frames of the demo clip in ``folder``; returns the ffmpeg input pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(frames):
        cv2.imwrite(str(folder / f"f{i:04d}.png"), demo_image(i, fps))
    return folder / "f%04d.png"


def base_mp4(folder: Path) -> Path:
    """The base clip: H.264 in mp4, moov atom first, 10-frame GOPs (ffmpeg), else mp4v."""
    path = folder / "base.mp4"
    if path.exists():
        return path
    if has_ffmpeg():
        pattern = png_frames(folder / "base-frames", BASE_FRAMES)
        ffmpeg(
            "-framerate", str(BASE_FPS), "-i", str(pattern),
            "-c:v", "libx264", "-preset", "ultrafast", "-g", str(GOP), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", str(path),
        )  # fmt: skip
        shutil.rmtree(folder / "base-frames")
    else:
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), BASE_FPS, SIZE)
        for i in range(BASE_FRAMES):
            writer.write(demo_image(i))
        writer.release()
    return path


def _transcode(folder: Path, name: str, *codec: str) -> Path:
    need_ffmpeg()
    path = folder / name
    ffmpeg("-i", str(base_mp4(folder)), *codec, str(path))
    return path


def make_case(name: str, folder: Path) -> Case:
    """Build the corpus case ``name`` in ``folder`` (see ``CASES``)."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "mp4":
        return Case(name, base_mp4(folder), BASE_FRAMES, "ordinary H.264 mp4")
    if name == "ts":
        path = _transcode(folder, "clip.ts", "-c:v", "libx264", "-g", str(GOP), "-f", "mpegts")
        return Case(name, path, BASE_FRAMES, "H.264 in MPEG-TS")
    if name == "h264":
        path = _transcode(folder, "clip.h264", "-c:v", "libx264", "-g", str(GOP), "-f", "h264")
        return Case(name, path, BASE_FRAMES, "raw H.264 elementary stream")
    if name == "mpeg2":
        path = _transcode(folder, "clip.mpg", "-c:v", "mpeg2video", "-g", str(GOP), "-q:v", "4")
        return Case(name, path, BASE_FRAMES, "MPEG-2 program stream")
    if name == "truncated":
        need_ffmpeg()
        whole = base_mp4(folder).read_bytes()
        path = folder / "truncated.mp4"
        path.write_bytes(whole[: len(whole) // 2])  # moov first: the header promises 60
        return Case(name, path, BASE_FRAMES, "mp4 cut in half (moov atom first)")
    if name == "edit-list":
        need_ffmpeg()
        path = folder / "editlist.mp4"
        ffmpeg("-ss", "0.1", "-i", str(base_mp4(folder)), "-c", "copy", str(path))
        return Case(name, path, BASE_FRAMES - 3, "cut without re-encoding: an edit list hides 3")
    if name == "empty":
        path = folder / "empty.mp4"
        path.write_bytes(b"")
        return Case(name, path, None, "zero-byte file")
    if name == "random":
        path = folder / "random.mp4"
        path.write_bytes(np.random.default_rng(11).integers(0, 256, 64 * 1024, np.uint8).tobytes())
        return Case(name, path, None, "64 KiB of random bytes named .mp4")
    if name == "jpg-as-mp4":
        path = folder / "still.mp4"
        ok, data = cv2.imencode(".jpg", demo_image(0))
        assert ok
        path.write_bytes(data.tobytes())
        return Case(name, path, 1, "a JPEG named .mp4")
    if name == "mp4-as-txt":
        path = folder / "clip.txt"
        shutil.copyfile(base_mp4(folder), path)
        return Case(name, path, BASE_FRAMES, "an mp4 named .txt")
    if name == "still":
        path = folder / "still.jpg"
        cv2.imwrite(str(path), demo_image(0))
        return Case(name, path, 1, "a still JPEG")
    if name == "slow":
        need_ffmpeg()
        pattern = png_frames(folder / "slow-frames", 4, fps=0.5)
        path = folder / "slow.mp4"
        ffmpeg(
            "-framerate", "0.5", "-i", str(pattern),
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path),
        )  # fmt: skip
        shutil.rmtree(folder / "slow-frames")
        return Case(name, path, 4, "4 frames at 0.5 fps (8 s)")
    if name == "vfr":
        return Case(name, vfr_mp4(folder), VFR_FRAMES, "variable frame rate, as phones record")
    raise ValueError(f"no corpus case {name!r}")


#: Frames of the variable-frame-rate clip: 30 frames 1/30 s apart, then 15 frames 0.2 s apart.
VFR_FRAMES = 45


def vfr_times() -> list[float]:
    """The presentation time (s) of each frame of the variable-frame-rate clip."""
    fast = [i / 30.0 for i in range(30)]
    return fast + [1.0 + 0.2 * i for i in range(15)]


def vfr_mp4(folder: Path) -> Path:
    """A variable-frame-rate mp4: frames at ``vfr_times()`` (ffmpeg's setpts filter)."""
    need_ffmpeg()
    times = vfr_times()
    frames = folder / "vfr-frames"
    frames.mkdir(parents=True, exist_ok=True)
    for i, t in enumerate(times):
        cv2.imwrite(
            str(frames / f"f{i:04d}.png"), demo.demo_frame(t, width=SIZE[0], height=SIZE[1])
        )
    path = folder / "vfr.mp4"
    pts = "if(lt(N,30),N/30,1+(N-30)*0.2)/TB"
    ffmpeg(
        "-framerate", "30", "-i", str(frames / "f%04d.png"), "-vf", f"setpts='{pts}'",
        "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", "-video_track_timescale", "90000", str(path),
    )  # fmt: skip
    shutil.rmtree(frames)
    return path


CASES = (
    "mp4",
    "ts",
    "h264",
    "mpeg2",
    "truncated",
    "edit-list",
    "empty",
    "random",
    "jpg-as-mp4",
    "mp4-as-txt",
    "still",
    "slow",
    "vfr",
)


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` for the block (needs root; skips otherwise)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave_bytes: int = 0) -> None:
    """Fill the file system holding ``folder`` until at most ``leave_bytes`` are free."""
    filler = folder / "filler"
    with filler.open("ab") as f:
        while True:
            free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
            if free <= leave_bytes:
                break
            try:
                f.write(b"\0" * min(free - leave_bytes, 64 * 1024))
                f.flush()
            except OSError:
                break
