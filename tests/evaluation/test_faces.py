"""Face-photo sets for ``evaluate --faces`` (``streamfer.evaluation.faces``): folders with
label synonyms, .npz files with votes, and the scores."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from streamfer.core.labels import (
    EMOTIONS,
    EMOTIONS_8,
)
from streamfer.evaluation.faces import face_scores, load_faces


def _faces_folder(root: Path) -> Path:
    face = np.full((48, 48), 120, np.uint8)
    for folder in ("Happiness", "sadness", "surprised", "disgusted", "anger", "contempt", "pride"):
        (root / folder).mkdir(parents=True)
        cv2.imwrite(str(root / folder / "a.png"), face)
    (root / "Happiness" / "notes.txt").write_text("not an image")
    return root


def test_faces_folder_synonyms_and_left_out(tmp_path: Path) -> None:
    faces = load_faces(_faces_folder(tmp_path / "faces"), EMOTIONS)
    assert sorted(faces.labels) == ["angry", "disgust", "happy", "sad", "surprise"]
    assert faces.left_out == {
        "contempt: the model has no such class": 1,
        "pride: unknown label": 1,
    }
    assert "contempt" in load_faces(tmp_path / "faces", EMOTIONS_8).labels


def test_faces_npz_votes_majority_drops_unknown(tmp_path: Path) -> None:
    columns = np.array(
        [
            "neutral",
            "happiness",
            "surprise",
            "sadness",
            "anger",
            "disgust",
            "fear",
            "contempt",
            "unknown",
            "NF",
        ]
    )
    votes = np.zeros((4, 10), np.uint8)
    votes[0, 1] = 6  # happy
    votes[1, 8] = 7  # unknown
    votes[2, 9] = 9  # not a face
    votes[3, 7] = 5  # contempt
    path = tmp_path / "v.npz"
    np.savez(path, images=np.zeros((4, 48, 48), np.uint8), votes=votes, columns=columns)
    faces = load_faces(path, EMOTIONS)
    assert faces.labels == ("happy",)
    assert sum(faces.left_out.values()) == 3
    assert load_faces(path, EMOTIONS_8).labels == ("happy", "contempt")


def test_face_scores() -> None:
    classes = ("happy", "sad", "neutral")
    probs = np.array([[0.9, 0.05, 0.05], [0.1, 0.2, 0.7], [0.1, 0.8, 0.1]], np.float32)
    s = face_scores(("happy", "sad", "sad"), probs, classes)
    assert s["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["recall"] == {"happy": 1.0, "sad": 0.5}
    assert s["confusion"]["sad"] == {"happy": 0, "sad": 1, "neutral": 1}
