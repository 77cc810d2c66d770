"""Models describe themselves: sidecars, label sets that follow the model, evaluate --faces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from clips import ROOT, streamfer
from pipelines import model_with_further_crop

from streamfer.config import load as cfg
from streamfer.core.choices import LabelSet
from streamfer.core.errors import ModelError
from streamfer.core.labels import (
    CIRCUMPLEX_OF_NAME,
    EMOTIONS,
    EMOTIONS_8,
    broad_of,
    circumplex,
    label_names,
    normalise_label,
    valence_arousal,
)
from streamfer.evaluation.faces import face_scores, load_faces
from streamfer.method.aggregate import AggregatorSettings, WindowAggregator
from streamfer.method.calibration import ClipTable, evaluate_fixed
from streamfer.vision.classify import TFLiteEmotionClassifier
from streamfer.vision.modelcard import ModelCard, read_card

SHIPPED = sorted((ROOT / "models").glob("emotion_*.json"))


@pytest.mark.parametrize("sidecar", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_model_matches_its_sidecar(sidecar: Path) -> None:
    classifier = TFLiteEmotionClassifier(sidecar.with_suffix(".tflite"))
    card = classifier.card
    assert card.name == sidecar.stem
    assert classifier.classes[-1] == "neutral" and len(classifier.classes) in (7, 8)
    crop = np.full((card.size, card.size), 128, np.uint8)
    probs = classifier.classify(crop)
    assert probs.shape == (len(card.classes),) and probs.sum() == pytest.approx(1.0, abs=1e-4)


def test_the_fer2013_model_and_a_newer_one_are_shipped() -> None:
    names = {p.stem for p in SHIPPED}
    assert "emotion_mini_xception_f32" in names  # kept so older logs reproduce
    assert len(names) >= 2


def _card(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "m",
        "input": {"height": 48, "width": 48, "channels": 1, "scale": 0.5, "offset": -1.0},
        "classes": list(EMOTIONS_8),
        "crop": {"margin": 0.1, "align_eyes": False},
    }
    data.update(changes)
    return data


def test_sidecar_values_are_read_not_assumed() -> None:
    card = ModelCard.from_dict(_card())
    assert (card.size, card.scale, card.offset, card.classes) == (48, 0.5, -1.0, EMOTIONS_8)
    assert card.crop.margin == 0.1 and card.crop.align_eyes is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"classes": ["happy", "neutral", "sad"]}, "end with neutral"),
        ({"classes": ["happy", "pride", "neutral"]}, "unknown class"),
        ({"classes": ["happy", "happy", "neutral"]}, "repeat"),
        ({"input": {"height": 48, "width": 40, "scale": 1, "offset": 0}}, "square"),
        ({"crop": {"margin": 0.0, "also": [{"margin": 1.5, "align_eyes": False}]}}, "margin"),
        ({"crop": {"margin": 0.0, "also": [{"align_eyes": False}]}}, "margin"),
    ],
)
def test_bad_sidecars_are_refused(tmp_path: Path, changes: dict[str, object], message: str) -> None:
    model = tmp_path / "m.tflite"
    shutil.copy(ROOT / "models" / "emotion_mini_xception_f32.tflite", model)
    (tmp_path / "m.json").write_text(json.dumps(_card(**changes)))
    read_card.cache_clear()
    with pytest.raises(ModelError, match=message):
        read_card(model)


def test_a_model_without_sidecar_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "lonely.tflite"
    shutil.copy(ROOT / "models" / "emotion_mini_xception_f32.tflite", model)
    with pytest.raises(ModelError, match=r"no sidecar lonely\.json"):
        TFLiteEmotionClassifier(model)


def test_a_sidecar_that_disagrees_with_the_model_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "m.tflite"
    shutil.copy(ROOT / "models" / "emotion_mini_xception_f32.tflite", model)
    (tmp_path / "m.json").write_text(json.dumps(_card()))  # 48x48, 8 classes: the file is 64, 7
    read_card.cache_clear()
    with pytest.raises(ModelError, match="sidecar says"):
        TFLiteEmotionClassifier(model)


def test_config_names_a_model_and_its_crop_comes_from_the_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[classifier]\nmodel = "emotion_mini_xception_f32"\n')
    config = cfg.load(path)
    assert config.emotion_model_path().name == "emotion_mini_xception_f32.tflite"
    assert config.emotions() == EMOTIONS
    own = config.emotion_model().crop
    assert config.crop() == own
    path.write_text(
        '[classifier]\nmodel = "emotion_mini_xception_f32"\nflip_average = true\n'
        "[detector]\ncrop_margin = 0.4\nalign_eyes = false\n"
    )
    crop = cfg.load(path).crop()
    assert (crop.margin, crop.align_eyes, crop.flip_average) == (0.4, False, True)


def test_further_crops_come_from_the_sidecar_and_a_config_crop_replaces_them(
    tmp_path: Path,
) -> None:
    model = model_with_further_crop(tmp_path)
    path = tmp_path / "config.toml"
    path.write_text(f'[classifier]\nmodel = "{model}"\n')
    crop = cfg.load(path).crop()
    assert [(c.margin, c.align_eyes) for c in crop.all()] == [(0.0, True), (0.2, False)]
    path.write_text(f'[classifier]\nmodel = "{model}"\n[detector]\ncrop_margin = 0.1\n')
    crop = cfg.load(path).crop()
    assert [(c.margin, c.align_eyes) for c in crop.all()] == [(0.1, True)]


def test_the_pipeline_averages_the_further_crops(tmp_path: Path) -> None:
    from streamfer.core.frames import Frame
    from streamfer.pipeline.stages import FramePipeline
    from streamfer.sources.demo import demo_frame
    from streamfer.vision.align import face_crop

    model = model_with_further_crop(tmp_path)
    config = cfg.with_overrides(cfg.Config(), {"classifier.model": str(model)})
    pipeline = FramePipeline(config)
    image = demo_frame(1.0)
    (face,) = pipeline.process(Frame(0, 0.0, image, 0.0)).frame.faces
    pipeline.close()
    classifier = TFLiteEmotionClassifier(model)
    size = classifier.input_size
    first = classifier.classify(face_crop(image, face.detection, 0.0, True, size))
    second = classifier.classify(face_crop(image, face.detection, 0.2, False, size))
    assert np.abs(first - second).max() > 1e-3, "the two crops should read differently"
    np.testing.assert_allclose(face.probs, (first + second) / 2, atol=1e-6)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("7", LabelSet.EMOTIONS),
        ("8", LabelSet.EMOTIONS),
        ("emotions", LabelSet.EMOTIONS),
        ("3", LabelSet.BROAD),
        ("broad", LabelSet.BROAD),
    ],
)
def test_label_set_words(word: str, expected: LabelSet) -> None:
    assert LabelSet(word) is expected


def test_label_sets_follow_the_model() -> None:
    assert label_names(LabelSet.EMOTIONS, EMOTIONS_8) == EMOTIONS_8
    assert label_names("7") == EMOTIONS
    assert label_names(LabelSet.BROAD, EMOTIONS_8) == ("negative", "positive", "neutral")
    assert broad_of(EMOTIONS_8)[EMOTIONS_8.index("contempt")] == 0  # contempt is negative
    assert normalise_label("Contemptuous", EMOTIONS_8) == "contempt"
    assert normalise_label("contempt", EMOTIONS) is None
    assert circumplex(EMOTIONS_8).shape == (8, 2)
    one_hot = np.eye(8)[EMOTIONS_8.index("contempt")]
    v, _ = valence_arousal(one_hot, EMOTIONS_8)
    assert v < 0  # contempt is unpleasant
    assert valence_arousal(np.eye(8)[EMOTIONS_8.index("happy")], EMOTIONS_8)[0] > 0.9


def test_contempt_point_follows_the_word_ratings_in_the_docs() -> None:
    """Contempt's circumplex point is derived as docs/method.md says, from its numbers."""
    # Warriner et al. (2013) valence, arousal (1-9) and Yin et al.'s point of each emotion.
    rated = {
        "angry": ((2.50, 5.93), (-0.40, 0.80)),
        "disgust": ((3.32, 5.00), (-0.68, 0.50)),
        "fear": ((2.93, 6.14), (-0.11, 0.79)),
        "happy": ((8.21, 5.55), (0.95, 0.12)),
        "sad": ((2.40, 2.81), (-0.50, -0.86)),
        "surprise": ((7.44, 6.57), (0.38, 0.92)),
        "neutral": ((5.50, 3.45), (0.00, 0.00)),
    }
    words = np.array([w for w, _ in rated.values()])
    points = np.array([p for _, p in rated.values()])
    for name, (_, point) in rated.items():
        assert CIRCUMPLEX_OF_NAME[name] == point
    slopes = [np.polyfit(words[:, axis], points[:, axis], 1)[0] for axis in (0, 1)]
    contempt_words = np.array([3.22, 4.61])
    expected = points[1] + np.array(slopes) * (contempt_words - words[1])
    np.testing.assert_allclose(CIRCUMPLEX_OF_NAME["contempt"], expected, atol=0.006)
    assert CIRCUMPLEX_OF_NAME["contempt"] != CIRCUMPLEX_OF_NAME["disgust"]


