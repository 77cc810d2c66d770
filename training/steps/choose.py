"""Recognition III's choices, read off ``training.steps.opinions``: alignment, fusion weights and the
second model's temperature, chosen by the worst choosing set; stability under small shifts.

    .venv/bin/python -m training.steps.choose $STREAMFER_TRAIN_DIR/eval/opinions.npz [--json OUT]

Each photo's reading is ``softmax(sum_k w_k log p_k)`` over the CNN, the geometry head (where
the face has geometry) and the second model (where it has five points; its probabilities
first sharpened or softened by a temperature, ``softmax(log p / T)``); a part that cannot read
a face, or a class it does not know (the second model has no contempt), leaves the other
parts' weights renormalised for that face or class. Sets: the studios' dev people (KDEF
frontal and half-turned, Taiwanese, BU-3DFE), London, SFEW's and the FER+ scenes; a photo
without a face counts wrong. The choosing score is the lowest of the studios and London; the
in-the-wild sets may not fall below the shipped default's figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from streamfer.vision.fusion import tempered
from streamfer.vision.geometry_head import GeometryHead
from training.lib.fusion import fuse, head_probs, to_cnn_order
from training.lib.paths import HEAD

STUDIOS = ("kdef_dev", "kdef_dev_half", "taiwanese_dev", "bu3dfe_dev", "london")
WILD = ("sfew_dev", "ferplus_scenes")


def set_masks(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each choosing set's rows (studios by their dev people), plus faint BU-3DFE."""
    splits = json.loads(str(d["splits"]))
    s, person = d["set"], d["person"]
    masks = {name: s == name for name in ("kdef_dev", "kdef_dev_half", "london", *WILD)}
    masks["taiwanese_dev"] = (s == "taiwanese") & np.isin(person, splits["taiwanese"]["dev_people"])
    masks["bu3dfe_dev"] = (s == "bu3dfe") & np.isin(person, splits["bu3dfe"]["dev_people"])
    intensity = np.array([p.rsplit("_", 1)[-1][2:4] if "bu3dfe" in p else "" for p in d["path"]])
    masks["bu3dfe_dev_faint"] = masks["bu3dfe_dev"] & np.isin(intensity, ["01", "02"])
    masks["contempt_dev"] = s == "contempt_dev"
    return masks


def labels_of(z: np.ndarray, found: np.ndarray, classes: list[str]) -> np.ndarray:
    pred = np.array(classes, dtype=object)[np.nan_to_num(z, nan=-1e9).argmax(axis=-1)]
    pred[~found] = "no face"
    return np.asarray(pred)


def accuracy(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(pred == truth)) if len(truth) else float("nan")


