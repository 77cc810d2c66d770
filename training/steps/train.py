"""Train an emotion model from ../shared/data; one checkpoint per epoch; --resume goes on.

    TF_ENABLE_ONEDNN_OPTS=0 python -m training.steps.train --out $STREAMFER_TRAIN_DIR/runs/mx48 \\
        --arch mini_xception --size 48 --sources ferplus,fer2013 --epochs 24

A run's settings are written to ``OUT/run.json``; ``--resume`` reads them back and continues
from the newest checkpoint in ``OUT/checkpoints``. Each epoch appends one JSON line to
``OUT/log.jsonl`` (and prints one line). When the last epoch is done the model is exported
(``training.steps.export``): ``OUT/export/*.tflite`` with sidecar and metrics JSON.

The loss is cross-entropy against the target distribution on logit-adjusted logits,
``logits + tau * log(prior)`` (Menon et al. 2021, "Long-tail learning via logit adjustment",
ICLR): the network's own logits then estimate a class-balanced posterior, and the export
adds ``alpha * log(prior)`` back (alpha 0: balanced, alpha = tau: the training prior).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # TF 2.21 crashes on this machine without it
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from training.lib.data import CLASSES, training_set, validation_sets
from training.lib.paths import DATA


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="run folder (outside the repo)")
    p.add_argument("--resume", action="store_true", help="go on from OUT's newest checkpoint")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument(
        "--arch",
        default="mini_xception",
        choices=["mini_xception", "xception_m", "xception_s", "fer2013_mini", "fer2013_big"],
    )
    p.add_argument("--size", type=int, default=48, help="input side in pixels (48 or 64)")
    p.add_argument("--sources", default="ferplus,fer2013", help="ferplus, fer2013 or both")
    p.add_argument("--ferplus-target", default="soft", choices=["soft", "majority"])
    p.add_argument("--tau", type=float, default=1.0, help="logit adjustment strength (0: plain)")
    p.add_argument(
        "--prior-floor",
        type=float,
        default=0.01,
        help="class prior floor for the adjustment (contempt and disgust are rare)",
    )
    p.add_argument("--epochs", type=int, default=24)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument(
        "--warmup-epochs",
        type=float,
        default=1.0,
        help="linear warm-up from lr/10 (fine-tuning wants a short one)",
    )
    p.add_argument("--weight-decay", type=float, default=1e-4, help="L2 on kernels")
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--threads", type=int, default=1, help="TensorFlow intra-op threads")
    p.add_argument("--limit", type=int, default=0, help="use only N training faces (smoke test)")
    p.add_argument("--no-export", action="store_true")
    p.add_argument(
        "--faces",
        type=Path,
        help="the pipeline-cut cache of training.steps.sources; --mix then names its sources",
    )
    p.add_argument(
        "--mix",
        default="",
        help="share of each epoch's draws by source, e.g. ferplus:0.35,fer2013:0.15,kdef:0.25,"
        "sfew:0.1,contempt:0.15 (needs --faces)",
    )
    p.add_argument(
        "--class-balance",
        type=float,
        default=0.5,
        help="within a source, draw a class in proportion to count**(1 - this) (1: equal)",
    )
    p.add_argument("--epoch-size", type=int, default=40000, help="draws an epoch with --mix")
    p.add_argument("--jpeg-prob", type=float, default=0.0, help="share re-encoded as JPEG")
    p.add_argument("--perspective", type=float, default=0.0, help="keystone warp (pose)")
    p.add_argument("--init", type=Path, help="start from this run's newest checkpoint")
    return p.parse_args(argv)


SETTINGS = (
    "arch",
    "size",
    "sources",
    "ferplus_target",
    "tau",
    "prior_floor",
    "epochs",
    "batch",
    "lr",
    "warmup_epochs",
    "weight_decay",
    "seed",
    "limit",
    "faces",
    "mix",
    "class_balance",
    "epoch_size",
    "jpeg_prob",
    "perspective",
    "init",
)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    run_file = out / "run.json"
    if args.resume:
        if not run_file.is_file():
            print(f"nothing to resume in {out}", file=sys.stderr)
            return 2
        saved = json.loads(run_file.read_text())
        for key in SETTINGS:
            if key != "epochs":  # a resumed run may be given another length
                setattr(args, key, saved["settings"].get(key, getattr(args, key)))
        for key in ("faces", "init"):
            if getattr(args, key):
                setattr(args, key, Path(getattr(args, key)))
        saved.setdefault("resumes", []).append(
            {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "epochs": args.epochs}
        )
        run_file.write_text(json.dumps(saved, indent=1))
    elif run_file.exists():
        print(f"{out} already holds a run; use --resume or another --out", file=sys.stderr)
        return 2

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from training.lib.augment import AugmentSettings, augment
    from training.lib.nets import ARCHS

    keras.utils.set_random_seed(args.seed)
    weights: np.ndarray | None = None
    if args.faces:
        from training.lib.mix import dev_sets, mixed_training_set

        train, weights = mixed_training_set(args.faces, args.mix, args.class_balance)
    else:
        train = training_set(args.data, args.sources.split(","), args.ferplus_target)
    if args.limit:
        pick = np.random.default_rng(args.seed).permutation(len(train.images))[: args.limit]
        train = type(train)(train.name, train.images[pick], train.targets[pick])
        weights = None if weights is None else weights[pick] / weights[pick].sum()
    drawn = train.targets.mean(axis=0) if weights is None else weights @ train.targets
    prior = np.maximum(drawn, args.prior_floor)
    prior = prior / prior.sum()
    valid = validation_sets(args.data)
    if args.faces:
        valid += dev_sets(args.faces)
    aug = AugmentSettings(perspective=args.perspective, jpeg_prob=args.jpeg_prob)
    out.mkdir(parents=True, exist_ok=True)
    if not args.resume:
        run_file.write_text(
            json.dumps(
                {
                    "settings": {
                        k: str(v) if isinstance(v, Path) else v
                        for k, v in ((k, getattr(args, k)) for k in SETTINGS)
                    },
                    "classes": list(CLASSES),
                    "train": {"name": train.name, "n": len(train.images)},
                    "prior": prior.round(6).tolist(),
                    "augment": asdict(aug),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "command": " ".join(sys.argv),
                },
                indent=1,
            )
        )

    model = ARCHS[args.arch](args.size, len(CLASSES), args.weight_decay)
    optimizer = keras.optimizers.Adam(learning_rate=args.lr)
    optimizer.build(model.trainable_variables)
    epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, epoch=epoch_var)
    manager = tf.train.CheckpointManager(checkpoint, str(out / "checkpoints"), max_to_keep=None)
    if args.resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).expect_partial()
        print(
            f"resumed from {manager.latest_checkpoint} (epoch {int(epoch_var.numpy())})", flush=True
        )
    elif args.init:
        init_settings = json.loads((args.init / "run.json").read_text())["settings"]
        source = model
        if int(init_settings["size"]) != args.size:  # same weights, another input side
            source = ARCHS[init_settings["arch"]](
                int(init_settings["size"]), len(CLASSES), args.weight_decay
            )
        start = tf.train.Checkpoint(model=source)
        start.restore(tf.train.latest_checkpoint(str(args.init / "checkpoints"))).expect_partial()
        if source is not model:
            model.set_weights(source.get_weights())
        print(f"initialised from {args.init}", flush=True)

    images = tf.constant(train.images)
    targets = tf.constant(train.targets)
    log_prior = tf.constant(np.log(prior), tf.float32)
    tau = float(args.tau)
    size = args.size

    def prepare(x: tf.Tensor) -> tf.Tensor:
        if size != x.shape[1]:
            x = tf.image.resize(x, [size, size])
        return x * 2.0 - 1.0

    @tf.function(reduce_retracing=True)  # type: ignore[untyped-decorator]
    def train_step(idx: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        x = tf.cast(tf.gather(images, idx), tf.float32)[..., None] / 255.0
        x = prepare(augment(x, seed, aug))
        y = tf.gather(targets, idx)
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            ce = tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(y, logits + tau * log_prior)
            )
            loss = ce + tf.add_n(model.losses) if model.losses else ce
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        hit = tf.cast(tf.equal(tf.argmax(logits + tau * log_prior, 1), tf.argmax(y, 1)), tf.float32)
        return ce, tf.reduce_mean(hit)

    @tf.function(reduce_retracing=True)  # type: ignore[untyped-decorator]
    def predict(x: tf.Tensor) -> tf.Tensor:
        return model(prepare(tf.cast(x, tf.float32)[..., None] / 255.0), training=False)

    n = len(train.images)
    draws = n if weights is None else args.epoch_size
    steps = draws // args.batch
    total_steps = steps * args.epochs
    warmup = max(1, int(steps * args.warmup_epochs))

    def lr_at(step: int) -> float:
        if step < warmup:
            return float(args.lr * (0.1 + 0.9 * step / warmup))
        t = (step - warmup) / max(1, total_steps - warmup)
        return float(args.lr * (0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * min(t, 1.0)))))

    start = int(epoch_var.numpy())
    for epoch in range(start, args.epochs):
        t0 = time.time()
        rng = np.random.default_rng([args.seed, epoch])
        order = rng.permutation(n) if weights is None else rng.choice(n, draws, p=weights)
        ce_sum = acc_sum = 0.0
        for step in range(steps):
            optimizer.learning_rate.assign(lr_at(epoch * steps + step))
            idx = tf.constant(order[step * args.batch : (step + 1) * args.batch])
            ce, acc = train_step(idx, tf.constant([args.seed, epoch * steps + step], tf.int64))
            ce_sum += float(ce)
            acc_sum += float(acc)
        record: dict[str, object] = {
            "epoch": epoch + 1,
            "train_loss": round(ce_sum / steps, 4),
            "train_acc": round(acc_sum / steps, 4),
            "lr": round(lr_at((epoch + 1) * steps - 1), 6),
            "seconds": round(time.time() - t0, 1),
        }
        for vs in valid:
            logits = np.concatenate(
                [
                    predict(tf.constant(vs.images[i : i + 512])).numpy()
                    for i in range(0, len(vs.images), 512)
                ]
            )
            labels = vs.labels
            for name, alpha in (("bal", 0.0), ("prior", tau), ("half", 0.5)):
                pred = (logits + alpha * np.log(prior)).argmax(1)
                record[f"{vs.name.split(':')[0]}_{name}"] = round(float((pred == labels).mean()), 4)
        epoch_var.assign(epoch + 1)
        manager.save(checkpoint_number=epoch + 1)
        record["time"] = time.strftime("%H:%M:%S", time.gmtime())
        with (out / "log.jsonl").open("a") as f:
            f.write(json.dumps(record) + "\n")
        print(" ".join(f"{k}={v}" for k, v in record.items()), flush=True)

    if not args.no_export:
        from training.lib.exporting import export_run

        export_run(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
