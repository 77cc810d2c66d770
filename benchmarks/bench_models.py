"""Time per face of each emotion model in models/, one thread. Prints figures; asserts nothing.

    python benchmarks/bench_models.py [MODEL.tflite ...] [--faces 2000] [--repeats 5]

Without MODEL files it times every ``models/emotion_*.tflite``; a candidate with its sidecar
(``training.steps.export`` writes both) can be named instead.

Each model classifies ``--faces`` crops of its own input size (real face pixels: the demo
portrait's face, shifted a pixel per crop so no two runs see the same input) through
streamfer's TFLiteEmotionClassifier with one thread; the figure is the median over
``--repeats`` runs of the mean time per face, with and without flip averaging.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from machine import cpu_name

from streamfer.vision.classify import TFLiteEmotionClassifier

ROOT = Path(__file__).resolve().parent.parent


def crops(size: int, n: int) -> list[np.ndarray]:
    from streamfer.sources.demo import grace_hopper

    gray = cv2.cvtColor(grace_hopper(), cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    side = min(h, w) // 2
    out = []
    for i in range(n):
        dx, dy = i % 17, (i // 17) % 17
        face = gray[h // 4 + dy : h // 4 + dy + side, w // 4 + dx : w // 4 + dx + side]
        out.append(cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA))
    return out


def per_face_ms(
    classifier: TFLiteEmotionClassifier, faces: list[np.ndarray], repeats: int
) -> float:
    for face in faces[:50]:
        classifier.classify(face)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for face in faces:
            classifier.classify(face)
        runs.append((time.perf_counter() - start) / len(faces) * 1000.0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", nargs="*", type=Path, help="default: models/emotion_*.tflite")
    parser.add_argument("--faces", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print("| model | input | classes | file KiB | ms/face (1 thread) | with flip averaging |")
    print("|---|---|---|---|---|---|")
    for model in args.models or sorted((ROOT / "models").glob("emotion_*.tflite")):
        plain = TFLiteEmotionClassifier(model, 1, flip_average=False)
        flipped = TFLiteEmotionClassifier(model, 1, flip_average=True)
        faces = crops(plain.input_size, args.faces)
        print(
            f"| {plain.card.name} | {plain.input_size}x{plain.input_size} | {len(plain.classes)} | "
            f"{model.stat().st_size / 1024:.0f} | {per_face_ms(plain, faces, args.repeats):.3f} | "
            f"{per_face_ms(flipped, faces, args.repeats):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
