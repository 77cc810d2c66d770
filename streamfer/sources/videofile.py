"""Reading a recorded file honestly: every frame from the first, at the container's times.

``VideoFileReader`` opens a video once and reads it from the start without seeking back
(seeking to frame 0 after a test read drops the first group of pictures of MPEG-TS, raw
H.264 and MPEG-2 files). It stamps each frame with the container's presentation time
(``CAP_PROP_POS_MSEC``), so a variable-frame-rate clip keeps its real timing; when the
container has no usable time stamps (a raw ``.h264`` stream) frames are stamped
``index / fps`` and ``timestamps`` says so.

At the end, ``check()`` compares the frames decoded with the number the container promises
(where it says one): fewer means the file is cut short or damaged, and the caller must say
so instead of reporting a complete read.

Frame rate rule: the container's rate is honoured whenever it is a finite number in
(0, 1000] frames a second, slow clips (0.5 fps) included. Otherwise 30 fps is assumed and
``fps_assumed`` is set; with container time stamps the rate only matters for pacing.

``StillImageReader``: a still image (by its file ending) is a one-frame input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from streamfer.core.errors import SourceError
from streamfer.core.frames import Image
from streamfer.core.quiet import quiet_stderr
from streamfer.sources.media import (
    DEFAULT_MAX_PIXELS,
    check_pixels,
    check_regular,
    opencv_path,
    read_image,
)

FALLBACK_FPS = 30.0
MAX_FPS = 1000.0
#: Frame counts above this are a container's garbage (raw streams report huge negatives).
MAX_FRAME_COUNT = 1 << 31
IMAGE_SUFFIXES = frozenset([".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"])


@dataclass(frozen=True)
class ReadCheck:
    """What a finished read of a file found: frames decoded against frames promised.

    An mp4's sample count includes frames its edit list hides (the encoder's first frames
    when a clip was cut without re-encoding, or B-frame delay): FFmpeg itself decodes 95 of
    the 98 frames such a phone clip lists. So up to ``slack`` frames fewer, 5 % of the count
    and at most 3, still count as complete; more is a file cut short or damaged.
    """

    frames_read: int
    frames_expected: int | None

    @property
    def slack(self) -> int:
        return 0 if self.frames_expected is None else min(3, self.frames_expected // 20)

    @property
    def complete(self) -> bool:
        """True unless the container promised more frames than were decoded (beyond slack)."""
        if self.frames_expected is None:
            return True
        return self.frames_read >= self.frames_expected - self.slack

    def describe(self) -> str:
        n = self.frames_read
        if self.frames_expected is None:
            return f"decoded {n} frames (the container does not say how many)"
        if n >= self.frames_expected:
            return f"decoded all {n} frame" + "s" * (n != 1)
        if self.complete:
            return (
                f"decoded {n} of the {self.frames_expected} frames its container lists "
                "(an edit list hides the rest: complete)"
            )
        return (
            f"decoded {n} of the {self.frames_expected} frames its container promises: "
            "the file is cut short or damaged"
        )


def container_fps(value: float) -> float | None:
    """The container's frame rate if usable under the rule above, else None."""
    return value if math.isfinite(value) and 0.0 < value <= MAX_FPS else None


def container_frame_count(value: float) -> int | None:
    """The container's frame count if it is a plausible count, else None."""
    if not math.isfinite(value) or value < 1 or value > MAX_FRAME_COUNT:
        return None
    return int(value)


#: the ISO base media file format (mp4, mov, m4v, 3gp): a file starts with these boxes
_ISO_FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")


def iso_boxes(path: Path, most: int = 4096) -> list[bytes] | None:
    """The types of an mp4/mov file's top-level boxes, in order (None: not such a file).

    Each box starts with its size (4 bytes, big-endian; 1: an 8-byte size follows; 0: to the
    end of the file) and its type (4 bytes); only these headers are read."""
    boxes: list[bytes] = []
    try:
        with path.open("rb") as f:
            end = f.seek(0, 2)
            at = 0
            while at + 8 <= end and len(boxes) < most:
                f.seek(at)
                head = f.read(16)
                size, kind = int.from_bytes(head[:4], "big"), head[4:8]
                if not boxes and kind not in _ISO_FIRST_BOXES:
                    return None
                boxes.append(kind)
                if size == 1 and len(head) == 16:
                    size = int.from_bytes(head[8:16], "big")
                elif size == 0:
                    size = end - at
                if size < 8:
                    break  # damaged: what was read so far stands
                at += size
    except OSError:
        return None
    return boxes or None


