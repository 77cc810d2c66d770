"""A model's neutral reference and baseline strength, written into its sidecar.

    .venv/bin/python -m training.steps.reference $STREAMFER_TRAIN_DIR/eval/MODEL.npz models/MODEL.json [--write]

The reference (``streamfer.method.baseline``) is the model's mean log-probabilities over the
London set's 102 neutral photos through the pipeline (``training.steps.dump``): neutral faces of
many people that no model here trains on. The strength and gain are the pair of
``training.lib.baseline.GRID`` that reads KDEF's dev people best against their own neutral
photo of the other session, frontal and half-turned photos together; ties go to the smaller.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from training.lib.baseline import GRID, evaluate, reference


def fused_probs(d: dict[str, np.ndarray], head_path: Path, weight: float) -> np.ndarray:
    """The dump's CNN probabilities fused with a geometry head where a face has geometry,
    as the pipeline reads them (``training.lib.fusion.combine``: the CNN alone elsewhere)."""
    from streamfer.vision.geometry_head import GeometryHead
    from training.lib.fusion import combine, geometry_probs

    z = combine([d["probs"], geometry_probs(d, GeometryHead.load(head_path))], (1 - weight, weight))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out = e / e.sum(axis=1, keepdims=True)
    out[np.isnan(d["probs"]).any(axis=1)] = np.nan  # no face stays no face
    return np.asarray(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("dump", type=Path)
    p.add_argument("sidecar", type=Path)
    p.add_argument("--write", action="store_true")
    p.add_argument(
        "--head", type=Path, help="a geometry head: read the dump's faces fused with it first"
    )
    p.add_argument("--weight", type=float, default=0.0, help="the fusion weight with --head")
    a = p.parse_args(argv)
    d = dict(np.load(a.dump))
    if a.head is not None:
        d["probs"] = fused_probs(d, a.head, a.weight)
    card = json.loads(a.sidecar.read_text())
    if list(card["classes"]) != [str(c) for c in d["classes"]]:
        raise SystemExit(f"{a.dump} was made with other classes than {a.sidecar}")
    ref = reference(d)
    scored = []
    for s, g in GRID:
        front, half = evaluate(d, "kdef_dev", ref, s, g), evaluate(d, "kdef_dev_half", ref, s, g)
        n = front["n"] + half["n"]
        acc = (front["accuracy"] * front["n"] + half["accuracy"] * half["n"]) / n
        scored.append((round(acc, 4), -s, -g))
        print(
            f"strength {s:g} gain {g:g}: frontal {front['accuracy']:.3f}, half {half['accuracy']:.3f}"
        )
    _, best_s, best_g = max(scored)
    best, gain = -best_s, -best_g
    plain = scored[0][0]
    card["baseline"] = {
        "neutral_reference": [round(float(v), 4) for v in ref],
        "strength": best,
        "gain": gain,
        "kdef_dev_accuracy": {"plain": plain, "with_baseline": max(scored)[0]},
        "note": "reference: mean log-probabilities over the London set's neutral photos; "
        "strength chosen on KDEF's dev people (training/steps/reference.py)",
    }
    print(f"chosen strength {best:g}, gain {gain:g}: {plain:.3f} -> {max(scored)[0]:.3f}")
    if a.write:
        a.sidecar.write_text(json.dumps(card, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
