"""The ``>>>`` examples in the modules' docstrings run against the real code and print what they
say. (``digitpad.gui``'s example opens a window: it is written as plain code, not run.)"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "digitpad.synthetic.drawn",
    "digitpad.synthetic.scribbles",
    "digitpad.reading.neighbours",
    "digitpad.training.is_four",
    "digitpad.models",
    "digitpad.data.drawings",
]


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
