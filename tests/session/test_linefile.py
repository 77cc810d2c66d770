"""The append-only line file (``streamfer.session.linefile``) on a real full disk: cut back to
the last whole line with room for one more, and no file left when full from the start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from badmedia import fill, small_disk

from streamfer.session.linefile import LineFile, LineWriteError


def test_a_full_disk_cuts_back_to_the_last_whole_line_and_frees_room_for_one_more(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk", "256k") as disk:
        lines = LineFile(disk / "log.jsonl")
        lines.append(json.dumps({"type": "session_start"}))
        fill(disk)
        record = json.dumps({"type": "frame", "pad": "x" * 3000})
        with pytest.raises(LineWriteError) as caught:
            for _ in range(1000):
                lines.append(record)
        assert caught.value.errno is not None
        text = (disk / "log.jsonl").read_text()
        assert text.endswith("\n") and len(text.encode()) == lines.size
        assert all(json.loads(line)["type"] for line in text.splitlines())
        assert json.loads(text.splitlines()[0])["type"] == "session_start"
        assert lines.release_reserve()
        lines.append(json.dumps({"type": "session_end", "reason": "disk_full"}))
        lines.close()
        last = (disk / "log.jsonl").read_text().splitlines()[-1]
        assert json.loads(last)["reason"] == "disk_full"


def test_a_disk_full_from_the_start_leaves_no_file(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "256k") as disk:
        fill(disk)
        with pytest.raises(OSError):
            LineFile(disk / "log.jsonl")
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]
