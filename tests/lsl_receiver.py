"""A Lab Streaming Layer recorder for ``tests/test_lsl.py``: run it inside the test's private
network namespace as ``python lsl_receiver.py OUT.json -- COMMAND...``.

It starts COMMAND (``streamfer run --lsl ...``, which waits for a recorder on its markers
stream), connects to the markers stream, opens an inlet on every ``FacialExpression`` stream
as it appears, and takes every sample until the markers say the session ended. OUT.json then
holds each stream's info (name, type, source id, rate, channels from its ``desc``), its
samples with their time stamps and the LSL clock when they arrived, and COMMAND's exit code
and stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from typing import Any

import pylsl


def describe(info: Any) -> dict[str, Any]:
    root = ET.fromstring(info.as_xml())
    channels = [
        {key: channel.findtext(key) or "" for key in ("label", "unit", "type")}
        for channel in root.iterfind("./desc/channels/channel")
    ]
    return {
        "name": info.name(),
        "type": info.type(),
        "source_id": info.source_id(),
        "channel_count": info.channel_count(),
        "nominal_srate": info.nominal_srate(),
        "channel_format": info.channel_format(),
        "channels": channels,
        "person": root.findtext("./desc/person"),
        "model": root.findtext("./desc/acquisition/model"),
        "samples": [],
    }


def main(out: str, command: list[str]) -> int:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found = pylsl.resolve_byprop("type", "Markers", 1, 60)
    if not found:
        process.kill()
        _, err = process.communicate()
        raise SystemExit(f"no markers stream within 60 s; streamfer said:\n{err}")
    markers = pylsl.StreamInlet(found[0])
    markers.open_stream(30)
    streams = [describe(markers.info(30))]
    inlets: dict[str, Any] = {}
    resolver = pylsl.ContinuousResolver(prop="type", value="FacialExpression")
    ended_at: float | None = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for info in resolver.results():
            if info.uid() not in inlets:
                inlet = pylsl.StreamInlet(info)
                inlet.open_stream(10)
                inlets[info.uid()] = inlet
                streams.append(describe(inlet.info(10)))
                streams[-1]["inlet"] = info.uid()
        for stream in streams[1:]:
            chunk, stamps = inlets[stream["inlet"]].pull_chunk(timeout=0.0)
            now = pylsl.local_clock()
            stream["samples"] += [
                [t, now, *values] for t, values in zip(stamps, chunk, strict=True)
            ]
        sample, stamp = markers.pull_sample(timeout=0.02)
        while sample is not None:
            streams[0]["samples"].append([stamp, pylsl.local_clock(), sample[0]])
            if sample[0].startswith("session end"):
                ended_at = time.monotonic()
            sample, stamp = markers.pull_sample(timeout=0.0)
        if ended_at is not None and time.monotonic() > ended_at + 1.0:
            break
        if process.poll() is not None and ended_at is None:
            ended_at = time.monotonic()  # streamfer is gone: take what is left, then stop
    _, err = process.communicate(timeout=60)
    for stream in streams:
        stream.pop("inlet", None)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"returncode": process.returncode, "stderr": err, "streams": streams}, f)
    return 0


if __name__ == "__main__":
    split = sys.argv.index("--")
    sys.exit(main(sys.argv[1], sys.argv[split + 1 :]))
