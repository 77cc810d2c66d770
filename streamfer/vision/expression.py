"""A second expression model: a colour face aligned by five points (MobileFaceNet, RAF-DB).

The Mini-Xception reads a 64x64 gray crop cut around the detector's box; this model reads a
112x112 colour face warped so that its eyes, nose tip and mouth corners land on fixed template
points. It was trained on other data (RAF-DB's web photos) with another alignment, so its
errors differ from the CNN's and the geometry head's (docs/accuracy.md, Recognition III), and
the pipeline fuses the three in log space.

The five points come from what the pipeline already has (``points_from_landmarks``: the
geometry stage's 478 landmarks; ``points_from_detection``: BlazeFace's eyes, nose tip and mouth
centre, the mouth corners placed beside the centre along the eye line). The model file and its
sidecar (``models/expression_mobilefacenet.json``) say the input, the class order and the
template; ``training/steps/convert_mobilefacenet.py`` made the ``.tflite`` from OpenCV Zoo's int8
ONNX file (models/README.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.errors import ModelError
from streamfer.core.frames import Detection, Image
from streamfer.vision.litert import invoke, open_interpreter

FORMAT = "streamfer-aligned-model/1"

#: MediaPipe face-mesh indices (the person's right eye is on the image's left): the corners of
#: each eye (their mean is the eye's centre), the nose tip and the two mouth corners.
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (362, 263)
NOSE_TIP = 1
MOUTH_CORNERS = (61, 291)

#: From BlazeFace's points: the mouth corners lie this share of the eye-to-eye vector either
#: side of the mouth centre (the template's mouth width over its eye distance, halved).
_MOUTH_HALF_WIDTH = 0.414


def points_from_landmarks(landmarks: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """Right eye, left eye, nose tip, right and left mouth corners (5x2, frame pixels)."""
    lm = np.asarray(landmarks, np.float64)[:, :2]
    return np.array(
        [
            lm[list(RIGHT_EYE_CORNERS)].mean(axis=0),
            lm[list(LEFT_EYE_CORNERS)].mean(axis=0),
            lm[NOSE_TIP],
            lm[MOUTH_CORNERS[0]],
            lm[MOUTH_CORNERS[1]],
        ]
    )


def points_from_detection(detection: Detection) -> npt.NDArray[np.float64] | None:
    """The same five points from BlazeFace's keypoints; None when the detector gave none."""
    d = detection
    if d.right_eye is None or d.left_eye is None or d.nose is None or d.mouth is None:
        return None
    right, left = np.array(d.right_eye), np.array(d.left_eye)
    mouth = np.array(d.mouth)
    half = _MOUTH_HALF_WIDTH * (left - right)
    return np.array([right, left, np.array(d.nose), mouth - half, mouth + half])


def similarity(
    src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The 2x3 rotation, uniform scale and shift taking ``src`` closest to ``dst`` in least
    squares (Umeyama 1991, "Least-squares estimation of transformation parameters between two
    point patterns", IEEE TPAMI 13(4), without reflection)."""
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - mu_s, dst - mu_d
    var = (s**2).sum() / len(src)
    cov = d.T @ s / len(src)
    u, sv, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, 1.0 if np.linalg.det(u) * np.linalg.det(vt) >= 0 else -1.0])
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(sv) @ sign) / var) if var > 0 else 1.0
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


@dataclass(frozen=True)
class AlignedCard:
    """The sidecar of an aligned model: input side, pixel scaling, classes, template."""

    name: str
    size: int
    scale: float
    offset: float
    classes: tuple[str, ...]
    template: npt.NDArray[np.float64]

    @classmethod
    def read(cls, model_path: Path) -> AlignedCard:
        path = model_path.with_suffix(".json")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, not {FORMAT}")
            inp = data["input"]
            card = cls(
                name=str(data["name"]),
                size=int(inp["height"]),
                scale=float(inp["scale"]),
                offset=float(inp["offset"]),
                classes=tuple(str(c) for c in data["classes"]),
                template=np.asarray(data["template"], np.float64),
            )
        except FileNotFoundError:
            raise ModelError(
                f"sidecar {path} of the expression model not found",
                "restore it with 'git checkout models/'",
            ) from None
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"sidecar {path} is not valid: {exc}") from None
        if card.template.shape != (5, 2) or int(inp["width"]) != card.size:
            raise ModelError(f"sidecar {path}: a square input and 5 template points are needed")
        return card


def aligned_face(
    image: Image, points: npt.NDArray[np.float64], template: npt.NDArray[np.float64], size: int
) -> npt.NDArray[np.uint8]:
    """The ``size`` x ``size`` BGR face whose five ``points`` land on ``template``."""
    matrix = similarity(np.asarray(points, np.float64), template)
    out = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(out, np.uint8)


class AlignedExpressionModel:
    """A LiteRT model reading a five-point-aligned colour face (``FORMAT`` sidecar)."""

    def __init__(self, model_path: Path, num_threads: int = 1) -> None:
        self.card = AlignedCard.read(model_path)
        self._interpreter = open_interpreter(model_path, "expression", num_threads)
        inp = self._interpreter.get_input_details()[0]
        out = self._interpreter.get_output_details()[0]
        size, k = self.card.size, len(self.card.classes)
        if tuple(inp["shape"]) != (1, size, size, 3) or tuple(out["shape"]) != (1, k):
            raise ModelError(
                f"expression model {model_path} takes {tuple(inp['shape'])} and gives "
                f"{tuple(out['shape'])}; its sidecar says (1, {size}, {size}, 3) -> (1, {k})"
            )
        self.classes = self.card.classes
        self._input = inp["index"]
        self._output = out["index"]
        self._first = True

    def read(self, face_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Probabilities in ``classes`` order for an aligned ``size`` square BGR face."""
        rgb = cv2.cvtColor(face_bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
        x = rgb * np.float32(self.card.scale) + np.float32(self.card.offset)
        self._interpreter.set_tensor(self._input, x[np.newaxis])
        invoke(self._interpreter, quiet=self._first)
        self._first = False
        return np.array(self._interpreter.get_tensor(self._output)[0], dtype=np.float32)

    def classify(self, image: Image, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        """Probabilities for the face whose five ``points`` (frame pixels) are given."""
        return self.read(aligned_face(image, points, self.card.template, self.card.size))
