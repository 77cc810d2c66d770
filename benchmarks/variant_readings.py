"""Do the default's fused readings move when one of its models is swapped for a cheaper variant?

    python benchmarks/variant_readings.py OPINIONS.npz [--cnn F] [--landmarks F] \\
        [--blendshapes F] [--second F] [--no-flip] [--every N] [--data ../shared/data]
    python benchmarks/variant_readings.py OPINIONS.npz --dump-calibration OUT.npz

OPINIONS: ``training.steps.opinions``'s file for the default (Recognition III's; it gives the
photo list, each photo's detected box and BlazeFace points and which sets choose). Every
choosing photo (as it is, not the moved copies) is read twice through streamfer's own parts,
from the same detection: once with the shipped models, once with the named variants in their
place (``--no-flip``: the emotion CNN without its mirror-image average). Printed:

- per part, how the variant agrees with the shipped model: top-1 agreement and mean absolute
  probability difference of the CNN, the geometry head (the blendshapes' reader) and the
  second model, the blendshapes' mean and largest absolute difference, faces whose geometry
  was refused by one and not the other;
- the fused reading of the default (CNN 0.6, head 0.2, second 0.2 at temperature 4, as in
  the sidecar; ``training.lib.fusion``) on each choosing set, shipped and variant, and
  the change in points.

``--dump-calibration OUT``: the real inputs of each model (the CNN's crops, the landmark
model's 256x256 face, the blendshape model's 146 points, the second model's aligned face) on
the frontal photos of KDEF's training people (never the choosing people), for
``models/quantize.py --calibration``. Needs ``../shared/data``; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamfer.config.load import with_overrides  # noqa: E402
from streamfer.config.settings import Config  # noqa: E402
from streamfer.core.frames import Box, Detection, Frame  # noqa: E402
from streamfer.pipeline.stages import FramePipeline  # noqa: E402
from streamfer.vision.expression import AlignedExpressionModel, points_from_landmarks  # noqa: E402
from streamfer.vision.fusion import tempered  # noqa: E402
from streamfer.vision.geometry import GeometryEstimator  # noqa: E402
from streamfer.vision.geometry_head import GeometryHead  # noqa: E402
from training.lib.fusion import fuse, to_cnn_order  # noqa: E402
from training.steps.choose import report as set_report  # noqa: E402
from training.steps.choose import set_masks  # noqa: E402

MODELS = ROOT / "models"
DEFAULT = "emotion_mix3"
SETS = (
    "kdef_dev",
    "kdef_dev_half",
    "taiwanese_dev",
    "bu3dfe_dev",
    "bu3dfe_dev_faint",
    "london",
    "sfew_dev",
    "ferplus_scenes",
    "contempt_dev",
)


class FloatIo:
    """A full-integer file's interpreter as streamfer's float code expects it: float inputs
    quantized and int8 outputs dequantized by the tensors' own scale and zero point."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._details = {d["index"]: d for d in inner.get_tensor_details()}

    def _int8(self, index: int) -> tuple[float, int] | None:
        d = self._details[index]
        return d["quantization"] if d["dtype"] == np.int8 else None

    def set_tensor(self, index: int, value: np.ndarray) -> None:
        q = self._int8(index)
        if q is not None:
            value = np.clip(np.round(value / q[0] + q[1]), -128, 127).astype(np.int8)
        self._inner.set_tensor(index, value)

    def get_tensor(self, index: int) -> np.ndarray:
        value = self._inner.get_tensor(index)
        q = self._int8(index)
        return (value.astype(np.float32) - q[1]) * q[0] if q is not None else value

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._inner, attr)


def float_io(holder: Any) -> None:
    """Give ``holder._interpreter`` float inputs and outputs where the file is full-integer."""
    inner = holder._interpreter
    if any(d["dtype"] == np.int8 for d in inner.get_input_details()):
        holder._interpreter = FloatIo(inner)


class Parts:
    """The default's models: the CNN with its crops, the geometry stage, the second model."""

    def __init__(
        self,
        cnn: Path | None = None,
        flip: bool = True,
        landmarks: Path | None = None,
        blendshapes: Path | None = None,
        second: Path | None = None,
    ) -> None:
        overrides: dict[str, Any] = {"geometry.enabled": False}
        overrides["classifier.model"] = str(cnn) if cnn else DEFAULT
        if not flip:
            overrides["classifier.flip_average"] = False
        self.pipeline = FramePipeline(with_overrides(Config(), overrides))
        self.geometry = GeometryEstimator(
            landmarks or MODELS / "face_landmarks_detector.tflite",
            blendshapes or MODELS / "face_blendshapes.tflite",
        )
        self.second = AlignedExpressionModel(second or MODELS / "expression_mobilefacenet.tflite")
        for holder in (
            self.pipeline.classifier,
            self.geometry.landmark_model,
            self.geometry.blendshape_model,
            self.second,
        ):
            float_io(holder)

    def read(self, i: int, image: np.ndarray, detection: Detection) -> dict[str, Any]:
        frame = Frame(i, float(i), image, 0.0)
        out: dict[str, Any] = {"cnn": self.pipeline.reader.classify(frame.image, detection)}
        g = self.geometry.estimate(image, detection)
        if g is not None:
            out["blendshapes"] = g.blendshapes
            out["pose"] = (g.yaw, g.pitch, g.roll)
            out["second_lm"] = self.second.classify(image, points_from_landmarks(g.landmarks))
        return out

    def close(self) -> None:
        self.pipeline.close()


