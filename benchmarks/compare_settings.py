"""Settings against each other on the bench clip, paired round by round. Prints figures.

    python benchmarks/compare_settings.py old="classifier.alternate_flip=false,ahead=2" new=
    python benchmarks/compare_settings.py --faces 2 --rounds 4 a= b="geometry.interval_seconds=0.3"

Each argument is ``NAME=SETTINGS``: comma-separated ``section.key=value`` overrides of the
defaults (values as in config.toml: ``true``, ``0.3``, ``"auto"``), or nothing for the
defaults. ``ahead=N`` is not a setting: the frames the detector's thread may hold prepared for
a file read as fast as possible (``streamfer.pipeline.run.AHEAD_FILE``). Every round decodes the
clip alone, then runs every variant once, as ``bench_pipeline.py`` runs the full pipeline (as
fast as possible, a file); so a machine that is busier in one round than in another slows
every variant of that round. Printed: the median fps of each, its cost in decodes of the clip,
and its median ratio to the first variant's fps in the same round (the paired comparison).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench_pipeline import decode_only, full_pipeline, make_clip
from machine import cpu_name

import streamfer.session.lifecycle as lifecycle
from streamfer.config.load import parse_toml, with_overrides
from streamfer.config.settings import Config
from streamfer.core.errors import StreamferError


def parse_variant(text: str) -> tuple[str, dict[str, Any], int | None]:
    """``NAME=k=v,k=v`` -> the name, the overrides and ``ahead`` (None: the default)."""
    name, _, spec = text.partition("=")
    if not name:
        raise SystemExit(f"compare_settings: {text!r} has no name (NAME=SETTINGS)")
    overrides: dict[str, Any] = {}
    ahead = None
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"compare_settings: {item!r} is not section.key=value")
        parsed = parse_toml(f"v = {value}", item)["v"]
        if key == "ahead":
            ahead = int(parsed)
        else:
            overrides[key] = parsed
    return name, overrides, ahead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="+", help="NAME=section.key=value,... (see above)")
    parser.add_argument("--faces", type=int, choices=[1, 2], default=1)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the clip")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    try:  # every variant checked before anything runs
        variants = [parse_variant(v) for v in args.variants]
        configs = {name: with_overrides(Config(), o) for name, o, _ in variants}
    except StreamferError as exc:
        raise SystemExit(f"compare_settings: {exc.one_line()}") from None
    default_ahead = lifecycle.AHEAD_FILE
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = folder / "clip.mp4"
        make_clip(clip, 0.0 if args.faces == 1 else 7.0, args.seconds)
        fps: dict[str, list[float]] = {name: [] for name, _, _ in variants}
        decode: list[float] = []
        for _ in range(args.rounds):
            decode.append(decode_only(clip)[0])
            for name, _, ahead in variants:
                lifecycle.AHEAD_FILE = default_ahead if ahead is None else ahead
                try:
                    result = full_pipeline(clip, configs[name], False, folder / "logs")
                finally:
                    lifecycle.AHEAD_FILE = default_ahead
                fps[name].append(result["fps"])
    first = variants[0][0]
    decoded = statistics.median(decode)
    print(f"machine: {cpu_name()}; {args.faces} face(s), {args.seconds:g} s 640x480 clip")
    print(f"decode only: {decoded:.0f} fps (median of {args.rounds})")
    for name, overrides, ahead in variants:
        runs = fps[name]
        median = statistics.median(runs)
        paired = statistics.median(a / b for a, b in zip(runs, fps[first], strict=True))
        what = ", ".join(f"{k}={v}" for k, v in overrides.items())
        if ahead is not None:
            what = ", ".join(filter(None, (what, f"ahead={ahead}")))
        print(
            f"{name}: {median:.0f} fps, {decoded / median:.2f}x decoding, "
            f"{paired:.3f} of {first} (paired); runs {[round(r) for r in runs]}; "
            f"{what or 'the defaults'}"
        )


if __name__ == "__main__":
    main()
