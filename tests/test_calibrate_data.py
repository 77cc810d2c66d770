"""Data sets, the prediction cache and config writing, without the shared data."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from clips import ROOT

from streamfer.config import load as config_module
from streamfer.config.write import set_values, write_aggregator
from streamfer.core.errors import ConfigError, DataError
from streamfer.evaluation.datasets import load_dataset
from streamfer.evaluation.predictions import PredictionCache, predict_clips
from streamfer.sources.demo import grace_hopper


class Counting:
    """A PartAProgress that counts what it is told."""

    def __init__(self) -> None:
        self.started = self.frames = self.done = 0

    def clip_started(self, clip: object, frame_count: int | None) -> None:
        self.started += 1

    def frame_done(self) -> None:
        self.frames += 1

    def clip_done(self, clip: object, from_cache: bool) -> None:
        self.done += 1


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


def grace_clip(folder: Path, frames: int = 6, face: bool = True) -> Path:
    """A frame folder of the Grace Hopper portrait moving a little (or a blank wall)."""
    portrait = grace_hopper()
    folder.mkdir(parents=True)
    for i in range(frames):
        size = (256 + 4 * i, 300 + 4 * i)
        image = cv2.resize(portrait, size) if face else np.full((*size[::-1], 3), 128, np.uint8)
        cv2.imwrite(str(folder / f"{i:03d}.png"), image)
    return folder


def test_part_a_caches_by_content_and_skips_unreadable_clips(tmp_path: Path) -> None:
    data = tmp_path / "data"
    grace_clip(data / "neutral" / "grace")
    grace_clip(data / "happy" / "wall", face=False)
    touch(data / "happy" / "broken.mp4", b"not a video at all")
    touch(data / "sad" / "no_frames" / "readme.txt")
    dataset = load_dataset(data)
    config = config_module.load(ROOT / "config.toml")
    cache = PredictionCache(tmp_path / "cache")
    progress = Counting()
    first = predict_clips(list(dataset.clips), config, cache, progress)
    names = [c.path.name for c in dataset.clips]
    assert names == ["broken.mp4", "wall", "grace", "no_frames"]
    assert sorted(c.path.name for c, _ in first.failures) == ["broken.mp4", "no_frames"]
    assert first.frames_decoded == 12 and progress.frames == 12
    assert first.from_cache == 0 and progress.done == 4
    wall, grace = first.predictions[1], first.predictions[2]
    k = len(config.emotions())
    assert wall is not None and wall.frames_read == 6 and wall.probs.shape == (0, k)
    assert grace is not None and grace.probs.shape == (6, k)
    np.testing.assert_allclose(grace.probs.sum(axis=1), 1.0, atol=1e-3)
    assert grace.frame_index.tolist() == list(range(6))

    # the same content under another name and place: nothing is decoded again
    moved = tmp_path / "moved"
    shutil.copytree(data, moved)
    (moved / "neutral" / "grace").rename(moved / "neutral" / "renamed")
    again = predict_clips(list(load_dataset(moved).clips), config, cache, Counting())
    assert again.frames_decoded == 0 and again.from_cache == 2 and len(again.failures) == 2
    assert again.predictions[2] is not None
    np.testing.assert_array_equal(again.predictions[2].probs, grace.probs)

    # a changed frame or a changed crop setting is a new key
    cv2.imwrite(str(moved / "neutral" / "renamed" / "000.png"), np.zeros((300, 256, 3), np.uint8))
    changed = predict_clips(list(load_dataset(moved).clips), config, cache, Counting())
    assert changed.frames_decoded == 6 and changed.from_cache == 1
    wider = config_module.with_overrides(config, {"detector.crop_margin": 0.4})
    assert predict_clips(list(dataset.clips), wider, cache, Counting()).frames_decoded == 12


def test_a_corrupt_cache_entry_is_a_miss(tmp_path: Path) -> None:
    dataset = load_dataset(grace_clip(tmp_path / "d" / "happy" / "g", frames=2).parent.parent)
    config = config_module.load(ROOT / "config.toml")
    cache = PredictionCache(tmp_path / "cache")
    predict_clips(list(dataset.clips), config, cache, Counting())
    (entry,) = (tmp_path / "cache").glob("*.npz")
    entry.write_bytes(b"garbage")
    assert predict_clips(list(dataset.clips), config, cache, Counting()).frames_decoded == 2


def test_write_config_changes_two_values_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.toml", path)
    before = path.read_text().splitlines()
    write_aggregator(path, 0.15, "3")
    after = path.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(before) == len(after)
    assert changed == [
        ("threshold = 0.20", "threshold = 0.15"),
        ('label_set = "emotions"', 'label_set = "3"'),
    ]
    loaded = config_module.load(path)
    assert loaded.aggregator.threshold == 0.15 and loaded.aggregator.label_set == "3"
    assert loaded.detector == config_module.load(ROOT / "config.toml").detector


def test_set_values_comments_missing_keys_and_sections() -> None:
    text = (
        "[detector]\nthreshold = 9  # not this one\n\n"
        "[aggregator]  # the rule\nthreshold=0.3   # share\nwindow_seconds = 2.0\n\n[log]\n"
    )
    out = set_values(text, "aggregator", {"threshold": 0.05, "label_set": "3"})
    assert out == (
        "[detector]\nthreshold = 9  # not this one\n\n"
        "[aggregator]  # the rule\nthreshold=0.05   # share\nwindow_seconds = 2.0\n"
        'label_set = "3"\n\n[log]\n'
    )
    assert set_values("[log]\ndir = 'x'", "aggregator", {"threshold": 0.1}) == (
        "[log]\ndir = 'x'\n\n[aggregator]\nthreshold = 0.1\n"
    )


def test_write_config_refuses_to_break_a_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[aggregator]\nthreshold = 0.2\n")
    with pytest.raises(ConfigError):
        write_aggregator(path, 0.1, "5")
    assert path.read_text() == "[aggregator]\nthreshold = 0.2\n"
    assert not list(tmp_path.glob(".config.toml.*"))