def recall(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {c: round(float(np.mean(pred[truth == c] == c)), 3) for c in sorted(set(truth))}


def stability(labels: np.ndarray) -> float:
    """Share of photos whose label is the same in every version (face found in all)."""
    same = np.all(labels == labels[:, :1], axis=1)
    return float(np.mean(same))


def report(
    d: dict[str, np.ndarray], masks: dict[str, np.ndarray], z: np.ndarray, classes: list[str]
) -> dict[str, float]:
    labels = labels_of(z, d["found"], classes)
    truth = d["label"]
    got = {name: accuracy(labels[m, 0], truth[m]) for name, m in masks.items()}
    got["contempt_dev"] = float(np.mean(labels[masks["contempt_dev"], 0] == "contempt"))
    got["worst"] = min(got[s] for s in STUDIOS)
    choosing = np.zeros(len(truth), bool)
    for name in (*STUDIOS, *WILD):
        choosing |= masks[name]
    got["stability"] = stability(labels[choosing])
    return got


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("opinions", type=Path)
    p.add_argument("--head", type=Path, default=HEAD)
    p.add_argument("--step", type=float, default=0.1)
    p.add_argument("--temperatures", default="1,2,4")
    p.add_argument("--json", type=Path)
    p.add_argument(
        "--floors",
        default="sfew_dev=0.529,ferplus_scenes=0.604",
        help="in-the-wild sets may not fall below these (the default before: emotion_mini_mix)",
    )
    p.add_argument(
        "--baseline",
        metavar="CNN,HEAD,SECOND,ALIGN,T",
        help="only the baseline rules' table for this fusion, e.g. 0.5,0.2,0.3,lm,2",
    )
    a = p.parse_args(argv)
    d = dict(np.load(a.opinions))
    classes = [str(c) for c in d["cnn_classes"]]
    second_classes = [str(c) for c in d["second_classes"]]
    masks = set_masks(d)
    head = head_probs(d, GeometryHead.load(a.head))
    seconds = {
        align: to_cnn_order(d[f"second_{align}"], second_classes, classes)
        for align in ("lm", "det")
    }
    cnn = d["cnn"].astype(np.float64)
    if a.baseline:
        wc, wh, ws, align, temp = a.baseline.split(",")
        z = fuse(
            [
                (cnn, float(wc)),
                (head, float(wh)),
                (tempered(seconds[align], float(temp)), float(ws)),
            ]
        )
        london_neutral = (d["set"] == "london") & (d["label"] == "neutral") & d["found"][:, 0]
        reference = z[london_neutral, 0].mean(axis=0)
        table = baseline_table(d, z, classes, reference)
        keys = [k for k in table[0] if k not in ("rule", "strength", "gain")]
        print("| rule | strength | gain | " + " | ".join(keys) + " |")
        for row in table:
            print(
                f"| {row['rule']} | {row['strength']} | {row['gain']} | "
                + " | ".join(str(row[k]) for k in keys)
                + " |"
            )
        return 0
    shipped = report(d, masks, fuse([(cnn, 0.7), (head, 0.3)]), classes)
    rows = [("shipped: cnn 0.7 + head 0.3", shipped)]
    rows.append(("cnn alone", report(d, masks, fuse([(cnn, 1.0)]), classes)))
    rows.append(("head alone", report(d, masks, fuse([(head, 1.0)]), classes)))
    for align, s in seconds.items():
        rows.append((f"second alone ({align})", report(d, masks, fuse([(s, 1.0)]), classes)))
    grid = np.round(np.arange(0.0, 1.0 + 1e-9, a.step), 6).tolist()
    temps = [float(x) for x in a.temperatures.split(",")]
    search = []
    for align, temp in itertools.product(seconds, temps):
        s = tempered(seconds[align], temp)
        for wc, wh in itertools.product(grid, grid):
            ws = round(1.0 - wc - wh, 6)
            if ws < -1e-9 or wc == 0:
                continue
            got = report(d, masks, fuse([(cnn, wc), (head, wh), (s, ws)]), classes)
            search.append((f"cnn {wc:g} head {wh:g} second {ws:g} ({align}, T {temp:g})", got))
    floors = {k: float(v) for k, v in (x.split("=") for x in a.floors.split(","))}
    ok = [r for r in search if all(r[1][w] >= floors[w] - 1e-9 for w in floors)]
    ok.sort(key=lambda r: (-r[1]["worst"], -np.mean([r[1][s] for s in STUDIOS])))
    rows += ok[:15]
    names = [*STUDIOS, "bu3dfe_dev_faint", *WILD, "contempt_dev", "worst", "stability"]
    print("| reading | " + " | ".join(names) + " |")
    for label, got in rows:
        print(f"| {label} | " + " | ".join(f"{got[n]:.3f}" for n in names) + " |")
    print("masks:", {k: int(v.sum()) for k, v in masks.items()})
    if a.json:
        a.json.write_text(json.dumps([{"reading": r, **g} for r, g in rows + search], indent=1))
    return 0


def baseline_groups(d: dict[str, np.ndarray]) -> list[tuple[str, list[int], list[int]]]:
    """(set, baseline photo rows, scored rows): KDEF dev people's neutral of one session for
    the other session's photos at the same angle; each Taiwanese performer's (and the one
    BU-3DFE subject's) neutral photo for their other photos. A baseline never scores itself."""
    groups: list[tuple[str, list[int], list[int]]] = []
    s, label, paths = d["set"], d["label"], d["path"]
    for set_name in ("kdef_dev", "kdef_dev_half"):
        by: dict[tuple[str, str, str], dict[str, int]] = {}
        for i in np.flatnonzero(s == set_name):
            stem = Path(str(paths[i])).stem
            angle = stem[-2:] if set_name == "kdef_dev_half" else "S"
            by.setdefault((stem[1:4], angle, stem[0]), {})[str(label[i])] = int(i)
        for (person, angle, session), photos in by.items():
            other = by.get((person, angle, "B" if session == "A" else "A"))
            if other is None or "neutral" not in other:
                continue
            groups.append((set_name, [other["neutral"]], list(photos.values())))
    for set_name in ("taiwanese", "bu3dfe"):
        rows = np.flatnonzero(s == set_name)
        for person in sorted(set(d["person"][rows])):
            mine = [int(i) for i in rows if d["person"][i] == person]
            for n in [i for i in mine if label[i] == "neutral"]:
                groups.append((set_name, [n], [i for i in mine if i != n]))
    return groups


def baseline_table(
    d: dict[str, np.ndarray], z: np.ndarray, classes: list[str], reference: np.ndarray
) -> list[dict[str, object]]:
    """Accuracy (and neutral recall, faint BU-3DFE) of each rule and gain, per set."""
    from streamfer.method.baseline import log_probs, relative

    probs = np.exp(z - z.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    found = d["found"][:, 0]
    groups = baseline_groups(d)
    out: list[dict[str, object]] = []
    rules = [("none", 0.0, 0.0, False)]
    rules += [("emotions", s, g, False) for s in (0.0, 0.25) for g in (0.25, 0.5, 1.0)]
    rules += [("all", 0.0, g, True) for g in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)]
    for rule, strength, gain, every_class in rules:
        truth: dict[str, list[str]] = {}
        pred: dict[str, list[str]] = {}
        for set_name, base, scored in groups:
            if not found[base[0]]:
                continue
            b = log_probs(probs[base[0], 0])
            for i in scored:
                truth.setdefault(set_name, []).append(str(d["label"][i]))
                if not found[i]:
                    pred.setdefault(set_name, []).append("no face")
                    continue
                p = probs[i, 0]
                if rule != "none":
                    p = relative(p, b, reference, strength, gain, every_class=every_class)
                pred.setdefault(set_name, []).append(classes[int(np.argmax(p))])
        row: dict[str, object] = {"rule": rule, "strength": strength, "gain": gain}
        for set_name in truth:
            t, q = np.array(truth[set_name]), np.array(pred[set_name])
            row[set_name] = round(accuracy(q, t), 3)
            row[f"{set_name}_neutral"] = round(float(np.mean(q[t == "neutral"] == "neutral")), 3)
        out.append(row)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
