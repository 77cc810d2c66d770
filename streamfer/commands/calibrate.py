"""``streamfer calibrate`` and ``streamfer evaluate``: the paper's experiment on labelled clips.

Both predict (every clip through the pipeline, per-frame predictions cached; the paper's
Part A) and score (one label per clip by Top-1, the threshold rule and mean_prob; scores for
7 and 3 labels; the paper's Part B). Tables, JSON report and plot are in ``calibration_output``.
``calibrate`` searches the threshold with k-fold cross-validation and can write it into the
config; ``evaluate`` scores the configured threshold on all clips.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from streamfer import assets
from streamfer.commands.calibration_output import (
    detail_tables,
    report_data,
    set_name,
    summary_table,
    write_outputs,
)
from streamfer.commands.calibration_predict import predict, report_baseline
from streamfer.commands.evaluate_faces import handle_evaluate_faces
from streamfer.commands.options import (
    LABELS_HELP,
    LABELS_METAVAR,
    add_config_options,
    add_geometry_options,
    load_config,
)
from streamfer.config.paths import find_config, prepare_user_config, user_config_file, write_target
from streamfer.config.write import write_aggregator
from streamfer.core.choices import LABEL_SET_WORDS, LabelSet, Method
from streamfer.core.errors import ConfigError, OutputError
from streamfer.evaluation.predictions import (
    DEFAULT_CACHE_DIR,
)
from streamfer.method.calibration import cross_validate, evaluate_fixed

LABEL_SETS = tuple(LabelSet)
_IN_USE = Path("<config in use>")

DATA_HELP = (
    "a folder with one sub-folder per label (happy/, sad/, ...) holding videos or "
    "frame folders, or a CSV manifest with columns path,label[,subject]"
)
EPILOG = """\
examples:
  streamfer calibrate clips/                          search the threshold, 5-fold CV
  streamfer calibrate clips.csv --write-config        ... and store it in the config in use
  streamfer calibrate clips/ --labels 3 --write-config my.toml --report-json cal.json
  streamfer evaluate clips/ --threshold 0.15          score a fixed threshold, no search
  streamfer evaluate --faces faces/ --report-json f.json   the model alone on face crops

