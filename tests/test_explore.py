"""The explore panels on real MNIST and the real cached model answers, driven through real
widgets and mouse events under pytest-qt (offscreen)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from digitpad import analysis, models
from digitpad.data import kaggle, mnist
from digitpad.data.samples import TEST
from digitpad.gui import MainWindow
from digitpad.gui.explore.browser import BrowserPanel
from digitpad.gui.explore.confusion import ConfusionPanel
from digitpad.gui.explore.correlation import CorrelationPanel
from digitpad.gui.explore.distribution import DistributionPanel
from digitpad.gui.explore.misclassified import EVERY, MisclassifiedPanel
from digitpad.gui.replay import send_mouse

pytestmark = pytest.mark.usefixtures("isolated_settings")
NO = Qt.MouseButton.NoButton


@pytest.fixture
def data(explore_data):
    return explore_data


def _panel(qtbot, cls, data, size=(1100, 700)):
    panel = cls(data)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _mnist():
    (xtr, ytr), (xte, yte) = (mnist.load_mnist(s, as_float=False) for s in ("train", "test"))
    return np.concatenate([xtr, xte]), np.concatenate([ytr, yte])


def _click(widget, point: QPoint) -> None:
    viewport = widget.viewport()
    send_mouse(viewport, QEvent.Type.MouseButtonPress, point.x(), point.y())
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, point.x(), point.y())


def _assert_png(path: Path) -> None:
    with Image.open(path) as im:
        assert im.format == "PNG" and im.width > 200 and im.height > 150
        assert len(np.unique(np.asarray(im.convert("L")))) > 3  # a plot, not a blank


# --- the window -------------------------------------------------------------------------

CHILD = r"""
import json, sys, time
from PySide6.QtCore import QTimer
from digitpad.gui.app import application
app = application([])  # as `digitpad` makes it, with its exit hook that deletes the plots
from digitpad.data import mnist, kaggle
from digitpad.gui import MainWindow
w = MainWindow()
w.show()
def run():
    app.processEvents()
    out = {"tabs": [w.tabs.tabText(i) for i in range(w.tabs.count())],
           "mnist_at_start": mnist.splits_in_memory(),
           "panels_at_start": sorted(m for m in sys.modules if "gui.explore." in m)}
    for i in range(1, w.tabs.count()):
        w.tabs.setCurrentIndex(i)
        app.processEvents()
    end = time.monotonic() + 20
    while not w.explore.data.is_loaded() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    out["built"] = w.explore.built()
    out["loaded"] = w.explore.data.is_loaded()
    out["heavy"] = [m for m in ("tensorflow", "sklearn") if m in sys.modules]
    w.close()  # closes while the correlation worker may still run: it must stop cleanly
    print(json.dumps(out), flush=True)
    app.quit()
