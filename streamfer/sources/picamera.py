"""The Raspberry Pi camera through Picamera2 (``--source picamera`` or ``picamera:N``).

Picamera2 comes from Raspberry Pi OS (``sudo apt install python3-picamera2``), not from PyPI:
it is bound to the system's libcamera build. streamfer reaches it from a virtual environment
made with ``--system-site-packages`` (docs/raspberry-pi.md). It is imported here, lazily, and
only when this source is opened.

Frames: the "main" stream in Picamera2's ``RGB888`` format, which is B, G, R byte order
(libcamera names formats by their 32-bit word, OpenCV by bytes): exactly OpenCV's BGR, so no
conversion. ``queue=False`` makes every capture wait for a frame exposed after the request,
so the reader always hands on the newest frame, never one that sat in a buffer; the capture
thread then keeps only the newest and counts the rest as dropped, as for any live source.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from streamfer.core.errors import SourceError
from streamfer.core.frames import Image

SPEC = re.compile(r"^picamera(?::(\d+))?$")
_INSTALL_HINT = (
    "on Raspberry Pi OS: 'sudo apt install python3-picamera2', then make the venv with "
    "'python3 -m venv --system-site-packages' (see docs/raspberry-pi.md)"
)


def is_picamera(spec: str) -> bool:
    """True for ``picamera`` and ``picamera:N`` (N: the camera's number, for two cameras)."""
    return SPEC.match(spec.strip()) is not None


class PicameraReader:
    """Frames from a Pi camera. ``width`` x ``height`` pixels at ``fps`` frames a second."""

    is_live = True

    def __init__(
        self, camera: int = 0, width: int = 640, height: int = 480, fps: float = 30.0
    ) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError as exc:
            raise SourceError(f"the Pi camera needs Picamera2 ({exc})", _INSTALL_HINT) from None
        self.description = f"Pi camera {camera}"
        self.fps = fps
        self.frame_count: int | None = None
        try:
            self._camera: Any = Picamera2(camera)
        except (IndexError, RuntimeError) as exc:  # no camera with that number, or busy
            raise SourceError(
                f"no Pi camera {camera} ({exc})",
                "check the ribbon cable, 'rpicam-hello --list-cameras', and that no other "
                "program holds the camera",
            ) from None
        try:
            config = self._camera.create_video_configuration(
                main={"size": (width, height), "format": "RGB888"},
                controls={"FrameRate": fps},
                queue=False,
            )
            self._camera.configure(config)
            self._camera.start()
        except Exception as exc:  # libcamera reports bad modes as RuntimeError and others
            self._camera.close()
            raise SourceError(f"cannot start Pi camera {camera}: {exc}") from None

    def read(self) -> Image | None:
        """The newest frame, BGR, HxWx3 (blocks until the camera delivers one)."""
        array = self._camera.capture_array("main")
        if array.ndim == 3 and array.shape[2] == 4:  # XRGB8888 if a driver insists: drop X
            array = array[:, :, :3]
        return np.ascontiguousarray(array, dtype=np.uint8)

    def close(self) -> None:
        try:
            self._camera.stop()
        finally:
            self._camera.close()


def open_picamera(spec: str) -> PicameraReader:
    """A PicameraReader for ``picamera`` or ``picamera:N``."""
    match = SPEC.match(spec.strip())
    if match is None:
        raise SourceError(f"not a Pi camera source: {spec!r}", "use picamera or picamera:N")
    return PicameraReader(int(match.group(1) or 0))
