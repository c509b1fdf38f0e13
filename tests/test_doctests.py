"""The ``>>>`` examples in the modules' docstrings run against the real code and print what they
say. (``digitpad.gui``'s example opens a window: it is written as plain code, not run.)"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "digitpad"


def _modules_with_examples() -> list[str]:
    """Every module outside ``gui`` whose source holds a ``>>>`` example: a new example is
    run as soon as it is written."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "gui" in parts or ">>> " not in path.read_text(encoding="utf-8"):
            continue
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


MODULES = _modules_with_examples()


def test_the_examples_are_found():
    assert {"digitpad.synthetic.drawn", "digitpad.models", "digitpad.data.drawings"} <= set(MODULES)


def test_the_window_has_no_example_that_would_not_run():
    gui = [p for p in (PACKAGE / "gui").rglob("*.py") if ">>> " in p.read_text(encoding="utf-8")]
    assert gui == []


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_run(name, tmp_path, monkeypatch):
    # An empty data folder (the drawings example adds one and counts them) and a scratch
    # working folder (it exports "mine.csv" there).
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples left"
    assert result.failed == 0, f"{result.failed} of {name}'s examples failed (output above)"
