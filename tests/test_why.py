"""The why-views in the window: saliency overlays, nearest MNIST digits, the marker on the map."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QImage

import digitpad
from digitpad.data import mnist
from digitpad.gui.replay import replay, replay_stroke, send_mouse
from digitpad.gui.why import WhyRequest, WhyWorker, saliency_image
from digitpad.reading import neighbours
from digitpad.synthetic import drawn, scribbles

pytestmark = pytest.mark.usefixtures("isolated_settings")


def _draw(qtbot, w, label: int, seed: int = 0) -> None:
    d = drawn.make_drawing(label, np.random.default_rng(seed))
    replay(w.canvas, d)
    _settle(qtbot, w)


def _settle(qtbot, w) -> None:
    """Wait until the why-views show the picture on the canvas now."""
    w.current_probabilities()
    qtbot.waitUntil(lambda: not w.why.pending(), timeout=20_000)


def _ink_colour(image: QImage) -> tuple[int, int, int]:
    """Mean (r, g, b) of the bright pixels of ``image``."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    a = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    a = a.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]
    a = a.reshape(img.height(), img.width(), 3).astype(int)
    bright = a.sum(axis=2) > 200
    return tuple(int(v) for v in a[bright].mean(axis=0))


def test_saliency_tints_the_strokes_in_the_preview_and_on_the_canvas(qtbot, shown_window):
    w = shown_window
    assert w.why.saliency_on() and w.why.neighbours_on()  # on by default
    _draw(qtbot, w, 7)
    result = w.why.result()
    s = result.saliency
    assert s is not None and s.answer == 7 and s.runner_up != 7
    assert result.model == w.driver() == "cnn"
    overlay, where = w.canvas.overlay()
    assert isinstance(where, QRectF) and where.width() > 28  # stretched over the drawing
    assert overlay.size() == where.size().toSize()  # already stretched, off the GUI thread
    assert w.input_view.overlay() is not None
    assert "for 7" in w.answer.legend.text()
    # the strokes are no longer plain white: red (for the answer) dominates somewhere
    r, g, b = _ink_colour(w.canvas.grab().toImage())
    assert r > g + 10 and r > b + 10
    # the 28×28 field drawn back over the canvas holds the ink's bounding box
    ink = w.canvas.ink()
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert where.top() < rows[0] and where.bottom() > rows[-1]
    assert where.left() < cols[0] and where.right() > cols[-1]


def test_saliency_can_be_switched_off_and_stays_off(qtbot, shown_window):
    w = shown_window
    _draw(qtbot, w, 3)
    w.why.saliency_action.trigger()
    assert not w.why.saliency_on()
    assert w.canvas.overlay() is None and w.input_view.overlay() is None
    assert w.answer.legend.text() == ""
    replay_stroke(w.canvas, [(60, 60), (90, 120)])
    _settle(qtbot, w)
    assert w.why.result().saliency is None and w.canvas.overlay() is None
    assert w.why.result().neighbours is not None  # the neighbours are still on
    # remembered for the next window
    from digitpad.gui import MainWindow

    other = MainWindow()
    qtbot.addWidget(other)
    assert not other.why.saliency_on() and other.why.neighbours_on()


def test_with_everything_off_nothing_is_asked(qtbot, shown_window):
    w = shown_window
    w.why.saliency_action.trigger()
    w.why.neighbours_action.trigger()
    assert not w.why.strip.isVisible()
    _draw(qtbot, w, 5)
    qtbot.wait(100)
    assert w.why.worker.is_idle() and w.why.result() is None and not w.why.pending()


def test_eight_nearest_digits_with_labels_open_in_the_browser(qtbot, shown_window):
    w = shown_window
    _draw(qtbot, w, 4)
    found = w.why.result().neighbours
    assert found is not None and len(found.indices) == 8
    _, train_y = mnist.load_mnist("train", as_float=False)
    np.testing.assert_array_equal(found.labels, train_y[found.indices])
    strip = w.why.strip
    assert strip.row.texts() == [str(v) for v in found.labels]
    # the thumbnails are the training images themselves
    shot = strip.row.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    train_x, _ = mnist.load_mnist("train", as_float=False)
    for k in (0, 7):
        cell = strip.row.cell(k)
        scale = strip.row.THUMB / 28
        for r, c in ((10, 14), (14, 14), (20, 8)):
            x = cell.left() + int((c + 0.5) * scale)
            y = int((r + 0.5) * scale)
            assert abs(shot.pixelColor(x, y).value() - train_x[found.indices[k]][r, c]) < 40
    assert w.tabs.tabText(w.tabs.currentIndex()) == "Draw"
    qtbot.mouseClick(strip.row, Qt.MouseButton.LeftButton, pos=strip.row.cell(2).center())
    assert w.tabs.tabText(w.tabs.currentIndex()) == "Browse"  # the click switched tabs
    browser = w.explore.browser
    assert w.tabs.currentWidget().isAncestorOf(browser)
    qtbot.waitUntil(lambda: len(browser.shown()) == 8, timeout=20_000)
    np.testing.assert_array_equal(browser.shown(), found.indices)  # train index = global
    assert browser.selection_label.text() == "Nearest to your drawing: 8 samples"
    title = f"#{int(found.indices[2])}"
    qtbot.waitUntil(lambda: title in browser.detail.title.text(), timeout=5000)


