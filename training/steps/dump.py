"""Each choosing photo through the whole pipeline, its scores kept for offline experiments.

    .venv/bin/python -m training.steps.dump MODEL --out $STREAMFER_TRAIN_DIR/eval/MODEL.npz

Runs ``FramePipeline`` (the real detector, tracker, the model's own crop and classifier) on
every photo of ``pipeline_eval``'s sets and ``training/splits.json``'s held-back sets, plus the
KDEF *training* people's neutral photos (for a model's ``neutral_reference``), and keeps per
photo: the set, the true label, the most confident face's probabilities (NaN without a face),
the person and session for KDEF. The fusion and baseline experiments
(``training.steps.fusion``, ``training.steps.baseline_eval``) read these files instead of running the
models again.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Frame
from streamfer.pipeline.stages import FramePipeline
from training.lib.paths import DATA
from training.lib.photos import (
    ferplus_scenes,
    held_back_photos,
    kdef_train_neutral,
    photo_sets,
    read_photo,
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("model")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument(
        "--geometry", action="store_true", help="also each face's blendshapes and head pose"
    )
    p.add_argument("--scenes", type=int, default=1000, help="FER+ valid scenes (0: none)")
    a = p.parse_args(argv)
    estimator = None
    if a.geometry:
        from streamfer.vision.geometry import GeometryEstimator

        estimator = GeometryEstimator.default()
    geometry: list[np.ndarray] = []
    sets = {**photo_sets(a.data), **held_back_photos(a.data)}
    sets["kdef_train_neutral"] = kdef_train_neutral(a.data)
    del sets["kdef"]  # KDEF's dev people are in kdef_dev; the others were trained on
    pipeline = FramePipeline(with_overrides(Config(), {"classifier.model": a.model}))
    classes = list(pipeline.classes)
    rows: dict[str, list[object]] = {k: [] for k in ("set", "label", "path", "person", "boxes")}
    probs = []
    scenes = ferplus_scenes(a.data, tuple(classes), a.scenes) if a.scenes else []
    photo_lists: dict[str, list[tuple[Path, str]]] = dict(sets)
    photo_lists["ferplus_scenes"] = [
        (Path(f"ferplus_scene_{i}"), t) for i, (_, t) in enumerate(scenes)
    ]
    try:
        for name, photos in photo_lists.items():
            for i, (path, label) in enumerate(photos):
                image = scenes[i][0] if name == "ferplus_scenes" else read_photo(str(path))
                faces = pipeline.process(Frame(i, float(i), image, 0.0)).frame.faces
                best = max(faces, key=lambda f: f.detection.score) if faces else None
                probs.append(best.probs if best else np.full(len(classes), np.nan, np.float32))
                if estimator is not None:
                    g = estimator.estimate(image, best.detection) if best else None
                    geometry.append(
                        np.r_[g.blendshapes, g.yaw, g.pitch, g.roll, g.presence]
                        if g is not None
                        else np.full(56, np.nan)
                    )
                d = best.detection if best else None
                rows["boxes"].append(
                    [
                        d.box.x,
                        d.box.y,
                        d.box.w,
                        d.box.h,
                        *(d.right_eye or (np.nan,) * 2),
                        *(d.left_eye or (np.nan,) * 2),
                    ]
                    if d
                    else [np.nan] * 8
                )
                rows["set"].append(name)
                rows["label"].append(label)
                rows["path"].append(
                    str(path) if name == "ferplus_scenes" else str(path.relative_to(a.data))
                )
                rows["person"].append(
                    path.stem[:4] if name.startswith("kdef") or name == "kdef_train_neutral" else ""
                )
            print(f"{name}: {len(photos)}", flush=True)
    finally:
        pipeline.close()
    extra: dict[str, Any] = {}
    if geometry:
        g_all = np.stack(geometry).astype(np.float32)
        extra = {"blendshapes": g_all[:, :52], "pose": g_all[:, 52:55], "presence": g_all[:, 55]}
    arrays: dict[str, Any] = {k: np.array(v) for k, v in rows.items()}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        a.out,
        probs=np.stack(probs),
        classes=np.array(classes),
        **arrays,
        **extra,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
