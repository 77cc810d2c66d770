"""Honest decoding of the bad-media corpus: every frame from the first, the container's time
stamps, and a read that says when it fell short of what the container promised."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from badmedia import BASE_FRAMES, Case, make_case, vfr_times

from streamfer.core.errors import SourceError
from streamfer.sources.demo import write_demo_clip
from streamfer.sources.videofile import (
    ReadCheck,
    StillImageReader,
    VideoFileReader,
    container_fps,
    container_frame_count,
    is_still_image,
    iso_boxes,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


def read_all(case: Case) -> tuple[VideoFileReader | StillImageReader, list[float]]:
    reader = (
        StillImageReader(case.path) if is_still_image(case.path) else VideoFileReader(case.path)
    )
    stamps = []
    while reader.read() is not None:
        stamps.append(reader.t)
    reader.close()
    return reader, stamps


@pytest.mark.parametrize("name", ["mp4", "ts", "h264", "mpeg2", "mp4-as-txt"])
def test_every_frame_from_the_first(corpus: Path, name: str) -> None:
    reader, stamps = read_all(make_case(name, corpus))
    assert reader.frames_read == BASE_FRAMES  # the first group of pictures is not lost
    assert reader.check().complete
    assert stamps[0] == 0.0 and all(b > a for a, b in itertools.pairwise(stamps))


def test_container_time_stamps_on_a_variable_frame_rate_clip(corpus: Path) -> None:
    reader, stamps = read_all(make_case("vfr", corpus))
    assert reader.timestamps == "container"
    assert len(stamps) == len(vfr_times())
    assert max(abs(a - b) for a, b in zip(stamps, vfr_times(), strict=True)) < 0.002
    # index / fps would have put frame 30 (at 1.0 s) 1.5 s late
    assert 30 / reader.fps - vfr_times()[30] > 1.0


def test_raw_h264_has_no_time_stamps_and_says_so(corpus: Path) -> None:
    reader, stamps = read_all(make_case("h264", corpus))
    assert reader.timestamps == "frame_rate"
    assert stamps[1] == pytest.approx(1 / reader.fps)
    assert reader.check().frames_expected is None


def test_a_truncated_file_is_not_a_complete_read(corpus: Path) -> None:
    reader, _stamps = read_all(make_case("truncated", corpus))
    check = reader.check()
    assert not check.complete and check.frames_expected == BASE_FRAMES
    assert 0 < check.frames_read < BASE_FRAMES
    assert "cut short or damaged" in check.describe()


def test_frames_an_edit_list_hides_do_not_make_a_read_incomplete(corpus: Path) -> None:
    reader, _ = read_all(make_case("edit-list", corpus))
    check = reader.check()
    assert check.frames_expected == BASE_FRAMES and check.frames_read == BASE_FRAMES - 3
    assert check.complete and "edit list" in check.describe()


@pytest.mark.parametrize(
    ("read", "expected", "complete"),
    [
        (98, 98, True),
        (95, 98, True),
        (94, 98, False),
        (57, 60, True),
        (56, 60, False),
        (3, 4, False),
        (19, 20, True),
        (18, 20, False),
        (29, 60, False),
        (7, None, True),
        (100, 98, True),
    ],
)
def test_the_slack_is_5_percent_and_at_most_3_frames(
    read: int, expected: int | None, complete: bool
) -> None:
    assert ReadCheck(read, expected).complete is complete


def test_a_slow_clip_keeps_its_rate(corpus: Path) -> None:
    reader, stamps = read_all(make_case("slow", corpus))
    assert reader.fps == 0.5 and not reader.fps_assumed
    assert stamps == pytest.approx([0.0, 2.0, 4.0, 6.0])


def test_a_still_image_is_one_frame(corpus: Path) -> None:
    reader, stamps = read_all(make_case("still", corpus))
    assert stamps == [0.0] and reader.check() == ReadCheck(1, 1)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty", "is empty"),
        ("random", "not a video OpenCV can decode|no decodable video frames"),
    ],
)
def test_unreadable_files_are_refused_by_name(corpus: Path, name: str, message: str) -> None:
    case = make_case(name, corpus)
    with pytest.raises(SourceError, match=message) as caught:
        VideoFileReader(case.path)
    assert str(case.path) in caught.value.message


def test_an_mp4_cut_before_its_index_is_called_one(tmp_path: Path) -> None:
    """It was "not a video OpenCV can decode (hint: convert it to mp4 ...)": it is an mp4
    whose index (the moov box, written last) was never written (issue #27)."""
    whole = tmp_path / "whole.mp4"
    write_demo_clip(str(whole), 2.0)
    assert iso_boxes(whole) is not None and iso_boxes(whole)[-1] == b"moov"  # index last
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(SourceError) as caught:
        VideoFileReader(cut)
    assert "mp4/mov recording without its index" in caught.value.message
    assert "convert it to mp4" not in caught.value.one_line()
    (tmp_path / "notes.mp4").write_text("notes of the session\n")
    with pytest.raises(SourceError, match="not a video OpenCV can decode"):
        VideoFileReader(tmp_path / "notes.mp4")


def test_missing_files_and_images() -> None:
    with pytest.raises(SourceError, match="does not exist"):
        VideoFileReader(Path("/nonexistent/clip.mp4"))
    with pytest.raises(SourceError, match="does not exist"):
        StillImageReader(Path("/nonexistent/still.jpg"))


@pytest.mark.parametrize(
    ("value", "fps"),
    [
        (30.0, 30.0),
        (0.5, 0.5),
        (0.0, None),
        (float("nan"), None),
        (float("inf"), None),
        (9e4, None),
    ],
)
def test_frame_rate_rule(value: float, fps: float | None) -> None:
    assert container_fps(value) == fps


@pytest.mark.parametrize(
    ("value", "count"), [(60.0, 60), (0.0, None), (-1.9e14, None), (-9.2e18, None), (1e12, None)]
)
def test_frame_count_rule(value: float, count: int | None) -> None:
    assert container_frame_count(value) == count
