"""The second expression model (MobileFaceNet): alignment and its parity with the source file.

``models/expression_mobilefacenet.tflite`` was rebuilt in float32 from OpenCV Zoo's int8 ONNX
file (``training/steps/convert_mobilefacenet.py``). The parity check runs both on the same aligned
faces of the London set and KDEF's frontal photos: the ONNX file on onnxruntime (a test
dependency only; streamfer never runs it) and the shipped file on LiteRT. Figures measured on
2026-12-06 are in docs/accuracy.md ("The second model")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from clips import ROOT

from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection
from streamfer.vision.blazeface import BlazeFaceDetector
from streamfer.vision.expression import (
    AlignedExpressionModel,
    aligned_face,
    points_from_detection,
    points_from_landmarks,
    similarity,
)
from streamfer.vision.geometry import GeometryEstimator

ONNX = (
    ROOT.parent
    / "shared"
    / "models"
    / ("facial_expression_recognition_mobilefacenet_2022july_int8.onnx")
)


@pytest.fixture(scope="module")
def model() -> AlignedExpressionModel:
    return AlignedExpressionModel(Config().resolve_model("models/expression_mobilefacenet.tflite"))


def test_similarity_recovers_a_known_transform() -> None:
    rng = np.random.default_rng(3)
    src = rng.uniform(0, 100, (5, 2))
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -4.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ (scale * rot).T + shift
    m = similarity(src, dst)
    assert np.allclose(m[:, :2], scale * rot, atol=1e-9)
    assert np.allclose(m[:, 2], shift, atol=1e-9)


def test_points_from_detection_put_the_mouth_corners_beside_its_centre() -> None:
    d = Detection(Box(0, 0, 100, 100), 0.9, (30.0, 40.0), (70.0, 40.0), (50.0, 60.0), (50.0, 80.0))
    points = points_from_detection(d)
    assert points is not None
    right_corner, left_corner = points[3], points[4]
    assert right_corner[0] < 50.0 < left_corner[0]
    assert np.allclose((right_corner + left_corner) / 2, (50.0, 80.0))
    assert points_from_detection(Detection(Box(0, 0, 9, 9), 0.9)) is None


def test_aligned_face_puts_the_points_on_the_template(model: AlignedExpressionModel) -> None:
    template = model.card.template
    image = np.zeros((300, 400, 3), np.uint8)
    points = template * 2.0 + (100.0, 50.0)  # the template, twice as large, elsewhere
    for x, y in points:
        cv2.circle(image, (round(x), round(y)), 3, (255, 255, 255), -1)
    face = aligned_face(image, points, template, model.card.size)
    for x, y in template:
        assert face[round(y), round(x)].max() > 200


def test_model_reads_a_smile_as_happy(
    model: AlignedExpressionModel, shared_data: Callable[..., Path]
) -> None:
    path = sorted(shared_data("london_faces", "smiling").glob("*.jpg"))[0]
    image = cv2.imread(str(path))
    with BlazeFaceDetector(Config().resolve_model("models/blazeface_short_range.tflite")) as det:
        d = max(det.detect(image, 0.0), key=lambda f: f.score)
    points = points_from_detection(d)
    assert points is not None
    probs = model.classify(image, points)
    assert probs.shape == (7,) and abs(float(probs.sum()) - 1.0) < 1e-4
    assert model.classes[int(np.argmax(probs))] == "happy"


@pytest.mark.needs_shared_data
def test_parity_with_onnxruntime(
    model: AlignedExpressionModel, shared_data: Callable[..., Path]
) -> None:
    """Same top-1 on at least 98 % of faces, mean absolute probability difference at most 0.02."""
    ort = pytest.importorskip("onnxruntime", reason="the parity check needs onnxruntime")
    if not ONNX.is_file():
        pytest.skip(f"needs {ONNX}")
    session = ort.InferenceSession(str(ONNX), providers=["CPUExecutionProvider"])
    # London's 204 photos and every second KDEF frontal photo (490) keep it under a minute
    photos = (
        sorted(shared_data("london_faces").glob("*/*.jpg"))
        + sorted(shared_data("kdef_frontal").glob("*/*.jpg"))[::2]
    )
    same, diffs, faces = 0, [], 0
    estimator = GeometryEstimator.default()
    with BlazeFaceDetector(Config().resolve_model("models/blazeface_short_range.tflite")) as det:
        for i, path in enumerate(photos):
            image = cv2.imread(str(path))
            found = det.detect(image, float(i))
            if not found:
                continue
            d = max(found, key=lambda f: f.score)
            g = estimator.estimate(image, d)
            points = (
                points_from_landmarks(g.landmarks) if g is not None else points_from_detection(d)
            )
            assert points is not None
            face = aligned_face(image, points, model.card.template, model.card.size)
            ours = model.read(face)
            rgb = cv2.cvtColor(face, cv2.COLOR_BGR2RGB).astype(np.float32)
            x = ((rgb / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[np.newaxis]
            scores = session.run(None, {"data": x})[0][0].astype(np.float64)
            theirs = np.exp(scores - scores.max())
            theirs /= theirs.sum()
            same += int(np.argmax(ours) == np.argmax(theirs))
            diffs.append(float(np.abs(ours - theirs).mean()))
            faces += 1
    estimator.close()
    agreement, mean_diff = same / faces, float(np.mean(diffs))
    print(f"parity on {faces} faces: top-1 agreement {agreement:.4f}, mean |dp| {mean_diff:.4f}")
    assert faces >= 680
    assert agreement >= 0.98
    assert mean_diff <= 0.02
