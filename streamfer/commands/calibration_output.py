"""What ``calibrate`` and ``evaluate`` show and write: Rich tables, the JSON report, the plot."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from rich.columns import Columns
from rich.console import Console
from rich.table import Table

from streamfer import __version__
from streamfer.config.settings import Config
from streamfer.core.choices import LabelSet
from streamfer.core.durable import write_atomic
from streamfer.core.errors import OutputError
from streamfer.evaluation.calibration_plot import plot_sweep
from streamfer.evaluation.datasets import Dataset
from streamfer.evaluation.predictions import PredictionResult
from streamfer.method.calibration_results import LabelSetResult
from streamfer.vision.models import describe

SET_NAMES = {LabelSet.EMOTIONS: "emotions", LabelSet.BROAD: "3 broad"}


def set_name(result: LabelSetResult) -> str:
    """ "7 emotions" or "8 emotions" (the model's), or "3 broad"."""
    if result.label_set is LabelSet.EMOTIONS:
        return f"{len(result.names)} emotions"
    return SET_NAMES[result.label_set]


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def summary_table(
    console: Console, dataset: Dataset, results: dict[LabelSet, LabelSetResult], caption: str
) -> None:
    """The paper's table: dataset, threshold accuracy, optimal threshold, Top-1, difference."""
    table = Table(  # the data set in the title: as a column, a long name wrapped over lines
        title=f"{dataset.name}: representative emotion per clip, accuracy % ({caption})",
        title_justify="left",
    )
    chosen = "optimal" if any(r.n_folds for r in results.values()) else "used"
    for column in ("labels", "clips", "threshold", chosen, "Top-1", "diff", "mean_prob"):
        table.add_column(column, justify="right", no_wrap=True)
    for label_set, result in results.items():
        rule, top1, mean = (result.methods[m] for m in ("threshold", "top1", "mean_prob"))
        spread = f"±{_pct(float(np.std(rule.fold_accuracy)))}" if result.n_folds else ""
        assert rule.threshold is not None
        table.add_row(
            label_set,
            str(result.n_clips),
            _pct(rule.accuracy) + spread,
            f"{rule.threshold:.2f}",
            _pct(top1.accuracy),
            f"{100 * (rule.accuracy - top1.accuracy):+.1f}",
            _pct(mean.accuracy),
        )
    console.print(table)


def detail_tables(console: Console, result: LabelSetResult) -> None:
    """Per method: accuracy, macro-F1, PN accuracy, F1 per class; then confusion matrices."""
    present = [i for i in range(len(result.names)) if (result.truth == i).any()]
    title = (
        f"{set_name(result)}: scores (± sd over folds)"
        if result.n_folds
        else (f"{set_name(result)}: scores")
    )
    table = Table(title=title, title_justify="left")
    table.add_column("method")
    for column in ("accuracy", "macro-F1", "PN acc"):
        table.add_column(column, justify="right")
    for i in present:
        table.add_column(f"F1 {result.names[i]}", justify="right")
    for name, method in result.methods.items():
        sd = result.n_folds > 0
        table.add_row(
            name + (f" {method.threshold:.2f}" if method.threshold is not None else ""),
            f"{method.accuracy:.3f}" + (f"±{np.std(method.fold_accuracy):.3f}" if sd else ""),
            f"{method.macro_f1:.3f}" + (f"±{np.std(method.fold_macro_f1):.3f}" if sd else ""),
            f"{method.pn_accuracy:.3f}",
            *(f"{method.f1[i]:.3f}" for i in present),
        )
    console.print(table)
    matrices = []
    for name in ("top1", "threshold"):
        matrix = result.methods[name].confusion
        columns = [j for j in range(matrix.shape[1]) if j in present or matrix[:, j].any()]
        cm = Table(title=name, title_justify="left")
        cm.add_column("true \\ predicted")
        for j in columns:
            cm.add_column(result.names[j] if j < len(result.names) else "no face", justify="right")
        for i in present:
            cm.add_row(result.names[i], *(str(matrix[i, j]) for j in columns))
        matrices.append(cm)
    which = "held-out predictions" if result.n_folds else "all clips"
    console.print(f"{set_name(result)}: confusion matrices ({which})")
    console.print(Columns(matrices, padding=(0, 4)))


def report_data(
    command: str,
    args: argparse.Namespace,
    config: Config,
    dataset: Dataset,
    predicted: PredictionResult,
    results: dict[LabelSet, LabelSetResult],
    score_seconds: float,
) -> dict[str, Any]:
    return {
        "command": command,
        "streamfer_version": __version__,
        "data": str(args.data),
        "models": {
            "detector": describe(config.resolve_model(config.detector.model)),
            "classifier": describe(config.emotion_model_path()),
        },
        "clips": {
            "listed": len(dataset.clips),
            "used": results[LabelSet.EMOTIONS].n_clips,
            "labels": dataset.label_counts(),
            "left_out_labels": dataset.excluded,
            "subjects": dataset.has_subjects,
            "unreadable": [{"path": str(c.path), "reason": r} for c, r in predicted.failures],
        },
        "predict": {
            "clips": len(dataset.clips),
            "from_cache": predicted.from_cache,
            "frames_decoded": predicted.frames_decoded,
            "seconds": predicted.seconds,
        },
        "score": {"seconds": score_seconds},
        **{label_set: result.as_dict() for label_set, result in results.items()},
    }


def write_outputs(
    args: argparse.Namespace,
    console: Console,
    results: dict[LabelSet, LabelSetResult],
    report: dict[str, Any],
    dataset: Dataset,
    command: str,
) -> None:
    if args.report_json is not None:
        try:
            args.report_json.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write {args.report_json}: {exc.strerror}") from None
        write_atomic(args.report_json, json.dumps(report, indent=2) + "\n")
        console.print(f"report: {args.report_json}")
    if not args.no_plot and importlib.util.find_spec("matplotlib") is None:
        console.print(
            '[yellow]no plot: matplotlib is not installed (pip install "streamfer[plots]")[/]'
        )
    elif not args.no_plot:
        plot = args.plot
        if plot is None:
            plot = (
                args.report_json.with_suffix(".png") if args.report_json else Path(args.plot_name)
            )
        n = results[LabelSet.EMOTIONS].n_clips
        plot_sweep(results, plot, f"streamfer {command}: {dataset.name} ({n} clips)")
        console.print(f"plot: {plot}")
    print(
        f"streamfer: {command}: predict {report['predict']['seconds']:.1f} s, "
        f"score {report['score']['seconds'] * 1000:.0f} ms",
        file=sys.stderr,
    )
