"""A trained run's checkpoint as a float32 ``.tflite`` with its sidecar and metrics JSON.

``export_run`` is what ``training.steps.export`` runs and what ``training.steps.train`` runs
after its last epoch; ``training.steps.ensemble`` shares the sidecar, the Keras check and the
scores. Writes ``DIR/NAME.tflite`` (input float32 [1, S, S, 1], output float32 [1, 8] softmax
scores in the sidecar's class order), ``DIR/NAME.json`` (the sidecar streamfer reads) and
``DIR/NAME.metrics.json`` (FER+ valid majority vote and FER2013 PublicTest, plain and with
flip averaging, through the LiteRT interpreter). Needs TensorFlow (imported when used).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from training.lib.data import CLASSES, validation_sets
from training.lib.metrics import Candidate, scores
from training.lib.paths import DATA

DEFAULT_CROP = {
    "margin": 0.2,
    "square": True,
    "align_eyes": False,
    "equalize": False,
    "flip_average": False,
}


def sidecar(
    name: str, run: dict[str, Any], alpha: float, crop: dict[str, Any], epoch: int
) -> dict[str, Any]:
    size = int(run["settings"]["size"])
    prior = np.asarray(run["prior"], np.float64)
    return {
        "format": "streamfer-emotion-model/1",
        "name": name,
        "input": {
            "height": size,
            "width": size,
            "channels": 1,
            "color": "gray",
            "scale": 2.0 / 255.0,
            "offset": -1.0,
            "note": "value = pixel * scale + offset (pixel 0..255 -> -1..1)",
        },
        "output": "softmax",
        "classes": list(CLASSES),
        "crop": crop,
        "prior": prior.round(6).tolist(),
        "prior_alpha": alpha,
        "training": {
            **run["settings"],
            "epoch": epoch,
            "train_set": run["train"],
            "augment": run["augment"],
        },
    }


def convert(
    run_dir: Path, epoch: int | None, alpha: float, class_bias: dict[str, float] | None = None
) -> tuple[bytes, dict[str, Any], int]:
    import tensorflow as tf

    # At the end of a training run the threads are already set, and TensorFlow refuses a change.
    with contextlib.suppress(RuntimeError):
        tf.config.threading.set_intra_op_parallelism_threads(1)
    from training.lib.nets import ARCHS

    run = json.loads((run_dir / "run.json").read_text())
    s = run["settings"]
    model = ARCHS[s["arch"]](s["size"], len(CLASSES), s["weight_decay"])
    ckpt_dir = run_dir / "checkpoints"
    path = str(ckpt_dir / f"ckpt-{epoch}") if epoch else tf.train.latest_checkpoint(str(ckpt_dir))
    tf.train.Checkpoint(model=model).restore(path).expect_partial()
    epoch = int(path.rsplit("-", 1)[1])
    import keras

    bias = alpha * np.log(np.asarray(run["prior"], np.float32))
    for name, value in (class_bias or {}).items():
        bias[CLASSES.index(name)] += np.float32(value)
    size = int(s["size"])
    face = keras.Input((size, size, 1), batch_size=1, name="face")
    logits = model(face, training=False)
    probs = keras.layers.Softmax(name="probs")(
        keras.layers.Lambda(lambda z: z + bias, name="prior")(logits)
        if alpha or class_bias
        else logits
    )
    full = keras.Model(face, probs)
    converter = tf.lite.TFLiteConverter.from_keras_model(full)
    converter.optimizations = []  # float32 weights: no quantisation
    flatbuffer = converter.convert()
    check_against_keras(flatbuffer, full, size)
    return flatbuffer, run, epoch


def check_against_keras(flatbuffer: bytes, full: Any, size: int) -> None:
    """Stop when the TFLite file does not reproduce the Keras model (a bad conversion)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]["index"]
    out = interpreter.get_output_details()[0]["index"]
    x = np.random.default_rng(0).uniform(-1, 1, (16, size, size, 1)).astype(np.float32)
    expected = np.asarray(full(x, training=False))
    worst = 0.0
    for i in range(len(x)):
        interpreter.set_tensor(inp, x[i : i + 1])
        interpreter.invoke()
        worst = max(worst, float(np.abs(interpreter.get_tensor(out)[0] - expected[i]).max()))
    if not worst < 1e-4:
        raise RuntimeError(f"TFLite output differs from Keras by {worst:.2e}")
    print(f"max |tflite - keras| over 16 random inputs: {worst:.1e}", flush=True)


def evaluate(path: Path, data_dir: Path) -> dict[str, Any]:
    """FER+ valid (majority) and FER2013 PublicTest scores of an exported file."""
    candidate = Candidate.load(path)
    result: dict[str, Any] = {}
    for vs in validation_sets(data_dir):
        truth = [CLASSES[i] for i in vs.labels]
        t0 = time.perf_counter()
        probs = candidate.probs(vs.images)
        per_face_ms = (time.perf_counter() - t0) / len(vs.images) * 1000.0
        flipped = candidate.probs(vs.images, flip=True)
        key = vs.name.split(":")[0]
        plain = scores(truth, [candidate.classes[i] for i in probs.argmax(1)], candidate.classes)
        flip = scores(truth, [candidate.classes[i] for i in flipped.argmax(1)], candidate.classes)
        result[key] = {
            **plain,
            "flip_accuracy": flip["accuracy"],
            "flip_recall": flip["recall"],
            "ms_per_face_1_thread": round(per_face_ms, 3),
        }
    return result


def export_run(
    run_dir: Path,
    epoch: int | None = None,
    alpha: float = 0.0,
    name: str | None = None,
    out: Path | None = None,
    crop: dict[str, Any] | None = None,
    data_dir: Path | None = None,
    class_bias: dict[str, float] | None = None,
) -> Path:
    data, run, epoch = convert(run_dir, epoch, alpha, class_bias)
    name = name or f"{run_dir.name}_e{epoch}_a{alpha:g}"
    out = out or run_dir / "export"
    out.mkdir(parents=True, exist_ok=True)
    tflite = out / f"{name}.tflite"
    tflite.write_bytes(data)
    card = sidecar(name, run, alpha, crop or DEFAULT_CROP, epoch)
    if class_bias:
        card["class_bias"] = class_bias  # added to the logits after the prior, chosen on dev sets
    (out / f"{name}.json").write_text(json.dumps(card, indent=1) + "\n")
    metrics = {
        "file": tflite.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "params_note": "see training log",
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **evaluate(tflite, data_dir or DATA),
    }
    (out / f"{name}.metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    print(
        f"exported {tflite} ({len(data)} bytes): "
        f"FER+ valid {metrics['ferplus']['accuracy']} (flip {metrics['ferplus']['flip_accuracy']}), "
        f"FER2013 PublicTest {metrics['fer2013']['accuracy']}",
        flush=True,
    )
    return tflite
