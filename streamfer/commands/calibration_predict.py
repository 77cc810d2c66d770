"""Predicting labelled clips for ``calibrate`` and ``evaluate``: the progress bar, the clip
table of the plain reading and, with ``--baseline``, of each clip read against its own first
seconds; and how the latter is printed and reported."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from streamfer.commands.calibration_output import summary_table
from streamfer.config.settings import Config
from streamfer.core.choices import LabelSet
from streamfer.core.errors import ConfigError, DataError
from streamfer.evaluation.datasets import Clip, Dataset, load_dataset
from streamfer.evaluation.predictions import PredictionCache, PredictionResult, predict_clips
from streamfer.method.baseline import clip_relative
from streamfer.method.calibration import ClipTable
from streamfer.method.calibration_results import LabelSetResult


def report_baseline(
    console: Console,
    dataset: Dataset,
    config: Config,
    results: dict[LabelSet, LabelSetResult],
    report: dict[str, Any],
    how: str,
) -> None:
    """The same scores with each clip read against its own first seconds (``--baseline``),
    printed after the plain ones and kept in the report's ``baseline`` entry."""
    seconds = config.aggregator.baseline_seconds
    summary_table(
        console, dataset, results, f"{how}, each clip read against its first {seconds:g} s"
    )
    card = config.emotion_model()
    report["baseline"] = {
        "seconds": seconds,
        "strength": card.baseline_strength,
        "gain": card.baseline_gain,
        **{label_set: result.as_dict() for label_set, result in results.items()},
    }


class RichProgress:
    """Progress of predicting: clips done and frames decoded, on stderr."""

    def __init__(self, progress: Progress, clips: int) -> None:
        self.progress = progress
        self.clips = progress.add_task("clips", total=clips)
        self.frames = progress.add_task("frames decoded", total=0)

    def clip_started(self, clip: Clip, frame_count: int | None) -> None:
        task = self.progress.tasks[self.frames]
        self.progress.update(self.frames, total=(task.total or 0) + (frame_count or 0))

    def frame_done(self) -> None:
        self.progress.advance(self.frames)

    def clip_done(self, clip: Clip, from_cache: bool) -> None:
        self.progress.advance(self.clips)


def predict(
    args: argparse.Namespace, config: Config, console: Console
) -> tuple[Dataset, ClipTable, PredictionResult, ClipTable | None]:
    emotions = config.emotions()
    dataset = load_dataset(args.data, emotions)
    labels = ", ".join(f"{name} {n}" for name, n in dataset.label_counts().items())
    console.print(f"{args.data}: {len(dataset.clips)} clips ({labels})")
    if dataset.excluded:
        left_out = ", ".join(f"{label} {n}" for label, n in sorted(dataset.excluded.items()))
        console.print(f"left out, labels the model cannot output: {left_out}")
    if dataset.ignored:
        console.print(f"ignored {len(dataset.ignored)} files that are neither videos nor folders")
    cache = None if args.no_cache else PredictionCache(args.cache)
    clips = list(dataset.clips)
    with Progress(
        TextColumn("{task.description:>15}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        predicted = predict_clips(clips, config, cache, RichProgress(progress, len(clips)))
    console.print(
        f"predict: {len(clips)} clips, {predicted.from_cache} from cache, "
        f"{predicted.frames_decoded} frames decoded, {len(predicted.failures)} unreadable, "
        f"{predicted.seconds:.1f} s"
    )
    for clip, reason in predicted.failures[:10]:
        console.print(f"  [yellow]skipped[/] {clip.path}: {reason}")
    if len(predicted.failures) > 10:
        console.print(f"  ... and {len(predicted.failures) - 10} more (see --report-json)")
    used = [(c, p) for c, p in zip(clips, predicted.predictions, strict=True) if p is not None]
    if len(used) < 2:
        raise DataError(
            f"only {len(used)} of {len(clips)} clips in {args.data} could be read",
            "check the skipped clips above; calibration needs at least 2",
        )
    groups = [c.subject or f"clip {c.path}" for c, _ in used]
    if len(set(groups)) < 2:
        raise DataError(
            f"all clips in {args.data} come from one subject: nothing to cross-validate over",
            "give clips of at least 2 subjects",
        )
    truth = [emotions.index(c.label) for c, _ in used]
    table = ClipTable.from_probs([p.probs for _, p in used], truth, groups, emotions)
    baselined = None
    seconds = config.aggregator.baseline_seconds
    if seconds > 0:
        card = config.emotion_model()
        if card.neutral_reference is None:
            raise ConfigError(
                f"the emotion model {config.classifier.model} has no neutral reference, so "
                "clips cannot be read against their first seconds",
                "use a model whose sidecar has one (the default does) or drop --baseline",
            )
        probs = [
            clip_relative(
                p.probs,
                p.t,
                seconds,
                card.neutral_reference,
                card.baseline_strength,
                card.baseline_gain,
                every_class=card.baseline_every_class,
            )
            for _, p in used
        ]
        baselined = ClipTable.from_probs(probs, truth, groups, emotions)
    return dataset, table, predicted, baselined
