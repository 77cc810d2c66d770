"""Compose a shipped emotion model: a CNN, its geometry head and the second model, with the
fusion weights, the second model's temperature and the baseline rule chosen by
``training.steps.choose``, the neutral reference measured on London's neutral photos.

    .venv/bin/python -m training.steps.ship --cnn models/emotion_mini_mix.tflite --name NAME \
        --opinions $STREAMFER_TRAIN_DIR/eval/opinions.npz --head-weight 0.2 --second-weight 0.3 \
        --temperature 2 --rule every_class --gain 1.0 [--head HEAD.json] [--out models]

Writes ``OUT/NAME.tflite`` (the CNN, copied), ``OUT/NAME.json`` (its sidecar with ``name``,
``geometry``, ``second`` and ``baseline`` set) and ``OUT/geometry_head_NAME.json``. The
opinions file must have been made with this CNN (``training.steps.opinions --model``), so the
reference is the shipped fusion's own reading of neutral faces.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from streamfer.vision.fusion import tempered
from streamfer.vision.geometry_head import GeometryHead
from training.lib.fusion import fuse, head_probs, to_cnn_order
from training.lib.paths import HEAD

SECOND_MODEL = "expression_mobilefacenet.tflite"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cnn", type=Path, required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--opinions", type=Path, required=True)
    p.add_argument("--head", type=Path, default=HEAD)
    p.add_argument("--head-weight", type=float, required=True)
    p.add_argument("--second-weight", type=float, required=True)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--rule", choices=("emotions", "every_class"), default="every_class")
    p.add_argument("--strength", type=float, default=0.0)
    p.add_argument("--gain", type=float, required=True)
    p.add_argument("--out", type=Path, default=Path("models"))
    a = p.parse_args(argv)
    card = json.loads(a.cnn.with_suffix(".json").read_text())
    head = json.loads(a.head.read_text())
    if head["classes"] != card["classes"]:
        raise SystemExit(f"{a.head} reads {head['classes']}, the CNN {card['classes']}")
    d = dict(np.load(a.opinions))
    classes = [str(c) for c in d["cnn_classes"]]
    if classes != card["classes"]:
        raise SystemExit(f"{a.opinions} was made with another model's classes")
    second = to_cnn_order(d["second_lm"], [str(c) for c in d["second_classes"]], classes)
    cnn_weight = 1.0 - a.head_weight - a.second_weight
    z = fuse(
        [
            (d["cnn"].astype(np.float64), cnn_weight),
            (head_probs(d, GeometryHead.load(a.head)), a.head_weight),
            (tempered(second, a.temperature), a.second_weight),
        ]
    )
    neutral = (d["set"] == "london") & (d["label"] == "neutral") & d["found"][:, 0]
    zn = z[neutral, 0]
    top = zn.max(axis=1, keepdims=True)
    log_probs = zn - top - np.log(np.exp(zn - top).sum(axis=1, keepdims=True))
    reference = np.log(np.maximum(np.exp(log_probs), 1e-4)).mean(axis=0)
    a.out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(a.cnn, a.out / f"{a.name}.tflite")
    head_name = f"geometry_head_{a.name}.json"
    (a.out / head_name).write_text(json.dumps(head) + "\n")
    card["name"] = a.name
    card["geometry"] = {
        "head": head_name,
        "weight": a.head_weight,
        "note": "a part of the three-way fusion (streamfer/vision/fusion.py) where the face has "
        "geometry; weights chosen on held-back people of four studios by the worst of them "
        "(training/steps/choose.py)",
    }
    card["second"] = {
        "model": SECOND_MODEL,
        "weight": a.second_weight,
        "temperature": a.temperature,
        "note": "read on the face aligned by five of its landmarks at each geometry sample "
        "(streamfer/vision/expression.py); log p = w_cnn log p_cnn + w_geometry log p_head + "
        "w_second log softmax(log p_second / T), w_cnn = 1 - the other two; no contempt: "
        "there the second model abstains",
    }
    card["baseline"] = {
        "neutral_reference": [round(float(v), 4) for v in reference],
        "rule": a.rule,
        "strength": a.strength,
        "gain": a.gain,
        "note": "reference: mean fused log-probabilities over the London set's neutral photos; "
        "rule and gain chosen on KDEF's two sessions and the Taiwanese and BU-3DFE neutral "
        "photos (training/steps/choose.py --baseline)",
    }
    (a.out / f"{a.name}.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {a.name}.tflite, {a.name}.json and {head_name} in {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
