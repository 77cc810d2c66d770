"""Every opinion of every choosing photo, under small shifts too, for Recognition III's choices.

    .venv/bin/python -m training.steps.opinions --out $STREAMFER_TRAIN_DIR/eval/opinions.npz [--part 0/2]
    .venv/bin/python -m training.steps.opinions --merge $STREAMFER_TRAIN_DIR/eval/opinions-*.npz \
        --out $STREAMFER_TRAIN_DIR/eval/opinions.npz

For each photo of the choosing sets (KDEF's dev people, frontal and half-turned; the Taiwanese
and BU-3DFE studios, every person, their dev people marked; London; SFEW's and the contempt
faces' held-back fifths; FER+ valid faces on larger backgrounds; KDEF's training people's
neutral photos for references) and for each of five versions of the photo (as it is; moved by
(+2, 0), (0, +2) and (-2, -2) pixels; scaled by 0.97), through streamfer's own parts:

- the detector's most confident face (box, eyes, nose tip, mouth centre);
- the emotion CNN's probabilities for it (the model's own crops, no geometry fusion);
- the geometry stage's blendshapes, head pose, presence and the five alignment points;
- the second expression model's probabilities with the face aligned by the landmarks' points
  and by BlazeFace's points.

``training.steps.choose`` reads the file to choose fusion weights, temperatures and the alignment
by the worst set, and to measure stability; nothing here is chosen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Frame
from streamfer.pipeline.stages import FramePipeline
from streamfer.vision.expression import (
    AlignedExpressionModel,
    points_from_detection,
    points_from_landmarks,
)
from streamfer.vision.geometry import GeometryEstimator
from training.lib.paths import DATA, SPLITS
from training.lib.photos import (
    ferplus_scenes,
    held_back_photos,
    kdef_train_neutral,
    photo_sets,
    read_photo,
)

#: (dx, dy, scale) of each version; the first is the photo as it is.
VARIANTS = ((0, 0, 1.0), (2, 0, 1.0), (0, 2, 1.0), (-2, -2, 1.0), (0, 0, 0.97))
EXPRESSION_MODEL = "models/expression_mobilefacenet.tflite"


def studio_photos(data: Path, folder: str) -> list[tuple[Path, str]]:
    return [(p, p.parent.name) for p in sorted((data / folder).glob("*/*.jpg"))]


def person_of(set_name: str, path: Path) -> str:
    if set_name.startswith("kdef"):
        return path.stem[1:4]
    if set_name == "taiwanese":
        return path.stem[:2]
    if set_name == "bu3dfe":
        return path.stem.split("_")[0]
    if set_name == "london":
        return path.stem.split("_")[0]
    return ""


def moved(image: npt.NDArray[np.uint8], dx: int, dy: int, scale: float) -> npt.NDArray[np.uint8]:
    """The frame moved by (dx, dy) pixels (edges replicated) or scaled by ``scale``."""
    if scale != 1.0:
        h, w = image.shape[:2]
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    if dx == 0 and dy == 0:
        return image
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
    h, w = image.shape[:2]
    return np.asarray(cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE), np.uint8)


def all_photos(data: Path, scenes: int) -> tuple[list[tuple[str, str, str]], dict[int, np.ndarray]]:
    sets = {**photo_sets(data), **held_back_photos(data)}
    del sets["kdef"]
    sets["taiwanese"] = studio_photos(data, "taiwanese_dev")
    sets["bu3dfe"] = studio_photos(data, "bu3dfe_dev")
    sets["kdef_train_neutral"] = kdef_train_neutral(data)
    rows = [(name, str(p), lab) for name, photos in sets.items() for p, lab in photos]
    images: dict[int, np.ndarray] = {}
    if scenes:
        for i, (image, label) in enumerate(
            ferplus_scenes(
                data,
                ("angry", "disgust", "fear", "happy", "sad", "surprise", "contempt", "neutral"),
                scenes,
            )
        ):
            images[len(rows)] = image
            rows.append(("ferplus_scenes", f"ferplus_scene_{i}", label))
    return rows, images


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--model", default="emotion_mini_mix")
    p.add_argument("--scenes", type=int, default=1000)
    p.add_argument("--part", default="0/1", help="K/N: every N-th photo from the K-th")
    p.add_argument("--merge", type=Path, nargs="*")
    p.add_argument(
        "--cnn-from",
        type=Path,
        help="an opinions file: keep its detections and other readings, read only --model's CNN",
    )
    p.add_argument(
        "--second-from",
        type=Path,
        help="an opinions file: keep everything but the second model's readings, read again",
    )
    a = p.parse_args(argv)
    if a.merge:
        return merge(a.merge, a.out)
    if a.cnn_from:
        return cnn_only(a.cnn_from, a.model, a.data, a.scenes, a.out)
    if a.second_from:
        return second_only(a.second_from, a.data, a.scenes, a.out)
    k, n = (int(v) for v in a.part.split("/"))
    rows, scene_images = all_photos(a.data, a.scenes)
    mine = list(range(k, len(rows), n))
    config = with_overrides(Config(), {"classifier.model": a.model, "geometry.enabled": False})
    pipeline = FramePipeline(config)
    estimator = GeometryEstimator.default()
    second = AlignedExpressionModel(config.resolve_model(EXPRESSION_MODEL))
    v, k8, k7 = len(VARIANTS), len(pipeline.classes), len(second.classes)
    out: dict[str, Any] = {
        "index": np.array(mine),
        "found": np.zeros((len(mine), v), bool),
        "cnn": np.full((len(mine), v, k8), np.nan, np.float32),
        "blendshapes": np.full((len(mine), v, 52), np.nan, np.float32),
        "pose": np.full((len(mine), v, 3), np.nan, np.float32),
        "presence": np.full((len(mine), v), np.nan, np.float32),
        "points_lm": np.full((len(mine), v, 5, 2), np.nan, np.float32),
        "points_det": np.full((len(mine), v, 5, 2), np.nan, np.float32),
        "box": np.full((len(mine), v, 4), np.nan, np.float32),
        "second_lm": np.full((len(mine), v, k7), np.nan, np.float32),
        "second_det": np.full((len(mine), v, k7), np.nan, np.float32),
    }
    try:
        for j, i in enumerate(mine):
            name, path, _ = rows[i]
            original = scene_images[i] if i in scene_images else read_photo(path)
            for vi, (dx, dy, scale) in enumerate(VARIANTS):
                image = moved(original, dx, dy, scale)
                frame = Frame(i, float(i), image, 0.0)
                faces = pipeline.detect(frame).faces
                if not faces:
                    continue
                d = max(faces, key=lambda f: f.score)
                out["found"][j, vi] = True
                out["box"][j, vi] = (d.box.x, d.box.y, d.box.w, d.box.h)
                out["cnn"][j, vi] = pipeline.reader.classify(frame.image, d)
                det_points = points_from_detection(d)
                if det_points is not None:
                    out["points_det"][j, vi] = det_points
                    out["second_det"][j, vi] = second.classify(image, det_points)
                g = estimator.estimate(image, d)
                if g is not None:
                    out["blendshapes"][j, vi] = g.blendshapes
                    out["pose"][j, vi] = (g.yaw, g.pitch, g.roll)
                    out["presence"][j, vi] = g.presence
                    lm_points = points_from_landmarks(g.landmarks)
                    out["points_lm"][j, vi] = lm_points
                    out["second_lm"][j, vi] = second.classify(image, lm_points)
            if j % 200 == 0:
                print(f"{j}/{len(mine)} {name}", flush=True)
    finally:
        pipeline.close()
        estimator.close()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        a.out,
        set=np.array([r[0] for r in rows]),
        path=np.array([r[1] for r in rows]),
        label=np.array([r[2] for r in rows]),
        person=np.array([person_of(r[0], Path(r[1])) for r in rows]),
        cnn_classes=np.array(pipeline.classes),
        second_classes=np.array(second.classes),
        variants=np.array(VARIANTS, dtype=np.float64),
        splits=np.array(json.dumps(json.loads(SPLITS.read_text()))),
        **out,
    )
    return 0


def cnn_only(source: Path, model: str, data: Path, scenes: int, out: Path) -> int:
    """Another CNN's readings of the same faces: the detector's boxes and eyes are taken from
    ``source`` (the detector does not depend on the CNN), the rest is kept as it is."""
    from streamfer.core.frames import Box, Detection

    d = dict(np.load(source))
    rows, scene_images = all_photos(data, scenes)
    assert [r[1] for r in rows] == [str(x) for x in d["path"]], "another photo list"
    config = with_overrides(Config(), {"classifier.model": model, "geometry.enabled": False})
    pipeline = FramePipeline(config)
    cnn = np.full((*d["found"].shape, len(pipeline.classes)), np.nan, np.float32)
    try:
        for i, (_, path, _) in enumerate(rows):
            if not d["found"][i].any():
                continue
            original = scene_images[i] if i in scene_images else read_photo(path)
            for vi, (dx, dy, scale) in enumerate(VARIANTS):
                if not d["found"][i, vi]:
                    continue
                x, y, w, h = (float(v) for v in d["box"][i, vi])
                eyes = d["points_det"][i, vi]
                right, left = (
                    (float(eyes[0][0]), float(eyes[0][1])),
                    (float(eyes[1][0]), float(eyes[1][1])),
                )
                detection = Detection(Box(x, y, w, h), 1.0, right, left)
                frame = Frame(i, float(i), moved(original, dx, dy, scale), 0.0)
                cnn[i, vi] = pipeline.reader.classify(frame.image, detection)
    finally:
        pipeline.close()
    d["cnn"] = cnn
    d["cnn_classes"] = np.array(pipeline.classes)
    np.savez_compressed(out, **d)
    return 0


def second_only(source: Path, data: Path, scenes: int, out: Path) -> int:
    """The second model's readings again (a rebuilt model file), on the stored five points."""
    d = dict(np.load(source))
    rows, scene_images = all_photos(data, scenes)
    assert [r[1] for r in rows] == [str(x) for x in d["path"]], "another photo list"
    second = AlignedExpressionModel(Config().resolve_model(EXPRESSION_MODEL))
    for key in ("second_lm", "second_det"):
        d[key] = np.full_like(d[key], np.nan)
    for i, (_, path, _) in enumerate(rows):
        if not d["found"][i].any():
            continue
        original = scene_images[i] if i in scene_images else read_photo(path)
        for vi, (dx, dy, scale) in enumerate(VARIANTS):
            image = None
            for key, points in (("second_lm", "points_lm"), ("second_det", "points_det")):
                if np.isnan(d[points][i, vi]).any():
                    continue
                image = moved(original, dx, dy, scale) if image is None else image
                d[key][i, vi] = second.classify(image, d[points][i, vi].astype(np.float64))
    np.savez_compressed(out, **d)
    return 0


def merge(parts: list[Path], out: Path) -> int:
    ds = [dict(np.load(x)) for x in parts]
    whole = dict(ds[0])
    order = np.concatenate([d["index"] for d in ds])
    for key in (
        "found",
        "cnn",
        "blendshapes",
        "pose",
        "presence",
        "points_lm",
        "points_det",
        "box",
        "second_lm",
        "second_det",
    ):
        merged = np.concatenate([d[key] for d in ds])
        whole[key] = merged[np.argsort(order)]
    whole["index"] = np.sort(order)
    assert len(whole["index"]) == len(whole["set"]), "parts do not cover every photo"
    np.savez_compressed(out, **whole)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
