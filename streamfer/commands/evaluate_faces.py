"""``streamfer evaluate --faces DATA``: the emotion model alone on labelled face crops."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from streamfer import __version__
from streamfer.commands.options import load_config
from streamfer.core.errors import OutputError
from streamfer.evaluation.faces import classify_faces, confusion_png, face_scores, load_faces
from streamfer.vision.classify import TFLiteEmotionClassifier
from streamfer.vision.models import describe


def handle_evaluate_faces(args: argparse.Namespace, console: Console) -> int:
    config = load_config(args)
    model_path = config.emotion_model_path()
    classifier = TFLiteEmotionClassifier(
        model_path, config.classifier.num_threads, config.crop().flip_average
    )
    classes = classifier.classes
    faces = load_faces(args.data, classes)
    start = time.perf_counter()
    probs = classify_faces(classifier, faces.images)
    seconds = time.perf_counter() - start
    scores = face_scores(faces.labels, probs, classes)
    name = classifier.card.name
    table = Table(
        title=f"{name} on {args.data}: accuracy {scores['accuracy']:.3f} (n {scores['n']})"
    )
    table.add_column("true \\ predicted")
    for c in classes:
        table.add_column(c[:8], justify="right")
    table.add_column("recall", justify="right")
    for truth, row in scores["confusion"].items():
        table.add_row(truth, *(str(row[c]) for c in classes), f"{scores['recall'][truth]:.2f}")
    console.print(table)
    for reason, n in sorted(faces.left_out.items()):
        console.print(f"left out: {n} faces ({reason})")
    report: dict[str, Any] = {
        "command": "evaluate --faces",
        "streamfer_version": __version__,
        "data": str(args.data),
        "model": name,
        "model_file": describe(model_path),
        "classes": list(classes),
        "flip_average": classifier.flip_average,
        **scores,
        "left_out": faces.left_out,
        "note": "each face resized to the model's input and classified alone: no detection, "
        "no crop; faces of labels the model cannot output are left out",
        "seconds": round(seconds, 3),
    }
    if args.report_json is not None:
        try:
            args.report_json.parent.mkdir(parents=True, exist_ok=True)
            args.report_json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write {args.report_json}: {exc.strerror}") from None
        console.print(f"report: {args.report_json}")
    if not args.no_plot:
        plot: Path = args.plot or (
            args.report_json.with_suffix(".png") if args.report_json else Path("confusion.png")
        )
        confusion_png(
            scores, classes, plot, f"{name}: {args.data.name}, accuracy {scores['accuracy']:.3f}"
        )
        console.print(f"confusion matrix: {plot}")
    return 0
