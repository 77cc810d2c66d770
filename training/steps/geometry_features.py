"""The geometry stage's view of every cached face: blendshapes, head pose, presence.

    .venv/bin/python -m training.steps.geometry_features $STREAMFER_TRAIN_DIR/cache/faces64.npz \\
        --out $STREAMFER_TRAIN_DIR/cache/geometry64.npz

For each face of a ``training.steps.sources`` cache, the photo is framed exactly as it was for
detection (the same border and scale), and ``streamfer.vision.geometry.GeometryEstimator``
runs on that detection: the same landmark and blendshape models, crop and pose solver as the
live pipeline. Rows line up with the cache's; a face that gets no geometry (too small, cut
by the edge, a low presence score) has NaN rows and its reason in ``skipped``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from streamfer.core.frames import Box, Detection
from streamfer.vision.geometry import GeometryEstimator
from training.lib.cutting import framed
from training.lib.paths import DATA
from training.lib.photos import read_photo


def detection_of(row: np.ndarray) -> Detection:
    x, y, w, h, rex, rey, lex, ley = (float(v) for v in row)
    right = None if np.isnan(rex) else (rex, rey)
    left = None if np.isnan(lex) else (lex, ley)
    return Detection(Box(x, y, w, h), 1.0, right, left)


def thumbnail(data: Path, source: str, name: str, cache: dict[str, Any]) -> np.ndarray:
    """The 48x48 face of a FER+ or FER2013 file name."""
    if source not in cache:
        npz = np.load(data / ("ferplus_train.npz" if source == "ferplus" else "fer2013_train.npz"))
        cache[source] = npz["images"]
        cache[source + ":index"] = {str(f): i for i, f in enumerate(npz["files"])}
    index = cache[source + ":index"][name]
    return np.asarray(cache[source][index])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("faces", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--sources", default="kdef,sfew,contempt,ferplus,fer2013")
    a = p.parse_args(argv)
    with np.load(a.faces) as npz:  # an npz member is read anew at each access: read each once
        faces = {k: npz[k] for k in ("source", "detected", "files", "pad", "boxes")}
    n = len(faces["source"])
    blend = np.full((n, 52), np.nan, np.float32)
    pose = np.full((n, 3), np.nan, np.float32)
    presence = np.full(n, np.nan, np.float32)
    wanted = set(a.sources.split(","))
    thumbs: dict[str, Any] = {}
    t0 = time.perf_counter()
    with GeometryEstimator.default() as estimator:
        for i in range(n):
            source = str(faces["source"][i])
            if source not in wanted or not faces["detected"][i]:
                continue
            name = str(faces["files"][i])
            if source in ("ferplus", "fer2013"):
                face = thumbnail(a.data, source, name, thumbs)
                view, _, _ = framed(
                    np.asarray(
                        cv2.resize(face, (144, 144), interpolation=cv2.INTER_LINEAR), np.uint8
                    ),
                    1 / 3,
                    0,
                )
            else:
                image = read_photo(str(a.data / name))
                view = image if faces["pad"][i] == 0 else framed(image, 0.3, 256)[0]
            g = estimator.estimate(view, detection_of(faces["boxes"][i]))
            if g is not None:
                blend[i], pose[i], presence[i] = g.blendshapes, (g.yaw, g.pitch, g.roll), g.presence
            if i % 5000 == 0:
                print(f"{i}/{n} {time.perf_counter() - t0:.0f} s", flush=True)
        skipped = dict(estimator.skipped)
    np.savez_compressed(a.out, blendshapes=blend, pose=pose, presence=presence)
    print("skipped:", skipped, "with geometry:", int((~np.isnan(presence)).sum()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
