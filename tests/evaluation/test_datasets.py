"""Calibration data sets on disk (``streamfer.evaluation.datasets``), without the shared data:
folder layouts and manifests, labels normalised and those left out counted, unusable data one
clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamfer.core.errors import DataError
from streamfer.evaluation.datasets import load_dataset


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folder_layout_normalises_and_counts_left_out_labels(tmp_path: Path) -> None:
    touch(tmp_path / "Happiness" / "a.mp4")
    touch(tmp_path / "Happiness" / "b" / "0001.jpg")  # a frame folder
    touch(tmp_path / "calm" / "c.MOV")
    touch(tmp_path / "calm" / "notes.txt")  # neither a video nor a folder
    touch(tmp_path / "contempt" / "d.mp4")
    touch(tmp_path / "contempt" / "e.mp4")
    touch(tmp_path / ".hidden" / "f.mp4")
    touch(tmp_path / "README.md")
    data = load_dataset(tmp_path)
    assert [(c.path.name, c.label) for c in data.clips] == [
        ("a.mp4", "happy"),
        ("b", "happy"),
        ("c.MOV", "neutral"),
    ]
    assert data.excluded == {"contempt": 2}
    assert [p.name for p in data.ignored] == ["notes.txt"]
    assert data.label_counts() == {"happy": 2, "neutral": 1}
    assert not data.has_subjects


def test_manifest_paths_labels_and_subjects(tmp_path: Path) -> None:
    manifest = tmp_path / "sets" / "m.csv"
    touch(manifest.parent / "v" / "1.mp4")
    manifest.write_text(
        "Path, Label ,subject\n"
        "v/1.mp4,Joy,s1\n"
        f"{tmp_path / 'abs.mp4'},sadness,\n"
        "v/2.mp4,pride,s2\n"
        "v/3.mp4,,s2\n"
        "\n"
        "v/4.mp4,AFRAID,s3\n"
    )
    data = load_dataset(manifest)
    assert [(c.path, c.label, c.subject) for c in data.clips] == [
        (manifest.parent / "v" / "1.mp4", "happy", "s1"),
        (tmp_path / "abs.mp4", "sad", None),
        (manifest.parent / "v" / "4.mp4", "fear", "s3"),
    ]
    assert data.excluded == {"pride": 1, "(blank)": 1}
    assert data.has_subjects


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "absent", "does not exist"),
        (lambda p: touch(p / "m.csv", b"file,emotion\na.mp4,happy\n"), "not path and label"),
        (lambda p: touch(p / "m.csv", b""), "is empty"),
        (lambda p: touch(p / "m.csv", b"path,label\na.mp4,contempt\n"), "left out: contempt"),
        (lambda p: touch(p / "d" / "contempt" / "a.mp4").parent.parent, "no clip with a label"),
        (lambda p: touch(p / "m.csv", b"path,label,subject\na.mp4,happy\n"), "expected 3"),
    ],
)
def test_unusable_data_is_one_clear_error(tmp_path: Path, setup: object, message: str) -> None:
    with pytest.raises(DataError, match=message) as caught:
        load_dataset(setup(tmp_path))  # type: ignore[operator]
    assert caught.value.hint or "line" in caught.value.message
