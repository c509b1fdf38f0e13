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
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QScrollBar,
    QToolButton,
    QWidget,
)

from digitpad.gui.app import display_problem
from digitpad.gui.explore.tabs import PANELS
from digitpad.gui.panels import DEFAULT_MARK, FittedLabel, fit_text
from digitpad.gui.replay import replay_stroke
from digitpad.gui.window import HINT, MainWindow, fit_into
from digitpad.models import DEFAULT

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
CTRL = Qt.KeyboardModifier.ControlModifier


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


def _page_widths(window) -> dict[str, int]:
    tabs = window.tabs
    return {tabs.tabText(i): tabs.widget(i).minimumSizeHint().width() for i in range(tabs.count())}


def test_no_tab_needs_more_width_than_the_draw_tab_even_while_computing(window, qtbot):
    # The window's smallest width is the widest page's (a tab widget sizes for all its pages):
    # a filter bar wider than the Draw tab raised it for good once the tab was opened.
    draw = window.draw_page.minimumSizeHint().width()
    start = window.minimumSizeHint().width()
    for title in PANELS:
        window.explore.show_tab(title)
    qtbot.waitUntil(window.explore.data.is_loaded, timeout=30_000)
    QApplication.processEvents()
    widths = _page_widths(window)
    assert all(w <= draw for w in widths.values()), f"Draw tab {draw} px: {widths}"
    correlation = window.explore.show_tab("Correlation")
    correlation.compute_all()  # the progress bar and Cancel are shown
    QApplication.processEvents()
    assert correlation.progress.isVisible()
    page = window.tabs.currentWidget().minimumSizeHint().width()
    assert page <= draw, f"Correlation while computing: {page} px, Draw tab {draw} px"
    correlation.cancel()
    window.tabs.setCurrentIndex(0)
    QApplication.processEvents()
    assert window.minimumSizeHint().width() == start  # not raised by any tab


def test_the_training_window_needs_no_more_width_than_the_draw_tab(window):
    monitor = window.trainer.show_monitor()
    narrowest = monitor.minimumSizeHint().expandedTo(monitor.minimumSize()).width()
    assert narrowest <= window.draw_page.minimumSizeHint().width()
    monitor.close()


def test_the_toolbar_and_the_model_menu_mark_the_default_and_follow_the_tabs(window, qtbot):
    box = window.model_box
    names = [box.itemData(i) for i in range(box.count())]
    assert names == window.shelf.names
    default = box.findData(DEFAULT)
    assert box.itemText(default) == DEFAULT + DEFAULT_MARK
    assert all(box.itemText(i) == n for i, n in enumerate(names) if n != DEFAULT)
    (marked,) = [a for a in window.model_menu.actions() if a.data() == DEFAULT]
    assert marked.text() == DEFAULT + DEFAULT_MARK and marked.isChecked()
    # Picked in the toolbar (by its item, not its text): every tab follows ...
    other = next(i for i, n in enumerate(names) if n != DEFAULT)
    box.setCurrentIndex(other)
    box.activated.emit(other)
    assert window.driver() == names[other] or window.reader.wanted == names[other]
    browser = window.explore.show_tab("Browse")
    qtbot.waitUntil(window.explore.data.is_loaded, timeout=30_000)
    qtbot.waitUntil(lambda: browser.model() == names[other], timeout=5_000)
    # ... and picked in a tab, the toolbar follows.
    browser.model_box.setCurrentIndex(browser.model_box.findData(DEFAULT))
    browser.model_box.activated.emit(browser.model_box.currentIndex())
    assert box.currentData() == DEFAULT and box.currentText() == DEFAULT + DEFAULT_MARK


INTERACTIVE = (
    QAbstractButton,
    QComboBox,
    QAbstractSpinBox,
    QAbstractSlider,
    QAbstractItemView,
    QLineEdit,
)


