"""Watch a camera and print each person's representative emotion as it falls due.

python examples/webcam.py            # the default camera
python examples/webcam.py demo 90    # the demo clip, 90 frames
"""

import sys

import streamfer

source = sys.argv[1] if len(sys.argv) > 1 else 0  # a camera index, a file, a URL or "demo"
frames = int(sys.argv[2]) if len(sys.argv) > 2 else None  # None: until Ctrl-C
for result in streamfer.watch(source, max_frames=frames):
    for verdict in result.verdicts:
        print(f"{verdict.t:6.1f} s  person {verdict.track}: {verdict.label}")