def detection_of(d: dict[str, np.ndarray], i: int) -> Detection:
    """The stored detection of photo ``i`` as it is (box, eyes, nose tip, mouth centre)."""
    x, y, w, h = (float(v) for v in d["box"][i, 0])
    p = d["points_det"][i, 0].astype(np.float64)
    point = [tuple(float(v) for v in q) for q in p]
    mouth = tuple(float(v) for v in (p[3] + p[4]) / 2.0)
    return Detection(Box(x, y, w, h), 1.0, point[0], point[1], point[2], mouth)  # type: ignore[arg-type]


def tail(path: str) -> str:
    """A photo's path below the shared data folder (files name it from another checkout)."""
    return path.split("shared/data/")[-1]


def load_image(path: str, scenes: dict[int, np.ndarray], i: int) -> np.ndarray:
    if i in scenes:
        return scenes[i]
    image = cv2.imread(path)
    if image is None:
        raise SystemExit(f"cannot read {path}")
    return image


def fused(d: dict[str, np.ndarray], head: GeometryHead, sidecar: dict[str, Any]) -> np.ndarray:
    """The default's fusion (weights and temperature from its sidecar) of every row."""
    classes = [str(c) for c in d["cnn_classes"]]
    second = to_cnn_order(d["second_lm"], [str(c) for c in d["second_classes"]], classes)
    bs, pose = d["blendshapes"], d["pose"]
    hp = np.full((*bs.shape[:2], len(head.classes)), np.nan)
    for i, v in zip(*np.nonzero(~np.isnan(bs[:, :, 0])), strict=True):
        hp[i, v] = head.predict(bs[i, v], tuple(float(x) for x in pose[i, v]))
    w_head, w_second = sidecar["geometry"]["weight"], sidecar["second"]["weight"]
    z = fuse(
        [
            (d["cnn"].astype(np.float64), 1.0 - w_head - w_second),
            (hp, w_head),
            (tempered(second, sidecar["second"]["temperature"]), w_second),
        ]
    )
    d["_head"] = hp
    return z


def agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int]:
    """Top-1 agreement, mean |dp| over the rows both read, and how many rows that is."""
    ok = ~np.isnan(a[:, 0]) & ~np.isnan(b[:, 0])
    if not ok.any():
        return float("nan"), float("nan"), 0
    same = float(np.mean(a[ok].argmax(1) == b[ok].argmax(1)))
    return same, float(np.mean(np.abs(a[ok] - b[ok]))), int(ok.sum())


