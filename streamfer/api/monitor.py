"""The Python API's entry points: ``watch``, ``classify_image`` and ``Monitor``.

A ``Monitor`` loads the detector and the emotion model once, for one ``Config``, and runs
any number of sessions (``watch``) and photos (``classify_image``) with them, one at a time:
LiteRT interpreters are meant for one thread, and a session's detector runs on its own
thread. Each session and each photo still gets a tracker and windows of its own.

``watch`` alone makes a Monitor for its one session and closes it at the end, as ``run``
loads its models per session. ``classify_image`` alone keeps one Monitor per config for the
life of the process (the last few configs used), behind a lock, so a loop over a folder of
photos loads the models once.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Generator
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np

from streamfer.api.results import Face, Result, face_of
from streamfer.api.session import SessionInfo, Source, Watch, WatchRequest, session_results
from streamfer.api.settings import ConfigLike, resolve_config
from streamfer.config.settings import Config
from streamfer.core.errors import SourceError
from streamfer.core.frames import Frame, Image
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources.media import frames_in, read_image

#: How many configs' models ``classify_image`` keeps loaded at once.
CACHED_CONFIGS = 4


class Monitor:
    """The models of one config, loaded once, for sessions and photos (see the module doc).

    ``config``: a ``streamfer.Config``, a TOML file's path, a dict of overrides or None
    (what ``streamfer run`` reads). A missing or broken model is a ``ModelError`` here.
    Use it as a context manager, or ``close()`` it; a session still open is ended first.
    """

    def __init__(self, config: ConfigLike = None) -> None:
        self.config = resolve_config(config)
        self._models = FramePipeline(self.config)  # the detector and the emotion model
        self._busy = threading.Lock()
        self._open: weakref.ref[Watch] | None = None
        self.closed = False

    @property
    def emotions(self) -> tuple[str, ...]:
        """The emotion model's labels, in its order (the keys of ``Face.scores``)."""
        return self._models.classes

    def watch(
        self,
        source: Source,
        *,
        max_frames: int | None = None,
        realtime: bool | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        stream_timeout: float = 10.0,
        stop: threading.Event | None = None,
    ) -> Watch:
        """A session on ``source`` with this monitor's models; see ``streamfer.watch``."""
        request = _request(source, max_frames, realtime, log_dir, stream_timeout, stop)
        info = SessionInfo()
        opened = Watch(self._session(request, info), info)
        self._open = weakref.ref(opened)
        return opened

    def _session(self, request: WatchRequest, info: SessionInfo) -> Generator[Result, None, None]:
        self._take("watch")
        try:
            yield from session_results(self.config, self._pipeline(), request, info)
        finally:
            self._busy.release()

    def classify_image(self, image: Image | str | os.PathLike[str]) -> tuple[Face, ...]:
        """The faces of one photo; see ``streamfer.classify_image``."""
        pixels = _as_image(image, self.config.source.max_pixels)
        self._take("classify_image")
        try:
            pipeline = self._pipeline()
            step = pipeline.process(Frame(0, 0.0, pixels, time.monotonic()))
        finally:
            self._busy.release()
        return tuple(face_of(face, pipeline.classes) for face in step.frame.faces)

    def _pipeline(self) -> FramePipeline:
        """This monitor's models with a tracker and windows of their own."""
        models = self._models
        return FramePipeline(self.config, models.detector, models.classifier, models.describer)

    def _take(self, what: str) -> None:
        if self.closed:
            raise RuntimeError(f"{what}: this Monitor is closed")
        if not self._busy.acquire(blocking=False):
            raise RuntimeError(
                f"{what}: this Monitor is running a session; one Monitor does one thing at a "
                "time (use a second Monitor, or close the session first)"
            )

    def close(self) -> None:
        """End an open session, then free the models; idempotent."""
        opened = self._open() if self._open is not None else None
        if opened is not None:
            opened.close()
        if not self.closed:
            self.closed = True
            self._models.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def watch(
    source: Source,
    *,
    config: ConfigLike = None,
    max_frames: int | None = None,
    realtime: bool | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    stream_timeout: float = 10.0,
    stop: threading.Event | None = None,
) -> Watch:
    """Watch ``source`` and yield a ``Result`` for every processed frame.

    ``source``: a camera index (``0``), a video file, a folder of frames, a stream URL,
    ``"demo"`` or ``"picamera"``, as ``run --source`` takes. ``max_frames``: stop after so
    many. ``realtime``: play a file at its own frame rate, dropping late frames as a camera
    would (default: the demo in real time, files as fast as possible). ``log_dir``: write
    the session's JSONL log there (none without it). ``stream_timeout``: seconds a stream
    may stay silent. ``stop``: an event that ends the session when set (from any thread).

    The config is checked at once (``ConfigError``); the source and the models are opened
    at the first result (``SourceError``, ``ModelError``; ``OutputError`` for the log).
    """
    resolved = resolve_config(config)
    request = _request(source, max_frames, realtime, log_dir, stream_timeout, stop)
    info = SessionInfo()
    return Watch(_own_session(resolved, request, info), info)


