"""The log records of one pipeline step: its faces (when frames are logged) and its verdicts.

Values are rounded here, once, to what the log keeps: probabilities, valence and arousal to
4 decimals, detector scores to 3; blendshapes and presence to 4 (a window's moved
blendshapes to 3), angles to 0.1 degree, landmarks to 0.1 pixel. A face carries geometry in
the log only on the frames it was measured (``FaceResult.geometry_fresh``): each measurement
once, not repeated on the frames it stands for.
"""

from __future__ import annotations

from typing import Any

from streamfer.config.settings import Config
from streamfer.core.labels import EMOTIONS
from streamfer.method.geometry_window import GeometrySummary
from streamfer.pipeline.results import FaceResult, StepResult
from streamfer.session.events import (
    BaselineRecord,
    Emotion,
    FaceRecord,
    FrameRecord,
    GroupEmotion,
    PersonBack,
)
from streamfer.session.records import Record


def step_records(
    step: StepResult, config: Config, emotions: tuple[str, ...] = EMOTIONS
) -> list[Record]:
    """The records one step adds to the log, in the order they are written.

    ``emotions``: the model's class names, for each face's label.
    """
    agg = config.aggregator
    frame = step.frame
    card = config.emotion_model() if step.baselines else None
    records: list[Record] = [
        PersonBack(r.t, r.track, round(r.after, 3), round(r.similarity, 4)) for r in step.returns
    ]
    if config.log.frames and frame.faces:
        faces = tuple(
            FaceRecord(
                track=f.track,
                box=tuple(f.detection.box.as_list()),
                score=round(f.detection.score, 3),
                probs=tuple(round(float(p), 4) for p in f.probs),
                label=emotions[f.emotion_index],
                valence=round(f.valence, 4),
                arousal=round(f.arousal, 4),
                **_geometry_fields(f, config.geometry.log_landmarks),
            )
            for f in frame.faces
        )
        records.append(FrameRecord(frame.t, frame.frame_index, faces))
    for b in step.baselines:
        records.append(
            BaselineRecord(
                t=frame.t,
                track=b.track,
                trigger=b.trigger,
                t_start=b.t_start,
                t_end=b.t_end,
                frames=b.frames,
                probs=tuple(round(float(p), 4) for p in b.probs),
                strength=card.baseline_strength if card else 0.0,
                gain=card.baseline_gain if card else 0.0,
            )
        )
    for e in step.verdicts:
        records.append(
            Emotion(
                t=e.t,
                track=e.track,
                label=e.label,
                method=agg.method,
                threshold=agg.effective_threshold,
                label_set=agg.label_set,
                window_s=agg.window_seconds,
                n_frames=e.n_frames,
                counts=e.counts,
                valence=round(e.valence, 4),
                arousal=round(e.arousal, 4),
                **_window_geometry(e.geometry),
            )
        )
    if step.group is not None:
        g = step.group
        records.append(
            GroupEmotion(
                t=g.t,
                label=g.label,
                shares={k: round(v, 4) for k, v in g.shares.items()},
                tracks=g.tracks,
                method=agg.method,
                threshold=agg.effective_threshold,
                label_set=agg.label_set,
                window_s=agg.window_seconds,
            )
        )
    return records


def _geometry_fields(face: FaceResult, landmarks: bool) -> dict[str, Any]:
    g = face.geometry
    if g is None or not face.geometry_fresh:
        return {}
    out: dict[str, Any] = {
        "blendshapes": {k: round(v, 4) for k, v in g.blendshape_dict().items()},
        "head_pose": _angles(g.yaw, g.pitch, g.roll),
        "presence": round(g.presence, 4),
    }
    if landmarks:
        out["landmarks"] = tuple(
            (round(float(x), 1), round(float(y), 1), round(float(z), 1)) for x, y, z in g.landmarks
        )
    return out


def _window_geometry(summary: GeometrySummary | None) -> dict[str, Any]:
    if summary is None:
        return {}
    return {
        "geometry_frames": summary.frames,
        "head_pose": _angles(summary.yaw, summary.pitch, summary.roll),
        "blendshapes_moved": {k: round(v, 3) for k, v in summary.moved.items()},
    }


def _angles(yaw: float, pitch: float, roll: float) -> dict[str, float]:
    return {"yaw": round(yaw, 1), "pitch": round(pitch, 1), "roll": round(roll, 1)}
