"""Parity of streamfer's geometry stage with MediaPipe Tasks' FaceLandmarker, and KDEF's yaws.

    python benchmarks/geometry_parity.py                   # ../shared/data, every photo
    python benchmarks/geometry_parity.py --every 10        # every 10th photo of each set
    python benchmarks/geometry_parity.py --json out.json   # also write the figures

Parity (needs the ``mediapipe`` extra and ``../shared/models/face_landmarker.task``): on the
London Set photos and the KDEF frontal photos, MediaPipe Tasks' ``FaceLandmarker`` (IMAGE
mode, one face, blendshapes and transformation matrix on) against streamfer's BlazeFace on
LiteRT followed by ``GeometryEstimator`` (default thresholds). Per face both read: the mean
distance of the 478 landmarks (x, y) as a share of streamfer's box width, and the largest;
the absolute difference of each of the 52 blendshape scores; yaw, pitch and roll against
MediaPipe's facial transformation matrix read with ``head_pose.euler_angles``.

Yaws (no mediapipe needed): streamfer's yaw on KDEF's half-left (``HL``) and half-right
(``HR``) photos and on the frontal ones; a half-left photo shows the person turned to their
right, so its yaw should be negative. ``docs/geometry.md`` records the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from streamfer.vision.blazeface import BlazeFaceDetector
from streamfer.vision.blendshapes import BLENDSHAPE_NAMES
from streamfer.vision.geometry import GeometryEstimator
from streamfer.vision.head_pose import euler_angles

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_TASK = ROOT.parent / "shared" / "models" / "face_landmarker.task"


def photos(data: Path, name: str, every: int) -> list[Path]:
    if name == "london":
        files = sorted((data / "london_faces").glob("*/*.jpg"))
    elif name == "kdef_frontal":
        files = sorted((data / "kdef_frontal").glob("*/*.jpg"))
    else:  # HL / HR of kdef_angles
        files = sorted((data / "kdef_angles").glob(f"*/*{name}.jpg"))
    return files[::every]


def _streamfer(
    detector: BlazeFaceDetector, estimator: GeometryEstimator, image: np.ndarray
) -> tuple[Any, float] | None:
    faces = detector.detect(image)
    if not faces:
        return None
    face = max(faces, key=lambda d: d.box.area)
    geometry = estimator.estimate(image, face)
    return None if geometry is None else (geometry, face.box.w)


def parity(data: Path, task: Path, every: int = 1) -> dict[str, dict[str, Any]]:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(task)),
        running_mode=vision.RunningMode.IMAGE,
        num_faces=1,
        output_face_blendshapes=True,
        output_facial_transformation_matrixes=True,
    )
    landmarker = vision.FaceLandmarker.create_from_options(options)
    detector = BlazeFaceDetector(ROOT / "models" / "blazeface_short_range.tflite")
    estimator = GeometryEstimator.default()
    figures: dict[str, dict[str, Any]] = {}
    try:
        for name in ("london", "kdef_frontal"):
            files = photos(data, name, every)
            mean_err, max_err, blend, pose = [], [], [], []
            only_mp = only_sf = 0
            mp_seconds = sf_seconds = 0.0
            for path in files:
                image = cv2.imread(str(path))
                height, width = image.shape[:2]
                rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                t0 = time.perf_counter()
                result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
                t1 = time.perf_counter()
                ours = _streamfer(detector, estimator, image)
                t2 = time.perf_counter()
                mp_seconds, sf_seconds = mp_seconds + t1 - t0, sf_seconds + t2 - t1
                theirs = bool(result.face_landmarks)
                only_mp += theirs and ours is None
                only_sf += (not theirs) and ours is not None
                if not theirs or ours is None:
                    continue
                geometry, box_width = ours
                ref = np.array([[p.x * width, p.y * height] for p in result.face_landmarks[0]])
                distance = np.linalg.norm(geometry.landmarks[:, :2] - ref, axis=1) / box_width
                mean_err.append(float(distance.mean()))
                max_err.append(float(distance.max()))
                scores = np.array([c.score for c in result.face_blendshapes[0]])
                names = tuple(c.category_name for c in result.face_blendshapes[0])
                assert names == BLENDSHAPE_NAMES, names
                blend.append(np.abs(geometry.blendshapes - scores))
                matrix = np.array(result.facial_transformation_matrixes[0])[:3, :3]
                matrix = matrix / np.cbrt(np.linalg.det(matrix))  # MediaPipe's matrix has scale
                mp_pose = np.array(euler_angles(matrix))
                pose.append(
                    np.abs(np.array([geometry.yaw, geometry.pitch, geometry.roll]) - mp_pose)
                )
            figures[name] = _summary(
                files, mean_err, max_err, blend, pose, only_mp, only_sf, mp_seconds, sf_seconds
            )
    finally:
        landmarker.close()
    figures["skipped"] = dict(estimator.skipped)
    return figures


def _summary(
    files: list[Path],
    mean_err: list[float],
    max_err: list[float],
    blend: list[np.ndarray],
    pose: list[np.ndarray],
    only_mp: int,
    only_sf: int,
    mp_seconds: float,
    sf_seconds: float,
) -> dict[str, Any]:
    diffs = np.array(blend)  # faces x 52
    per_shape = diffs.mean(axis=0)
    worst = np.argsort(per_shape)[::-1][:5]
    angles = np.array(pose)
    return {
        "images": len(files),
        "both": len(mean_err),
        "only_mediapipe": int(only_mp),
        "only_streamfer": int(only_sf),
        "landmark_error_mean": float(np.mean(mean_err)),
        "landmark_error_face_mean_max": float(np.max(mean_err)),
        "landmark_error_point_max": float(np.max(max_err)),
        "blendshape_error_mean": float(diffs.mean()),
        "blendshape_error_face_mean_max": float(diffs.mean(axis=1).max()),
        "blendshape_error_max": float(diffs.max()),
        "blendshape_worst": {BLENDSHAPE_NAMES[i]: float(per_shape[i]) for i in worst},
        "blendshape_worst_single": BLENDSHAPE_NAMES[
            int(np.unravel_index(diffs.argmax(), diffs.shape)[1])
        ],
        "pose_error_mean_yaw_pitch_roll": [float(v) for v in angles.mean(axis=0)],
        "pose_error_max_yaw_pitch_roll": [float(v) for v in angles.max(axis=0)],
        "mediapipe_ms_per_image": 1000 * mp_seconds / len(files),
        "streamfer_ms_per_image": 1000 * sf_seconds / len(files),
    }


def yaws(data: Path, every: int = 1) -> dict[str, dict[str, Any]]:
    detector = BlazeFaceDetector(ROOT / "models" / "blazeface_short_range.tflite")
    estimator = GeometryEstimator.default()
    figures: dict[str, dict[str, Any]] = {}
    for name in ("HL", "HR", "kdef_frontal"):
        files = photos(data, name, every)
        values: list[float] = []
        for path in files:
            ours = _streamfer(detector, estimator, cv2.imread(str(path)))
            if ours is not None:
                values.append(ours[0].yaw)
        wrong = {
            "HL": sum(v > -15 for v in values),
            "HR": sum(v < 15 for v in values),
            "kdef_frontal": sum(abs(v) > 8 for v in values),
        }[name]
        figures[name] = {
            "images": len(files),
            "with_geometry": len(values),
            "yaw_mean": statistics.fmean(values),
            "yaw_min": min(values),
            "yaw_max": max(values),
            "outside_bound": int(wrong),  # HL above -15, HR below 15, frontal beyond 8
        }
    figures["skipped"] = dict(estimator.skipped)
    return figures


def _print(title: str, figures: dict[str, dict[str, Any]]) -> None:
    print(f"\n## {title}")
    for name, row in figures.items():
        print(f"{name}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in row.items()))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, list):
        return "/".join(f"{v:.2f}" for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} {_fmt(v)}" for k, v in value.items()) + "}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--task", type=Path, default=DEFAULT_TASK, help="face_landmarker.task")
    parser.add_argument("--every", type=int, default=1, help="every Nth photo of each set")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    out: dict[str, Any] = {"yaws": yaws(args.data, args.every)}
    _print("KDEF yaws (streamfer)", out["yaws"])
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        print("\nparity skipped: the mediapipe extra is not installed")
    else:
        out["parity"] = parity(args.data, args.task, args.every)
        _print("Parity with MediaPipe Tasks FaceLandmarker", out["parity"])
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
