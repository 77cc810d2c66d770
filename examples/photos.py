"""Classify every photo in a folder: one CSV line per face, on standard output.

python examples/photos.py FOLDER > faces.csv
"""

import csv
import sys
from pathlib import Path

import streamfer

folder = Path(sys.argv[1])
photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
out = csv.writer(sys.stdout)
out.writerow(["photo", "face", "x", "y", "w", "h", "label", "happy", "valence", "arousal"])
for photo in photos:  # the models are loaded once, at the first photo
    for face in streamfer.classify_image(photo):
        happy = face.scores["happy"]
        row = [photo.name, face.track, *face.box, face.label, f"{happy:.3f}"]
        out.writerow([*row, f"{face.valence:.3f}", f"{face.arousal:.3f}"])
