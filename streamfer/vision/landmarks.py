"""MediaPipe's face landmark model (Face Mesh v2, 478 points) on LiteRT, from a detector's face.

The crop is MediaPipe Tasks' own (read from google-ai-edge/mediapipe, Apache-2.0; the code here
is written from those files, not copied):

- ``mediapipe/tasks/cc/vision/face_detector/face_detector_graph.cc``: a detection becomes the
  region of interest (ROI) through ``DetectionsToRectsCalculator`` with
  ``rotation_vector_start_keypoint_index: 0``, ``end: 1`` (the person's right eye, then left
  eye), ``target_angle: 0``, then ``RectTransformationCalculator`` with ``scale_x: 1.5``,
  ``scale_y: 1.5`` and *no* ``square_long``: the box's own centre, its width and height times
  1.5, turned by the eye line's angle
  (``mediapipe/calculators/util/detections_to_rects_calculator.cc``: ``rotation =
  target_angle - atan2(-(y1 - y0), x1 - x0)``; positive turns clockwise on the screen).
- ``mediapipe/tasks/cc/components/processors/image_preprocessing_graph.cc`` and
  ``mediapipe/calculators/tensor/image_to_tensor_converter_opencv.cc``: the rotated ROI is
  stretched (``keep_aspect_ratio`` unset) onto the model's 256x256 input by one bilinear
  warp whose ROI corners go to the input's corners, pixels outside the frame replicated
  (``BORDER_REPLICATE``, the calculator's default, ``image_to_tensor_calculator.proto``); RGB,
  values 0..1 (the model's metadata: mean 0, std 255).
- ``mediapipe/tasks/cc/vision/face_landmarker/face_landmarks_detector_graph.cc`` and
  ``tensors_to_face_landmarks_graph.cc``: output 0 holds 478 x (x, y, z) in input pixels,
  output 1 the face-presence logit (``TensorsToFloatsCalculator`` with ``SIGMOID``); a third
  output (the tongue score) is not used. Landmarks are divided by the input side, then
  ``LandmarkProjectionCalculator`` maps them back through the ROI, z scaled like x (by the
  ROI's width).

The mapping back is the exact inverse of the crop's warp. MediaPipe's projection rotates in
the ROI's normalised units, which is the same for a square ROI and differs by a fraction of
a pixel for BlazeFace's almost square boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.errors import ModelError
from streamfer.core.frames import Detection, Image
from streamfer.vision.litert import invoke, open_interpreter
from streamfer.vision.models import RESTORE_HINT

#: Landmarks the model gives: Face Mesh's 468 and 10 iris points (468-472 the person's left
#: iris as MediaPipe names it, 473-477 the other).
NUM_LANDMARKS = 478
#: MediaPipe's ROI: the detector's box times this, each side.
ROI_SCALE = 1.5


@dataclass(frozen=True)
class FaceRoi:
    """The rotated square-ish region the landmark model sees, in frame pixels.

    ``rotation``: radians, positive turns the region clockwise on the screen (the eye line
    from the person's right eye to their left eye runs downwards).
    """

    cx: float
    cy: float
    width: float
    height: float
    rotation: float

    @classmethod
    def from_detection(cls, detection: Detection, scale: float = ROI_SCALE) -> FaceRoi:
        """MediaPipe Tasks' ROI for a detected face: the box's centre, its sides times
        ``scale``, turned by the eye line (level when the detector gave no eyes)."""
        box = detection.box
        rotation = 0.0
        if detection.right_eye is not None and detection.left_eye is not None:
            (x0, y0), (x1, y1) = detection.right_eye, detection.left_eye
            rotation = -math.atan2(-(y1 - y0), x1 - x0)
        return cls(box.x + box.w / 2.0, box.y + box.h / 2.0, box.w * scale, box.h * scale, rotation)

    def to_frame(self, size: int) -> npt.NDArray[np.float64]:
        """The 2x3 affine map from model-input pixels (0..size) to frame pixels.

        Input (0, 0) is the ROI's top-left corner and (size, size) its bottom-right one, as
        MediaPipe's corner-to-corner warp has it.
        """
        cos, sin = math.cos(self.rotation), math.sin(self.rotation)
        sx, sy = self.width / size, self.height / size
        linear = np.array([[cos * sx, -sin * sy], [sin * sx, cos * sy]])
        offset = np.array([self.cx, self.cy]) - linear @ np.array([size / 2.0, size / 2.0])
        return np.hstack([linear, offset[:, np.newaxis]])

    def corners(self) -> npt.NDArray[np.float64]:
        """The four corners in frame pixels (top-left, top-right, bottom-right, bottom-left)."""
        matrix = self.to_frame(1)
        unit = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
        return unit @ matrix.T


class FaceLandmarkModel:
    """``face_landmarks_detector.tflite`` on LiteRT: 478 landmarks and a presence score."""

    def __init__(self, model_path: Path, num_threads: int = 1) -> None:
        self._interpreter = open_interpreter(model_path, "face landmark", num_threads)
        inp = self._interpreter.get_input_details()[0]
        shape = tuple(int(v) for v in inp["shape"])
        outputs = self._interpreter.get_output_details()
        sizes = [int(np.prod(o["shape"])) for o in outputs]
        square_rgb = len(shape) == 4 and shape[0] == 1 and shape[1] == shape[2] and shape[3] == 3
        if not square_rgb or len(outputs) < 2 or sizes[:2] != [NUM_LANDMARKS * 3, 1]:
            raise ModelError(
                f"face landmark model {model_path} takes {shape} and gives sizes {sizes}; "
                f"expected MediaPipe's face_landmarks_detector ((1, S, S, 3) -> "
                f"{NUM_LANDMARKS * 3} values, a presence logit, ...)",
                RESTORE_HINT,
            )
        self.input_size = shape[1]
        self._input = inp["index"]
        # MediaPipe splits the outputs by position: 0 the landmarks, 1 the presence flag.
        self._landmarks = outputs[0]["index"]
        self._presence = outputs[1]["index"]
        self._first = True

    def crop(self, image: Image, roi: FaceRoi) -> npt.NDArray[np.float32]:
        """The model input for ``roi`` of a BGR ``image``: (1, S, S, 3) RGB in 0..1."""
        size = self.input_size
        warped = cv2.warpAffine(
            image,
            roi.to_frame(size),
            (size, size),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        rgb = cv2.cvtColor(warped, cv2.COLOR_BGR2RGB)
        tensor = rgb.astype(np.float32)
        tensor *= np.float32(1.0 / 255.0)
        return tensor[np.newaxis]

    def run(self, image: Image, roi: FaceRoi) -> tuple[npt.NDArray[np.float32], float]:
        """Landmarks (478, 3) in frame pixels (z scaled like x) and the presence score 0..1."""
        self._interpreter.set_tensor(self._input, self.crop(image, roi))
        invoke(self._interpreter, quiet=self._first)
        self._first = False
        raw = self._interpreter.get_tensor(self._landmarks).reshape(NUM_LANDMARKS, 3)
        logit = float(self._interpreter.get_tensor(self._presence).reshape(-1)[0])
        matrix = roi.to_frame(self.input_size)
        points = np.empty((NUM_LANDMARKS, 3), dtype=np.float32)
        points[:, :2] = raw[:, :2] @ matrix[:, :2].T + matrix[:, 2]
        points[:, 2] = raw[:, 2] * np.float32(roi.width / self.input_size)
        return points, _sigmoid(logit)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
