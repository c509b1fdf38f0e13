"""10,000 random mouse, key and menu events on the main window: no crash, no exception escaping
to Qt (pytest-qt fails the test on one), and resident memory flat from the first thousand events
to the last."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from digitpad.gui.replay import send_mouse

EVENTS = 10_000
KEYS = [
    (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier),  # undo
    (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
    (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),  # clear
    (Qt.Key.Key_E, Qt.KeyboardModifier.NoModifier),  # eraser
    (Qt.Key.Key_B, Qt.KeyboardModifier.NoModifier),  # pen
    (Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_BracketRight, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier),  # black on white
    *[(getattr(Qt.Key, f"Key_{i}"), Qt.KeyboardModifier.ControlModifier) for i in range(1, 7)],
]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_ten_thousand_random_events(shown_window, qtbot):
    w = shown_window
    rng = np.random.default_rng(2026)
    side = w.canvas.width()
    tabs = w.explore.tabs
    # Every tab built (MNIST, the map) before counting: first-time loads are not leaks.
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
    tabs.setCurrentIndex(0)
    map_panel = w.explore.panel("Map")
    qtbot.waitUntil(lambda: w.explore.data.is_loaded() and map_panel.is_loaded(), timeout=30_000)
    # Every model shown once too: the current model drives Browse and Misclassified, whose
    # mosaics are as big as that model's list (logistic's wrong digits make a bigger one than
    # the cnn's), so each has been built once before counting.
    default = w.model_box.currentData()
    for index in range(w.model_box.count()):
        w.set_driver(w.model_box.itemData(index))
        QApplication.processEvents()
    w.set_driver(default)
    QApplication.processEvents()
    drawing = False
    rss = {}
    for i in range(EVENTS):
        r = rng.random()
        x, y = rng.uniform(-20, side + 20, 2)  # now and then outside the canvas
        if r < 0.70:
            if not drawing:
                send_mouse(w.canvas, QEvent.Type.MouseButtonPress, x, y)
                drawing = True
            else:
                send_mouse(w.canvas, QEvent.Type.MouseMove, x, y)
        elif r < 0.80:
            send_mouse(w.canvas, QEvent.Type.MouseButtonRelease, x, y)
            drawing = False
        elif r < 0.97:
            key, mods = KEYS[rng.integers(len(KEYS))]
            qtbot.keyClick(w, key, mods)
        elif r < 0.99:
            w.model_box.setCurrentIndex(int(rng.integers(w.model_box.count())))
            w.set_driver(w.model_box.currentData())
        else:
            # Panel switches: mostly back to drawing.
            tabs.setCurrentIndex(0 if rng.random() < 0.7 else int(rng.integers(tabs.count())))
        if i % 4 == 0:
            QApplication.processEvents()
        if i + 1 in (1000, EVENTS):
            QApplication.processEvents()
            rss[i + 1] = _rss_mb()
    assert w.isVisible()
    growth = rss[EVENTS] - rss[1000]
    print(
        f"resident memory {rss[1000]:.0f} MB after 1,000 events, {rss[EVENTS]:.0f} MB after "
        f"{EVENTS:,}: {growth:+.1f} MB"
    )
    assert growth <= 20
