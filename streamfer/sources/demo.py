"""A demo clip made of real faces, for machines with no camera.

The faces are Grace Hopper's public-domain portrait (US Navy photograph), shipped inside the
package as ``streamfer/assets/grace_hopper.jpg`` (the same file matplotlib ships as sample
data; streamfer no longer needs matplotlib for it). The clip is composed frame by frame:
one face panning and zooming slowly, a second (mirrored, smaller) face joining for a while, and
a stretch with no face at all, so every part of the dashboard has something to show.
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from streamfer.assets import DEMO_PORTRAIT
from streamfer.core.errors import SourceError
from streamfer.core.frames import Image
from streamfer.sources.media import DEFAULT_MAX_PIXELS, read_image

WIDTH, HEIGHT, FPS = 640, 480, 30.0
DURATION_SECONDS = 20.0
SECOND_FACE = (6.0, 14.0)  # seconds during which a second face is shown
NO_FACE = (16.0, 18.0)  # seconds with no face in view


@lru_cache(maxsize=1)
def grace_hopper() -> Image:
    """The portrait as a BGR array (600x512)."""
    image = read_image(DEMO_PORTRAIT, DEFAULT_MAX_PIXELS)  # an install path of any name
    if image is None:
        raise SourceError(
            f"cannot read the demo portrait at {DEMO_PORTRAIT}", "reinstall streamfer"
        )
    return np.asarray(image, dtype=np.uint8)


def _paste(canvas: Image, still: Image, cx: float, cy: float, height: float) -> None:
    """Paste ``still`` scaled to ``height`` pixels, centred at (cx, cy), clipped to the canvas."""
    scale = height / still.shape[0]
    scaled = cv2.resize(still, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = scaled.shape[:2]
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + w, canvas.shape[1]), min(y0 + h, canvas.shape[0])
    if cx1 > cx0 and cy1 > cy0:
        canvas[cy0:cy1, cx0:cx1] = scaled[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]


def demo_frame(t: float, width: int = WIDTH, height: int = HEIGHT) -> Image:
    """The demo clip's frame at ``t`` seconds (loops every DURATION_SECONDS)."""
    t = t % DURATION_SECONDS
    canvas = np.full((height, width, 3), (92, 84, 76), dtype=np.uint8)
    if NO_FACE[0] <= t < NO_FACE[1]:
        return canvas
    portrait = grace_hopper()
    two = SECOND_FACE[0] <= t < SECOND_FACE[1]
    # the main face glides aside (over one second) to make room for the second one
    aside = min(max(t - (SECOND_FACE[0] - 1.0), 0.0), 1.0) - min(max(t - SECOND_FACE[1], 0.0), 1.0)
    main_cx = width * (0.5 - 0.18 * aside) + width * 0.05 * math.sin(t * 0.9)
    main_h = height * (0.95 + 0.12 * math.sin(t * 0.5))
    _paste(canvas, portrait, main_cx, height * 0.55, main_h)
    if two:
        _paste(canvas, portrait[:, ::-1], width * 0.78, height * 0.55, height * 0.6)
    return canvas


def write_demo_clip(path: str, seconds: float = DURATION_SECONDS, fps: float = FPS) -> int:
    """Write the demo clip to a video file (mp4v); returns the number of frames written."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*"mp4v"), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise SourceError(f"cannot write a video to {path}")
    count = int(round(seconds * fps))
    for i in range(count):
        writer.write(demo_frame(i / fps))
    writer.release()
    return count
