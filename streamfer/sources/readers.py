"""Frame readers: one per kind of source, each a ``FrameReader``.

A source is a camera index, the Pi camera (``picamera``), a video file, a frame folder, a
stream URL (rtsp/http/https/tcp/udp) or ``demo``; ``open_reader`` picks the reader for a spec and
``open_recording`` for a recorded file or folder. The capture thread that reads them is
``sources.capture.Capture``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from streamfer.core.errors import SourceError, SourceLostError
from streamfer.core.frames import Image
from streamfer.core.quiet import quiet_stderr
from streamfer.sources import demo
from streamfer.sources.media import DEFAULT_MAX_PIXELS, check_regular, read_image
from streamfer.sources.picamera import open_picamera
from streamfer.sources.reconnect import ReconnectingReader
from streamfer.sources.spec import parse_source
from streamfer.sources.videofile import (
    FALLBACK_FPS,
    IMAGE_SUFFIXES,
    ReadCheck,
    StillImageReader,
    VideoFileReader,
    container_fps,
    is_still_image,
)

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
        ".h264",
        ".264",
        ".h265",
        ".265",
        ".hevc",
        ".mjpeg",
        ".mjpg",
        ".y4m",
        ".vob",
        ".mxf",
    ]
)


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


class RecordedReader(FrameReader, Protocol):
    """A recording: ``t`` stamps the frame just read (seconds from the first frame),
    ``timestamps`` says where stamps come from, and ``check()`` whether the read was whole."""

    t: float
    timestamps: str
    frame_count: int | None

    def check(self) -> ReadCheck: ...


class OpenCVReader:
    """A camera or a network stream through ``cv2.VideoCapture`` (files: ``VideoFileReader``).

    A live source may fail a read now and then (a frame that does not decode, a network
    hiccup): reads are retried, and only ``lost_after_seconds`` without any frame raise
    SourceLostError (unplugged, stream gone); ``ReconnectingReader`` then reopens it.
    """

    is_live = True

    def __init__(
        self, capture: cv2.VideoCapture, description: str, lost_after_seconds: float = 5.0
    ) -> None:
        self._capture = capture
        self.description = description
        self.lost_after_seconds = lost_after_seconds
        self.fps = container_fps(float(capture.get(cv2.CAP_PROP_FPS) or 0.0)) or FALLBACK_FPS

    def read(self) -> Image | None:
        ok, image = self._capture.read()
        if not ok or image is None:
            ok, image = self._retry()
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
    """A folder of image files read in name order as one clip (a frame sequence).

    Frames are stamped ``index / fps``; an image that does not decode is skipped and counted,
    so ``check`` reports the read as incomplete.
    """

    is_live = False
    timestamps = "frame_rate"

    def __init__(
        self, folder: Path, fps: float = FALLBACK_FPS, max_pixels: int = DEFAULT_MAX_PIXELS
    ) -> None:
        self.files = image_files(folder)
        self.max_pixels = max_pixels
        if not self.files:
            raise SourceError(f"folder {folder} holds no image files", "give a video or frames")
        self.description = str(folder)
        self.fps = fps
        self.frame_count: int | None = len(self.files)
        self.frames_read = 0
        self.t = 0.0
        self._next = 0

    def read(self) -> Image | None:
        while self._next < len(self.files):
            path = self.files[self._next]
            self._next += 1
            image = read_image(path, self.max_pixels)  # SourceError for a bomb
            if image is not None:
                self.t = self.frames_read / self.fps
                self.frames_read += 1
                return np.asarray(image, dtype=np.uint8)
        return None

    def check(self) -> ReadCheck:
        return ReadCheck(self.frames_read, self.frame_count)

    def close(self) -> None:
        pass


class DemoReader:
    """The generated demo clip (real faces from a public-domain portrait), 20 s at 30 fps."""

    is_live = False
    timestamps = "frame_rate"

    def __init__(self, loop: bool = False) -> None:
        demo.grace_hopper()  # fail now, not on the capture thread, if it cannot be read
        self.description = "demo (Grace Hopper portrait)"
        self.fps = demo.FPS
        self.loop = loop
        self.frame_count: int | None = None if loop else int(demo.DURATION_SECONDS * demo.FPS)
        self.frames_read = 0
        self.t = 0.0

    def read(self) -> Image | None:
        if self.frame_count is not None and self.frames_read >= self.frame_count:
            return None
        self.t = self.frames_read / self.fps
        image = demo.demo_frame(self.t)
        self.frames_read += 1
        return image

    def check(self) -> ReadCheck:
        return ReadCheck(self.frames_read, self.frame_count)

    def close(self) -> None:
        pass


def open_reader(
    spec: str,
    open_timeout_seconds: float = 10.0,
    reconnect_seconds: float = 60.0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> FrameReader:
    """Open the source named by ``spec`` (see ``sources.spec``); SourceError with a hint when
    it cannot be read. Cameras and streams come back after a loss (``ReconnectingReader``)
    for up to ``reconnect_seconds`` (0: forever). A recording's frames larger than
    ``max_pixels`` are refused before they are decoded."""
    source = parse_source(spec)
    if source.kind == "demo":
        return DemoReader()
    if source.kind == "picamera":
        return open_picamera(source.text)
    if source.kind == "camera":
        assert source.camera is not None
        index = source.camera
        return ReconnectingReader(
            _open_camera(index),
            lambda: _open_camera(index),
            give_up_seconds=reconnect_seconds,
        )
    if source.kind == "stream":
        assert source.url is not None
        url = source.url
        return ReconnectingReader(
            _open_stream(url, open_timeout_seconds),
            lambda: _open_stream(url, open_timeout_seconds),
            give_up_seconds=reconnect_seconds,
        )
    assert source.path is not None
    return open_recording(source.path, max_pixels)


def open_recording(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> RecordedReader:
    """A recorded clip: a frame folder, a still image (one frame) or a video file.

    The one rule for every command: a folder is read as its image files in name order, a
    file with an image ending (``.jpg``, ``.png``...) is a one-frame input, anything else is
    decoded as a video. SourceError when it cannot be read, when it is a device or a pipe
    (``/dev/zero`` never ends), or when its frames are larger than ``max_pixels``.
    """
    if path.is_dir():
        return FrameFolderReader(path, max_pixels=max_pixels)
    check_regular(path, "video or image file")
    if is_still_image(path):
        return StillImageReader(path, max_pixels=max_pixels)
    return VideoFileReader(path, max_pixels)


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
    return OpenCVReader(capture, f"camera {index}")


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
    reader = OpenCVReader(capture, url, lost_after_seconds=timeout)
    try:
        reader.read()  # fail now, with a clear message, if nothing decodes
    except SourceError:
        reader.close()
        raise SourceError(
            f"stream {url} sends nothing OpenCV can decode",
            "check that it is sending; H.264 and MJPEG decode best",
        ) from None
    return reader