def _own_session(
    config: Config, request: WatchRequest, info: SessionInfo
) -> Generator[Result, None, None]:
    monitor = Monitor(config)
    try:
        yield from monitor._session(request, info)
    finally:
        monitor.close()


_cache: OrderedDict[Any, Monitor] = OrderedDict()
_cache_lock = threading.Lock()


def classify_image(
    image: Image | str | os.PathLike[str], *, config: ConfigLike = None
) -> tuple[Face, ...]:
    """The faces of one photo, in the order the detector gives them (``track`` 1, 2, ...).

    ``image``: a BGR ``uint8`` array as ``cv2.imread`` gives (gray and BGRA are converted),
    or an image file's path. The models are loaded at the first call for a config and kept
    for the next calls. A photo without a face gives ``()``.
    """
    resolved = resolve_config(config)
    with _cache_lock:
        monitor = _cache.pop(resolved, None) or Monitor(resolved)
        _cache[resolved] = monitor  # the most recently used last
        while len(_cache) > CACHED_CONFIGS:
            _cache.popitem(last=False)[1].close()
        return monitor.classify_image(image)


def _request(
    source: Source,
    max_frames: int | None,
    realtime: bool | None,
    log_dir: str | os.PathLike[str] | None,
    stream_timeout: float,
    stop: threading.Event | None,
) -> WatchRequest:
    return WatchRequest(
        source=WatchRequest.source_text(source),
        max_frames=max_frames,
        realtime=realtime,
        log_dir=None if log_dir is None else Path(log_dir),
        stream_timeout=stream_timeout,
        stop=stop,
    )


def _as_image(image: Image | str | os.PathLike[str], max_pixels: int) -> Image:
    """A BGR uint8 array of ``image`` (a path is read: any name, and an image over
    ``max_pixels`` is refused before decoding), or SourceError saying what is wrong."""
    if isinstance(image, str | os.PathLike):
        path = Path(image)
        if not path.exists():
            raise SourceError(f"the image {path} does not exist", "check the path")
        pixels = read_image(path, max_pixels)
        frames = frames_in(path) if pixels is not None else 1
        if frames > 1:
            raise SourceError(
                f"{path} holds {frames} frames (an animation or a multi-page file); "
                "classify_image reads one photo",
                "read every frame with streamfer.watch(path), or save the frame you want alone",
            )
        if pixels is None:
            raise SourceError(f"cannot read the image {path}", "a JPEG, PNG, BMP or TIFF file")
        return np.asarray(pixels, dtype=np.uint8)
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise SourceError(
            f"the image's pixels are {array.dtype}, not uint8", "pass what cv2.imread gives"
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        array = np.asarray(cv2.cvtColor(array, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    elif array.ndim == 3 and array.shape[2] == 4:
        array = np.asarray(cv2.cvtColor(array, cv2.COLOR_BGRA2BGR), dtype=np.uint8)
    if array.ndim != 3 or array.shape[2] != 3:
        raise SourceError(
            f"the image has shape {array.shape}, not height x width x 3 (BGR)",
            "pass what cv2.imread gives",
        )
    return np.ascontiguousarray(array, dtype=np.uint8)
