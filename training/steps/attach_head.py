"""Attach a geometry head to an exported emotion model: the head file beside it, named in
its sidecar with the fusion weight, and the same class bias as the CNN's export.

    .venv/bin/python -m training.steps.attach_head models/NAME.json HEAD.json --weight 0.4

The head is written as ``geometry_head_NAME.json`` beside the sidecar. When the model was exported
with ``--class-bias`` (its sidecar's ``class_bias``), the same offsets are added to the head's
last layer: the fused reading ``(1 - w) (l_cnn + b) + w (l_geo + b)`` then carries the bias
``b`` once, as the fusion was scored when the bias was chosen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("sidecar", type=Path)
    p.add_argument("head", type=Path)
    p.add_argument("--weight", type=float, required=True)
    a = p.parse_args(argv)
    card = json.loads(a.sidecar.read_text())
    head = json.loads(a.head.read_text())
    if head["classes"] != card["classes"]:
        raise SystemExit(f"{a.head} has classes {head['classes']}, the model {card['classes']}")
    for name, value in (card.get("class_bias") or {}).items():
        i = head["classes"].index(name)
        head["layers"][-1]["bias"][i] = round(head["layers"][-1]["bias"][i] + value, 6)
    head["class_bias"] = card.get("class_bias") or {}
    out = a.sidecar.with_name(f"geometry_head_{card['name']}.json")
    out.write_text(json.dumps(head) + "\n")
    card["geometry"] = {
        "head": out.name,
        "weight": a.weight,
        "note": "log p = (1 - weight) log p_cnn + weight log p_geometry where the face has "
        "geometry (streamfer/vision/geometry_head.py); weight chosen on held-back people "
        "(training/steps/fusion.py)",
    }
    a.sidecar.write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {out} and the geometry entry of {a.sidecar}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
