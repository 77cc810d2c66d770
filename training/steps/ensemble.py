"""Export an ensemble of trained runs as one float32 ``.tflite``: the members' scores averaged.

    TF_ENABLE_ONEDNN_OPTS=0 python -m training.steps.ensemble RUN[:EPOCH] RUN[:EPOCH] ... \\
        --name NAME --out DIR [--alpha 0.5] [--crop '{"margin": 0.0, "flip_average": true}']

Every member must take the same input size and give the same classes. Each member's logits
get ``alpha * log(prior)`` (its own run's class prior) before its softmax, as ``export`` does
for one run; the graph then averages the members' probabilities. Writes ``NAME.tflite``, its
sidecar ``NAME.json`` (the members listed under ``training.members``) and
``NAME.metrics.json``, like ``training.steps.export``; the TFLite file is checked against Keras.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from training.lib.data import CLASSES
from training.lib.exporting import DEFAULT_CROP, check_against_keras, evaluate, sidecar
from training.lib.paths import DATA


def _member(spec: str) -> tuple[Path, int | None]:
    path, _, epoch = spec.partition(":")
    return Path(path), int(epoch) if epoch else None


def build(members: list[tuple[Path, int | None]], alpha: float) -> tuple[Any, list[dict[str, Any]]]:
    """The averaged Keras model and each member's run.json (with the epoch restored)."""
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    from training.lib.nets import ARCHS

    runs: list[dict[str, Any]] = []
    outputs = []
    size: int | None = None
    face = None
    for i, (run_dir, epoch) in enumerate(members):
        run = json.loads((run_dir / "run.json").read_text())
        s = run["settings"]
        if size is None:
            size = int(s["size"])
            face = keras.Input((size, size, 1), batch_size=1, name="face")
        elif int(s["size"]) != size:
            raise SystemExit(f"{run_dir}: input {s['size']}, the first member's is {size}")
        model = ARCHS[s["arch"]](s["size"], len(CLASSES), s["weight_decay"])
        model.name = f"member{i}"
        ckpt = run_dir / "checkpoints"
        path = str(ckpt / f"ckpt-{epoch}") if epoch else tf.train.latest_checkpoint(str(ckpt))
        tf.train.Checkpoint(model=model).restore(path).expect_partial()
        run["epoch"] = int(path.rsplit("-", 1)[1])
        run["dir"] = str(run_dir)
        runs.append(run)
        bias = (alpha * np.log(np.asarray(run["prior"], np.float32))).astype(np.float32)
        logits = model(face, training=False)
        adjusted = keras.layers.Lambda(lambda z, b=bias: z + b, name=f"prior{i}")(logits)
        outputs.append(keras.layers.Softmax(name=f"probs{i}")(adjusted))
    probs = keras.layers.Average(name="probs")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(face, probs), runs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("members", nargs="+", help="RUN_DIR or RUN_DIR:EPOCH")
    p.add_argument("--name", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--alpha", type=float, default=0.5, help="prior power baked into each member")
    p.add_argument("--crop", type=json.loads, help="recommended crop as JSON")
    p.add_argument("--data", type=Path)
    a = p.parse_args(argv)
    import tensorflow as tf

    full, runs = build([_member(m) for m in a.members], a.alpha)
    converter = tf.lite.TFLiteConverter.from_keras_model(full)
    converter.optimizations = []  # float32 weights
    data = converter.convert()
    size = int(runs[0]["settings"]["size"])
    check_against_keras(data, full, size)
    a.out.mkdir(parents=True, exist_ok=True)
    tflite = a.out / f"{a.name}.tflite"
    tflite.write_bytes(data)
    card = sidecar(a.name, runs[0], a.alpha, a.crop or DEFAULT_CROP, runs[0]["epoch"])
    card["training"] = {
        "members": [
            {**r["settings"], "epoch": r["epoch"], "run": Path(r["dir"]).name} for r in runs
        ],
        "train_set": runs[0]["train"],
        "augment": runs[0]["augment"],
        "parameters": int(full.count_params()),
    }
    (a.out / f"{a.name}.json").write_text(json.dumps(card, indent=1) + "\n")
    metrics = {
        "file": tflite.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "parameters": int(full.count_params()),
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **evaluate(tflite, a.data or DATA),
    }
    (a.out / f"{a.name}.metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    print(
        f"exported {tflite} ({len(data)} bytes, {metrics['parameters']} parameters): "
        f"FER+ valid {metrics['ferplus']['accuracy']} "
        f"(flip {metrics['ferplus']['flip_accuracy']})",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
