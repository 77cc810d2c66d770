"""The driver side of ``analyze``: which inputs were already analysed with these settings.

``Manifest`` (``manifest.json`` in the output folder) records, per output log, the sha256 of
the input's content and of the settings that shape the results. An input is skipped when
both match and its log is complete (``records.is_complete``).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from streamfer.config.settings import Config
from streamfer.core.durable import sha256_text, write_atomic
from streamfer.session.log import last_record
from streamfer.session.records import is_complete
from streamfer.sources.inputs import Input
from streamfer.vision.models import describe

MANIFEST_NAME = "manifest.json"


def settings_hash(config: Config) -> str:
    """sha256 of the settings that shape an analysis' results, and of the model files."""
    settings = config.as_dict()
    for section in ("source", "dashboard", "lsl"):
        settings.pop(section, None)
    settings["log"].pop("dir", None)
    settings["detector"]["model"] = describe(config.resolve_model(config.detector.model))["sha256"]
    settings["classifier"]["model"] = describe(config.emotion_model_path())["sha256"]
    settings["classifier"]["crop"] = dataclasses.asdict(config.crop())  # the sidecar's, too
    settings["geometry"]["enabled"] = config.geometry_on()  # "auto" as the sidecar decides it
    head = config.geometry_head_path() if config.geometry_on() else None
    settings["geometry"]["head"] = None if head is None else describe(head)["sha256"]
    second = config.second_model_path() if config.geometry_on() else None
    if second is not None:  # only then: results of models without one keep their hash
        settings["geometry"]["second"] = describe(second)["sha256"]
    text = json.dumps(settings, sort_keys=True, default=str)
    return sha256_text(text)


class Manifest:
    """``manifest.json``: per log name, the input, its content hash and the settings hash."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST_NAME
        self.entries: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except (OSError, ValueError):
            pass  # no manifest yet, or a damaged one: everything is redone

    def names(self) -> dict[str, str]:
        """Each input's path -> the output name it had (so that it keeps it)."""
        return {
            str(entry["input"]): name
            for name, entry in self.entries.items()
            if isinstance(entry, dict) and isinstance(entry.get("input"), str)
        }

    def is_done(self, name: str, log_path: Path, content: str | None, settings: str) -> bool:
        """The complete output for this content and these settings is already there."""
        entry = self.entries.get(name)
        return (
            content is not None
            and entry is not None
            and entry.get("content_sha256") == content
            and entry.get("settings_sha256") == settings
            and is_complete(last_record(log_path))
        )

    def record(
        self, name: str, item: Input, content: str | None, settings: str, status: str
    ) -> None:
        """Note an input's outcome and save the manifest atomically."""
        self.entries[name] = {
            "input": str(item.path),
            "content_sha256": content,
            "settings_sha256": settings,
            "status": status,
        }
        self.save()

    def save(self) -> None:
        write_atomic(self.path, json.dumps({"version": 1, "entries": self.entries}, indent=1))
