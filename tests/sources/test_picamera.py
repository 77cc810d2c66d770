"""The Pi camera source with a fake ``picamera2`` module: no Pi, no camera needed."""

from __future__ import annotations

import sys
import types
from typing import Any, ClassVar

import numpy as np
import pytest

from streamfer.core.errors import SourceError
from streamfer.sources.picamera import PicameraReader, is_picamera, open_picamera


class FakePicamera2:
    """Records what streamfer asks of Picamera2 and hands out numbered frames."""

    instances: ClassVar[list[FakePicamera2]] = []
    cameras: ClassVar[int] = 1

    def __init__(self, camera_num: int = 0) -> None:
        if camera_num >= self.cameras:
            raise IndexError("list index out of range")
        self.camera_num = camera_num
        self.calls: list[str] = []
        self.config: dict[str, Any] = {}
        self.frames = 0
        FakePicamera2.instances.append(self)

    def create_video_configuration(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("create_video_configuration")
        return kwargs

    def configure(self, config: dict[str, Any]) -> None:
        self.calls.append("configure")
        self.config = config

    def start(self) -> None:
        self.calls.append("start")

    def capture_array(self, name: str = "main") -> np.ndarray:
        self.frames += 1
        width, height = self.config["main"]["size"]
        frame = np.zeros((height, width, 3), np.uint8)
        frame[..., 0] = 200  # blue first: RGB888 is B, G, R in memory
        frame[0, 0, 1] = self.frames
        return frame

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")


@pytest.fixture
def fake_picamera2(monkeypatch: pytest.MonkeyPatch) -> type[FakePicamera2]:
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2", module)
    FakePicamera2.instances = []
    return FakePicamera2


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("picamera", True),
        ("picamera:1", True),
        (" picamera ", True),
        ("picam", False),
        ("0", False),
    ],
)
def test_spec(spec: str, expected: bool) -> None:
    assert is_picamera(spec) is expected


def test_frames_are_bgr_newest_only_and_closed(fake_picamera2: type[FakePicamera2]) -> None:
    reader = open_picamera("picamera")
    camera = fake_picamera2.instances[0]
    assert camera.config["main"] == {"size": (640, 480), "format": "RGB888"}
    assert camera.config["queue"] is False  # each capture waits for a fresh frame
    assert camera.calls == ["create_video_configuration", "configure", "start"]
    assert reader.is_live and reader.description == "Pi camera 0"
    first, second = reader.read(), reader.read()
    assert first is not None and second is not None
    assert first.shape == (480, 640, 3) and first.dtype == np.uint8
    assert first[1, 1, 0] == 200  # passed through as OpenCV's BGR, unconverted
    assert (first[0, 0, 1], second[0, 0, 1]) == (1, 2)
    reader.close()
    assert camera.calls[-2:] == ["stop", "close"]


def test_second_camera_by_number(fake_picamera2: type[FakePicamera2]) -> None:
    fake_picamera2.cameras = 2
    try:
        open_picamera("picamera:1").close()
    finally:
        fake_picamera2.cameras = 1
    assert fake_picamera2.instances[0].camera_num == 1


def test_missing_camera_is_a_source_error(fake_picamera2: type[FakePicamera2]) -> None:
    with pytest.raises(SourceError, match="no Pi camera 3"):
        PicameraReader(3)


def test_without_picamera2_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails as if absent
    with pytest.raises(SourceError, match="needs Picamera2") as info:
        open_picamera("picamera")
    assert "python3-picamera2" in info.value.hint and "--system-site-packages" in info.value.hint


@pytest.mark.parametrize("text", ["picamera", "picamera:1"])
def test_a_kind_of_source(text: str) -> None:
    from streamfer.sources.spec import parse_source

    assert parse_source(text).kind == "picamera"


def test_open_reader_opens_the_pi_camera(fake_picamera2: type[FakePicamera2]) -> None:
    from streamfer.sources.readers import open_reader

    reader = open_reader("picamera")
    try:
        assert reader.is_live and reader.description == "Pi camera 0"
    finally:
        reader.close()
