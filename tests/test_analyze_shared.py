"""``analyze`` on the real recordings in ../shared/data/pyfeat_media (skipped without them).

Recorded on the 2-core development machine with the shipped models and default settings:
WolfgangLanger_Pexels.mp4 (472 frames) is a woman crying for about 10 s who then smiles and
laughs. Mean valence over the first 8 s: -0.370 (every frame negative); over the whole clip:
+0.317 (48% of frames negative); every verdict up to 8 s is sad or fear, every verdict
from 12 s happy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from clips import row, streamfer, summary

from streamfer.reports.sessionstats import SessionStats, TrackStats, session_stats
from streamfer.session.log import read_log

pytestmark = pytest.mark.needs_shared_data

WOLFGANG_VALENCE_FIRST_8S = -0.370
WOLFGANG_VALENCE_WHOLE = 0.317
NEGATIVE = {"angry", "disgust", "fear", "sad"}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SessionStats]:
    media = Path(__file__).resolve().parents[2] / "shared" / "data" / "pyfeat_media"
    if not media.is_dir():
        pytest.skip(f"needs ../shared/data ({media} is absent on this machine)")
    base = tmp_path_factory.mktemp("pyfeat")
    group_photo = base / "multi_face_frames"  # the group photo held still for 2 s
    group_photo.mkdir()
    for i in range(60):
        shutil.copy(media / "multi_face.jpg", group_photo / f"frame{i:03d}.jpg")
    names = ("noface_face.mov", "face_noface.mov", "WolfgangLanger_Pexels.mp4")
    result = streamfer(
        "analyze", *(str(media / n) for n in names), str(group_photo), "--out", "out", cwd=base
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = summary(base / "out" / "summary.csv")
    return {
        name: session_stats(read_log(base / "out" / row(rows, name)["log"]))
        for name in (*names, "multi_face_frames")
    }


def _main_track(stats: SessionStats) -> TrackStats:
    return max(stats.tracks.values(), key=lambda t: len(t.t))


def test_a_face_that_arrives_mid_clip(analysed):
    stats = analysed["noface_face.mov"]
    face = _main_track(stats)
    assert face.first_t > 2.0  # nobody in view for the first seconds (measured: 3.3 s)
    assert face.last_t > stats.duration - 0.5
    assert len(face.t) < 0.6 * stats.frames  # the no-face stretch is a gap, not frames


def test_a_face_that_leaves_mid_clip(analysed):
    stats = analysed["face_noface.mov"]
    face = _main_track(stats)
    assert face.first_t == 0.0
    assert face.last_t < stats.duration - 2.0  # gone after about 2.7 s of 6.4
    assert all(v.t <= face.last_t + 1e-6 for v in face.verdicts)


def test_the_crying_woman_is_negative_until_she_smiles(analysed):
    face = _main_track(analysed["WolfgangLanger_Pexels.mp4"])
    early = face.t < 8.0
    assert float(face.valence[early].mean()) == pytest.approx(WOLFGANG_VALENCE_FIRST_8S, abs=0.08)
    assert float(np.mean(face.valence)) == pytest.approx(WOLFGANG_VALENCE_WHOLE, abs=0.08)
    assert {v.label for v in face.verdicts if v.t < 8.0} <= NEGATIVE
    assert {v.label for v in face.verdicts if v.t >= 12.0} == {"happy"}


def test_a_group_photo_gives_several_tracks_and_a_group_verdict(analysed):
    stats = analysed["multi_face_frames"]
    assert len(stats.tracks) >= 3
    assert stats.group and all(abs(sum(s.values()) - 1.0) < 1e-3 for _, _, s in stats.group)
