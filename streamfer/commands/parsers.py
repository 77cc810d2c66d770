"""The command line's parsers, kept apart from the commands so ``--help`` imports nothing heavy.

Each ``add_*`` defines one sub-command's options; its handler (``handle(args, console)``) is
imported from ``streamfer.commands.<name>`` only when that command runs, so ``streamfer
--help`` starts without OpenCV, numpy, LiteRT or matplotlib.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamfer.commands.options import add_config_options, add_method_options

#: calibrate/evaluate's per-frame prediction cache; the same as streamfer.predictions.DEFAULT_CACHE_DIR
#: (repeated so the parser need not import the pipeline; tests/test_cli.py checks they agree)
DEFAULT_CACHE_DIR = Path(".streamfer-cache")


def _lazy(module: str, name: str) -> Callable[..., int]:
    """A handler that imports ``module`` and calls its ``name`` when the command runs."""

    def handler(args: argparse.Namespace, console: Any) -> int:
        function: Callable[..., int] = getattr(importlib.import_module(module), name)
        return function(args, console)

    return handler


RUN_EPILOG = """\
examples:
  streamfer run --source demo                 generated clip of real faces, no camera needed
  streamfer run                               the default camera (index 0)
  streamfer run --source 1 --threshold 0.15   another camera, a lower threshold
  streamfer run --source session.mp4 --realtime --log-frames
  streamfer run --source rtsp://10.0.0.5/stream --no-dashboard

keys while it runs: q quits; m adds a marker (type a note, Enter).
The log is one JSON object a line; read it with pandas.read_json(path, lines=True).
"""


def add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "run",
        help="monitor a camera, video file or stream live",
        description="Watch faces live and show each person's representative emotion.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--source",
        metavar="SRC",
        help="camera index (default 0), video file, frame folder, stream URL, 'picamera' "
        "(a Raspberry Pi camera; 'picamera:1' the second), or 'demo'",
    )
    parser.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="play files at their own frame rate, as a camera would (newest frame wins); "
        "--no-realtime processes every frame as fast as possible (the default for files; "
        "the demo plays in real time unless told otherwise)",
    )
    parser.add_argument("--log-dir", type=Path, metavar="DIR", help="where the JSONL log goes")
    parser.add_argument(
        "--log-frames", action="store_true", default=None, help="also log every frame's faces"
    )
    parser.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    parser.add_argument(
        "--no-dashboard",
        action="store_true",
        help="headless: print a one-line status every few seconds instead of the dashboard",
    )
    add_method_options(parser)
    add_config_options(parser)
    parser.set_defaults(handler=_lazy("streamfer.commands.run", "handle"))


ANALYZE_EPILOG = """\
examples:
  streamfer analyze sessions/ --out results/           every video and frame folder, recursively
  streamfer analyze 'clinic/**/*.mp4' a.mov --out results/ --workers 2
  streamfer analyze sessions/ --out results/ --force  redo inputs analysed before

For each input: results/<name>.jsonl (the same records as `run`, with per-frame faces
unless --no-frames), and one results/summary.csv for the run. A second run skips inputs
whose complete log exists for the same content and settings (results/manifest.json).
Exit code: 0 all went well, 1 some input failed, 130 interrupted.
Then: streamfer report results/ --out report/
"""


def add_analyze(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "analyze",
        help="analyse recorded videos and frame folders in bulk into logs and a summary",
        description="Analyse recordings with the same pipeline as `run`, several files at once.",
        epilog=ANALYZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="video files, folders (searched recursively), globs",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        default=os.cpu_count() or 1,
        help="processes, each analysing its own files (default: the number of cores, %(default)s)",
    )
    parser.add_argument("--force", action="store_true", help="redo inputs analysed before")
    parser.add_argument(
        "--no-frames",
        action="store_true",
        help="log only verdicts, not every frame's faces (smaller logs; the report then "
        "draws no probabilities)",
    )
    add_method_options(parser)
    add_config_options(parser)
    parser.set_defaults(handler=_lazy("streamfer.commands.analyze", "handle"))


REPORT_EPILOG = """\
examples:
  streamfer report logs/session-20250101-120000.jsonl --out report/
  streamfer report results/ --out report/      every log that `analyze` wrote

