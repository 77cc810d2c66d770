"""The log records of one pipeline step: its faces (when frames are logged) and its verdicts.

Values are rounded here, once, to what the log keeps: probabilities, valence and arousal to
4 decimals, detector scores to 3.
"""

from __future__ import annotations

from streamfer.config import Config
from streamfer.labels import EMOTIONS
from streamfer.pipeline import StepResult
from streamfer.session.records import (
    BaselineRecord,
    Emotion,
    FaceRecord,
    FrameRecord,
    GroupEmotion,
    Record,
)


def step_records(
    step: StepResult, config: Config, emotions: tuple[str, ...] = EMOTIONS
) -> list[Record]:
    """The records one step adds to the log, in the order they are written.

    ``emotions``: the model's class names, for each face's label.
    """
    agg = config.aggregator
    frame = step.frame
    card = config.emotion_model() if step.baselines else None
    records: list[Record] = []
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
    for e in step.emotions:
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
