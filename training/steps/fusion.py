"""Choosing how the CNN(s) and the geometry head are combined, on held-back people.

    .venv/bin/python -m training.steps.fusion --head HEAD.json DUMP_A.npz [DUMP_B.npz]

Each ``training.steps.dump`` file holds one CNN's probabilities for the same photos in the same
order (and the blendshapes, which do not depend on the CNN). For every weight on a grid the
reading is ``softmax(sum_k w_k log p_k)`` over the CNNs and the head (the head only where
the face has geometry; elsewhere the CNNs' weights are renormalised). The score that chooses
is the mean accuracy over the choosing sets (KDEF dev people frontal and half-turned, SFEW
dev, London, FER+ valid scenes); contempt's recall on the held-back contempt faces is printed
beside it and ``--min-contempt`` keeps only rows that reach it. ``--contempt-offsets`` also
tries offsets on contempt's fused log-probability (the export's ``--class-bias``). Each set's
accuracy and the lowest KDEF-dev class recall are printed for the best rows. The shipped
choice: ``--step 0.05 --contempt-offsets 0,-2,-2.25,-2.5,-3,-3.25 --min-contempt 0.15`` on
the fine-tune's dump, then the offset raised until the demo portrait read no contempt
(docs/accuracy.md).
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from streamfer.vision.geometry_head import GeometryHead
from training.lib.fusion import combine, geometry_probs
from training.lib.metrics import scores

SETS = ("kdef_dev", "kdef_dev_half", "sfew_dev", "london", "ferplus_scenes")


def evaluate(d: dict[str, np.ndarray], z: np.ndarray, classes: tuple[str, ...]) -> dict[str, float]:
    got: dict[str, float] = {}
    no_face = np.isnan(d["probs"]).any(axis=1)
    pred = np.array([classes[i] for i in z.argmax(axis=1)], dtype=object)
    pred[no_face] = "no face"
    for name in (*SETS, "contempt_dev"):
        m = d["set"] == name
        r = scores([str(t) for t in d["label"][m]], list(pred[m]), classes)
        got[name] = r["accuracy"] if name != "contempt_dev" else r["recall"].get("contempt", 0.0)
        if name == "kdef_dev":
            got["kdef_dev_min"] = r["min_recall"]
            got["kdef_dev_recall"] = r["recall"]
    got["score"] = float(np.mean([got[s] for s in SETS]))
    return got


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("dumps", type=Path, nargs="+")
    p.add_argument("--head", type=Path, required=True)
    p.add_argument("--step", type=float, default=0.25, help="grid step of the weights")
    p.add_argument(
        "--contempt-offsets",
        default="0",
        help="offsets added to contempt's fused log-probability, e.g. 0,-2,-2.25,-3,-3.25",
    )
    p.add_argument(
        "--min-contempt", type=float, default=0.0, help="keep rows with at least this recall"
    )
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    ds = [dict(np.load(x)) for x in a.dumps]
    classes = tuple(str(c) for c in ds[0]["classes"])
    for d in ds[1:]:
        assert list(d["set"]) == list(ds[0]["set"]), "dumps of other photo lists"
    head = GeometryHead.load(a.head)
    parts = [d["probs"] for d in ds] + [geometry_probs(ds[0], head)]
    grid = np.round(np.arange(0.0, 1.0 + 1e-9, a.step), 6).tolist()
    offsets = [float(x) for x in a.contempt_offsets.split(",")]
    contempt = classes.index("contempt")
    rows = []
    for weights in itertools.product(grid, repeat=len(parts)):
        if weights[0] == 0 or abs(sum(weights) - 1.0) > 1e-6:
            continue
        z = combine(parts, weights)
        for offset in offsets:
            shifted = z.copy()
            shifted[:, contempt] += offset
            rows.append((weights, offset, evaluate(ds[0], shifted, classes)))
    alone = next(g for w, o, g in rows if w[0] == 1.0 and o == offsets[0])
    rows = [r for r in rows if r[2]["contempt_dev"] >= a.min_contempt]
    rows.sort(key=lambda r: -r[2]["score"])
    names = [x.stem for x in a.dumps] + ["geometry"]
    print(
        "| "
        + " | ".join(names)
        + " | contempt offset | score | "
        + " | ".join(SETS)
        + " | contempt | KDEF dev lowest |"
    )
    for weights, offset, got in rows[:12]:
        print(
            "| "
            + " | ".join(f"{w:g}" for w in weights)
            + f" | {offset:g} | {got['score']:.3f} | "
            + " | ".join(f"{got[s]:.3f}" for s in SETS)
            + f" | {got['contempt_dev']:.2f} | {got['kdef_dev_min']:.2f} |"
        )
    print("first CNN alone:", {k: round(v, 3) for k, v in alone.items() if isinstance(v, float)})
    if a.json:
        a.json.write_text(
            json.dumps([{"weights": w, "contempt_offset": o, **g} for w, o, g in rows], indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
