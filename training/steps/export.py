"""Export a run's checkpoint to a float32 ``.tflite`` with its sidecar and metrics JSON.

    TF_ENABLE_ONEDNN_OPTS=0 python -m training.steps.export $STREAMFER_TRAIN_DIR/runs/mx48 \\
        [--epoch N] [--alpha 0.0] [--name NAME] [--out DIR] [--crop '{"margin": 0.2}']

Writes ``DIR/NAME.tflite`` (input float32 [1, S, S, 1], output float32 [1, 8] softmax scores
in the sidecar's class order), ``DIR/NAME.json`` (the sidecar streamfer reads) and
``DIR/NAME.metrics.json`` (FER+ valid majority vote and FER2013 PublicTest, plain and with
flip averaging, through the LiteRT interpreter).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.lib.exporting import export_run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run", type=Path)
    p.add_argument("--epoch", type=int)
    p.add_argument(
        "--alpha",
        type=float,
        default=0.0,
        help="prior power baked in: 0 balanced (default), tau: training prior",
    )
    p.add_argument("--name")
    p.add_argument("--out", type=Path)
    p.add_argument("--crop", type=json.loads, help="recommended crop as JSON")
    p.add_argument("--data", type=Path)
    p.add_argument(
        "--class-bias",
        type=json.loads,
        help="logit offsets by class, baked in after the prior, e.g. '{\"contempt\": -2}'",
    )
    a = p.parse_args(argv)
    export_run(a.run, a.epoch, a.alpha, a.name, a.out, a.crop, a.data, a.class_bias)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
