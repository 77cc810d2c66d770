"""How much reading a person against their own neutral helps, on held-out KDEF people.

    .venv/bin/python -m training.baseline_eval /work/train/eval/MODEL.npz [--strengths ...]

From a ``training.dump`` file: for each KDEF dev person, session and camera angle, the neutral
photo is that person's baseline (what ``run --baseline`` takes from their first seconds);
every other photo of theirs is read with ``streamfer.method.baseline.relative`` and scored
(the baseline photo itself is not). The model's neutral reference is the mean
log-probabilities over neutral faces it never trained on; two are compared: the KDEF
*training* people's neutral photos (``kdef_train_neutral``: fair for models that never saw
KDEF) and the London set's neutral photos. Prints accuracy and per-class recall for each
strength, frontal and half-turned.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from streamfer.method.baseline import log_probs, relative
from training.metrics import scores


def reference(d: Any, name: str) -> np.ndarray:
    if name == "kdef_train_neutral":
        m = d["set"] == "kdef_train_neutral"
    else:  # london neutral
        m = (d["set"] == "london") & (d["label"] == "neutral")
    p = d["probs"][m]
    p = p[~np.isnan(p).any(axis=1)]
    return np.asarray(log_probs(p).mean(axis=0))


def group_key(path: str, set_name: str) -> str:
    stem = Path(path).stem  # AF01NES, AF01ANHL
    return stem[:4] + (stem[-2:] if set_name == "kdef_dev_half" else "")


def evaluate(d: Any, set_name: str, ref: np.ndarray, strength: float) -> dict[str, Any]:
    classes = tuple(str(c) for c in d["classes"])
    m = np.flatnonzero(d["set"] == set_name)
    groups: dict[str, dict[str, int]] = {}
    for i in m:
        groups.setdefault(group_key(str(d["path"][i]), set_name), {})[str(d["label"][i])] = i
    truth, pred = [], []
    for members in groups.values():
        base_i = members.get("neutral")
        if base_i is None or np.isnan(d["probs"][base_i]).any():
            continue  # no usable neutral: this person's photos are not scored
        b = log_probs(d["probs"][base_i])
        for label, i in members.items():
            if i == base_i:
                continue
            truth.append(label)
            p = d["probs"][i]
            if np.isnan(p).any():
                pred.append("no face")
                continue
            q = relative(p, b, ref, strength) if strength else p
            pred.append(classes[int(np.argmax(q))])
    return scores(truth, pred, classes)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("dump", type=Path)
    p.add_argument("--strengths", default="0,0.25,0.5,0.75,1.0")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    d = np.load(a.dump)
    out: dict[str, Any] = {}
    print("| reference | strength | set | accuracy (photos but the neutral) | recall |")
    print("|---|---|---|---|---|")
    for ref_name in ("kdef_train_neutral", "london_neutral"):
        ref = reference(d, ref_name)
        for s in (float(x) for x in a.strengths.split(",")):
            for set_name in ("kdef_dev", "kdef_dev_half"):
                r = evaluate(d, set_name, ref, s)
                out[f"{ref_name}/{s}/{set_name}"] = r
                rec = " ".join(f"{c[:3]} {v:.2f}" for c, v in r["recall"].items())
                print(f"| {ref_name} | {s:g} | {set_name} | {r['accuracy']:.3f} | {rec} |")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
