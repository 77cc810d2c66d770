"""How much reading a person against their own neutral helps, on held-out KDEF people.

    .venv/bin/python -m training.steps.baseline_eval $STREAMFER_TRAIN_DIR/eval/MODEL.npz

From a ``training.steps.dump`` file. KDEF photographed each person in two sessions (A and B) on
different days. Each KDEF dev person's neutral photo of one session, at one camera angle, is
their baseline (what ``run --baseline`` takes from their first seconds) for all seven photos
of the *other* session at that angle, neutral included, read with
``streamfer.method.baseline.relative``; and the other way round. So a baseline never scores
itself, and the neutral photos show whether rest faces stay neutral. The model's neutral
reference is its mean log-probabilities over the London set's neutral photos. Prints
accuracy, neutral recall and the lowest recall for each (strength, gain), frontal
(``kdef_dev``) and half-turned (``kdef_dev_half``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from training.lib.baseline import GRID, evaluate, reference


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("dump", type=Path)
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    d = np.load(a.dump)
    ref = reference(d)
    out: dict[str, Any] = {}
    print(
        "| strength | gain | frontal | neutral recall | lowest recall | half-turned | neutral recall |"
    )
    print("|---|---|---|---|---|---|---|")
    for s, g in GRID:
        f, h = evaluate(d, "kdef_dev", ref, s, g), evaluate(d, "kdef_dev_half", ref, s, g)
        out[f"{s}/{g}"] = {"kdef_dev": f, "kdef_dev_half": h}
        print(
            f"| {s:g} | {g:g} | {f['accuracy']:.3f} | {f['recall']['neutral']:.2f} | "
            f"{f['min_recall']:.2f} | {h['accuracy']:.3f} | {h['recall']['neutral']:.2f} |"
        )
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