Labels are normalised (Happiness, joy -> happy; calm -> neutral); labels the model cannot
output (contempt, pride, ...) are left out and counted. Per-frame predictions are cached in
--cache, so a second run over the same clips decodes nothing.
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    calibrate = sub.add_parser(
        "calibrate",
        help="find the best threshold on labelled recordings (k-fold cross-validated)",
        description="Run the pipeline on labelled clips, compare Top-1, the threshold rule\n"
        "and mean_prob with k-fold cross-validation, and find the best threshold.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(calibrate, "calibration.png")
    calibrate.add_argument("--folds", type=int, default=5, metavar="K", help="folds (default 5)")
    calibrate.add_argument("--seed", type=int, default=0, help="seed of the fold split (default 0)")
    calibrate.add_argument(
        "--labels",
        choices=LABEL_SET_WORDS,
        default="emotions",
        dest="write_labels",
        metavar=LABELS_METAVAR,
        help="which label set's threshold --write-config stores, with that label set. "
        + LABELS_HELP,
    )
    calibrate.add_argument(
        "--write-config",
        nargs="?",
        const=_IN_USE,
        type=Path,
        metavar="FILE",
        help="store the chosen threshold and label set in [aggregator] of FILE "
        "(default: the config in use; when that is streamfer's shipped default, your own "
        "~/.config/streamfer/config.toml, created from it), keeping its comments and layout",
    )
    calibrate.set_defaults(handler=handle_calibrate)

    evaluate = sub.add_parser(
        "evaluate",
        help="score the configured threshold on labelled recordings (no search)",
        description="Run the pipeline on labelled clips and score Top-1, the threshold rule\n"
        "at the configured threshold, and mean_prob, on all clips.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(evaluate, "evaluation.png")
    evaluate.add_argument(
        "--faces",
        action="store_true",
        help="DATA holds already-cropped faces (a folder of label sub-folders of images, or an "
        ".npz with images and labels + classes or FER+ votes + columns): score the emotion "
        "model alone, with its own preprocessing; writes accuracy, per-class recall and a "
        "confusion matrix (PNG beside --report-json, else ./confusion.png)",
    )
    group = evaluate.add_argument_group("representative emotion (override config.toml)")
    group.add_argument("--method", choices=[m.value for m in Method], help="the method to mark")
    group.add_argument("--threshold", type=float, metavar="F", help="the threshold (0-1] to score")
    group.add_argument(
        "--labels",
        choices=LABEL_SET_WORDS,
        dest="label_set",
        metavar=LABELS_METAVAR,
        help="the label set to score. " + LABELS_HELP,
    )
    evaluate.set_defaults(handler=handle_evaluate)


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
    parser.add_argument(
        "--baseline",
        type=float,
        metavar="SECONDS",
        help="also score each clip read against its own first SECONDS as that person's "
        "neutral (as run --baseline does); both results are printed and reported",
    )
    parser.set_defaults(plot_name=plot_name)
    add_geometry_options(parser, logs=False)
    add_config_options(parser)


def handle_calibrate(args: argparse.Namespace, console: Console) -> int:
    if args.folds < 2:
        raise ConfigError(f"--folds {args.folds}: cross-validation needs at least 2 folds")
    config = load_config(args)
    write_path = None if args.write_config is None else _config_path(args.write_config, args.config)
    dataset, table, predicted, baselined = predict(args, config, console)
    start = time.perf_counter()
    results = {s: cross_validate(table, s, args.folds, args.seed) for s in LABEL_SETS}
    score_seconds = time.perf_counter() - start
    with_baseline = (
        {s: cross_validate(baselined, s, args.folds, args.seed) for s in LABEL_SETS}
        if baselined is not None
        else None
    )
    folds = results[LabelSet.EMOTIONS].n_folds
    if folds < args.folds:
        console.print(
            f"[yellow]only {folds} subjects or clips: {folds}-fold cross-validation, "
            f"not {args.folds}[/]"
        )
    summary_table(console, dataset, results, f"{folds}-fold cross-validated")
    for label_set in LABEL_SETS:
        detail_tables(console, results[label_set])
    report = report_data("calibrate", args, config, dataset, predicted, results, score_seconds)
    report["score"].update(folds=folds, seed=args.seed)
    if with_baseline is not None:
        report_baseline(console, dataset, config, with_baseline, report, f"{folds}-fold")
        if write_path is not None:
            console.print(
                "[yellow]note: --write-config stores the threshold chosen without the "
                "baseline (the first table); compare both before relying on it[/]"
            )
    write_outputs(args, console, results, report, dataset, "calibrate")
    if write_path is not None:
        chosen = results[LabelSet(args.write_labels)].methods["threshold"].threshold
        assert chosen is not None
        path = write_path
        write_aggregator(path, chosen, LabelSet(args.write_labels).value)
        console.print(
            f'wrote threshold = {chosen:.2f}, label_set = "{LabelSet(args.write_labels)}" to {path}'
        )
        if config.aggregator.method is not Method.THRESHOLD:
            console.print(
                f'[yellow]note: {path} sets method = "{config.aggregator.method}"; the '
                'threshold takes effect with method = "threshold"[/]'
            )
    return 0


def handle_evaluate(args: argparse.Namespace, console: Console) -> int:
    if args.faces:
        return handle_evaluate_faces(args, console)
    config = load_config(args)
    dataset, table, predicted, baselined = predict(args, config, console)
    settings = config.aggregator
    start = time.perf_counter()
    results = {s: evaluate_fixed(table, s, settings.effective_threshold) for s in LABEL_SETS}
    score_seconds = time.perf_counter() - start
    with_baseline = (
        {s: evaluate_fixed(baselined, s, settings.effective_threshold) for s in LABEL_SETS}
        if baselined is not None
        else None
    )
    summary_table(
        console,
        dataset,
        results,
        f"all clips, threshold {settings.effective_threshold:.2f}; configured: "
        f"{settings.method}, {set_name(results[settings.label_set])}",
    )
    for label_set in LABEL_SETS:
        detail_tables(console, results[label_set])
    report = report_data("evaluate", args, config, dataset, predicted, results, score_seconds)
    report["configured"] = {
        "method": settings.method,
        "threshold": settings.effective_threshold,
        "label_set": settings.label_set,
    }
    if with_baseline is not None:
        report_baseline(console, dataset, config, with_baseline, report, "all clips")
    write_outputs(args, console, results, report, dataset, "evaluate")
    return 0


def _user_file() -> str:
    try:
        return str(user_config_file())
    except RuntimeError:  # no home folder at all
        return "~/.config/streamfer/config.toml"


def _config_path(requested: Path, config_flag: Path | None) -> Path:
    """The file ``--write-config`` changes: the one named, else the one in use, unless that is
    a file streamfer ships (then the user's own config file, made from the defaults)."""
    path = requested
    if requested == _IN_USE:
        try:
            path = write_target(find_config(config_flag))
            if path == user_config_file():
                prepare_user_config(path)
        except (OSError, RuntimeError) as exc:  # a read-only or missing home folder
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise OutputError(
                f"--write-config: cannot make your config file {_user_file()}: {reason}",
                "name a writable file: --write-config PATH (a copy of config.toml)",
            ) from None
    elif assets.is_bundled(path):
        raise ConfigError(
            f"--write-config: {path} is the config streamfer ships",
            f"write to your own copy instead: --write-config {user_config_file()}",
        )
    if not path.is_file():
        raise ConfigError(
            f"--write-config: {path} does not exist",
            "copy streamfer's config.toml there first, or name an existing file",
        )
    return path
