"""The shape of the code: a room per part, a Qt-free core, no import cycles, no private names
used across modules, small functions. Each rule is read from the source, so breaking it fails here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "digitpad"
MAX_TOP_LEVEL_FILES = 8
MAX_COMPLEXITY = 12
# "seed 00N" is not the user's word; the folder beside the clone is not in a user's clone.
FORBIDDEN = ("seed 00", ".." + "/shared", "shared" + "/notes")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


SOURCES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return SOURCES[name].name == "__init__.py"


def resolve(node: ast.ImportFrom, current: str) -> str:
    """The absolute module an ``import from`` names, relative levels resolved."""
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package(current) else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(name: str) -> dict[str, list[str]]:
    """digitpad modules ``name`` imports (anywhere: top level, functions, TYPE_CHECKING) →
    the names it takes from each."""
    tree = ast.parse(SOURCES[name].read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in SOURCES:
                    found.setdefault(alias.name, [])
        elif isinstance(node, ast.ImportFrom):
            target = resolve(node, name)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in SOURCES:  # ``from package import module``
                    found.setdefault(sub, [])
                elif target in SOURCES:
                    found.setdefault(target, []).append(alias.name)
    found.pop(name, None)
    return found


GRAPH = {name: imported_modules(name) for name in SOURCES}


def test_at_most_eight_files_directly_in_the_package() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_FILES, top


def test_no_import_cycles() -> None:
    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in GRAPH[node]:
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in GRAPH:
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_private_names_of_another_module() -> None:
    uses = []
    for name, targets in GRAPH.items():
        for target, names in targets.items():
            uses += [
                f"{name} uses {target}.{n}" for n in names if n.startswith("_") and n[:2] != "__"
            ]
        tree = ast.parse(SOURCES[name].read_text(encoding="utf-8"))
        modules = _module_aliases(tree, name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.value.id not in ("self", "cls", *_outside_modules(tree))
            ):
                owner = modules.get(node.value.id, node.value.id)
                uses.append(f"{name}:{node.lineno} uses {owner}.{node.attr}")
    assert uses == []


def _outside_modules(tree: ast.Module) -> set[str]:
    """Local names bound to modules outside digitpad (``sys``, ``os``): their private names are
    their business."""
    return {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.split(".")[0] != "digitpad"
    }


def _module_aliases(tree: ast.Module, current: str) -> dict[str, str]:
    """Local names bound to digitpad modules (``from . import x``, ``import digitpad.x as y``)."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = resolve(node, current)
            for alias in node.names:
                if f"{target}.{alias.name}" in SOURCES:
                    aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in SOURCES and alias.asname:
                    aliases[alias.asname] = alias.name
    return aliases


def test_the_core_imports_no_qt() -> None:
    core = [n for n in SOURCES if not n.startswith("digitpad.gui") and n != "digitpad.__main__"]
    core = [n for n in core if n != "digitpad.training.nets"]  # imports TensorFlow, not Qt
    script = (
        "import importlib, sys\n"
        f"for name in {core!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
    assert len(core) > 20  # every room of the core was imported, not an empty list


def test_no_qt_import_written_outside_gui() -> None:
    outside = [
        f"{name} imports {target}"
        for name, path in SOURCES.items()
        if not name.startswith("digitpad.gui")
        for target in _all_imports(path)
        if target.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "superqt")
    ]
    assert outside == []


def _all_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append(node.module)
    return found


def test_every_function_is_simple_enough() -> None:
    from radon.complexity import cc_visit

    worst = []
    for name, path in SOURCES.items():
        for block in cc_visit(path.read_text(encoding="utf-8")):
            for item in [block, *getattr(block, "methods", [])]:
                if item.complexity > MAX_COMPLEXITY:
                    worst.append(f"{name}:{item.lineno} {item.name} {item.complexity}")
    assert worst == []


def test_plain_words_and_no_files_outside_the_repository() -> None:
    root = PACKAGE.parent
    texts = [*PACKAGE.rglob("*.py"), root / "README.md", *root.glob("docs/*.md")]
    found = []
    for path in texts:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            low = line.lower()
            if any(word in low for word in FORBIDDEN):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert found == []
