"""The package's shape (docs/architecture.md): its floors, where each name lives, no cycles.

Read from the source with ``ast``: imports made at run time are the module-level ones (and
those under a module-level ``if``/``try``), not those under ``if TYPE_CHECKING`` or inside
functions (imported when first used, on purpose).
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "streamfer"

#: Each room's floor (docs/architecture.md, "Packages, from the ground up"): a module imports
#: at run time only from a lower floor or from its own room.
FLOORS = {
    "core": 0,
    "assets": 0,
    "sources": 1,
    "vision": 1,
    "method": 1,
    "config": 2,
    "pipeline": 3,
    "session": 4,
    "batch": 5,
    "evaluation": 5,
    "ui": 5,
    "reports": 5,
    "outputs": 5,
    "commands": 6,
    "api": 6,
    "cli": 7,
    "__main__": 8,
}
FLAT = {"__init__.py", "__main__.py", "cli.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def runtime_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of each import made when the module is loaded."""
    found: list[tuple[str, list[str]]] = []

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found.extend((a.name, []) for a in node.names)
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    walk(node.body)
                    walk(node.orelse)
            elif isinstance(node, ast.Try):
                walk(node.body)
                for handler in node.handlers:
                    walk(handler.body)
                walk(node.orelse)
                walk(node.finalbody)

    walk(tree(path).body)
    return found


def defined(path: Path) -> set[str]:
    """Names a module binds itself (not those it imports)."""
    names: set[str] = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_only_the_entry_points_are_flat() -> None:
    flat = {p.name for p in PACKAGE.glob("*.py")}
    assert flat == FLAT, f"modules outside a package: {sorted(flat - FLAT)}"
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms == set(FLOORS) - {"cli", "__main__"}, "a room without a floor: add it to FLOORS"


def test_each_module_imports_only_from_below_or_its_own_room() -> None:
    wrong = []
    for name, path in modules().items():
        if name == "streamfer":
            continue
        here = room(name)
        for target, _ in runtime_imports(path):
            if not target.startswith("streamfer.") or room(target) == here:
                continue
            if FLOORS[room(target)] >= FLOORS[here]:
                wrong.append(f"{name} -> {target}")
    assert not wrong, wrong


def test_no_import_cycle_at_run_time() -> None:
    graph = {
        name: {t for t, _ in runtime_imports(path) if t in modules() and t != "streamfer"}
        for name, path in modules().items()
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def _imports_everywhere() -> list[tuple[Path, int, str, str]]:
    """(file, line, module, name) of every ``from streamfer... import name`` in the repo's
    Python, at any depth (functions and TYPE_CHECKING blocks included)."""
    found = []
    for folder in ("streamfer", "tests", "benchmarks", "examples", "training", "models"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(tree(path)):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.level == 0
                    and node.module
                    and node.module.startswith("streamfer.")
                ):
                    found.extend((path, node.lineno, node.module, a.name) for a in node.names)
    return found


def test_every_name_is_imported_from_where_it_is_defined() -> None:
    """No module hands on a name it only imports (``from streamfer import X``, the public
    API, is the one exception: ``streamfer/__init__.py`` imports those on first use)."""
    wrong = []
    for path, line, module, name in _imports_everywhere():
        source = modules().get(module)
        if source is None:
            wrong.append(f"{path.relative_to(ROOT)}:{line}: no module {module}")
        elif name not in defined(source) and f"{module}.{name}" not in modules():
            wrong.append(f"{path.relative_to(ROOT)}:{line}: {name} is not defined in {module}")
    assert not wrong, "\n".join(wrong)


def test_no_module_lists_names_it_does_not_define() -> None:
    wrong = []
    for name, path in modules().items():
        if path.name == "__init__.py":
            continue  # a package's __init__ may name its public names (only streamfer's does)
        for node in tree(path).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                listed = {e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant)}
                wrong += [f"{name}: {n}" for n in sorted(listed - defined(path))]
    assert not wrong, wrong


def test_the_version_is_written_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = project["version"]
    hits = [
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("*.py")
        if f'"{version}"' in p.read_text() or f"'{version}'" in p.read_text()
    ]
    assert not hits, f"the version is written again in {hits}: read it from the metadata"
    import streamfer

    assert streamfer.__version__ == version
