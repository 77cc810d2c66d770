"""The shipped models on real faces against the figures docs/accuracy.md records.

Recorded on the development machine: the FER2013 Mini-Xception's FER2013 PublicTest accuracy
0.652 (3,589 faces); London set, one photo per person, with the default crop: smiling photos
classified happy 52/102, neutral photos classified neutral 98/102.

Every shipped emotion model through the whole pipeline on posed photos it never saw: each
photo one frame through the real BlazeFace detector and each model's own crop (its sidecar);
a photo without a face counts wrong. KDEF frontal is for choosing models only, never for
training. A check fails when a model or the crop code drifts from the recorded figure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Frame
from streamfer.core.labels import EMOTIONS
from streamfer.pipeline.stages import FramePipeline
from streamfer.vision.classify import TFLiteEmotionClassifier

#: The FER2013 Mini-Xception, whatever the default model is: its recorded figures below.
CONFIG = with_overrides(Config(), {"classifier.model": "emotion_mini_xception_f32"})


@pytest.fixture(scope="module")
def classifier() -> TFLiteEmotionClassifier:
    return TFLiteEmotionClassifier(CONFIG.emotion_model_path())


@pytest.mark.needs_shared_data
def test_fer2013_publictest_accuracy(
    classifier: TFLiteEmotionClassifier, shared_data: Callable[..., Path]
) -> None:
    data = np.load(shared_data("fer2013_publictest.npz"))
    images, labels = data["images"], data["labels"]
    predictions = np.array(
        [classifier.classify(cv2.resize(im, (64, 64))).argmax() for im in images]
    )
    accuracy = float((predictions == labels).mean())
    assert len(labels) == 3589
    assert accuracy == pytest.approx(0.652, abs=0.005)


@pytest.mark.needs_shared_data
def test_london_smiling_and_neutral_rates(shared_data: Callable[..., Path]) -> None:
    root = shared_data("london_faces")
    rates = {}
    for folder, expected in (("smiling", "happy"), ("neutral", "neutral")):
        hits = total = 0
        for path in sorted((root / folder).glob("*.jpg")):
            pipeline = FramePipeline(CONFIG)  # a fresh tracker for each still
            try:
                faces = pipeline.process(Frame(0, 0.0, cv2.imread(str(path)), 0.0)).frame.faces
            finally:
                pipeline.close()
            total += 1
            hits += bool(faces) and EMOTIONS[faces[0].emotion_index] == expected
        rates[folder] = hits / total
    assert rates["smiling"] == pytest.approx(52 / 102, abs=0.06)
    assert rates["neutral"] == pytest.approx(98 / 102, abs=0.04)


#: model -> (KDEF frontal accuracy of 980, London smiling read happy of 102, neutral of 102)
RECORDED: dict[str, tuple[float, int, int]] = {
    "emotion_mini_xception_f32": (0.672, 52, 98),
    "emotion_mini_ferplus": (0.706, 50, 99),
    "emotion_mini_ferplus2": (0.747, 52, 101),
    "emotion_ensemble_ferplus2": (0.737, 54, 101),
}


def _pipeline_labels(config: Config, photos: list[Path]) -> list[str | None]:
    labels: list[str | None] = []
    pipeline = FramePipeline(config)
    try:
        for i, path in enumerate(photos):
            faces = pipeline.process(Frame(i, float(i), cv2.imread(str(path)), 0.0)).frame.faces
            best = max(faces, key=lambda f: f.detection.score) if faces else None
            labels.append(pipeline.classes[best.emotion_index] if best else None)
    finally:
        pipeline.close()
    return labels


@pytest.mark.needs_shared_data
@pytest.mark.parametrize("model", sorted(RECORDED))
def test_posed_photos_through_the_pipeline(model: str, shared_data: Callable[..., Path]) -> None:
    config = with_overrides(Config(), {"classifier.model": model})
    kdef = shared_data("kdef_frontal")
    photos = sorted(kdef.glob("*/*.jpg"))
    truth = [p.parent.name for p in photos]
    labels = _pipeline_labels(config, photos)
    accuracy = float(np.mean([t == p for t, p in zip(truth, labels, strict=True)]))
    expected_kdef, expected_happy, expected_neutral = RECORDED[model]
    assert len(photos) == 980
    assert accuracy == pytest.approx(expected_kdef, abs=0.015)
    london = shared_data("london_faces")
    smiling = _pipeline_labels(config, sorted((london / "smiling").glob("*.jpg")))
    neutral = _pipeline_labels(config, sorted((london / "neutral").glob("*.jpg")))
    assert sum(x == "happy" for x in smiling) == pytest.approx(expected_happy, abs=4)
    assert sum(x == "neutral" for x in neutral) == pytest.approx(expected_neutral, abs=4)


@pytest.mark.needs_shared_data
def test_the_default_on_kdef_people_it_never_saw(shared_data: Callable[..., Path]) -> None:
    """emotion_mini_mix learned from 50 KDEF people (training/splits.json): it is checked
    on the other 20 people's frontal photos (the choosing set) and on London, with its
    geometry head fused (geometry "auto" is on for it)."""
    import json

    root = Path(__file__).resolve().parent.parent
    dev = set(json.loads((root / "training" / "splits.json").read_text())["kdef"]["dev_people"])
    config = with_overrides(Config(), {"classifier.model": "emotion_mini_mix"})
    assert config.geometry_on()
    photos = [p for p in sorted(shared_data("kdef_frontal").glob("*/*.jpg")) if p.stem[1:4] in dev]
    labels = _pipeline_labels(config, photos)
    accuracy = float(np.mean([p.parent.name == x for p, x in zip(photos, labels, strict=True)]))
    assert len(photos) == 280
    assert accuracy == pytest.approx(0.829, abs=0.015)
    london = shared_data("london_faces")
    smiling = _pipeline_labels(config, sorted((london / "smiling").glob("*.jpg")))
    neutral = _pipeline_labels(config, sorted((london / "neutral").glob("*.jpg")))
    assert sum(x == "happy" for x in smiling) == pytest.approx(50, abs=4)
    assert sum(x == "neutral" for x in neutral) == pytest.approx(102, abs=4)


@pytest.mark.needs_shared_data
def test_the_default_on_three_studios_people_it_never_saw(
    shared_data: Callable[..., Path],
) -> None:
    """emotion_mix3 (CNN, geometry head and the second model fused) on the held-back people of
    KDEF, the Taiwanese set and BU-3DFE (training/splits.json) and on London, through the
    whole pipeline; figures recorded in docs/accuracy.md (Recognition III)."""
    import json

    root = Path(__file__).resolve().parent.parent
    splits = json.loads((root / "training" / "splits.json").read_text())
    config = Config()
    assert config.classifier.model == "emotion_mix3" and config.geometry_on()
    assert config.second_model_path() is not None
    studios = {
        # set: (folder, person of a file stem, dev people, photos, recorded accuracy)
        "kdef": ("kdef_frontal", lambda s: s[1:4], splits["kdef"]["dev_people"], 280, 0.811),
        "taiwanese": ("taiwanese_dev", lambda s: s[:2], splits["taiwanese"]["dev_people"], 289, 0.671),
        "bu3dfe": ("bu3dfe_dev", lambda s: s.split("_")[0], splits["bu3dfe"]["dev_people"], 139, 0.712),
    }  # fmt: skip
    for name, (folder, person, dev, count, recorded) in studios.items():
        photos = [p for p in sorted(shared_data(folder).glob("*/*.jpg")) if person(p.stem) in dev]
        labels = _pipeline_labels(config, photos)
        accuracy = float(np.mean([p.parent.name == x for p, x in zip(photos, labels, strict=True)]))
        assert len(photos) == count, name
        assert accuracy == pytest.approx(recorded, abs=0.015), name
    london = shared_data("london_faces")
    smiling = _pipeline_labels(config, sorted((london / "smiling").glob("*.jpg")))
    neutral = _pipeline_labels(config, sorted((london / "neutral").glob("*.jpg")))
    assert sum(x == "happy" for x in smiling) == pytest.approx(57, abs=4)
    assert sum(x == "neutral" for x in neutral) == pytest.approx(101, abs=3)
