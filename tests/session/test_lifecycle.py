"""A recorded session on the demo (``streamfer.session.lifecycle.Recorder``): a returning person
keeps her baseline, and the log says she returned."""

from __future__ import annotations

from pathlib import Path

from clips import json_lines

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.pipeline.stages import FramePipeline


def test_a_returning_person_keeps_their_baseline_and_a_log_says_she_returned(
    tmp_path: Path,
) -> None:
    from streamfer.session.lifecycle import Recorder
    from streamfer.session.log import SessionLog
    from streamfer.session.sinks import ObservedLog
    from streamfer.sources.readers import DemoReader

    config = with_overrides(
        Config(), {"geometry.enabled": False, "aggregator.baseline_seconds": 2.0}
    )
    log = ObservedLog(SessionLog(tmp_path / "s.jsonl"), [])
    recorder = Recorder(config, log, DemoReader())
    pipeline = FramePipeline(config)
    try:
        recorder.record(pipeline, [])
    finally:
        pipeline.close()
    records = json_lines(tmp_path / "s.jsonl")
    assert records[0]["schema"] == 7
    back = [r for r in records if r["type"] == "person_back"]
    assert [r["track"] for r in back] == [1] and back[0]["similarity"] >= 0.6
    baselines = [r["track"] for r in records if r["type"] == "baseline"]
    assert baselines == [1, 2]  # she is not collected again on her return: hers still holds
    tracks = {r["track"] for r in records if r["type"] == "emotion" and r["track"] != "group"}
    assert tracks == {1, 2}
