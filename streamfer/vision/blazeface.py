"""MediaPipe's BlazeFace face detectors run directly on the LiteRT interpreter.

The same ``.tflite`` files MediaPipe ships, with MediaPipe's pre- and post-processing redone in
numpy (``streamfer.vision.anchors`` cites the graph options): letterbox the frame into the
model's square input (black borders, values scaled to -1..1), run the model, take the sigmoid of
the clipped scores, decode boxes and six keypoints against the SSD anchors, merge overlapping
boxes by MediaPipe's weighted non-maximum suppression and map everything back to frame pixels.
No mediapipe runtime is needed, which is what lets streamfer run on a Raspberry Pi 4 (the
mediapipe 1.x aarch64 wheels need Armv8.1 atomics that a Cortex-A72 lacks) and start fast.

Two models: ``blazeface_short_range.tflite`` (128x128, faces within about 2 m) and
``blazeface_full_range_sparse.tflite`` (192x192, faces up to about 5 m). Which one a file is
follows from its input size.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.errors import ModelError
from streamfer.core.frames import Box, Detection, Image
from streamfer.vision.anchors import (
    SPECS,
    BlazeFaceSpec,
    decode,
    sigmoid_scores,
    ssd_anchor_centres,
    weighted_nms,
)
from streamfer.vision.litert import invoke, open_interpreter
from streamfer.vision.models import RESTORE_HINT


class BlazeFaceDetector:
    """BlazeFace (short or full range) on LiteRT. Build once; call ``detect`` per frame.

    ``min_confidence``: faces scoring below it (0..1) are dropped before the suppression, as
    MediaPipe's ``min_score_thresh`` does. ``num_threads``: the interpreter's CPU threads.
    """

    def __init__(self, model_path: Path, min_confidence: float = 0.5, num_threads: int = 1) -> None:
        self._interpreter: Any = open_interpreter(model_path, "face detector", num_threads)
        self.spec = _spec_for(self._interpreter, model_path)
        self.min_confidence = min_confidence
        # Scores are sigmoids of logits: only logits near or above this can pass the threshold,
        # so the sigmoid is computed for those few, then compared exactly as MediaPipe does.
        self._min_logit = _logit(min_confidence) - 1e-3
        self._anchors = ssd_anchor_centres(self.spec)
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = self._interpreter.get_output_details()
        # Regressors are (1, N, 16), scores (1, N, 1); the tensors' names differ between files.
        self._boxes = next(o["index"] for o in outputs if o["shape"][-1] == 16)
        self._scores = next(o["index"] for o in outputs if o["shape"][-1] == 1)
        self._first = True

    def detect(self, image: Image, t: float = 0.0) -> list[Detection]:
        """Faces in a BGR ``image``, best first; boxes and eye points in pixels.

        ``t`` (seconds) is accepted for the backend protocol; BlazeFace keeps no state.
        """
        tensor, scale, pad_x, pad_y = letterbox(image, self.spec.input_size)
        self._interpreter.set_tensor(self._input, tensor)
        invoke(self._interpreter, quiet=self._first)
        self._first = False
        logits = self._interpreter.get_tensor(self._scores)[0, :, 0]
        near = np.flatnonzero(logits >= self._min_logit)
        scores = sigmoid_scores(logits[near], self.spec.score_clipping)
        passed = scores >= self.min_confidence
        keep = near[passed]
        if keep.size == 0:
            return []
        raw = self._interpreter.get_tensor(self._boxes)[0][keep]
        decoded = decode(raw, self._anchors[keep], self.spec.input_size)
        faces = weighted_nms(decoded, scores[passed], self.spec.min_suppression_iou)
        size = float(self.spec.input_size)
        return [_to_pixels(row, score, size, scale, pad_x, pad_y) for row, score in faces]

    def close(self) -> None:
        """Nothing to release beyond the interpreter, which Python frees."""

    def __enter__(self) -> BlazeFaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _logit(probability: float) -> float:
    """The logit whose sigmoid is ``probability``; -inf for 0 or less."""
    if probability <= 0.0:
        return -math.inf
    if probability >= 1.0:
        return 16.0  # float32's sigmoid reaches 1.0 near 16.6: below that no score is 1
    return math.log(probability / (1.0 - probability))


def letterbox(image: Image, size: int) -> tuple[npt.NDArray[np.float32], float, float, float]:
    """The model input for a BGR ``image``: (1, size, size, 3) RGB in -1..1, letterboxed.

    The frame is scaled by ``scale = size / max(width, height)`` and centred; the bars are black
    (-1), as MediaPipe's ``keep_aspect_ratio`` with ``BORDER_ZERO``. Returns the tensor, the
    scale and the bars' width and height in input pixels (left and top).
    """
    height, width = image.shape[:2]
    scale = size / max(width, height)
    pad_x = (size - width * scale) / 2.0
    pad_y = (size - height * scale) / 2.0
    # One bilinear warp scales and pads, as MediaPipe's ImageToTensorCalculator does on the CPU.
    matrix = np.array([[scale, 0.0, pad_x], [0.0, scale, pad_y]], dtype=np.float64)
    small = cv2.warpAffine(
        image,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    tensor = rgb.astype(np.float32)
    tensor *= np.float32(2.0 / 255.0)
    tensor -= np.float32(1.0)
    return tensor[np.newaxis], scale, pad_x, pad_y


def _to_pixels(
    row: npt.NDArray[np.float32],
    score: float,
    size: float,
    scale: float,
    pad_x: float,
    pad_y: float,
) -> Detection:
    """A decoded row (corners and keypoints in 0..1 of the input) as a Detection in frame pixels.

    Undoes ``letterbox``: 0..1 of the input -> input pixels (times ``size``) -> minus the bar ->
    frame pixels (divided by ``scale``).
    """
    xs = (row[0::2] * size - pad_x) / scale
    ys = (row[1::2] * size - pad_y) / scale
    x0, y0, x1, y1 = float(xs[0]), float(ys[0]), float(xs[1]), float(ys[1])
    return Detection(
        box=Box(x0, y0, x1 - x0, y1 - y0),
        score=score,
        right_eye=(float(xs[2]), float(ys[2])),
        left_eye=(float(xs[3]), float(ys[3])),
        nose=(float(xs[4]), float(ys[4])),
        mouth=(float(xs[5]), float(ys[5])),
    )


def _spec_for(interpreter: Any, model_path: Path) -> BlazeFaceSpec:
    """The graph options for a model, chosen by its input size; ModelError for other models."""
    shape = tuple(int(v) for v in interpreter.get_input_details()[0]["shape"])
    outputs = sorted(tuple(int(v) for v in o["shape"]) for o in interpreter.get_output_details())
    spec = SPECS.get(shape[1]) if len(shape) == 4 and shape[1] == shape[2] else None
    expected = (
        sorted([(1, spec.num_boxes, 16), (1, spec.num_boxes, 1)]) if spec is not None else None
    )
    if spec is None or shape != (1, spec.input_size, spec.input_size, 3) or outputs != expected:
        known = ", ".join(f"{s.name} {s.input_size}x{s.input_size}" for s in SPECS.values())
        raise ModelError(
            f"face detector model {model_path} takes {shape} and gives {outputs}; "
            f"expected a BlazeFace model ({known})",
            RESTORE_HINT,
        )
    return spec
