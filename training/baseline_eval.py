"""How much reading a person against their own neutral helps, on held-out KDEF people.

    .venv/bin/python -m training.baseline_eval /work/train/eval/MODEL.npz

From a ``training.dump`` file. KDEF photographed each person in two sessions (A and B) on
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

from streamfer.method.baseline import log_probs, relative
from training.metrics import scores

GRID = tuple((s, g) for s in (0.0, 0.25, 0.5) for g in (0.0, 0.25, 0.5, 1.0))


def reference(d: Any, name: str = "london_neutral") -> np.ndarray:
    if name == "kdef_train_neutral":
        m = d["set"] == "kdef_train_neutral"
    else:
        m = (d["set"] == "london") & (d["label"] == "neutral")
    p = d["probs"][m]
    p = p[~np.isnan(p).any(axis=1)]
    return np.asarray(log_probs(p).mean(axis=0))


def evaluate(d: Any, set_name: str, ref: np.ndarray, strength: float, gain: float) -> dict[str, Any]:
    classes = tuple(str(c) for c in d["classes"])
    sessions: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
    for i in np.flatnonzero(d["set"] == set_name):
        stem = Path(str(d["path"][i])).stem  # AF01NES, BM04SAHL
        angle = stem[-2:] if set_name == "kdef_dev_half" else "S"
        by_session = sessions.setdefault((stem[1:4], angle), {})
        by_session.setdefault(stem[0], {})[str(d["label"][i])] = int(i)
    truth: list[str] = []
    pred: list[str] = []
    for by_session in sessions.values():
        for base_session, scored_session in (("A", "B"), ("B", "A")):
            if base_session not in by_session or scored_session not in by_session:
                continue
            base_i = by_session[base_session].get("neutral")
            if base_i is None or np.isnan(d["probs"][base_i]).any():
                continue
            b = log_probs(d["probs"][base_i])
            for label, i in by_session[scored_session].items():
                truth.append(label)
                p = d["probs"][i]
                if np.isnan(p).any():
                    pred.append("no face")
                    continue
                q = relative(p, b, ref, strength, gain)
                pred.append(classes[int(np.argmax(q))])
    return scores(truth, pred, classes)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("dump", type=Path)
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    d = np.load(a.dump)
    ref = reference(d)
    out: dict[str, Any] = {}
    print("| strength | gain | frontal | neutral recall | lowest recall | half-turned | neutral recall |")
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
