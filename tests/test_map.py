"""The map of the 10,000 MNIST test digits (t-SNE of the CNN's features) on the real embedding,
real MNIST and the real cached model answers, driven through real mouse events (offscreen)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QTabWidget

from digitpad import models
from digitpad.data import mnist
from digitpad.gui.explore import ExploreTabs
from digitpad.gui.explore.map import MapPanel
from digitpad.gui.replay import send_mouse
from digitpad.gui.style import DIGIT_COLOURS
from digitpad.models import ModelError
from digitpad.reading import neighbours

pytestmark = pytest.mark.usefixtures("isolated_settings")
NO = Qt.MouseButton.NoButton


@functools.cache
def _test_labels() -> np.ndarray:
    return mnist.load_mnist("test", as_float=False)[1]


@pytest.fixture
def data(explore_data):
    return explore_data


def _panel(qtbot, data, wait=True) -> MapPanel:
    panel = MapPanel(data)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    if wait:
        qtbot.waitUntil(panel.is_loaded, timeout=20_000)
        qtbot.wait(30)  # let the view settle on its range
    return panel


def _isolated_dot(xy: np.ndarray) -> int:
    """A test digit whose dot has no other dot near it (so the mouse finds exactly it)."""
    candidates = np.random.default_rng(0).choice(len(xy), 300, replace=False)
    gaps = [np.partition(np.linalg.norm(xy - xy[i], axis=1), 1)[1] for i in candidates]
    return int(candidates[int(np.argmax(gaps))])


def _move(qtbot, panel: MapPanel, point: QPoint) -> None:
    qtbot.wait(20)  # pyqtgraph drops moves closer than 10 ms apart
    send_mouse(panel.graphics.viewport(), QEvent.Type.MouseMove, point.x(), point.y(), NO)


def _click(qtbot, panel: MapPanel, point: QPoint) -> None:
    qtbot.wait(20)
    viewport = panel.graphics.viewport()
    send_mouse(viewport, QEvent.Type.MouseButtonPress, point.x(), point.y())
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, point.x(), point.y())


def test_the_map_shows_all_10000_test_digits_coloured_by_their_label(qtbot, data):
    p = _panel(qtbot, data)
    y = _test_labels()
    xy = neighbours.shared_map().xy
    assert len(p.dots.data) == 10_000
    np.testing.assert_array_equal(p.dots.data["x"], xy[:, 0])
    np.testing.assert_array_equal(p.dots.data["y"], xy[:, 1])
    colours = p.dot_colours()
    for digit in range(10):
        assert set(colours[y == digit]) == {QColor(DIGIT_COLOURS[digit]).name()}
    assert len(set(colours)) == 10
    legend = [label.text for _, label in p.legend.items]
    assert legend == [f"{d} ({n:,})" for d, n in enumerate(np.bincount(y))]
    assert "t-SNE" in p.info.text() and "10,000" in p.info.text()
    assert p.graphics.isVisible() and not p.message.isVisible()


def test_the_drawing_is_a_marker_that_moves_and_hides(qtbot, data):
    p = _panel(qtbot, data)
    assert p.marker_position() is None and p.marker_caption() == ""
    p.set_drawing(np.array([0.1, -0.2]), 7)
    np.testing.assert_allclose(p.marker_position(), [0.1, -0.2])
    assert p.marker_caption() == "your 7"
    p.set_drawing(np.array([-0.5, 0.4], np.float32))
    np.testing.assert_allclose(p.marker_position(), [-0.5, 0.4], rtol=1e-6)
    assert p.marker_caption() == "your drawing"
    p.set_drawing(np.array([-0.5, 0.4]), None, not_sure=True)  # the Draw tab says "Not sure"
    assert p.marker_caption() == "your drawing: not sure"
    # Zoomed in, the caption keeps its size on screen (TextItem re-fits to the view).
    p.view.scaleBy((0.5, 0.5))
    qtbot.wait(30)
    assert p.marker_text.sceneBoundingRect().width() < 200
    p.set_drawing(None)
    assert p.marker_position() is None and p.marker_caption() == ""
    assert not p.marker.isVisible()


def test_a_drawing_set_before_the_map_has_loaded_is_shown_once_it_has(qtbot, data):
    p = _panel(qtbot, data, wait=False)
    assert not p.is_loaded() and p.message.text() == "Loading the map…"
    p.set_drawing(np.array([0.25, 0.3]), 4)
    assert p.marker_position() is None
    qtbot.waitUntil(p.is_loaded, timeout=20_000)
    np.testing.assert_allclose(p.marker_position(), [0.25, 0.3])
    assert p.marker_caption() == "your 4"


def test_highlighting_rings_exactly_the_digits_the_model_gets_wrong(qtbot, data):
    p = _panel(qtbot, data)
    y = _test_labels()
    assert p.model() == "cnn"
    assert len(p.highlighted()) == 0 and not p.rings.isVisible()
    p.highlight.setChecked(True)
    for name in ("cnn", models.available()[0]):
        p.set_model(name)
        wrong = np.flatnonzero(models.test_probabilities(name).argmax(axis=1) != y)
        assert len(wrong) > 0
        assert np.array_equal(p.highlighted(), wrong)
        ringed = np.column_stack([p.rings.data["x"], p.rings.data["y"]])
        np.testing.assert_array_equal(ringed, neighbours.shared_map().xy[wrong])
        assert p.count_label.text() == f"{name} gets {len(wrong):,} of 10,000 wrong"
    # A set added later (data.changed) keeps the models and the rings.
    x, _ = mnist.load_mnist("train", as_float=False)
    data.add_source("extra", x[:5], None)
    assert p.model_box.count() == len(models.available())
    assert np.array_equal(p.highlighted(), wrong)
    p.highlight.setChecked(False)
    assert len(p.highlighted()) == 0 and not p.rings.isVisible() and p.count_label.text() == ""


def test_hovering_a_dot_shows_that_digit_and_leaving_hides_it(qtbot, data):
    p = _panel(qtbot, data)
    y = _test_labels()
    i = _isolated_dot(p.map.xy)
    at = p.point_centre(i)
    _move(qtbot, p, at)
    assert p.hovered() == i and p.thumbnail.isVisible()
    answer = int(models.test_probabilities("cnn")[i].argmax())
    assert p.thumbnail_text().startswith(f"test #{i} · label {y[i]} · cnn says {answer} (")
    picture = p.thumbnail.picture.pixmap().toImage()
    assert (picture.width(), picture.height()) == (84, 84)
    image = data.samples.images[60_000 + i]
    shown = np.array([[picture.pixelColor(3 * c + 1, 3 * r + 1).red() for c in range(28)]
                      for r in range(28)])  # fmt: skip
    np.testing.assert_array_equal(shown, image)
    # Beside its dot, inside the plot.
    box = p.thumbnail.geometry()
    assert box.intersects(p.graphics.rect()) and (box.center() - at).manhattanLength() < 300
    # A little off the dot (less than half way to its nearest neighbour): still that dot.
    others = np.linalg.norm(p.map.xy - p.map.xy[i], axis=1)
    others[i] = np.inf
    gap = (p.point_centre(int(np.argmin(others))) - at).manhattanLength()
    assert gap >= 4
    _move(qtbot, p, at + QPoint(gap // 4, 0))
    assert p.hovered() == i
    # The farthest corner of the view from every dot: nothing there.
    corner = p.graphics.mapFromScene(p.view.sceneBoundingRect().topLeft()) + QPoint(3, 3)
    _move(qtbot, p, corner)
    assert p.hovered() is None and not p.thumbnail.isVisible()
    _move(qtbot, p, at)
    assert p.thumbnail.isVisible()
    QApplication.sendEvent(p.graphics.viewport(), QEvent(QEvent.Type.Leave))
    assert p.hovered() is None and not p.thumbnail.isVisible()


def test_clicking_a_dot_opens_that_sample_in_the_browser(qtbot, data):
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    explore = ExploreTabs(tabs)
    explore._data = data  # the samples the fixture loaded, not a second load
    tabs.resize(1100, 750)
    tabs.show()
    qtbot.waitExposed(tabs)
    p = explore.show_tab("Map")
    assert isinstance(p, MapPanel) and tabs.tabText(tabs.currentIndex()) == "Map"
    qtbot.waitUntil(p.is_loaded, timeout=20_000)
    qtbot.wait(30)
    i = _isolated_dot(p.map.xy)
    with qtbot.waitSignal(p.sample_chosen, timeout=2_000) as chosen:
        _click(qtbot, p, p.point_centre(i))
    assert chosen.args == [60_000 + i]
    browser = explore.browser
    assert tabs.currentWidget() is explore._holders["Browse"]
    assert browser.shown().tolist() == [60_000 + i]
    assert browser.model() == "cnn"
    assert browser.selection_label.text().startswith("Chosen on the map")
    y = _test_labels()
    assert browser.detail.title.text().startswith(f"test #{i} · label {y[i]}")
    np.testing.assert_allclose(
        browser.detail.bars.bars.opts["height"], models.test_probabilities("cnn")[i], rtol=1e-6
    )
    # A click on empty space chooses nothing.
    corner = p.graphics.mapFromScene(p.view.sceneBoundingRect().topLeft()) + QPoint(3, 3)
    with qtbot.assertNotEmitted(p.sample_chosen, wait=50):
        _click(qtbot, p, corner)
    explore.shutdown()


def test_a_missing_map_is_a_message_not_a_crash(qtbot, data, monkeypatch):
    def missing():
        raise ModelError("resources/models/cnn: no explain.json; build it with: ...")

    monkeypatch.setattr(neighbours, "shared_map", missing)
    p = MapPanel(data)
    qtbot.addWidget(p)
    p.show()
    with qtbot.waitSignal(p.map_failed, timeout=10_000):
        pass
    assert "Cannot show the map" in p.message.text() and "explain.json" in p.message.text()
    assert p.message.isVisible() and not p.graphics.isVisible()
    p.set_drawing(np.array([0.0, 0.0]), 1)
    p.highlight.setChecked(True)
    p.hover(3)
    assert p.marker_position() is None and len(p.highlighted()) == 0
    assert not p.shutdown()


def test_the_map_exports_as_png(qtbot, data, tmp_path):
    p = _panel(qtbot, data)
    p.set_drawing(np.array([0.0, 0.0]), 5)
    assert p.export_png(tmp_path / "map.png")
    with Image.open(tmp_path / "map.png") as im:
        assert im.format == "PNG" and im.width > 400 and im.height > 300
        assert len(np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)) > 10


def test_the_drawings_caption_stays_inside_the_plot_at_its_top(qtbot, data):
    p = _panel(qtbot, data)
    top = int(np.argmax(p.map.xy[:, 1]))  # the highest dot: the star right at the top
    p.set_drawing(p.map.xy[top], 4)
    qtbot.wait(30)
    plot = p.view.sceneBoundingRect()
    caption = p.marker_text.sceneBoundingRect()
    assert plot.contains(caption), (plot, caption)
    middle = np.median(p.map.xy, axis=0)
    p.set_drawing(middle, 4)  # in the middle it sits above the star, as before
    qtbot.wait(30)
    star = p.view.mapViewToScene(QPointF(*middle))
    assert p.marker_text.sceneBoundingRect().bottom() < star.y()
