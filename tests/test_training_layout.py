"""training/'s layout: a library (``training.lib``) and commands (``training.steps``) apart.

Read from the source with ``ast`` (no TensorFlow needed): no import cycle among the training
modules, lazy imports inside functions included; the library never imports a step; a step
imports the library, never another step; every step is a command with ``main`` and its
``--help`` runs where its imports are installed; no module or command text names one
machine's folders; the data and work folders follow their environment variables.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "training"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(TRAINING.rglob("*.py"))}


def _training_imports(path: Path, known: set[str]) -> set[str]:
    """The training modules a module imports, anywhere in it (function bodies included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from training.lib import data`` names a module; ``from training.lib.data import X``
            # names one module whatever X is
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; import training modules by full name")
        found.update(n for n in names if n in known and n.startswith("training."))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _training_imports(path, known) - {name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as the modules in order, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _steps() -> list[str]:
    return sorted(n for n in _modules() if n.startswith("training.steps."))


def _library() -> list[str]:
    return sorted(n for n in _modules() if n.startswith("training.lib."))


def test_training_is_a_library_and_its_steps() -> None:
    flat = [n for n in _modules() if n.count(".") == 1 and n.split(".")[1] not in ("lib", "steps")]
    assert flat == [], f"modules outside training/lib and training/steps: {flat}"
    assert len(_steps()) >= 18 and len(_library()) >= 10
    assert (
        TRAINING / "splits.json"
    ).is_file()  # where the code and tests/test_models_posed.py read it


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_training_modules() -> None:
    assert _cycle(_graph()) is None


def test_the_library_imports_no_step_and_a_step_no_other_step() -> None:
    graph = _graph()
    for name in _library():
        steps = sorted(m for m in graph[name] if m.startswith("training.steps"))
        assert steps == [], f"{name} (library) imports {steps}"
    for name in _steps():
        others = sorted(m for m in graph[name] if m.startswith("training.steps."))
        assert others == [], (
            f"{name} imports other steps {others}; move what they share to training.lib"
        )


def _top_level(path: Path) -> tuple[set[str], bool, bool]:
    """Top-level function names, whether argparse is imported, whether ``__main__`` runs main."""
    tree = ast.parse(path.read_text(), str(path))
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    uses_argparse = any(
        isinstance(n, ast.Import) and any(a.name == "argparse" for a in n.names)
        for n in ast.walk(tree)
    )
    runs_main = any(
        isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) and "main(" in ast.unparse(n)
        for n in tree.body
    )
    return functions, uses_argparse, runs_main


def test_every_step_is_a_command_and_the_library_has_none() -> None:
    modules = _modules()
    for name in _steps():
        functions, _, runs_main = _top_level(modules[name])
        assert "main" in functions and runs_main, f"{name}: no main() run under __main__"
    for name in _library():
        functions, uses_argparse, runs_main = _top_level(modules[name])
        assert not ({"main"} & functions or uses_argparse or runs_main), f"{name} is a command"


@pytest.fixture
def environment_kept() -> Iterator[None]:
    """The environment as it was: importing the export library sets TensorFlow's variables."""
    before = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(before)


@pytest.mark.parametrize("name", _steps())
@pytest.mark.usefixtures("environment_kept")
def test_each_steps_help_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as missing:  # TensorFlow, keras, scikit-learn: the training venv's
        if missing.name and missing.name.split(".")[0] in ("tensorflow", "keras", "sklearn"):
            pytest.skip(f"{name} needs {missing.name} (training/requirements.txt)")
        raise
    with pytest.raises(SystemExit) as done:
        module.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert f"python -m {name}" in out or name.rsplit(".", 1)[1] in out


def test_no_machine_folders_in_training_code_or_commands() -> None:
    texts = [*TRAINING.rglob("*.py"), TRAINING / "README.md", ROOT / "models" / "README.md"]
    named = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in texts
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if "/work/" in line
    ]
    assert named == [], (
        f"absolute machine folders (use training.lib.paths or $STREAMFER_TRAIN_DIR): {named}"
    )


def _folders(env: dict[str, str]) -> list[str]:
    code = "from training.lib.paths import DATA, WORK; print(DATA); print(WORK)"
    clean = {
        k: v for k, v in os.environ.items() if k not in ("STREAMFER_DATA", "STREAMFER_TRAIN_DIR")
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def test_data_and_work_folders_follow_their_variables(tmp_path: Path) -> None:
    assert _folders({}) == [str(ROOT.parent / "shared" / "data"), str(ROOT.parent / "train")]
    data, work = tmp_path / "data", tmp_path / "work"
    got = _folders({"STREAMFER_DATA": str(data), "STREAMFER_TRAIN_DIR": str(work)})
    assert got == [str(data), str(work)]