Writes report/<log>-overview.png (who showed what, when), report/<log>-track<N>.png
(timeline over per-frame probabilities, valence-arousal trajectory, time shares, markers)
and report/report.html, one page with the summary table and every figure inside it.
"""


def add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "report",
        help="draw figures and an HTML page from session logs",
        description="Draw each person's emotions over a session from its JSONL log.",
        epilog=REPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("logs", nargs="+", metavar="LOG", help="JSONL logs, or folders of them")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="report folder")
    add_config_options(parser)
    parser.set_defaults(handler=_lazy("streamfer.commands.report", "handle"))


LABEL_SETS = ("7", "3")
SET_NAMES = {"7": "7 emotions", "3": "3 broad"}
IN_USE = Path("<config in use>")

DATA_HELP = (
    "a folder with one sub-folder per label (happy/, sad/, ...) holding videos or "
    "frame folders, or a CSV manifest with columns path,label[,subject]"
)
CALIBRATE_EPILOG = """\
examples:
  streamfer calibrate clips/                          search the threshold, 5-fold CV
  streamfer calibrate clips.csv --write-config        ... and store it in the config in use
  streamfer calibrate clips/ --labels 3 --write-config my.toml --report-json cal.json
  streamfer evaluate clips/ --threshold 0.15          score a fixed threshold, no search

Labels are normalised (Happiness, joy -> happy; calm -> neutral); labels the model cannot
output (contempt, pride, ...) are left out and counted. Per-frame predictions are cached in
--cache, so a second run over the same clips decodes nothing.
"""


def add_calibrate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    calibrate = sub.add_parser(
        "calibrate",
        help="find the best threshold on labelled recordings (k-fold cross-validated)",
        description="Run the pipeline on labelled clips, compare Top-1, the threshold rule\n"
        "and mean_prob with k-fold cross-validation, and find the best threshold.",
        epilog=CALIBRATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(calibrate, "calibration.png")
    calibrate.add_argument("--folds", type=int, default=5, metavar="K", help="folds (default 5)")
    calibrate.add_argument("--seed", type=int, default=0, help="seed of the fold split (default 0)")
    calibrate.add_argument(
        "--labels",
        choices=LABEL_SETS,
        default="7",
        dest="write_labels",
        help="which label set's threshold --write-config stores, with that label set (default 7)",
    )
    calibrate.add_argument(
        "--write-config",
        nargs="?",
        const=IN_USE,
        type=Path,
        metavar="FILE",
        help="store the chosen threshold and label set in [aggregator] of FILE "
        "(default: the config in use; when that is streamfer's shipped default, your own "
        "~/.config/streamfer/config.toml, created from it), keeping its comments and layout",
    )
    calibrate.set_defaults(handler=_lazy("streamfer.commands.calibrate", "handle_calibrate"))

    evaluate = sub.add_parser(
        "evaluate",
        help="score the configured threshold on labelled recordings (no search)",
        description="Run the pipeline on labelled clips and score Top-1, the threshold rule\n"
        "at the configured threshold, and mean_prob, on all clips.",
        epilog=CALIBRATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(evaluate, "evaluation.png")
    group = evaluate.add_argument_group("representative emotion (override config.toml)")
    group.add_argument("--method", choices=["threshold", "top1"], help="the method to mark")
    group.add_argument("--threshold", type=float, metavar="F", help="the threshold (0-1] to score")
    group.add_argument("--labels", choices=LABEL_SETS, dest="label_set", help="label set to mark")
    evaluate.set_defaults(handler=_lazy("streamfer.commands.calibrate", "handle_evaluate"))


def _add_common(parser: argparse.ArgumentParser, plot_name: str) -> None:
    parser.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        metavar="DIR",
        help=f"per-frame prediction cache (default ./{DEFAULT_CACHE_DIR})",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--report-json", type=Path, metavar="FILE", help="write a JSON report")
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="FILE",
        help=f"accuracy-against-threshold PNG (default: beside --report-json, else ./{plot_name})",
    )
    parser.add_argument("--no-plot", action="store_true", help="do not draw the plot")
    parser.set_defaults(plot_name=plot_name)
    add_config_options(parser)


#: every sub-command, in the order ``--help`` lists them
ADD_PARSERS = (add_run, add_analyze, add_report, add_calibrate)
