"""Parity of the geometry stage with MediaPipe Tasks' FaceLandmarker (issue 17's bounds).

Every 10th London and KDEF frontal photo (21 + 98) through ``benchmarks/geometry_parity.py``;
the whole sets' figures are in docs/geometry.md. Needs the mediapipe extra (``.ci/run`` runs
``-m mediapipe`` in a second venv), ``../shared/data`` and ``../shared/models``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from clips import SHARED, load_benchmark

TASK = SHARED / "models" / "face_landmarker.task"


@pytest.mark.needs_shared_data
@pytest.mark.mediapipe
def test_landmarks_blendshapes_and_pose_agree_with_mediapipe_tasks(
    shared_data: Callable[..., Path],
) -> None:
    pytest.importorskip("mediapipe", reason="needs the mediapipe extra")
    data = shared_data("london_faces").parent
    shared_data("kdef_frontal")
    if not TASK.is_file():
        pytest.skip(f"needs {TASK}")
    parity = load_benchmark("geometry_parity")
    figures = parity.parity(data, TASK, every=10)
    for name in ("london", "kdef_frontal"):
        row = figures[name]
        assert row["both"] == row["images"] > 0, (name, row)
        # Landmarks within 2 % of the face box's width, each face on average; no point off by 5 %.
        assert row["landmark_error_face_mean_max"] <= 0.02, (name, row)
        assert row["landmark_error_point_max"] <= 0.05, (name, row)
        # Blendshape scores within 0.05 on average, and for each face on average.
        assert row["blendshape_error_mean"] <= 0.05, (name, row)
        assert row["blendshape_error_face_mean_max"] <= 0.05, (name, row)
        # Yaw as MediaPipe's transformation matrix gives it, within a few degrees.
        assert row["pose_error_mean_yaw_pitch_roll"][0] <= 3.0, (name, row)
    assert sum(figures["skipped"].values()) == 0