def test_pixel_space_gives_other_neighbours_and_is_remembered(qtbot, shown_window):
    w = shown_window
    _draw(qtbot, w, 2)
    by_features = w.why.result().neighbours
    w.why.strip.set_space("pixels")
    _settle(qtbot, w)
    by_pixels = w.why.result().neighbours
    assert w.why.result().space == "pixels"
    assert not np.array_equal(by_features.indices, by_pixels.indices)
    # pixel distances are plain Euclidean distances between the 784 pixels
    train_x, _ = mnist.load_mnist("train")
    digit = w.model_input()
    d = np.linalg.norm((train_x[by_pixels.indices] - digit).reshape(8, -1), axis=1)
    np.testing.assert_allclose(d, by_pixels.distances, rtol=1e-4)
    from digitpad.gui import MainWindow

    other = MainWindow()
    qtbot.addWidget(other)
    assert other.why.strip.space() == "pixels"


def test_neighbours_that_disagree_say_so(qtbot, shown_window):
    w = shown_window
    found = neighbours.Neighbours(np.arange(8), np.ones(8), np.array([9, 9, 9, 9, 9, 4, 4, 4]))
    w.why.strip.show_neighbours(found, answer=4)
    assert "5 of 8 nearest are 9s" in w.why.strip.message.text()
    w.why.strip.show_neighbours(found, answer=9)
    assert "Only 5 of 8" in w.why.strip.message.text()


def test_clearing_the_canvas_takes_the_why_views_down(qtbot, shown_window):
    w = shown_window
    _draw(qtbot, w, 8)
    w.canvas.clear()
    w.current_probabilities()
    assert w.why.result() is None
    assert w.canvas.overlay() is None and w.input_view.overlay() is None
    assert w.why.strip.row.texts() == []


def test_the_map_marker_moves_when_the_drawing_changes(qtbot, shown_window):
    w = shown_window
    panel = w.explore.show_tab("Map")
    _draw(qtbot, w, 1, seed=4)
    qtbot.waitUntil(lambda: panel.marker_position() is not None, timeout=20_000)
    first = panel.marker_position()
    np.testing.assert_allclose(first, w.why.map_position())
    w.canvas.clear()
    _draw(qtbot, w, 0, seed=4)
    qtbot.waitUntil(
        lambda: (
            panel.marker_position() is not None and not np.allclose(panel.marker_position(), first)
        ),
        timeout=20_000,
    )
    digit_map = neighbours.shared_map()
    zeros = digit_map.xy[digit_map.labels == 0]
    assert np.min(np.linalg.norm(zeros - panel.marker_position(), axis=1)) < 0.05
    w.canvas.clear()
    w.current_probabilities()
    assert panel.marker_position() is None


def test_the_map_star_says_what_the_draw_tab_and_digitpad_read_say(qtbot, shown_window):
    """One reading everywhere: a blob is "not sure" on the Draw tab, on the Map star (never
    "your 0" from the cnn's raw top answer) and for ``digitpad.read`` of the same ink; a
    drawn 7 is a 7 in all three."""
    w = shown_window
    panel = w.explore.show_tab("Map")
    blob = scribbles.make_scribble("blob", np.random.default_rng(0))
    seven = drawn.make_drawing(7, np.random.default_rng(3))
    seen = []
    for drawing in (blob, seven):
        w.canvas.clear()
        w.current_probabilities()
        replay(w.canvas, drawing)
        _settle(qtbot, w)
        qtbot.waitUntil(lambda: panel.marker_position() is not None, timeout=20_000)
        shown = w.current_reading().verdict
        api = digitpad.read(w.canvas.ink())
        assert (api.digit, api.reason, api.model) == (shown.digit, shown.reason, w.driver())
        if shown.digit is None:
            assert panel.marker_caption() == "your drawing: not sure"
            assert w.answer.digit.text() == "?"
        else:
            assert panel.marker_caption() == f"your {shown.digit}"
            assert w.answer.digit.text() == str(shown.digit)
        seen.append(shown.digit)
    assert seen == [None, 7]


