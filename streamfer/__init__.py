"""streamfer: a real-time facial-emotion monitor for ordinary CPUs.

The Python API (docs/api.md): the same pipeline and settings as ``streamfer run``, nothing
printed, no dashboard::

    import streamfer

    for result in streamfer.watch(0):                 # a camera, file, URL, "demo"...
        for face in result.faces:
            print(result.t, face.track, face.label, face.scores)
        for verdict in result.verdicts:               # each person's, about once a second
            print(f"person {verdict.track}: {verdict.label}")

    faces = streamfer.classify_image("photo.jpg")    # or a BGR array
    log = streamfer.read_log("logs/session-20261202-101500.jsonl")

The names in ``__all__`` are the public API, kept stable across minor versions; everything
else (the modules below ``streamfer``) may change. Importing ``streamfer`` loads none of
OpenCV, numpy or LiteRT: each name is imported when first used (``__getattr__``), so the
command line starts at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from streamfer.core.errors import ConfigError, ModelError, OutputError, SourceError, StreamferError

#: public name -> the module that defines it, imported on first use
_LAZY = {
    "watch": "streamfer.api.monitor",
    "classify_image": "streamfer.api.monitor",
    "Monitor": "streamfer.api.monitor",
    "Watch": "streamfer.api.session",
    "Result": "streamfer.api.results",
    "Face": "streamfer.api.results",
    "HeadPose": "streamfer.api.results",
    "Verdict": "streamfer.api.results",
    "GroupVerdict": "streamfer.api.results",
    "read_log": "streamfer.api.logs",
    "Log": "streamfer.api.logs",
    "Config": "streamfer.config.settings",
}

__all__ = [
    "Config",
    "ConfigError",
    "Face",
    "GroupVerdict",
    "HeadPose",
    "Log",
    "ModelError",
    "Monitor",
    "OutputError",
    "Result",
    "SourceError",
    "StreamferError",
    "Verdict",
    "Watch",
    "__version__",
    "classify_image",
    "read_log",
    "watch",
]

if TYPE_CHECKING:
    from streamfer.api.logs import Log, read_log
    from streamfer.api.monitor import Monitor, classify_image, watch
    from streamfer.api.results import Face, GroupVerdict, HeadPose, Result, Verdict
    from streamfer.api.session import Watch
    from streamfer.config.settings import Config


def _version() -> str:
    """The installed distribution's version: ``pyproject.toml`` is the one place it is written."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("streamfer")
    except PackageNotFoundError:  # a checkout put on sys.path without installing it
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'streamfer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # imported once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