@pytest.mark.parametrize(
    ("label_set", "expected"), [(LabelSet.EMOTIONS, "contempt"), (LabelSet.BROAD, "negative")]
)
def test_aggregator_reads_contempt(label_set: LabelSet, expected: str) -> None:
    settings = AggregatorSettings(label_set=label_set, min_frames=3, window_seconds=10.0)
    aggregator = WindowAggregator(1, settings, EMOTIONS_8)
    verdict = None
    for i, name in enumerate(["neutral", "contempt", "contempt", "neutral", "neutral"]):
        verdict = aggregator.update(i * 0.1, EMOTIONS_8.index(name), 0.0, 0.0) or verdict
    assert verdict is not None and verdict.label == expected
    assert set(verdict.counts) == set(label_names(label_set, EMOTIONS_8))


def test_calibration_maths_with_eight_classes() -> None:
    eye = np.eye(8, dtype=np.float32)
    c, n = EMOTIONS_8.index("contempt"), EMOTIONS_8.index("neutral")
    probs = [np.stack([eye[n], eye[c], eye[c]]), np.stack([eye[n], eye[n], eye[n]])]
    table = ClipTable.from_probs(probs, [c, n], None, EMOTIONS_8)
    emotions = evaluate_fixed(table, LabelSet.EMOTIONS, 0.2)
    assert emotions.names == EMOTIONS_8 and emotions.methods["threshold"].fold_accuracy == [1.0]
    broad = evaluate_fixed(table, LabelSet.BROAD, 0.2)
    assert broad.methods["threshold"].fold_accuracy == [1.0]
    assert broad.methods["threshold"].pn_accuracy == 1.0


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


def test_evaluate_faces_command(tmp_path: Path) -> None:
    data = tmp_path / "faces"
    rows = np.zeros((6, 48, 48), np.uint8)
    np.savez(
        data.with_suffix(".npz"),
        images=rows,
        labels=np.array([0, 1, 2, 3, 4, 5]),
        classes=np.array(["Anger", "disgusted", "afraid", "Happiness", "sadness", "contempt"]),
    )
    report = tmp_path / "out" / "faces.json"
    result = streamfer(
        "evaluate",
        "--faces",
        str(data.with_suffix(".npz")),
        "--report-json",
        str(report),
        "--config",
        str(ROOT / "config.toml"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(report.read_text())
    assert out["n"] == (5 if "contempt" not in out["classes"] else 6)
    assert set(out) >= {"accuracy", "n", "model", "recall", "confusion", "left_out"}
    assert report.with_suffix(".png").stat().st_size > 1000
    assert "accuracy" in result.stdout
