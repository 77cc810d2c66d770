"""The typed log records: JSON round trips, the one complete-log rule, and the schema doc."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from clips import ROOT

from streamfer.core.choices import LabelSet, Method
from streamfer.session.events import (
    BaselineRecord,
    Emotion,
    FaceRecord,
    FrameRecord,
    GroupEmotion,
    LslStream,
    Marker,
    PersonBack,
    SourceBack,
    SourceLost,
)
from streamfer.session.log import SessionLog, last_record, read_log
from streamfer.session.records import Record, is_complete, record_from_json
from streamfer.session.start_end import SCHEMA_VERSION, EndReason, SessionEnd, SessionStart


def end(reason: EndReason, detail: str = "") -> SessionEnd:
    return SessionEnd(5.0, 150, 150, 0, 29.9, 5.02, 3.1, 7.4, reason, detail)


SAMPLES: list[Record] = [
    SessionStart(0.0, "0.1.0", "demo", 30.0, False, {"log": {"frames": True}}, {}, ("a",), {}),
    FrameRecord(0.5, 15, (FaceRecord(1, (10, 20, 64, 64), 0.91, (0.1,) * 7, "neutral", 0.0, 0.1),)),
    FrameRecord(
        0.6,
        18,
        (
            FaceRecord(
                1,
                (10, 20, 64, 64),
                0.91,
                (0.1,) * 7,
                "neutral",
                0.0,
                0.1,
                blendshapes={"_neutral": 0.9, "mouthSmileLeft": 0.0123},
                head_pose={"yaw": 12.5, "pitch": -3.0, "roll": 0.4},
                presence=0.9998,
                landmarks=((100.5, 200.0, -3.2),) * 478,
            ),
        ),
    ),
    Emotion(
        1.0, 1, "sad", Method.THRESHOLD, 0.2, LabelSet.EMOTIONS, 3.0, 30, {"sad": 6}, -0.5, 0.1
    ),
    Emotion(
        1.0,
        2,
        "happy",
        Method.THRESHOLD,
        0.2,
        LabelSet.EMOTIONS,
        3.0,
        30,
        {"happy": 9},
        0.7,
        0.1,
        geometry_frames=15,
        head_pose={"yaw": -8.1, "pitch": 2.0, "roll": 1.5},
        blendshapes_moved={"mouthSmileLeft": 0.412, "browDownLeft": -0.05},
    ),
    GroupEmotion(
        1.0, "happy", {"happy": 0.5, "sad": 0.5}, (1, 2), Method.TOP1, 1.0, LabelSet.BROAD, 3.0
    ),
    Marker(2.25, "child looks away"),
    end(EndReason.END_OF_SOURCE),
    end(EndReason.SIGNAL, "SIGTERM"),
    end(EndReason.MAX_FRAMES),
    SourceLost(3.0, "no frame from rtsp://cam for 10 s"),
    SourceBack(3.0, 4.5, 3),
    BaselineRecord(3.1, 1, "auto", 0.0, 3.0, 90, (0.05, 0.0, 0.1, 0.05, 0.3, 0.0, 0.5), 0.25, 0.5),
    LslStream(0.0, "streamfer s markers", "Markers", "streamfer-1f2e", None, ("marker",), 0.0),
    LslStream(0.4, "streamfer s person 1", "FacialExpression", "sf-9a", 1, ("happy", "sad"), 30.0),
    PersonBack(12.5, 1, 6.25, 0.7312),
    end(EndReason.DISK_FULL, "the disk holding the log failed (No space left on device)"),
    SessionEnd(
        1.0, 29, 29, 0, 300.0, 0.1, 3.1, 7.4, EndReason.SOURCE_INCOMPLETE, "a.mp4: 29 of 60", 60
    ),
    SessionEnd(
        9.0,
        270,
        270,
        0,
        30.0,
        9.0,
        3.1,
        7.4,
        EndReason.END_OF_SOURCE,
        geometry={
            "estimated": 45,
            "skipped": {"small": 1, "edge": 2, "presence": 3, "pose": 0},
            "dropped_faces": 5,
        },
    ),
]


@pytest.mark.parametrize("record", SAMPLES, ids=lambda r: type(r).__name__)
def test_each_record_survives_a_json_line(record: Record) -> None:
    line = json.dumps(record.to_json())
    back = record_from_json(json.loads(line))
    assert back == record
    assert list(record.to_json())[:3] == ["type", "ts", "t"]


def test_error_reasons_keep_their_text() -> None:
    lost = end(EndReason.SOURCE_LOST, "no frame from tcp://x for 3 s")
    assert lost.to_json()["reason"] == "error: no frame from tcp://x for 3 s"
    back = SessionEnd.from_json(lost.to_json())
    assert back.reason is EndReason.ERROR and back.reason_text == lost.reason_text
    assert end(EndReason.SIGNAL, "SIGINT").to_json()["reason"] == "SIGINT"


@pytest.mark.parametrize(
    ("last", "complete"),
    [
        (end(EndReason.END_OF_SOURCE), True),
        (end(EndReason.STOPPED), False),
        (end(EndReason.SIGNAL, "SIGINT"), False),
        (end(EndReason.ERROR, "boom"), False),
        (Marker(1.0, ""), False),
        (None, False),
    ],
)
def test_one_definition_of_complete(last: Record | None, complete: bool) -> None:
    assert is_complete(last) is complete


def test_the_log_round_trip_and_a_cut_last_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    log = SessionLog(path)
    for record in SAMPLES[:8]:
        log.write(record)
    log.close()
    contents = read_log(path)
    assert [dataclasses.replace(r, ts="") for r in contents.records] == SAMPLES[:8]
    assert all(r.ts for r in contents.records)  # the writer stamped the wall clock
    assert contents.complete and contents.ended
    assert isinstance(last_record(path), SessionEnd)
    assert json.loads(path.read_text().splitlines()[0])["schema"] == SCHEMA_VERSION == 7
    with path.open("a") as f:
        f.write('{"type":"marker","t":9.0,"no')
    cut = read_log(path)
    assert cut.truncated_line == 9 and not cut.complete and last_record(path) is None


def test_an_unknown_record_is_a_bad_line_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"type":"weather","t":0}\n{"type":"marker","ts":"","t":1,"note":""}\n')
    contents = read_log(path)
    assert contents.bad_lines == [1] and contents.records == [Marker(1.0, "")]


def test_a_record_with_a_wrong_typed_field_is_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "typed.jsonl"
    path.write_text(
        '{"type":"marker","ts":"x","t":"1.0","note":"text t"}\n'
        '{"type":"marker","ts":"x","t":1.0,"note":5}\n'
        '{"type":"source_back","ts":"x","t":1.0,"seconds":2,"attempts":true}\n'
        '{"type":"marker","ts":"x","t":1,"note":"fine"}\n'
    )
    contents = read_log(path)
    assert contents.bad_lines == [1, 2, 3] and contents.records == [Marker(1, "fine", "x")]


def test_every_field_is_described_in_the_log_format_doc() -> None:
    doc = (ROOT / "docs" / "log-format.md").read_text(encoding="utf-8")
    for record in SAMPLES:
        fields = set(record.to_json())
        if isinstance(record, FrameRecord):
            fields |= set(record.faces[0].to_json())
        missing = sorted(f for f in fields if f"`{f}`" not in doc)
        assert not missing, f"{type(record).__name__}: {missing} not in docs/log-format.md"
