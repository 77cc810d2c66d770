"""Options shared by the commands that run the pipeline, and turning them into a Config."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from streamfer.config import load as config_module
from streamfer.config.paths import find_config
from streamfer.config.settings import Config
from streamfer.core.choices import LABEL_SET_WORDS, Method

#: --labels, as every command shows it: the two words, each explained
LABELS_METAVAR = "{emotions,3}"
LABELS_HELP = (
    "emotions (the default): the model's own labels, 8 for the shipped models (7 for the "
    "FER2013 one); 3: negative, positive, neutral. 7 and 8 are read as emotions, broad as 3 "
    "(the words of older configs and logs)"
)


def add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="settings file (default: ./config.toml, else ~/.config/streamfer/config.toml, "
        "else streamfer's shipped defaults)",
    )
    parser.add_argument(
        "--traceback", action="store_true", help="show the full traceback of an error"
    )


def add_method_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("representative emotion (override config.toml [aggregator])")
    group.add_argument(
        "--method",
        choices=[m.value for m in Method],
        help="threshold: the paper's rule (default); top1: the plain majority of the window",
    )
    group.add_argument(
        "--threshold",
        type=float,
        metavar="F",
        help="share of the window's frames (0-1] the top non-neutral emotion needs (default 0.20)",
    )
    group.add_argument(
        "--labels",
        choices=LABEL_SET_WORDS,
        dest="label_set",
        metavar=LABELS_METAVAR,
        help=LABELS_HELP,
    )
    group.add_argument(
        "--window", type=float, metavar="SECONDS", help="length of the sliding window (default 3)"
    )
    group.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="how often a verdict is logged (default 1)",
    )
    group.add_argument(
        "--baseline",
        type=float,
        metavar="SECONDS",
        help="read each person against their own neutral, taken from their first SECONDS in "
        "view (default 0: off; in run the b key takes everyone's at any time)",
    )
    group.add_argument(
        "--threads", type=int, metavar="N", help="threads for the emotion model (default 1)"
    )
    group.add_argument(
        "--detector",
        choices=["litert", "mediapipe"],
        help="face detector backend: litert (default, BlazeFace on LiteRT) or mediapipe "
        "(MediaPipe Tasks; needs the mediapipe extra)",
    )


def add_geometry_options(parser: argparse.ArgumentParser, logs: bool = True) -> None:
    """``--geometry`` / ``--no-geometry`` (and ``--log-landmarks`` for commands that log)."""
    group = parser.add_argument_group("face geometry (override config.toml [geometry])")
    group.add_argument(
        "--geometry",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="measure landmarks, blendshapes and head pose of each face (about 4 ms a face, "
        "5 times a second; docs/geometry.md); default: on when the emotion model has a "
        "geometry head to fuse with it, as the default emotion_mix3 has",
    )
    if logs:
        group.add_argument(
            "--log-landmarks",
            action="store_true",
            default=None,
            help="with frame records and --geometry, also log each face's 478 landmarks "
            "(about 10 KB a face a measurement)",
        )


def load_config(args: argparse.Namespace, extra: dict[str, Any] | None = None) -> Config:
    """The config file named by ``--config`` (or the default one) with the flags applied."""
    config = config_module.load_source(find_config(args.config))
    overrides: dict[str, Any] = {
        "aggregator.method": getattr(args, "method", None),
        "aggregator.threshold": getattr(args, "threshold", None),
        "aggregator.label_set": getattr(args, "label_set", None),
        "aggregator.window_seconds": getattr(args, "window", None),
        "aggregator.emit_interval_seconds": getattr(args, "interval", None),
        "aggregator.baseline_seconds": getattr(args, "baseline", None),
        "classifier.num_threads": getattr(args, "threads", None),
        "detector.backend": getattr(args, "detector", None),
        "geometry.enabled": getattr(args, "geometry", None),
        "geometry.log_landmarks": getattr(args, "log_landmarks", None),
    }
    overrides.update(extra or {})
    return config_module.with_overrides(config, overrides, _FLAGS)


_FLAGS = {
    "source.reconnect_seconds": "--reconnect",
    "source.realtime": "--realtime",
    "log.frames": "--log-frames",
    "log.dir": "--log-dir",
    "lsl.enabled": "--lsl",
    "aggregator.label_set": "--labels",
    "aggregator.window_seconds": "--window",
    "aggregator.emit_interval_seconds": "--interval",
    "aggregator.baseline_seconds": "--baseline",
    "classifier.num_threads": "--threads",
    "detector.backend": "--detector",
    "geometry.enabled": "--geometry",
}
