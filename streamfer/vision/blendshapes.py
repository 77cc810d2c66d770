"""MediaPipe's blendshape model on LiteRT: 52 expression coefficients from 146 face landmarks.

From ``mediapipe/tasks/cc/vision/face_landmarker/face_blendshapes_graph.cc``
(google-ai-edge/mediapipe, Apache-2.0; written from it, not copied): the graph keeps 146 of
the 478 landmarks (``kLandmarksSubsetIdxs``, below as ``BLENDSHAPE_LANDMARKS``), turns them
into a (1, 146, 2) tensor of x and y only (``LandmarksToTensorCalculator`` with attributes
``X``, ``Y``, ``flatten: false``), scaled from MediaPipe's normalised coordinates back to
image pixels (``IMAGE_SIZE``: x times the image's width, y times its height, so exactly the
pixel coordinates ``FaceLandmarkModel`` gives), and reads the model's first output as 52
scores in ``kBlendshapeNames`` order, untouched (``top_k: 0``, no threshold). Nothing else is
done to the points: the model itself centres and scales them, so a face's scores do not
depend on where it is in the frame or how large (``tests/vision/test_geometry.py`` checks that).

Names follow Apple ARKit's blendshapes; "Left" and "Right" are the person's own sides (the
person's left eye blinking is ``eyeBlinkLeft``). ``_neutral`` is a catch-all MediaPipe says to
ignore.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfer.core.errors import ModelError
from streamfer.vision.landmarks import NUM_LANDMARKS
from streamfer.vision.litert import invoke, open_interpreter

#: The 52 coefficients, in the model's output order (MediaPipe's ``kBlendshapeNames``).
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "eyeBlinkLeft",
    "eyeBlinkRight",
    "eyeLookDownLeft",
    "eyeLookDownRight",
    "eyeLookInLeft",
    "eyeLookInRight",
    "eyeLookOutLeft",
    "eyeLookOutRight",
    "eyeLookUpLeft",
    "eyeLookUpRight",
    "eyeSquintLeft",
    "eyeSquintRight",
    "eyeWideLeft",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawOpen",
    "jawRight",
    "mouthClose",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthFunnel",
    "mouthLeft",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthPucker",
    "mouthRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "noseSneerLeft",
    "noseSneerRight",
)

# fmt: off
#: The landmarks the blendshape model reads, in its input order (MediaPipe's
#: ``kLandmarksSubsetIdxs``): lips, eyes, brows, nose, face contour and both irises.
BLENDSHAPE_LANDMARKS: tuple[int, ...] = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63,
    65, 66, 67, 70, 78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133,
    136, 144, 145, 146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163,
    168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270,
    276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317,
    318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379,
    380, 381, 382, 384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454,
    466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
)
# fmt: on

_SUBSET = np.array(BLENDSHAPE_LANDMARKS, dtype=np.intp)


class BlendshapeModel:
    """``face_blendshapes.tflite`` on LiteRT. ``run(landmarks)`` -> 52 scores, 0..1."""

    def __init__(self, model_path: Path, num_threads: int = 1) -> None:
        self._interpreter = open_interpreter(model_path, "face blendshape", num_threads)
        inp = self._interpreter.get_input_details()[0]
        out = self._interpreter.get_output_details()[0]
        shape, size = tuple(int(v) for v in inp["shape"]), int(np.prod(out["shape"]))
        if shape != (1, len(BLENDSHAPE_LANDMARKS), 2) or size != len(BLENDSHAPE_NAMES):
            raise ModelError(
                f"face blendshape model {model_path} takes {shape} and gives {size} values; "
                f"expected (1, {len(BLENDSHAPE_LANDMARKS)}, 2) -> {len(BLENDSHAPE_NAMES)}",
                "restore it with 'git checkout models/' or reinstall streamfer",
            )
        self._input = inp["index"]
        self._output = out["index"]
        self._first = True

    def run(self, landmarks: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Scores in ``BLENDSHAPE_NAMES`` order for (478, 2 or 3) landmarks in image pixels."""
        if landmarks.shape[0] != NUM_LANDMARKS:
            raise ValueError(f"expected {NUM_LANDMARKS} landmarks, got {landmarks.shape}")
        points = np.ascontiguousarray(landmarks[_SUBSET, :2], dtype=np.float32)[np.newaxis]
        self._interpreter.set_tensor(self._input, points)
        invoke(self._interpreter, quiet=self._first)
        self._first = False
        return np.array(self._interpreter.get_tensor(self._output).reshape(-1), dtype=np.float32)
