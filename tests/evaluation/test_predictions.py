"""The per-frame prediction cache of calibrate's part A (``streamfer.evaluation.predictions``):
kept by content and settings, unreadable clips skipped, a corrupt entry a miss; the geometry
settings change its key and the analysis hash, as does every other setting that changes a
reading."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import cv2
import numpy as np
from clips import ROOT
from pipelines import geometry, write_head

from streamfer.batch.manifest import settings_hash
from streamfer.config import load as config_module
from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.evaluation.datasets import load_dataset
from streamfer.evaluation.predictions import PredictionCache, predict_clips, settings_digest
from streamfer.sources.demo import grace_hopper


def test_geometry_changes_the_cache_key_and_the_analysis_hash(model_with_head: Path) -> None:
    plain = with_overrides(Config(), {"classifier.model": "emotion_mini_ferplus2"})
    on = geometry(plain, enabled=True)
    assert settings_digest(geometry(plain, enabled=False)) == settings_digest(plain)
    assert settings_digest(on) != settings_digest(plain)
    assert settings_hash(on) != settings_hash(plain)
    with_head = with_overrides(Config(), {"classifier.model": str(model_with_head)})
    before = settings_digest(with_head)
    write_head(model_with_head.parent, tuple(with_head.emotions()[::-1]))  # another head
    assert settings_digest(with_head) != before


#: Settings that do not change what a frame reads, so not part of the cache's key: threads,
#: the thread ahead, and which number a returning person gets (the readings follow the
#: tracker's own ids). Names (strings) and unset crops are covered by their own tests.
NOT_IN_THE_KEY = {
    "detector.num_threads",
    "detector.own_thread",
    "classifier.num_threads",
    "tracker.reidentify",
    "tracker.memory_seconds",
    "tracker.match_threshold",
}


def other_value(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 0.5 + 0.07
    return None


def test_every_setting_that_changes_a_reading_changes_the_cache_key() -> None:
    """A setting added to the pipeline and left out of the key would let calibrate reuse
    predictions made another way (detect_every_frames once was)."""
    config = Config()
    digest = settings_digest(config)
    checked = []
    for section in ("detector", "classifier", "tracker", "geometry"):
        for name, value in dataclasses.asdict(getattr(config, section)).items():
            key = f"{section}.{name}"
            changed = other_value(value)
            if changed is None or key in NOT_IN_THE_KEY:
                continue
            checked.append(key)
            assert settings_digest(with_overrides(config, {key: changed})) != digest, key
    assert {"detector.detect_every_frames", "classifier.alternate_flip"} <= set(checked)


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
