"""A small classifier on the geometry stage's 52 blendshapes: expression geometry as evidence.

    $STREAMFER_TRAIN_DIR/tfvenv/bin/python -m training.steps.geometry_head \\
        --faces $STREAMFER_TRAIN_DIR/cache/faces64.npz --geometry $STREAMFER_TRAIN_DIR/cache/geometry64.npz \\
        --dump $STREAMFER_TRAIN_DIR/eval/MODEL.npz --out models/geometry_head.json

Trained on the same training faces as the CNN (``training.steps.sources``: FER+ and FER2013, KDEF's
50 training people at every angle, SFEW's and the contempt faces' training parts), each
source given a share of the sample weight and classes balanced within it, like
``training.lib.mix``. A face the landmarker could not read is left out. The features are the 52
blendshape scores (``--pose`` adds |yaw|, pitch and roll in radians), standardised; the
model is a multinomial logistic regression or, with ``--hidden N``, a one-hidden-layer MLP
(scikit-learn; only its weights are shipped, ``streamfer.vision.geometry_head`` runs them
with numpy). It is scored on the held-back photos of a ``training.steps.dump`` file made with
``--geometry`` (KDEF dev people, SFEW dev, the contempt fifth, London), alone and fused with
that dump's CNN: ``log p = (1 - w) log p_cnn + w log p_geometry``, for w in 0 .. 1, so the
fusion weight is chosen on people neither model trained on.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from training.lib.data import CLASSES
from training.lib.metrics import scores
from training.lib.mix import parse_mix

DEFAULT_MIX = "ferplus:0.35,fer2013:0.15,kdef:0.25,sfew:0.12,contempt:0.08"
CHOOSING = ("kdef_dev", "kdef_dev_half", "sfew_dev", "contempt_dev", "london", "ferplus_scenes")


def features(blend: np.ndarray, pose: np.ndarray | None) -> np.ndarray:
    if pose is None:
        return np.asarray(blend, np.float64)
    rad = np.deg2rad(pose.astype(np.float64))
    return np.asarray(np.c_[blend, np.abs(rad[:, :1]), rad[:, 1:]])


def sample_weights(source: np.ndarray, labels: np.ndarray, mix: str, balance: float) -> np.ndarray:
    shares = parse_mix(mix)
    w = np.zeros(len(source))
    for name, share in shares.items():
        mine = source == name
        if not mine.any():
            continue
        counts = np.bincount(labels[mine], minlength=len(CLASSES)).astype(np.float64)
        per_class = np.where(counts > 0, counts ** (1.0 - balance), 0.0)
        per_class /= per_class.sum()
        w[mine] = share * per_class[labels[mine]] / counts[labels[mine]]
    return np.asarray(w / w.mean())


def forward(head: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Probabilities from the exported weights (what the runtime does, in numpy)."""
    z = (x - np.asarray(head["mean"])) / np.asarray(head["scale"])
    layers = head["layers"]
    for i, layer in enumerate(layers):
        z = z @ np.asarray(layer["weights"]) + np.asarray(layer["bias"])
        if i < len(layers) - 1:
            z = np.maximum(z, 0.0)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def fused(p_cnn: np.ndarray, p_geo: np.ndarray, w: float) -> np.ndarray:
    z = (1 - w) * np.log(np.maximum(p_cnn, 1e-4)) + w * np.log(np.maximum(p_geo, 1e-4))
    return np.asarray(z.argmax(axis=1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--faces", type=Path, required=True)
    p.add_argument("--geometry", type=Path, required=True)
    p.add_argument("--dump", type=Path, required=True)
    p.add_argument("--out", type=Path)
    p.add_argument("--mix", default=DEFAULT_MIX)
    p.add_argument("--class-balance", type=float, default=0.5)
    p.add_argument("--hidden", type=int, default=0, help="one hidden layer of N units (0: none)")
    p.add_argument("--pose", action="store_true", help="|yaw|, pitch, roll as features too")
    p.add_argument("--C", type=float, default=1.0, help="inverse L2 strength (logistic)")
    p.add_argument("--alpha", type=float, default=1e-3, help="L2 of the MLP")
    p.add_argument("--seed", type=int, default=18)
    a = p.parse_args(argv)
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    faces, geo = np.load(a.faces), np.load(a.geometry)
    ok = (faces["split"] == "train") & ~np.isnan(geo["presence"])
    ok &= np.isin(faces["source"], list(parse_mix(a.mix)))
    x = features(geo["blendshapes"][ok], geo["pose"][ok] if a.pose else None)
    y = faces["targets"][ok].argmax(axis=1)
    w = sample_weights(faces["source"][ok], y, a.mix, a.class_balance)
    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    t0 = time.perf_counter()
    if a.hidden:
        # MLPClassifier takes no sample weights: draw a weighted resample of the same size
        rng = np.random.default_rng(a.seed)
        pick = rng.choice(len(xs), size=len(xs), p=w / w.sum())
        clf = MLPClassifier(
            (a.hidden,), alpha=a.alpha, max_iter=300, early_stopping=True, random_state=a.seed
        ).fit(xs[pick], y[pick])
        layers = [
            {"weights": W.round(6).tolist(), "bias": b.round(6).tolist()}
            for W, b in zip(clf.coefs_, clf.intercepts_, strict=True)
        ]
    else:
        clf = LogisticRegression(C=a.C, max_iter=2000).fit(xs, y, sample_weight=w)
        layers = [
            {"weights": clf.coef_.T.round(6).tolist(), "bias": clf.intercept_.round(6).tolist()}
        ]
    present = sorted(set(y.tolist()))
    if present != list(range(len(CLASSES))):
        raise SystemExit(f"training faces cover classes {present} only")
    head = {
        "format": "streamfer-geometry-head/1",
        "classes": list(CLASSES),
        "features": "blendshapes" + ("+pose" if a.pose else ""),
        "mean": scaler.mean_.round(6).tolist(),
        "scale": scaler.scale_.round(6).tolist(),
        "layers": layers,
        "training": {
            "faces": int(ok.sum()),
            "mix": a.mix,
            "class_balance": a.class_balance,
            "hidden": a.hidden,
            "C": a.C,
            "alpha": a.alpha,
            "seed": a.seed,
            "seconds": round(time.perf_counter() - t0, 1),
        },
    }
    d = np.load(a.dump)
    dump_classes = [str(c) for c in d["classes"]]
    if dump_classes != list(CLASSES):
        raise SystemExit(f"{a.dump} holds a model with classes {dump_classes}")
    has = ~np.isnan(d["presence"]) & ~np.isnan(d["probs"]).any(axis=1)
    geo_p = np.zeros_like(d["probs"])
    geo_p[has] = forward(head, features(d["blendshapes"][has], d["pose"][has] if a.pose else None))
    results: dict[str, Any] = {}
    print(
        "| set | n (with geometry) | CNN | geometry | "
        + " | ".join(f"w {w:g}" for w in (0.2, 0.3, 0.4, 0.5))
        + " |"
    )
    for name in CHOOSING:
        m = (d["set"] == name) & has
        truth = [str(t) for t in d["label"][m]]
        row: dict[str, Any] = {
            "n": int(m.sum()),
            "no_geometry": int(((d["set"] == name) & ~has).sum()),
        }
        for wname, wv in [("cnn", 0.0), ("geometry", 1.0)] + [
            (f"w{w:g}", w) for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
        ]:
            pred = [CLASSES[i] for i in fused(d["probs"][m], geo_p[m], wv)]
            row[wname] = scores(truth, pred, CLASSES)
        results[name] = row
        acc = [row[k]["accuracy"] for k in ("cnn", "geometry", "w0.2", "w0.3", "w0.4", "w0.5")]
        print(f"| {name} | {row['n']} | " + " | ".join(f"{v:.3f}" for v in acc) + " |")
    head["choosing"] = {
        k: {kk: vv["accuracy"] for kk, vv in v.items() if isinstance(vv, dict)}
        for k, v in results.items()
    }
    if a.out:
        a.out.write_text(json.dumps(head) + "\n")
        a.out.with_suffix(".results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