def unopenable(path: Path) -> SourceError:
    """The error for a file FFmpeg cannot open: an mp4/mov whose index is missing (a
    recording cut short before it was finished) is said to be one, not "not a video"."""
    boxes = iso_boxes(path)
    if boxes is not None and b"moov" not in boxes:
        return SourceError(
            f"{path} is an mp4/mov recording without its index (no moov box): it was cut "
            "short before the recorder finished writing it",
            "record or copy it again; a cut recording can sometimes be rebuilt with a repair "
            "tool (such as untrunc) from a whole file of the same camera",
        )
    if boxes is not None:
        return SourceError(
            f"{path} is an mp4/mov file FFmpeg cannot open (damaged?)", "check the file"
        )
    return SourceError(f"{path} is not a video OpenCV can decode", "convert it to mp4 with ffmpeg")


class VideoFileReader:
    """A video file through ``cv2.VideoCapture``, read once from its first frame.

    Raises SourceError when the file is missing, empty, not a video, larger than
    ``max_pixels`` a frame (checked on the container's size, before the first frame is
    decoded) or has no decodable frame. ``t`` is the time stamp (seconds from the first frame)
    of the last frame read. Any file name works (``sources.media.opencv_path``).
    """

    is_live = False

    def __init__(self, path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        if not path.exists():
            raise SourceError(f"video file {path} does not exist", "check the path")
        if path.is_dir():
            raise SourceError(f"{path} is a folder, not a video file")
        check_regular(path, "video file")
        if path.stat().st_size == 0:
            raise SourceError(f"video file {path} is empty (0 bytes)", "record or copy it again")
        self.description = str(path)
        with opencv_path(path) as name, quiet_stderr(replay=False):  # FFmpeg's complaints
            self._capture = cv2.VideoCapture(name, cv2.CAP_FFMPEG)
            opened = self._capture.isOpened()
            width = float(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH) or 0) if opened else 0.0
            height = float(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0) if opened else 0.0
            try:
                check_pixels(width, height, max_pixels, path, "video's frame")
            except SourceError:
                self._capture.release()
                raise
            ok, first = self._capture.read() if opened else (False, None)
        if not opened:
            self._capture.release()
            raise unopenable(path)
        if not ok or first is None:
            self._capture.release()
            raise SourceError(f"{path} has no decodable video frames (corrupt?)", "check the file")
        reported = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = container_fps(reported)
        self.fps_assumed = fps is None
        self.fps = fps if fps is not None else FALLBACK_FPS
        self.frame_count = container_frame_count(
            float(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
        )
        self.timestamps = "container"
        self.frames_read = 0
        self.t = 0.0
        self._origin = self._position()
        self._pending: Image | None = _bgr(first)

    def _position(self) -> float | None:
        ms = float(self._capture.get(cv2.CAP_PROP_POS_MSEC))
        return ms / 1000.0 if math.isfinite(ms) else None

    def read(self) -> Image | None:
        """The next frame, or None at the end of the file (see ``check``)."""
        if self._pending is not None:
            image, self._pending = self._pending, None
        else:
            with quiet_stderr(replay=False):  # a damaged packet: counted by check()
                ok, raw = self._capture.read()
            if not ok or raw is None:
                return None
            image = _bgr(raw)
            self._stamp()
        self.frames_read += 1
        return image

    def _stamp(self) -> None:
        """Stamp the frame just decoded (not the first, which is at 0)."""
        following = self.t + 1.0 / self.fps
        position = self._position()
        if self.timestamps == "container" and position is not None and self._origin is not None:
            t = position - self._origin
            if t > self.t:
                self.t = t
                return
            self.timestamps = "frame_rate"  # no rising time stamps: raw streams and the like
        self.t = following

    def check(self) -> ReadCheck:
        return ReadCheck(self.frames_read, self.frame_count)

    def close(self) -> None:
        self._capture.release()


class StillImageReader:
    """A still image as a one-frame input (by its ending: .jpg, .png, ...)."""

    is_live = False

    def __init__(
        self, path: Path, fps: float = FALLBACK_FPS, max_pixels: int = DEFAULT_MAX_PIXELS
    ) -> None:
        if not path.exists():
            raise SourceError(f"image {path} does not exist", "check the path")
        image = read_image(path, max_pixels)
        if image is None:
            raise SourceError(f"{path} is not an image OpenCV can read", "check the file")
        self.description = str(path)
        self.fps = fps
        self.fps_assumed = True
        self.frame_count: int | None = 1
        self.timestamps = "still"
        self.frames_read = 0
        self.t = 0.0
        self._image: Image | None = _bgr(image)

    def read(self) -> Image | None:
        image, self._image = self._image, None
        if image is not None:
            self.frames_read += 1
        return image

    def check(self) -> ReadCheck:
        return ReadCheck(self.frames_read, 1)

    def close(self) -> None:
        self._image = None


def is_still_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def _bgr(image: np.ndarray) -> Image:
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return np.asarray(image, dtype=np.uint8)
