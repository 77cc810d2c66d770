"""Record a session's log, then read it into pandas (pip install pandas).

python examples/log_to_pandas.py              # 10 s of the demo, logged to ./logs
python examples/log_to_pandas.py demo 90 DIR  # 90 frames, logged to DIR
"""

import sys

import streamfer

source = sys.argv[1] if len(sys.argv) > 1 else "demo"
frames = int(sys.argv[2]) if len(sys.argv) > 2 else 300
log_dir = sys.argv[3] if len(sys.argv) > 3 else "logs"

# every frame's faces in the log too, as fast as the machine goes
config = {"log.frames": True}
with streamfer.watch(
    source, config=config, max_frames=frames, realtime=False, log_dir=log_dir
) as session:
    for _ in session:
        pass
print(f"log: {session.log_path} (ended by {session.reason})")

log = streamfer.read_log(session.log_path)
emotions = log.to_dataframe("emotion")  # one row per person per second
print(emotions.groupby(["track", "label"]).size().rename("seconds").to_string())
faces = log.to_dataframe("face")  # one row per face per frame, a column per label
print(
    faces.groupby("track")[["valence", "arousal", "happy", "neutral"]].mean().round(3).to_string()
)