def _controls(page: QWidget) -> list[QWidget]:
    """The enabled, visible controls in ``page`` (the parts of a combo or spin box, the
    scroll bars and headers of a view are reached with it)."""
    found = []
    for widget in page.findChildren(QWidget):
        parts = (QAbstractSpinBox, QComboBox, QAbstractScrollArea)
        if isinstance(widget, (QScrollBar, QHeaderView)) or isinstance(widget.parent(), parts):
            continue
        if isinstance(widget, INTERACTIVE) and widget.isVisible() and widget.isEnabled():
            found.append(widget)
    return found


def _tab_through(window, presses: int = 120) -> set[int]:
    """Press Tab ``presses`` times where the window's focus is (the window itself when nothing
    has it, as a real key press goes to the active window); the ids of the widgets that had
    the focus."""
    reached = set()
    for _ in range(presses):
        widget = window.focusWidget() or window
        reached.add(id(widget))
        QTest.keyClick(widget, Qt.Key.Key_Tab)
    return reached


def test_tab_reaches_every_control_on_every_page(window, qtbot):
    # The canvas is a drawing surface: it is left out (it has no keyboard use), and the
    # shortcuts (B, E, [, ], Esc, Ctrl+Z) act on it from anywhere.
    window.activateWindow()
    window.pen_slider.setFocus()
    for index in range(window.tabs.count()):
        if index:
            qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_PageDown, CTRL)
        assert window.tabs.currentIndex() == index
        title = window.tabs.tabText(index)
        if title != "Draw":
            qtbot.waitUntil(window.explore.data.is_loaded, timeout=30_000)
        qtbot.wait(100)
        # Offscreen only: building a tab's plots leaves no window active (a real window
        # manager keeps the window active); a person's window would be.
        window.activateWindow()
        reached = _tab_through(window)
        page = window if title == "Draw" else window.tabs.currentWidget()
        missed = [
            f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
            for w in _controls(page)
            if id(w) not in reached and not window.canvas.isAncestorOf(w)
        ]
        assert not missed, f"{title}: Tab never reaches {missed}"


def test_the_about_box_and_warnings_open_over_the_window_clear_of_the_canvas(
    window, qtbot, tmp_path
):
    canvas = window.canvas
    clear = QRect(canvas.mapToGlobal(canvas.rect().topLeft()), canvas.size())
    screen = window.screen().availableGeometry()
    bad = tmp_path / "digit.png"
    bad.write_text("not an image")
    for title, show in (
        ("About DigitPad", window.about_action.trigger),
        ("Cannot read the image", lambda: window.open_image(bad)),
    ):
        show()
        (box,) = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible() and w.windowTitle() == title
        ]
        qtbot.waitExposed(box)
        frame = box.frameGeometry()
        assert screen.contains(frame), f"{title}: {frame} off {screen}"
        if screen.right() - clear.right() >= frame.width():  # room right of the canvas
            assert not frame.intersects(clear), f"{title}: {frame} over the canvas {clear}"
        assert frame.intersects(window.frameGeometry())  # over its parent, not elsewhere
        box.close()


def test_number_mode_fits_a_1280_wide_screen_and_leaves_single_digit_mode_as_narrow(window):
    # Laptops and scaled desktops give 1280 logical px across and 680 high once a panel is
    # taken off; single-digit mode keeps the smallest width it had (964 px, frame included).
    from digitpad.gui.window import FRAME_GUESS, NUMBER_ASPECT

    single = window.minimumSizeHint().width()
    assert single + FRAME_GUESS.left() + FRAME_GUESS.right() <= 964
    window.set_number_mode(True)
    QApplication.processEvents()
    smallest = window.minimumSizeHint().expandedTo(window.minimumSize()).grownBy(FRAME_GUESS)
    assert smallest.width() <= 1280 and smallest.height() <= 680, smallest
    canvas = window.canvas
    assert canvas.minimumWidth() >= NUMBER_ASPECT * canvas.minimumHeight()
    assert canvas.width() >= NUMBER_ASPECT * canvas.height() - NUMBER_ASPECT
    window.set_number_mode(False)
    QApplication.processEvents()
    assert window.minimumSizeHint().width() == single