def test_the_worker_answers_only_the_latest_request(qtbot):
    worker = WhyWorker()
    got = []
    worker.ready.connect(got.append)
    test_x, _ = mnist.load_mnist("test")
    for k in range(5):
        worker.request(WhyRequest(k, test_x[k], "cnn", True, "features", True))
    qtbot.waitUntil(lambda: bool(got) and got[-1].key == 4, timeout=20_000)
    qtbot.wait(50)
    assert got[-1].key == 4 and len(got) < 5  # the ones overtaken were dropped
    r = got[-1]
    assert r.saliency is not None and r.neighbours is not None and r.map_xy is not None
    worker.stop()


def test_the_tint_is_red_for_the_answer_and_blue_for_the_runner_up():
    smap = np.zeros((28, 28), np.float32)
    smap[5, 5], smap[20, 20] = 1.0, -0.5
    img = saliency_image(smap)
    red, blue, clear = img.pixelColor(5, 5), img.pixelColor(20, 20), img.pixelColor(0, 0)
    assert red.red() > 200 and red.blue() < 80 and red.alpha() > 200
    assert blue.blue() > 200 and blue.red() < 80 and 0 < blue.alpha() < red.alpha()
    assert clear.alpha() == 0


def test_a_slow_why_worker_never_holds_the_prediction_back(qtbot, shown_window, monkeypatch):
    compute = WhyWorker.compute

    def slow(self, request):
        time.sleep(0.5)
        return compute(self, request)

    monkeypatch.setattr(WhyWorker, "compute", slow)
    w = shown_window
    send_mouse(w.canvas, QEvent.Type.MouseButtonPress, 80, 80)
    for k, (x, y) in enumerate([(120, 120), (160, 170), (200, 230)]):
        t0 = time.perf_counter()
        with qtbot.waitSignal(w.prediction_changed, timeout=2000):
            send_mouse(w.canvas, QEvent.Type.MouseMove, x, y)
        assert time.perf_counter() - t0 < 0.25, f"move {k}: the answer waited for the worker"
    send_mouse(w.canvas, QEvent.Type.MouseButtonRelease, 200, 230)
    assert w.why.pending()  # the why-views come later
    qtbot.waitUntil(lambda: not w.why.pending(), timeout=20_000)
    assert w.why.result().saliency is not None


def test_the_why_views_need_no_window_and_say_when_a_model_is_missing(qtbot):
    from PySide6.QtWidgets import QWidget

    from digitpad.gui import settings as keys
    from digitpad.gui.actions import ActionFactory
    from digitpad.gui.canvas import DrawingCanvas
    from digitpad.gui.panels import AnswerPanel, ModelInputView
    from digitpad.gui.why import WhyController

    owner = QWidget()
    qtbot.addWidget(owner)
    preview, canvas = ModelInputView(), DrawingCanvas()
    answer = AnswerPanel(preview)
    said, opened = [], []
    why = WhyController(
        settings=keys.open_settings(),
        make_action=ActionFactory(owner),
        status=lambda text, ms: said.append(text),
        preview=preview,
        canvas=canvas,
        answer=answer,
        driver=lambda: "cnn",
        map_panel=lambda: None,
        open_samples=lambda indices, title, focus=None: opened.append((indices, title, focus)),
        parent=owner,
    )
    assert why.saliency_action in owner.actions()  # F2 works wherever the focus is
    test_x, test_y = mnist.load_mnist("test")
    why.update("first", test_x[0], "no-such-model", int(test_y[0]), None)
    qtbot.waitUntil(lambda: not why.pending(), timeout=20_000)
    result = why.result()
    assert result.saliency is None and preview.overlay() is None
    assert said and "no model named 'no-such-model'" in said[-1]
    assert result.neighbours is not None and result.map_xy is None  # no map: not placed
    why.strip.row.clicked.emit(3)
    indices, title, focus = opened[-1]
    np.testing.assert_array_equal(indices, result.neighbours.indices)
    assert title == "Nearest to your drawing" and focus == int(result.neighbours.indices[3])
    why.update("second", test_x[0], "cnn", int(test_y[0]), None)
    qtbot.waitUntil(lambda: not why.pending(), timeout=20_000)
    assert preview.overlay() is not None and f"for {int(test_y[0])}" in answer.legend.text()
    why.clear()
    assert preview.overlay() is None and answer.legend.text() == ""
    why.shutdown()
