"""Head pose (``streamfer.vision.head_pose``) from the landmarks of the canonical face
photographed at known angles: the pose given back, and the angles' signs as docs/geometry.md
says."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from pipelines import MODELS

from streamfer.vision.head_pose import head_pose, load_canonical_face


def _rotation(yaw: float, pitch: float, roll: float) -> npt.NDArray[np.float64]:
    """Ry(yaw) Rx(-pitch) Rz(-roll), degrees: head_pose's definition."""
    y, p, r = (math.radians(v) for v in (yaw, -pitch, -roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return ry @ rx @ rz


def _photograph(yaw: float, pitch: float, roll: float) -> npt.NDArray[np.float32]:
    """The canonical face turned so, 60 cm in front of a 640x480 camera, as 478 landmarks."""
    canonical = load_canonical_face(MODELS / "face_canonical.json").vertices
    viewer = canonical @ _rotation(yaw, pitch, roll).T + np.array([0.0, 0.0, -60.0])
    focal = 640.0
    u = 320.0 + focal * viewer[:, 0] / -viewer[:, 2]
    v = 240.0 - focal * viewer[:, 1] / -viewer[:, 2]
    points = np.zeros((478, 3), dtype=np.float32)
    points[:468, 0], points[:468, 1] = u, v
    return points


@pytest.mark.parametrize(
    ("yaw", "pitch", "roll"), [(0, 0, 0), (25, 0, 0), (-30, 10, 0), (0, -15, 12), (10, 20, -25)]
)
def test_head_pose_gives_back_the_pose_of_a_photographed_canonical_face(
    yaw: float, pitch: float, roll: float
) -> None:
    canonical = load_canonical_face(MODELS / "face_canonical.json")
    pose = head_pose(_photograph(yaw, pitch, roll), canonical, (640, 480))
    assert pose == pytest.approx((yaw, pitch, roll), abs=0.5)


def test_the_angles_mean_what_the_docs_say() -> None:
    """Yaw + moves the nose tip (1) to the image's right of the nose bridge (168); pitch + moves
    it up; roll + lowers the eye on the image's right (263) below the other (33)."""

    def nose_offset(yaw: float, pitch: float) -> npt.NDArray[np.float32]:
        points = _photograph(yaw, pitch, 0)
        return points[1, :2] - points[168, :2]

    assert nose_offset(20, 0)[0] > nose_offset(0, 0)[0] + 1
    assert nose_offset(0, 20)[1] < nose_offset(0, 0)[1] - 1
    tilted = _photograph(0, 0, 15)
    assert tilted[263, 1] > tilted[33, 1] + 1
