"""Labelled recordings for ``calibrate`` and ``evaluate``: find the clips and their labels.

DATA is either

- a folder with one sub-folder per label, each holding clips: video files (by suffix, e.g.
  ``.mp4``) or frame-sequence folders (image files read in name order, one folder a clip); or
- a CSV manifest with a header row and columns ``path,label`` and optionally ``subject``;
  relative paths are taken from the manifest's folder.

Labels are normalised with ``streamfer.labels.normalise_label`` (``Happiness`` -> happy,
``calm`` -> neutral, ...). Clips whose label the model cannot output (contempt, pride, ...)
are left out and counted per label. Whether a clip can be read is found out later, when it is
decoded (``streamfer.evaluation.predictions``).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from streamfer.core.errors import DataError
from streamfer.core.labels import EMOTIONS, normalise_label
from streamfer.sources.readers import VIDEO_SUFFIXES

_LAYOUT_HINT = (
    "give a folder with one sub-folder per label (videos or frame folders inside), "
    "or a CSV manifest with columns path,label[,subject]"
)


@dataclass(frozen=True)
class Clip:
    """One labelled recording: a video file or a folder of frames.

    ``label``: canonical emotion name (one of the model's). ``subject``: who is filmed, or None.
    """

    path: Path
    label: str
    subject: str | None = None


@dataclass(frozen=True)
class Dataset:
    """The usable clips of DATA, and what was left out.

    ``excluded``: clips per raw label the model cannot output. ``ignored``: entries of a label
    folder that are neither a video file nor a folder.
    """

    source: Path
    clips: tuple[Clip, ...]
    excluded: dict[str, int]
    ignored: tuple[Path, ...] = ()
    emotions: tuple[str, ...] = EMOTIONS  # the model's labels the clips were matched to

    @property
    def name(self) -> str:
        """A short name for tables: the folder's name, or the manifest's with its folder."""
        if self.source.is_dir():
            return self.source.name
        return f"{self.source.parent.name}/{self.source.name}"

    @property
    def has_subjects(self) -> bool:
        return any(c.subject is not None for c in self.clips)

    def label_counts(self) -> dict[str, int]:
        """Clips per label, in the model's order."""
        counts = Counter(c.label for c in self.clips)
        return {name: counts[name] for name in self.emotions if counts[name]}

    def label_indices(self) -> list[int]:
        """Each clip's label as an index into ``emotions``."""
        return [self.emotions.index(c.label) for c in self.clips]


def load_dataset(spec: Path, emotions: tuple[str, ...] = EMOTIONS) -> Dataset:
    """Find the labelled clips of ``spec`` whose label is one of the model's ``emotions``.

    Raise DataError when there is nothing usable.
    """
    if not spec.exists():
        raise DataError(f"data set {spec} does not exist", _LAYOUT_HINT)
    dataset = _from_folder(spec, emotions) if spec.is_dir() else _from_manifest(spec, emotions)
    if not dataset.clips:
        raise DataError.nothing_usable(spec, "clip", dataset.excluded, emotions, _LAYOUT_HINT)
    return dataset


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def _from_folder(root: Path, emotions: tuple[str, ...]) -> Dataset:
    clips: list[Clip] = []
    excluded: Counter[str] = Counter()
    ignored: list[Path] = []
    for label_dir in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
        label = normalise_label(label_dir.name, emotions)
        for entry in sorted(p for p in label_dir.iterdir() if _visible(p)):
            if not (entry.is_dir() or entry.suffix.lower() in VIDEO_SUFFIXES):
                ignored.append(entry)
            elif label is None:
                excluded[label_dir.name] += 1
            else:
                clips.append(Clip(entry, label))
    return Dataset(root, tuple(clips), dict(excluded), tuple(ignored), emotions)


def _from_manifest(path: Path, emotions: tuple[str, ...]) -> Dataset:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a CSV text file", _LAYOUT_HINT) from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from None
    if not rows:
        raise DataError(f"manifest {path} is empty", "the first row must be: path,label[,subject]")
    header = [h.strip().lower() for h in rows[0]]
    if "path" not in header or "label" not in header:
        raise DataError(
            f"manifest {path} has columns {rows[0]}, not path and label",
            "the first row must be: path,label[,subject]",
        )
    col_path, col_label = header.index("path"), header.index("label")
    col_subject = header.index("subject") if "subject" in header else None
    clips: list[Clip] = []
    excluded: Counter[str] = Counter()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise DataError(f"{path}, line {line}: expected {len(header)} columns, got {len(row)}")
        raw_path, raw_label = row[col_path].strip(), row[col_label].strip()
        if not raw_path:
            raise DataError(f"{path}, line {line}: the path is blank")
        label = normalise_label(raw_label, emotions)
        if label is None:
            excluded[raw_label or "(blank)"] += 1
            continue
        subject = (row[col_subject].strip() or None) if col_subject is not None else None
        clip_path = Path(raw_path).expanduser()
        if not clip_path.is_absolute():
            clip_path = path.parent / clip_path
        clips.append(Clip(clip_path, label, subject))
    return Dataset(path, tuple(clips), dict(excluded), (), emotions)
