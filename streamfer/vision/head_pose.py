"""Head pose (yaw, pitch, roll in degrees) from the 478 landmarks and MediaPipe's canonical face.

Method: ``cv2.solvePnP`` fits the canonical face (``models/face_canonical.json``, derived from
the Face Landmarker's ``geometry_pipeline_metadata_landmarks.binarypb``; centimetres, x to the
person's left, y up, z out of the face) to the landmarks' image x and y, with a pinhole camera
whose focal length is the frame's longer side in pixels (about 53 degrees across the longer
side: a webcam's view) centred on the frame. Only the 33 points of the canonical face's
Procrustes basis are used, the ones MediaPipe's own geometry pipeline
(``mediapipe/tasks/cc/vision/face_geometry/libs/geometry_pipeline.cc``) fits with: forehead,
nose bridge, cheekbones, eye corners, points that an expression hardly moves, so a smile or an
open mouth does not tilt the estimate. The solver is SQPnP (global, no starting guess), then
refined by Levenberg-Marquardt.

Conventions (``docs/geometry.md``), all zero for a face looking straight into the camera:

- ``yaw``: positive when the person turns to THEIR left (the nose moves towards the image's
  right);
- ``pitch``: positive when the person looks up;
- ``roll``: positive when the head tilts towards the person's left shoulder (the face turns
  clockwise on the screen, the same sense as the landmark ROI's rotation).

The rotation R from the canonical face to a viewer's frame (x to the image's right, y up, z
towards the viewer) is read as R = Ry(yaw) Rx(-pitch) Rz(-roll): yaw about the vertical axis
first, then pitch about the turned face's horizontal axis, then roll about its nose.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.errors import ModelError
from streamfer.vision.models import RESTORE_HINT

# OpenCV's camera looks along +z with y down; the viewer's frame has y up and z towards the
# viewer: the two differ by this flip.
_FLIP = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class CanonicalFace:
    """The canonical face's vertices (468, 3) in cm and the landmark ids head pose fits."""

    vertices: npt.NDArray[np.float64]
    pose_landmarks: npt.NDArray[np.intp]


@lru_cache(maxsize=4)
def load_canonical_face(path: Path) -> CanonicalFace:
    """Read ``face_canonical.json`` (see ``models/canonical_face.py``); ModelError if unusable."""
    try:
        data = json.loads(path.read_text())
        vertices = np.array(data["vertices"], dtype=np.float64)
        ids = np.array([int(i) for i, _weight in data["procrustes"]], dtype=np.intp)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"canonical face {path} could not be read: {exc}", RESTORE_HINT) from None
    if vertices.ndim != 2 or vertices.shape[1] != 3 or len(ids) < 6 or ids.max() >= len(vertices):
        raise ModelError(f"canonical face {path} is malformed", RESTORE_HINT)
    return CanonicalFace(vertices, ids)


def head_pose(
    landmarks: npt.NDArray[np.float32], canonical: CanonicalFace, frame_size: tuple[int, int]
) -> tuple[float, float, float] | None:
    """(yaw, pitch, roll) in degrees for one face's landmarks in a ``(width, height)`` frame;
    None when the solver finds no pose (degenerate points)."""
    width, height = frame_size
    focal = float(max(width, height))
    camera = np.array([[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]])
    ids = canonical.pose_landmarks
    # The canonical face in OpenCV's object convention (y down, z away from the viewer).
    model = np.ascontiguousarray(canonical.vertices[ids] @ _FLIP)
    image = np.ascontiguousarray(landmarks[ids, :2], dtype=np.float64)
    try:
        ok, rvec, tvec = cv2.solvePnP(model, image, camera, None, flags=cv2.SOLVEPNP_SQPNP)
        if ok:
            rvec, tvec = cv2.solvePnPRefineLM(model, image, camera, None, rvec, tvec)
    except cv2.error:
        return None
    if not ok or not np.all(np.isfinite(rvec)) or float(tvec[2, 0]) <= 0:
        return None
    rotation = np.asarray(cv2.Rodrigues(rvec)[0], dtype=np.float64)
    return euler_angles(_FLIP @ rotation @ _FLIP)


def euler_angles(rotation: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a rotation from the canonical face to the viewer's
    frame (both x right, y up, z towards the viewer), as the module docstring defines them."""
    yaw = math.atan2(rotation[0, 2], rotation[2, 2])
    pitch = -math.asin(max(-1.0, min(1.0, -rotation[1, 2])))
    roll = -math.atan2(rotation[1, 0], rotation[1, 1])
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)
