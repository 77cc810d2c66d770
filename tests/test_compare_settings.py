"""benchmarks/compare_settings.py: settings against each other on the bench clip, paired round
by round (figures: docs/benchmarks.md, "Issue 29's bar"). It runs the real pipeline with each
variant's settings and prints each one's figures, and a bad setting is one line before
anything runs."""

from __future__ import annotations

import re
import subprocess
import sys

from clips import ROOT

SCRIPT = ROOT / "benchmarks" / "compare_settings.py"


def test_each_variant_gets_a_line_with_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, SCRIPT, "--seconds", "0.5", "--rounds", "1",
         "old=classifier.alternate_flip=false,ahead=2", "new="],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"decode only: \d+ fps \(median of 1\)", lines[1])
    old, new = lines[2], lines[3]
    assert re.match(r"old: \d+ fps, [0-9.]+x decoding, 1\.000 of old \(paired\)", old)
    assert old.endswith("classifier.alternate_flip=False, ahead=2")
    assert re.match(r"new: \d+ fps, [0-9.]+x decoding, [0-9.]+ of old \(paired\)", new)
    assert new.endswith("the defaults")


def test_a_bad_setting_is_one_line_and_nothing_runs() -> None:
    done = subprocess.run(
        [sys.executable, SCRIPT, "a=", "b=geometry.bogus=1"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "unknown key geometry.bogus" in done.stderr and not done.stdout
