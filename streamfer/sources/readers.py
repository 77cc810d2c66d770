"""Frame readers: one per kind of source, each a ``FrameReader``.

A source is a camera index, a video file, a frame folder, a stream URL
(rtsp/http/https/tcp/udp) or ``demo``; ``open_reader`` picks the reader for a spec and
``open_recording`` for a recorded file or folder. The capture thread that reads them is
``sources.capture.Capture``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from streamfer.core import Image
from streamfer.errors import SourceError, SourceLostError
from streamfer.sources import demo
from streamfer.vision.quiet import quiet_stderr

_URL = re.compile(r"^(rtsp|rtsps|rtmp|http|https|tcp|udp)://", re.IGNORECASE)
#: File endings taken as videos when folders are searched, and as frames of a frame folder.
VIDEO_SUFFIXES = frozenset(
    [
        ".mp4",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".m4v",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".3gp",
        ".ts",
        ".mts",
        ".m2ts",
        ".ogv",
    ]
)
IMAGE_SUFFIXES = frozenset([".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"])


def image_files(folder: Path) -> list[Path]:
    """The image files of a frame folder, in name order (the clip's frame order)."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


class FrameReader(Protocol):
    """Something that yields images one at a time: ``read`` returns None at the end."""

    description: str
    is_live: bool
    fps: float

    def read(self) -> Image | None: ...

    def close(self) -> None: ...


class OpenCVReader:
    """Camera, video file or stream through ``cv2.VideoCapture``.

    A file ends at its first unreadable frame. A live source (camera, stream) may fail a read
    now and then (a frame that does not decode, a network hiccup): reads are retried, and
    only ``lost_after_seconds`` without any frame raise SourceError (unplugged, stream gone).
    """

    def __init__(
        self,
        capture: cv2.VideoCapture,
        description: str,
        is_live: bool,
        lost_after_seconds: float = 5.0,
    ) -> None:
        self._capture = capture
        self.description = description
        self.is_live = is_live
        self.lost_after_seconds = lost_after_seconds
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 1000.0 else 30.0
        frame_count = float(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
        self.frame_count = int(frame_count) if frame_count > 0 and not is_live else None

    def read(self) -> Image | None:
        ok, image = self._capture.read()
        if self.is_live and (not ok or image is None):
            ok, image = self._retry()
        if not ok or image is None:
            return None
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        return np.asarray(image, dtype=np.uint8)

    def _retry(self) -> tuple[bool, Any]:
        deadline = time.monotonic() + self.lost_after_seconds
        while time.monotonic() < deadline:
            time.sleep(0.005)
            with quiet_stderr(replay=False):  # FFmpeg's complaint about each bad packet
                ok, image = self._capture.read()
            if ok and image is not None:
                return True, image
        raise SourceLostError(
            f"no frame from {self.description} for {self.lost_after_seconds:g} s",
            "check the cable or the network; for a stream, that it is still sending "
            "(H.264 and MJPEG decode best)",
        )

    def close(self) -> None:
        self._capture.release()


class FrameFolderReader:
    """A folder of image files read in name order as one clip (a frame sequence)."""

    def __init__(self, folder: Path, fps: float = 30.0) -> None:
        self.files = image_files(folder)
        if not self.files:
            raise SourceError(f"folder {folder} holds no image files", "give a video or frames")
        self.description = str(folder)
        self.is_live = False
        self.fps = fps
        self.frame_count: int | None = len(self.files)
        self._next = 0

    def read(self) -> Image | None:
        while self._next < len(self.files):
            path = self.files[self._next]
            self._next += 1
            image = cv2.imread(str(path))
            if image is not None:
                return np.asarray(image, dtype=np.uint8)
        return None

    def close(self) -> None:
        pass


class DemoReader:
    """The generated demo clip (real faces from a public-domain portrait), 20 s at 30 fps."""

    def __init__(self, loop: bool = False) -> None:
        demo.grace_hopper()  # fail now, not on the capture thread, if it cannot be read
        self.description = "demo (Grace Hopper portrait)"
        self.is_live = False
        self.fps = demo.FPS
        self.loop = loop
        self.frame_count: int | None = None if loop else int(demo.DURATION_SECONDS * demo.FPS)
        self._index = 0

    def read(self) -> Image | None:
        if self.frame_count is not None and self._index >= self.frame_count:
            return None
        image = demo.demo_frame(self._index / self.fps)
        self._index += 1
        return image

    def close(self) -> None:
        pass


def open_reader(spec: str, open_timeout_seconds: float = 10.0) -> FrameReader:
    """Open the source named by ``spec``; raise SourceError with a hint when it cannot be read."""
    spec = spec.strip()
    if spec == "demo":
        return DemoReader()
    if spec.isdigit():
        return _open_camera(int(spec))
    if _URL.match(spec):
        return _open_stream(spec, open_timeout_seconds)
    return open_recording(Path(spec).expanduser())


def open_recording(path: Path) -> FrameReader:
    """A recorded clip: a folder of frames or a video file (SourceError when unreadable)."""
    return FrameFolderReader(path) if path.is_dir() else open_video_file(path)


def _open_camera(index: int) -> OpenCVReader:
    with quiet_stderr(replay=False):  # OpenCV prints warnings of its own for a missing device
        capture = cv2.VideoCapture(index)
        found = capture.isOpened() and capture.grab()
    if not found:
        capture.release()
        raise SourceError(
            f"no camera at index {index}",
            "plug one in, pick another with --source N, or try --source demo",
        )
    return OpenCVReader(capture, f"camera {index}", is_live=True)


def _open_stream(url: str, timeout: float) -> OpenCVReader:
    ms = int(timeout * 1000)
    with quiet_stderr(replay=False):
        capture = cv2.VideoCapture(
            url,
            cv2.CAP_FFMPEG,
            [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms],
        )
        opened = capture.isOpened()
    if not opened:
        capture.release()
        raise SourceError(
            f"cannot reach stream {url}",
            "check the address, the network and that the camera is streaming",
        )
    reader = OpenCVReader(capture, url, is_live=True, lost_after_seconds=timeout)
    try:
        reader.read()  # fail now, with a clear message, if nothing decodes
    except SourceError:
        reader.close()
        raise SourceError(
            f"stream {url} sends nothing OpenCV can decode",
            "check that it is sending; H.264 and MJPEG decode best",
        ) from None
    return reader


def open_video_file(path: Path) -> OpenCVReader:
    """Open a video file, checking that it exists, is not empty and decodes a first frame."""
    if not path.exists():
        raise SourceError(f"video file {path} does not exist", "check the path")
    if path.is_file() and path.stat().st_size == 0:
        raise SourceError(f"video file {path} is empty (0 bytes)", "record or copy it again")
    with quiet_stderr(replay=False):
        capture = cv2.VideoCapture(str(path))
        opened = capture.isOpened()
        ok, first = capture.read() if opened else (False, None)
    if not opened:
        capture.release()
        raise SourceError(
            f"{path} is not a video OpenCV can decode", "convert it to mp4 with ffmpeg"
        )
    if not ok or first is None:
        capture.release()
        raise SourceError(f"{path} has no decodable video frames (corrupt?)", "check the file")
    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    return OpenCVReader(capture, str(path), is_live=False)