def dump_calibration(data: Path, out: Path, limit: int) -> int:
    """The four models' real inputs on KDEF's training people's frontal photos."""
    from training.lib.paths import SPLITS

    dev = set(json.loads(SPLITS.read_text())["kdef"]["dev_people"])
    photos = [p for p in sorted((data / "kdef_frontal").glob("*/*.jpg")) if p.stem[1:4] not in dev]
    photos = photos[:: max(1, len(photos) // limit)][:limit]
    parts = Parts()
    seen: dict[str, list[np.ndarray]] = {}

    class Recorded:
        def __init__(self, name: str, interpreter: Any) -> None:
            self._name, self._inner = name, interpreter

        def set_tensor(self, index: int, value: np.ndarray) -> None:
            seen.setdefault(self._name, []).append(np.array(value))
            self._inner.set_tensor(index, value)

        def __getattr__(self, attr: str) -> Any:
            return getattr(self._inner, attr)

    classifier = parts.pipeline.classifier
    classifier._interpreter = Recorded(DEFAULT, classifier._interpreter)  # type: ignore[attr-defined]
    lm, bs = parts.geometry.landmark_model, parts.geometry.blendshape_model
    lm._interpreter = Recorded("face_landmarks_detector", lm._interpreter)
    bs._interpreter = Recorded("face_blendshapes", bs._interpreter)
    parts.second._interpreter = Recorded("expression_mobilefacenet", parts.second._interpreter)
    for i, path in enumerate(photos):
        image = cv2.imread(str(path))
        frame = Frame(i, float(i), image, 0.0)
        faces = parts.pipeline.detect(frame).faces
        if faces:
            parts.read(i, image, max(faces, key=lambda f: f.score))
    parts.close()
    arrays = {k: np.concatenate(v) for k, v in seen.items()}
    np.savez_compressed(out, **arrays)
    print(f"{len(photos)} photos:", {k: v.shape for k, v in arrays.items()})
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("opinions", type=Path, nargs="?")
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--cnn", type=Path, help="a variant of the CNN (its sidecar beside it)")
    p.add_argument("--no-flip", action="store_true", help="the CNN without its flip average")
    p.add_argument("--landmarks", type=Path)
    p.add_argument("--blendshapes", type=Path)
    p.add_argument("--second", type=Path)
    p.add_argument(
        "--every", type=int, default=1, help="every N-th choosing photo only (a quick parity)"
    )
    p.add_argument("--dump-calibration", type=Path, metavar="OUT")
    p.add_argument("--calibration-photos", type=int, default=200)
    a = p.parse_args(argv)
    if not a.data.is_dir():
        print(f"error: no shared data at {a.data}; give --data", file=sys.stderr)
        return 2
    if a.dump_calibration:
        return dump_calibration(a.data, a.dump_calibration, a.calibration_photos)
    if a.opinions is None:
        p.error("OPINIONS is needed")
    from training.steps.opinions import all_photos

    d = dict(np.load(a.opinions))
    masks = set_masks(d)
    choosing = np.zeros(len(d["set"]), bool)
    for name in SETS:
        choosing |= masks[name]
    rows, scenes = all_photos(a.data, int((d["set"] == "ferplus_scenes").sum()))
    if [tail(r[1]) for r in rows] != [tail(str(x)) for x in d["path"]]:
        print("error: the opinions file lists other photos than --data has", file=sys.stderr)
        return 2
    if a.every > 1:
        choosing &= np.arange(len(choosing)) % a.every == 0
    rows_read = np.flatnonzero(choosing & d["found"][:, 0])
    base, variant = Parts(), Parts(a.cnn, not a.no_flip, a.landmarks, a.blendshapes, a.second)
    n, k8, k7 = len(d["set"]), len(d["cnn_classes"]), len(d["second_classes"])

    def empty() -> dict[str, np.ndarray]:
        return {
            **{k: d[k] for k in ("label", "person", "path", "splits")},
            "set": np.where(choosing, d["set"], "not read"),
            "cnn_classes": d["cnn_classes"],
            "second_classes": d["second_classes"],
            "found": d["found"][:, :1] & choosing[:, None],
            "cnn": np.full((n, 1, k8), np.nan),
            "blendshapes": np.full((n, 1, 52), np.nan),
            "pose": np.full((n, 1, 3), np.nan),
            "second_lm": np.full((n, 1, k7), np.nan),
        }

    got = {"shipped": empty(), "variant": empty()}
    start = time.perf_counter()
    try:
        for j, i in enumerate(rows_read):
            image = load_image(rows[i][1], scenes, int(i))
            detection = detection_of(d, int(i))
            for key, parts in (("shipped", base), ("variant", variant)):
                r = parts.read(int(i), image, detection)
                for field, value in r.items():
                    got[key][field][i, 0] = value
            if j % 500 == 0:
                print(f"{j}/{len(rows_read)} {time.perf_counter() - start:.0f} s", flush=True)
    finally:
        base.close()
        variant.close()
    sidecar = json.loads((MODELS / f"{DEFAULT}.json").read_text())
    head = GeometryHead.load(MODELS / sidecar["geometry"]["head"])
    classes = [str(c) for c in d["cnn_classes"]]
    z = {key: fused(g, head, sidecar) for key, g in got.items()}
    s, v = got["shipped"], got["variant"]
    stored = d["cnn"][rows_read, 0]
    print(
        f"\n{len(rows_read)} photos read; the shipped CNN against the opinions file: "
        f"largest |dp| {np.nanmax(np.abs(s['cnn'][rows_read, 0] - stored)):.2g}"
    )
    print("\n| part | top-1 agreement | mean abs. prob. difference | faces |")
    print("|---|---|---|---|")
    for label, key in (("CNN", "cnn"), ("geometry head", "_head"), ("second model", "second_lm")):
        same, dp, count = agreement(s[key][:, 0], v[key][:, 0])
        print(f"| {label} | {same:.4f} | {dp:.4f} | {count} |")
    both = ~np.isnan(s["blendshapes"][:, 0, 0]) & ~np.isnan(v["blendshapes"][:, 0, 0])
    diff = np.abs(s["blendshapes"][both, 0] - v["blendshapes"][both, 0])
    refused = int(
        np.sum(np.isnan(s["blendshapes"][:, 0, 0]) != np.isnan(v["blendshapes"][:, 0, 0]))
    )
    if both.any():
        print(
            f"blendshapes: mean |d| {diff.mean():.4f}, largest {diff.max():.4f} on "
            f"{int(both.sum())} faces; geometry refused by one and not the other: {refused}"
        )
    ms = {k: set_report(g, set_masks(g), z[k], classes) for k, g in got.items()}
    print("\n| set | photos | shipped | variant | change (points) |")
    print("|---|---|---|---|---|")
    for name in SETS:
        change = 100.0 * (ms["variant"][name] - ms["shipped"][name])
        print(
            f"| {name} | {int(set_masks(s)[name].sum())} | {ms['shipped'][name]:.3f} | "
            f"{ms['variant'][name]:.3f} | {change:+.1f} |"
        )
    labels = {
        k: np.array(classes)[np.nan_to_num(zz[:, 0], nan=-1e9).argmax(-1)] for k, zz in z.items()
    }
    print(
        f"fused labels changed: {int(np.sum(labels['shipped'][rows_read] != labels['variant'][rows_read]))} "
        f"of {len(rows_read)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
