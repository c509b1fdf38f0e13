"""The window's size and keyboard, offscreen: long text never widens it, a saved size is cut to
the screen, every "not sure" reason fits its box, tabs switch from anywhere, Tab reaches the
toolbar, and with no display the window says so in one line (the real screens are in
test_real_screen.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QToolButton, QWidget

from digitpad.gui.app import display_problem
from digitpad.gui.panels import FittedLabel, fit_text
from digitpad.gui.replay import replay_stroke
from digitpad.gui.window import HINT, MainWindow, fit_into

ROOT = Path(__file__).resolve().parents[1]
REASONS = [  # every reason digitpad.reading.verdict gives, with the longest numbers it may show
    "12 separate pieces — one digit at a time, please",
    "two things side by side — one digit at a time, please",
    "12 loops — that looks like a scribble",
    "much wider than tall — several digits, or no digit?",
    "a filled blob, not strokes",
    "the models disagree",
    "it does not look much like any digit",
]


@pytest.fixture
def window(shown_window):
    return shown_window


def test_fit_into_moves_and_cuts_a_frame_to_the_area_but_not_below_the_minimum():
    area = QRect(0, 0, 1366, 728)
    assert fit_into(QRect(100, 50, 800, 600), area, QSize(500, 400)) == QRect(100, 50, 800, 600)
    assert fit_into(QRect(900, 400, 800, 600), area, QSize(500, 400)) == QRect(566, 128, 800, 600)
    assert fit_into(QRect(-50, -20, 2000, 900), area, QSize(500, 400)) == area
    # Larger than the area at its smallest: as small as it can be, from the top left.
    assert fit_into(QRect(300, 300, 800, 800), area, QSize(500, 766)) == QRect(300, 0, 800, 766)


def test_a_fitted_label_never_asks_for_the_width_of_its_text(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    row = QHBoxLayout(holder)
    label = FittedLabel("short")
    row.addWidget(label, 1)
    row.addWidget(QLabel("count"))
    before = holder.minimumSizeHint().width()
    long = "test #9999 · label 7 · " + " · ".join(f"my-model-{i}: 7 (99.9%)" for i in range(12))
    label.setText(long)
    holder.resize(400, 40)
    holder.show()
    qtbot.waitExposed(holder)
    assert holder.minimumSizeHint().width() == before
    assert label.text() == long
    assert label.shown_text().endswith("…") and len(label.shown_text()) < len(long)
    assert label.toolTip() == long  # the whole of it, where it was cut
    label.setText("short again")
    assert label.shown_text() == "short again" and label.toolTip() == ""


def test_fit_text_wraps_into_the_lines_there_are_and_cuts_the_rest(qtbot):
    metrics = QLabel().fontMetrics()
    line = metrics.lineSpacing()
    text = "word " * 60
    two = fit_text(text, metrics, 200, 2 * line + 4, wrap=True)
    assert two.endswith("…")
    box = metrics.boundingRect(QRect(0, 0, 200, 10_000), int(Qt.TextFlag.TextWordWrap), two)
    assert box.height() <= 2 * line + 4
    assert fit_text("fits", metrics, 200, 2 * line + 4, wrap=True) == "fits"


def test_every_not_sure_reason_fits_the_answer_box_whole(window):
    detail = window.answer.detail
    for reason in REASONS:
        detail.setText(f"Not sure: {reason}")
        assert detail.shown_text() == f"Not sure: {reason}", f"cut short: {reason}"


def test_a_long_hover_line_in_browse_does_not_widen_the_window(window, qtbot):
    browser = window.explore.show_tab("Browse")
    QApplication.processEvents()
    width = window.minimumSizeHint().width()
    browser.info.setText(" · ".join(f"my-rbf_svm-{i}: 7 (99.9%)" for i in range(30)))
    QApplication.processEvents()
    assert window.minimumSizeHint().width() == width


def test_a_saved_size_larger_than_the_screen_is_cut_down(qtbot, isolated_settings):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.setGeometry(QRect(0, 0, 2600, 1700))
    first.close()
    again = MainWindow()
    qtbot.addWidget(again)
    area = again.screen().availableGeometry()
    smallest = again.minimumSizeHint()
    assert again.width() <= max(area.width(), smallest.width())
    assert again.height() <= max(area.height(), smallest.height())
    assert again.width() < 2600 and again.height() < 1700


def test_every_model_shows_without_scrolling(window):
    table = window.table
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    assert table.viewport().height() >= rows


def test_ctrl_page_down_and_ctrl_tab_switch_tabs_wherever_the_focus_is(window, qtbot):
    slider = window.pen_slider
    slider.setFocus()
    pen = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1 and slider.value() == pen
    qtbot.keyClick(slider, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    window.model_box.setFocus()
    qtbot.keyClick(window.model_box, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.model_box, Qt.Key.Key_Backtab, shift_ctrl)
    assert window.tabs.currentIndex() == 0
    window.tabs.setCurrentIndex(window.tabs.count() - 1)
    window.next_tab_action.trigger()
    assert window.tabs.currentIndex() == 0  # round to the first


def test_tab_reaches_the_toolbar_buttons_the_model_box_and_the_table(window):
    chain, widget = [], window.nextInFocusChain()
    while widget is not window and len(chain) < 2000:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisible():
            chain.append(widget)
        widget = widget.nextInFocusChain()
    buttons = [w for w in chain if isinstance(w, QToolButton) and w.text() in ("Pen", "Clear")]
    assert len(buttons) == 2
    assert window.pen_slider in chain and window.model_box in chain and window.table in chain


def test_the_status_bar_asks_for_a_digit_only_while_the_canvas_is_empty(window, qtbot):
    bar = window.statusBar()
    bar.showMessage(HINT)
    replay_stroke(window.canvas, [(100, 100), (120, 200)])
    assert "draw a digit" not in bar.currentMessage().lower()
    window.canvas.clear()
    assert bar.currentMessage() == HINT
    replay_stroke(window.canvas, [(100, 100), (120, 200)])
    bar.showMessage("6 models ready · draw a digit", 5000)
    window.canvas.undo()
    window.canvas.redo()
    assert bar.currentMessage() == "6 models ready"


def test_display_problem_names_what_is_missing():
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") == ""
    assert display_problem({}, "darwin") == ""
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") == ""
    assert display_problem({}, "linux").startswith("no display")
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux").startswith("no display")
    problem = display_problem({"DISPLAY": ":997"}, "linux")  # no X server there
    assert "display :997" in problem or "libxcb-cursor0" in problem


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 or Wayland: Linux")
def test_with_no_display_the_window_says_so_in_one_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-m", "digitpad"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("digitpad: error: no display"), out.stderr