QTimer.singleShot(0, run)
sys.exit(app.exec())  # as `digitpad` runs it
"""


def test_the_window_opens_the_explore_tabs_lazily_without_tensorflow_or_sklearn(run_child):
    result = run_child(CHILD)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["tabs"] == [
        "Draw",
        "Browse",
        "Confusion",
        "Correlation",
        "Distribution",
        "Misclassified",
        "Map",
    ]
    assert out["mnist_at_start"] == 0
    assert out["panels_at_start"] == ["digitpad.gui.explore.tabs"]
    assert out["built"] == out["tabs"][1:] and out["loaded"]
    assert out["heavy"] == []


def test_a_confusion_cell_clicked_in_the_window_lists_exactly_its_samples(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    assert w.explore.built() == []
    w.tabs.setCurrentIndex(w.tabs.indexOf(w.explore._holders["Confusion"]))
    confusion = w.explore.confusion
    qtbot.waitUntil(lambda: confusion.model() != "", timeout=20_000)
    name = confusion.model()
    qtbot.wait(50)
    _, y = mnist.load_mnist("test", as_float=False)
    predicted = models.test_probabilities(name).argmax(axis=1)
    # the model's most frequent confusion (which cell that is depends on the bundled model)
    counts = np.zeros((10, 10), int)
    np.add.at(counts, (y, predicted), 1)
    np.fill_diagonal(counts, 0)
    true, wrong = np.unravel_index(int(np.argmax(counts)), counts.shape)
    _click(confusion.heatmap, confusion.heatmap.cell_centre(int(true), int(wrong)))
    browser = w.explore.browser
    assert w.tabs.currentWidget() is w.explore._holders["Browse"]
    expected = np.flatnonzero((y == true) & (predicted == wrong))
    samples = w.explore.data.samples
    assert len(expected) > 0
    assert np.array_equal(samples.position[browser.shown()], expected)
    assert np.all(samples.source[browser.shown()] == TEST)
    assert browser.model() == name
    assert f"true {true}, predicted {wrong}" in browser.selection_label.text()
    assert browser.mosaic.count() == len(expected)
    w.close()


# --- browser ----------------------------------------------------------------------------


def test_browser_shows_all_70000_and_filters_and_sorts_them(qtbot, data):
    b = _panel(qtbot, BrowserPanel, data)
    s = data.samples
    assert len(b.shown()) == 70_000 and np.array_equal(b.shown(), np.arange(70_000))
    x, y = _mnist()
    assert np.array_equal(s.images[b.shown()[:5]], x[:5])
    name = models.available()[0]
    b.set_model(name)
    b.set_box.setCurrentText("test")
    b.label_box.setCurrentText("3")
    b.result_box.setCurrentText("Wrong")
    predicted = models.test_probabilities(name).argmax(axis=1)
    yt = y[60_000:]
    expected = 60_000 + np.flatnonzero((yt == 3) & (predicted != 3))
    assert np.array_equal(b.shown(), expected)
    b.sort_box.setCurrentIndex(1)  # confidence, highest first
    confidence = models.test_probabilities(name)[b.shown() - 60_000].max(axis=1)
    assert sorted(b.shown().tolist()) == expected.tolist()
    assert np.all(np.diff(confidence) <= 0)
    b.result_box.setCurrentText("Any")
    b.label_box.setCurrentText("Any")
    b.predicted_box.setCurrentText("7")
    assert np.array_equal(np.sort(b.shown()), 60_000 + np.flatnonzero(predicted == 7))
    b.sort_box.setCurrentIndex(3)  # loss, highest first
    loss = analysis.losses(
        models.test_probabilities(name)[b.shown() - 60_000], yt[b.shown() - 60_000]
    )
    assert np.all(np.diff(loss) <= 1e-9) and loss[0] > loss[-1]
    assert b.mosaic.count() == len(b.shown())


def test_hover_tells_what_a_digit_is_and_click_shows_it_large(qtbot, data):
    b = _panel(qtbot, BrowserPanel, data)
    b.set_box.setCurrentText("test")
    qtbot.wait(50)
    point = b.mosaic.tile_centre(2)
    send_mouse(b.mosaic.viewport(), QEvent.Type.MouseMove, point.x(), point.y(), NO)
    _, y = mnist.load_mnist("test", as_float=False)
    assert b.info.text().startswith(f"test #2 · label {y[2]}")
    for name in models.available():
        assert f"{name}: " in b.info.text()
    _click(b.mosaic, point)
    assert b.detail.title.text().startswith(f"test #2 · label {y[2]}")
    p = models.test_probabilities(b.model())[2]
    heights = b.detail.bars.bars.opts["height"]
    np.testing.assert_allclose(heights, p, rtol=1e-6)
    # Train digits have a label but no cached answers.
    b.set_box.setCurrentText("train")
    qtbot.wait(50)
    point = b.mosaic.tile_centre(0)
    send_mouse(b.mosaic.viewport(), QEvent.Type.MouseMove, point.x() + 1, point.y(), NO)
    assert b.info.text() == f"train #0 · label {mnist.load_mnist('train', False)[1][0]}"


def test_a_kaggle_csv_is_browsed_like_mnist_and_a_bad_one_gives_a_message(qtbot, data, tmp_path):
    b = _panel(qtbot, BrowserPanel, data)
    x, y = mnist.load_mnist("test", as_float=False)
    path = tmp_path / "train.csv"
    kaggle.write_kaggle_csv(path, x[:30], y[:30])
    with qtbot.waitSignal(b.csv_opened, timeout=10_000) as opened:
        b.open_csv(path)
    assert opened.args == ["train.csv"]
    assert b.set_box.currentText() == "train.csv"
    shown = b.shown()
    assert len(shown) == 30 and np.array_equal(data.samples.images[shown], x[:30])
    b.label_box.setCurrentText(str(y[0]))
    assert np.array_equal(data.samples.labels[b.shown()], np.full(np.sum(y[:30] == y[0]), y[0]))
    bad = tmp_path / "bad.csv"
    bad.write_text("label,pixel0\n1,2\n")
    with qtbot.waitSignal(b.csv_failed, timeout=10_000) as failed:
        b.open_csv(bad)
    assert "bad.csv" in failed.args[0] and "header" in failed.args[0]
    assert b.set_box.count() == 4  # all sets, train, test, train.csv: nothing lost or added
    boxes = [box for box in b.findChildren(QMessageBox) if box.isVisible()]
    assert len(boxes) == 1 and boxes[0].text() == failed.args[0]
    boxes[0].close()


# --- confusion ----------------------------------------------------------------------------


def test_confusion_matrix_counts_title_and_a_drag_over_cells(qtbot, data):
    c = _panel(qtbot, ConfusionPanel, data, (800, 700))
    _, y = mnist.load_mnist("test", as_float=False)
    for name in models.available():
        c.show_model(name)
        predicted = models.test_probabilities(name).argmax(axis=1)
        m = analysis.confusion_matrix(y, predicted)
        assert np.array_equal(c.matrix, m)
        assert f"accuracy {np.mean(predicted == y):.2%}" in c.title()
        assert c.heatmap.cell_text(3, 3) == str(m[3, 3])
    c.normalised.setChecked(True)
    shares = analysis.row_normalised(m)
    assert c.heatmap.cell_text(3, 5) == f"{shares[3, 5]:.1%}"
    qtbot.wait(50)
    chosen = []
    c.samples_chosen.connect(lambda idx, model, title: chosen.append((idx, model, title)))
    a, b = c.heatmap.cell_centre(3, 8), c.heatmap.cell_centre(4, 9)
    viewport = c.heatmap.viewport()
    send_mouse(viewport, QEvent.Type.MouseButtonPress, a.x(), a.y())
    for t in np.linspace(0, 1, 8):
        qtbot.wait(15)  # pyqtgraph drops moves closer than 10 ms apart
        send_mouse(
            viewport,
            QEvent.Type.MouseMove,
            a.x() + t * (b.x() - a.x()),
            a.y() + t * (b.y() - a.y()),
        )
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, b.x(), b.y())
    assert len(chosen) == 1
    indices, model, title = chosen[0]
    wanted = {(3, 8), (3, 9), (4, 8), (4, 9)}
    expected = [i for i in range(len(y)) if (y[i], predicted[i]) in wanted]
    assert data.samples.position[indices].tolist() == expected and model == name
    assert "4 cells" in title


# --- correlation ------------------------------------------------------------------------


def test_correlation_heatmap_and_blocks_of_200_samples_with_a_threshold(qtbot, data):
    r = _panel(qtbot, CorrelationPanel, data, (1200, 700))
    qtbot.waitUntil(lambda: r.heatmap is not None, timeout=20_000)
    h = r.heatmap
    s = data.samples
    assert len(h.indices) == 200 and np.array_equal(np.bincount(h.labels), np.full(10, 20))
    assert np.all(s.source[h.indices] == 0)  # drawn from train by default
    images = s.images[h.indices]
    np.testing.assert_allclose(
        r.averages, analysis.class_block_averages(images, h.labels), atol=1e-5
    )
    assert h.shown.shape == (200, 200)
    np.testing.assert_allclose(h.shown, analysis.correlation_matrix(images), atol=1e-5)
    assert r.blocks.cell_text(0, 0) == f"{r.averages[0, 0]:.2f}"
    assert r.top_band.image.shape == (1, 200) and r.left_band.image.shape == (200, 1)
    with qtbot.waitSignal(r.heatmap_ready, timeout=20_000):
        r.set_threshold(0.6)
    np.testing.assert_array_equal(r.averages, analysis.class_block_averages(images, h.labels, 0.6))
    assert set(np.unique(r.heatmap.shown).tolist()) <= {0.0, 1.0}
    assert "0.60" in r.averages_title
    with qtbot.waitSignal(r.heatmap_ready, timeout=20_000):
        r.count_box.setValue(2500)
        r.set_box.setCurrentText("test")
        r.compute()
    assert len(r.heatmap.indices) == 2500 and np.all(s.source[r.heatmap.indices] == TEST)
    assert r.heatmap.shown.shape == (1250, 1250)  # pooled 2×2 for the screen


def test_block_averages_over_all_70000_and_cancelling_the_thresholded_ones(qtbot, data):
    r = _panel(qtbot, CorrelationPanel, data, (1200, 700))
    qtbot.waitUntil(lambda: r.heatmap is not None, timeout=20_000)
    with qtbot.waitSignal(r.averages_ready, timeout=30_000):
        r.compute_all()
    x, y = _mnist()
    np.testing.assert_allclose(r.averages, analysis.class_block_averages(x, y), atol=1e-12)
    assert "all 70,000" in r.averages_title
    r.set_threshold(0.5)
    qtbot.waitUntil(lambda: not r.busy(), timeout=20_000)
    r.compute_all()
    qtbot.waitUntil(lambda: r.progress.isVisible() and r.progress.maximum() == 1000, timeout=30_000)
    r.cancel()
    qtbot.waitUntil(lambda: not r.busy(), timeout=30_000)
    assert r.note.text().startswith("Cancelled after")
    assert not r.progress.isVisible() and not r.cancel_button.isEnabled()


# --- distribution and misclassified -------------------------------------------------------


def test_distribution_counts_each_set(qtbot, data):
    d = _panel(qtbot, DistributionPanel, data)
    _, ytr = mnist.load_mnist("train", as_float=False)
    _, yte = mnist.load_mnist("test", as_float=False)
    assert list(d.counts) == ["train", "test"]
    assert np.array_equal(d.counts["train"], np.bincount(ytr))
    assert np.array_equal(d.counts["test"], np.bincount(yte))
    texts = {item.toPlainText() for item in d.plot.items if hasattr(item, "toPlainText")}
    assert "6,742" in texts and "1,135" in texts
    d.shares.setChecked(True)
    texts = {item.toPlainText() for item in d.plot.items if hasattr(item, "toPlainText")}
    assert f"{6742 / 60000:.1%}" in texts


def test_misclassified_per_model_and_across_all_models(qtbot, data):
    m = _panel(qtbot, MisclassifiedPanel, data)
    _, y = mnist.load_mnist("test", as_float=False)
    names = models.available()
    probas = {n: models.test_probabilities(n) for n in names}
    for name in names:
        m.set_model(name)
        got = data.samples.position[m.shown()]
        assert got.tolist() == analysis.misclassified(probas[name], y).tolist()
        assert set(got.tolist()) == set(np.flatnonzero(probas[name].argmax(1) != y).tolist())
    m.set_model(EVERY)
    assert m.min_box.isVisible() and m.min_box.value() == len(names)
    everyone = {i for i in range(len(y)) if all(p[i].argmax() != y[i] for p in probas.values())}
    assert set(data.samples.position[m.shown()].tolist()) == everyone
    m.min_box.setValue(1)
    counts = np.sum([p.argmax(1) != y for p in probas.values()], axis=0)
    shown_counts = counts[data.samples.position[m.shown()]]
    assert len(shown_counts) == np.sum(counts >= 1) and np.all(np.diff(shown_counts) <= 0)
    first = names[0]
    assert m.table[0].sum() == np.sum(probas[first].argmax(1) != y)


# --- export -------------------------------------------------------------------------------


def test_every_panel_exports_its_plot_as_png(qtbot, data, tmp_path):
    for cls in (BrowserPanel, ConfusionPanel, DistributionPanel, MisclassifiedPanel):
        panel = _panel(qtbot, cls, data, (900, 650))
        path = tmp_path / f"{cls.__name__}.png"
        assert panel.export_png(path)
        _assert_png(path)
    r = _panel(qtbot, CorrelationPanel, data, (1200, 700))
    qtbot.waitUntil(lambda: r.heatmap is not None, timeout=20_000)
    assert r.export_png(tmp_path / "heat")  # ".png" is added
    _assert_png(tmp_path / "heat.png")
    assert r.export_blocks_png(tmp_path / "blocks.png")
    _assert_png(tmp_path / "blocks.png")


# --- one current model, and the smaller things --------------------------------------------


def test_one_current_model_drives_every_tab_and_the_default_is_marked(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    names = list(w.shelf.names)
    other = next(n for n in names if n != models.DEFAULT)
    w.set_driver(other)  # the window says `other` before any tab is built
    tabs = {t: w.explore.show_tab(t) for t in ("Browse", "Confusion", "Misclassified", "Map")}
    qtbot.waitUntil(w.explore.data.is_loaded, timeout=20_000)
    qtbot.waitUntil(lambda: tabs["Confusion"].model() != "", timeout=10_000)
    for title, panel in tabs.items():
        assert panel.model() == other, title
        box = panel.model_box
        marked = [box.itemText(i) for i in range(box.count()) if box.itemData(i) == models.DEFAULT]
        assert marked == [f"{models.DEFAULT} (default)"], title
    assert other in tabs["Confusion"].title()
    # The person picks a model in one tab: the window and every other tab follow.
    confusion = tabs["Confusion"].model_box
    third = next(n for n in confusion.names() if n not in (other,))
    confusion.activated.emit(confusion.findData(third))
    assert w.driver() == third or w.reader.wanted == third
    for title in tabs:  # each tab takes the current model when it is shown (not while hidden)
        assert w.explore.show_tab(title).model() == third, title
    # "All models side by side" is no model: choosing it changes nothing elsewhere.
    mis = tabs["Misclassified"].model_box
    mis.setCurrentIndex(mis.findData(EVERY))
    mis.activated.emit(mis.findData(EVERY))
    assert w.explore.show_tab("Browse").model() == third and w.reader.wanted == third
    w.close()


def test_a_one_digit_result_stays_digit_sized_and_the_sample_pane_follows(qtbot, data):
    b = _panel(qtbot, BrowserPanel, data)
    qtbot.wait(50)
    normal = b.mosaic.tile_size_px()
    b.show_samples(np.array([60_000]), "one")
    qtbot.wait(50)
    assert b.mosaic.count() == 1
    assert b.mosaic.tile_size_px() == pytest.approx(normal, rel=0.25)  # not the whole view
    assert b.mosaic.tile_size_px() < b.mosaic.height() / 3
    b.show_detail(0)
    assert b.detail.title.text().startswith("test #0")
    b.show_samples(np.array([60_001, 60_002]), "two others")
    assert b.detail.title.text() == "Click a digit"  # not the digit filtered out
    b.show_detail(1)
    b.set_model(next(n for n in models.available() if n != b.model()))
    assert b.detail.title.text().startswith("test #2")  # still shown: it is in the grid
    # A training digit: no cached answers, and the pane says so.
    b.show_samples(np.array([0]), "a training digit")
    b.show_detail(0)
    assert b.detail.why_no_bars.isVisible()
    assert "test images only" in b.detail.why_no_bars.text()
    assert not np.any(b.detail.bars.bars.opts["height"])


def test_distribution_axis_has_no_scale_factor_and_shares_are_percent(qtbot, data):
    d = _panel(qtbot, DistributionPanel, data)
    d.shares.setChecked(True)
    left = d.plot.getAxis("left")
    assert left.autoSIPrefixScale == 1.0 and "x0.001" not in left.labelString()
    assert "%" in left.labelText
    low, high = d.plot.viewRange()[1]
    assert low >= 0 and 11 < high < 20  # percent: the largest share is about 11 %


def test_two_exports_in_one_panel_are_told_apart(qtbot, data):
    from PySide6.QtWidgets import QPushButton

    for cls in (CorrelationPanel, MisclassifiedPanel):
        panel = _panel(qtbot, cls, data)
        exports = [b for b in panel.findChildren(QPushButton) if "PNG" in b.text()]
        assert len(exports) == 2
        assert len({b.text() for b in exports}) == 2 and len({b.toolTip() for b in exports}) == 2


def test_enter_in_a_correlation_spin_box_applies_it(qtbot, data):
    r = _panel(qtbot, CorrelationPanel, data, (1200, 700))
    qtbot.waitUntil(lambda: r.heatmap is not None, timeout=20_000)
    r.count_box.setFocus()
    r.count_box.selectAll()
    qtbot.keyClicks(r.count_box, "300")
    with qtbot.waitSignal(r.heatmap_ready, timeout=20_000):
        qtbot.keyClick(r.count_box, Qt.Key.Key_Return)
    assert len(r.heatmap.indices) == 300


def test_the_confusion_matrix_keeps_its_row_labels_beside_it(qtbot, data):
    from PySide6.QtCore import QPointF

    c = _panel(qtbot, ConfusionPanel, data, (1400, 700))
    qtbot.waitUntil(lambda: c.model() != "", timeout=10_000)
    qtbot.wait(50)
    h = c.heatmap
    axis_right = h.mapFromScene(h.plot.getAxis("left").sceneBoundingRect().topRight()).x()
    matrix_left = h.mapFromScene(h.view.mapViewToScene(QPointF(0, 0))).x()
    assert 0 <= matrix_left - axis_right < 40  # was about 300 px in a wide window


def test_the_probability_chart_shows_its_100_percent_label_whole(qtbot):
    from PySide6.QtGui import QImage, QPainter

    from digitpad.gui.bars import ProbabilityBars

    bars = ProbabilityBars()
    qtbot.addWidget(bars)
    bars.resize(260, 110)
    bars.show()
    qtbot.waitExposed(bars)
    axis = bars.getPlotItem().getAxis("left")
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        texts = {text: rect for rect, _, text in axis.generateDrawSpecs(painter)[2]}
    finally:
        painter.end()
    assert "100%" in texts  # drawn, not dropped as overlapping
    where = bars.mapFromScene(axis.mapRectToScene(texts["100%"])).boundingRect()
    assert bars.rect().contains(where)  # and not cut at the top


def test_hovering_a_digit_never_widens_the_browser(qtbot, data):
    b = _panel(qtbot, BrowserPanel, data, (900, 600))
    b.set_box.setCurrentText("test")
    qtbot.wait(50)
    before = (b.minimumSizeHint().width(), b.sizeHint().width())
    point = b.mosaic.tile_centre(0)
    send_mouse(b.mosaic.viewport(), QEvent.Type.MouseMove, point.x(), point.y(), NO)
    assert all(f"{name}: " in b.info.text() for name in models.available())  # all of it kept
    assert (b.minimumSizeHint().width(), b.sizeHint().width()) == before
    assert b.info.width() <= b.width()
