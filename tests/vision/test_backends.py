"""Choosing the detector backend; what the user is told when the mediapipe extra is missing,
broken by a missing system library, or installed beside a second OpenCV build."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from streamfer.config.settings import Config
from streamfer.core.errors import ConfigError
from streamfer.sources.demo import grace_hopper
from streamfer.vision import backends
from streamfer.vision.blazeface import BlazeFaceDetector

CONFIG = Config()
MODEL = CONFIG.resolve_model("models/blazeface_short_range.tflite")


def test_litert_is_blazeface() -> None:
    detector = backends.make_detector("litert", MODEL, 0.5)
    assert isinstance(detector, BlazeFaceDetector)
    assert detector.detect(np.full((240, 320, 3), 90, np.uint8), 0.0) == []


def test_unknown_backend() -> None:
    with pytest.raises(ConfigError, match="unknown detector backend 'opencv'"):
        backends.make_detector("opencv", MODEL, 0.5)


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "installed_opencv", lambda: ["opencv-python-headless 5.0"])
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    with pytest.raises(ConfigError, match="needs the mediapipe extra") as info:
        backends.make_detector("mediapipe", MODEL, 0.5)
    assert 'pip install "streamfer[mediapipe]"' in info.value.hint


def test_two_opencv_builds_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        backends,
        "installed_opencv",
        lambda: ["opencv-python-headless 5.0.0.93", "opencv-contrib-python 5.1.0.95"],
    )
    with pytest.raises(ConfigError, match="two OpenCV builds share one cv2 folder") as info:
        backends.make_detector("mediapipe", MODEL, 0.5)
    assert "pip uninstall -y opencv-python-headless" in info.value.hint


@pytest.mark.parametrize(
    ("message", "package"),
    [
        ("libEGL.so.1: cannot open shared object file: No such file or directory", "libegl1"),
        ("libGLESv2.so.2: cannot open shared object file", "libgles2"),
        ("libGL.so.1: cannot open shared object file", "libgl1"),
    ],
)
def test_missing_system_library_is_named(message: str, package: str) -> None:
    error, hint = backends._library_hint(message)
    assert message.split(":")[0] in error
    assert f"sudo apt install {package}" in hint


@pytest.mark.mediapipe
def test_mediapipe_backend_finds_the_same_face() -> None:
    pytest.importorskip("mediapipe", reason="needs the mediapipe extra")
    if len(backends.installed_opencv()) > 1:
        pytest.skip("two OpenCV builds installed: see docs/detector.md")
    image = grace_hopper()
    reference = backends.make_detector("mediapipe", MODEL, 0.5)
    try:
        theirs = reference.detect(image, 0.0)
    finally:
        reference.close()
    ours = backends.make_detector("litert", MODEL, 0.5).detect(image, 0.0)
    assert len(theirs) == len(ours) == 1
    assert theirs[0].box.iou(ours[0].box) > 0.9
