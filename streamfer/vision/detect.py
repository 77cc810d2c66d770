"""Face detection with MediaPipe Tasks ``FaceDetector`` (BlazeFace short range), VIDEO mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import cv2

from streamfer.core.errors import ModelError
from streamfer.core.frames import Box, Detection, Image
from streamfer.core.quiet import quiet_stderr
from streamfer.vision.models import read_model


class FaceDetectorBackend(Protocol):
    def detect(self, image: Image, t: float) -> list[Detection]: ...

    def close(self) -> None: ...


class MediaPipeFaceDetector:
    """BlazeFace through MediaPipe Tasks. Build once; call ``detect`` with increasing times."""

    def __init__(self, model_path: Path, min_confidence: float = 0.5) -> None:
        data = read_model(model_path, "face detector")
        with quiet_stderr():
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision

            options = vision.FaceDetectorOptions(
                base_options=BaseOptions(model_asset_buffer=data),
                running_mode=vision.RunningMode.VIDEO,
                min_detection_confidence=min_confidence,
            )
            try:
                self._detector: Any = vision.FaceDetector.create_from_options(options)
            except Exception as exc:  # mediapipe raises RuntimeError/ValueError on bad files
                raise ModelError(
                    f"face detector model {model_path} could not be loaded: {exc}",
                    "restore it with 'git checkout models/'",
                ) from None
        self._mp = mp
        self._last_ms = -1

    def detect(self, image: Image, t: float) -> list[Detection]:
        """Faces in a BGR ``image`` taken at ``t`` seconds; times must not go backwards."""
        # VIDEO mode demands strictly increasing integer milliseconds.
        ms = max(int(round(t * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        mp_image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        with quiet_stderr():
            result = self._detector.detect_for_video(mp_image, ms)
        height, width = image.shape[:2]
        faces = []
        for d in result.detections:
            bb = d.bounding_box
            points: list[tuple[float, float]] = [
                (k.x * width, k.y * height) for k in (d.keypoints or [])[:4]
            ]
            eyes = points[:2]
            faces.append(
                Detection(
                    box=Box(
                        float(bb.origin_x), float(bb.origin_y), float(bb.width), float(bb.height)
                    ),
                    score=float(d.categories[0].score) if d.categories else 0.0,
                    right_eye=eyes[0] if len(eyes) == 2 else None,
                    left_eye=eyes[1] if len(eyes) == 2 else None,
                    nose=points[2] if len(points) == 4 else None,
                    mouth=points[3] if len(points) == 4 else None,
                )
            )
        return faces

    def close(self) -> None:
        if self._detector is not None:
            with quiet_stderr():
                self._detector.close()
            self._detector = None

    def __enter__(self) -> MediaPipeFaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
