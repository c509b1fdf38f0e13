"""Shared fixtures. Qt is imported only by the fixtures that need it (the core stays Qt-free)."""

from __future__ import annotations

import functools
import os

import pytest

# GUI tests run headless; set before pytest-qt creates the QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch):
    """QSettings in a fresh INI folder and an empty user data folder, for one test."""
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "data"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    return tmp_path / "settings"


@pytest.fixture
def shown_window(qtbot, isolated_settings):
    """A shown ``MainWindow`` with every model loaded."""
    from digitpad.gui import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: not any(w.shelf.is_pending(n) for n in w.shelf.names), timeout=20_000)
    return w


@functools.cache
def _samples():
    from digitpad.data.samples import load_samples

    return load_samples()  # read once for the whole run


@pytest.fixture
def explore_data(qtbot):
    """An ``ExploreData`` with MNIST and every model's test answers loaded."""
    from digitpad.gui.explore.data import ExploreData

    d = ExploreData(loader=_samples)
    with qtbot.waitSignal(d.loaded, timeout=20_000):
        d.ensure_loaded()
    return d


@pytest.fixture
def run_child():
    """``run_child(code)``: run ``code`` in a fresh headless Python process from the project's
    folder; it must exit with status 0 (its stderr is the failure message)."""
    import subprocess
    import sys
    from pathlib import Path

    def run(code: str) -> subprocess.CompletedProcess:
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        assert out.returncode == 0, out.stderr
        return out

    return run
