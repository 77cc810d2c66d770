"""What a pipeline step writes to the log (``streamfer.session.step_records``): fresh geometry
on the frames it was measured on, window summaries on the verdicts."""

from __future__ import annotations

import dataclasses

from pipelines import frames, geometry, run_steps

from streamfer.config.settings import Config
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.events import GEOMETRY_FIELDS, Emotion, FrameRecord
from streamfer.session.step_records import step_records


def test_the_log_carries_fresh_geometry_and_window_summaries() -> None:
    config = geometry(Config(), enabled=True, log_landmarks=True)
    config = dataclasses.replace(config, log=dataclasses.replace(config.log, frames=True))
    steps = run_steps(FramePipeline(config), frames(40))
    emotions = config.emotions()
    records = [r for s in steps for r in step_records(s, config, emotions)]
    faces = [r.faces[0] for r in records if isinstance(r, FrameRecord)]
    measured = [f for f in faces if f.head_pose is not None]
    assert len(measured) == 7 and len(faces) == 40
    face = measured[0].to_json()
    assert list(face)[-4:] == ["blendshapes", "head_pose", "presence", "landmarks"]
    assert len(face["blendshapes"]) == 52 and set(face["head_pose"]) == {"yaw", "pitch", "roll"}
    assert len(face["landmarks"]) == 478 and len(face["landmarks"][0]) == 3
    assert set(faces[3].to_json()).isdisjoint(GEOMETRY_FIELDS), "frame 3 was not measured"
    verdicts = [r for r in records if isinstance(r, Emotion)]
    assert verdicts, "40 frames fill a window"
    line = verdicts[-1].to_json()
    assert line["geometry_frames"] == 6 and set(line["head_pose"]) == {"yaw", "pitch", "roll"}
    assert len(line["blendshapes_moved"]) == 4 and "_neutral" not in line["blendshapes_moved"]
