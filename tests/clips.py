"""Short clips built from a real face (matplotlib's public-domain Grace Hopper portrait).

The frames come from ``streamfer.demo.demo_frame`` at chosen moments of the demo's
timeline: 0-5 s one face, 7-13 s two faces, 16-18 s no face.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2

from streamfer import demo

ONE_FACE = 0.0
TWO_FACES = 8.0
NO_FACE = 16.2


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
