"""Training from the window: real models trained on a few hundred MNIST images in the helper
process, driven through ``MainWindow.train`` and the Train and Teach menus (offscreen)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt

from digitpad import models
from digitpad.data import drawings, kaggle, mnist
from digitpad.gui import MainWindow
from digitpad.gui.replay import replay
from digitpad.gui.train.dialogs import TrainDialog
from digitpad.paths import data_dir
from digitpad.synthetic import drawn

pytestmark = pytest.mark.usefixtures("isolated_settings")
FIT_TIMEOUT = 90_000  # ms; the machine may be busy with other training


@pytest.fixture
def window(shown_window):
    yield shown_window
    shown_window.trainer.shutdown()


def _fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _leftovers() -> list[str]:
    """Hidden temporary files or folders anywhere in the data folder."""
    return [str(p) for p in data_dir().rglob(".*")] if data_dir().exists() else []


def test_trained_model_is_saved_listed_and_predicts(window, qtbot):
    bundled = _fingerprint(models.bundled_dir() / "rbf_svm")
    with qtbot.waitSignal(window.training_finished, timeout=FIT_TIMEOUT) as signal:
        t0 = time.perf_counter()
        assert window.train("rbf_svm", train_size=300) is True
        assert time.perf_counter() - t0 < 1.0  # returns at once; the fit takes seconds
        assert window.trainer.is_running()
        assert window.train("mlp") is False  # one at a time
    name, metrics = signal.args
    assert name == "my-rbf_svm-1"
    assert metrics["train_size"] == 300 and metrics["family"] == "rbf_svm"
    assert 0.7 < metrics["test_accuracy"] < 1.0
    assert name in models.available() and models.is_user_model(name)
    assert (models.user_dir() / name / "meta.json").is_file()
    assert _fingerprint(models.bundled_dir() / "rbf_svm") == bundled
    # Listed everywhere in the window, and loaded by the shelf for live reading.
    assert name in window.shelf.names
    assert name in [window.model_box.itemText(i) for i in range(window.model_box.count())]
    assert window.table.rowCount() == len(models.available())
    assert name in [a.data() for a in window._model_actions.actions()]
    qtbot.waitUntil(lambda: name in window.shelf.loaded(), timeout=10_000)
    x, y = mnist.load_mnist("test")
    p = window.shelf.loaded()[name].predict_proba(x[:200])
    assert p.shape == (200, 10)
    assert (p.argmax(axis=1) == y[:200]).mean() > 0.7
    window.set_driver(name)
    assert window.driver() == name
    # The training window showed its progress to the end.
    assert window.trainer.monitor.bar.value() == 1000
    assert name in window.trainer.monitor.result.text()
    assert not window.trainer.is_running() and not _leftovers()


def test_cancel_mid_fit_saves_nothing_and_keeps_the_previous_model(window, qtbot):
    models.user_dir().mkdir(parents=True)
    shutil.copytree(models.bundled_dir() / "logistic", models.user_dir() / "previous")
    before = _fingerprint(models.user_dir())
    window.refresh_models()
    stages = []
    window.trainer.helper.progress.connect(lambda f, info: stages.append(info.get("stage")))
    assert window.train("mlp", train_size=2000, epochs=200)
    pid = window.trainer.helper.pid()
    qtbot.waitUntil(lambda: "fit" in stages, timeout=FIT_TIMEOUT)  # TensorFlow is training
    with qtbot.waitSignal(window.training_finished, timeout=1500) as signal:
        window.cancel_training()
    assert signal.args == ["my-mlp-1", None]
    assert _gone(pid)
    assert _fingerprint(models.user_dir()) == before
    assert not _leftovers()
    assert "my-mlp-1" not in models.available()
    assert models.load("previous").predict_proba(np.zeros((1, 28, 28), np.float32)).shape == (
        1,
        10,
    )
    assert "Cancelled" in window.trainer.monitor.result.text()
    assert (
        window.trainer.train_menu.isEnabled() and window.trainer.cancel_action.isEnabled() is False
    )


def test_closing_the_window_mid_training_stops_the_helper(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    finished = []
    w.training_finished.connect(lambda name, metrics: finished.append((name, metrics)))
    assert w.train("lenet5", train_size=1000, epochs=50)
    pid = w.trainer.helper.pid()
    qtbot.wait(1500)  # importing TensorFlow: deaf to a polite request, so it gets killed
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < 2.0
    assert _gone(pid)
    assert finished == [("my-lenet5-1", None)]
    assert not models.user_dir().exists() or list(models.user_dir().iterdir()) == []
    assert not _leftovers()


def _draw(window, digit: int) -> None:
    d = next(d for d in drawn.make_drawings(20, seed=3) if d.label == digit)
    replay(window.canvas, d)


def test_labelled_drawing_lands_in_the_user_data_set_and_is_used(window, qtbot):
    _draw(window, 7)
    seen = window.model_input()
    assert seen is not None
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.AltModifier)
    assert drawings.count() == 1
    images, labels = drawings.load()
    assert labels.tolist() == [7]
    assert np.abs(images[0] - seen).max() <= 0.5 / 255 + 1e-6
    assert window.canvas.is_empty()  # ready for the next digit
    assert window.trainer.label_drawing(3) is None  # nothing drawn: nothing kept
    assert drawings.count() == 1
    with qtbot.waitSignal(window.training_finished, timeout=FIT_TIMEOUT) as signal:
        window.trainer.train("rbf_svm", 200, include_user=True, user_weight=5)
    name, metrics = signal.args
    assert metrics["train_size"] == 205
    assert metrics["hyperparameters"]["user_drawings"] == 5
    assert name in window.shelf.names


def test_export_of_the_drawings_is_a_kaggle_csv(window, tmp_path):
    out = tmp_path / "mine.csv"
    assert window.trainer.export_drawings(out) == 0 and not out.exists()
    _draw(window, 2)
    window.trainer.label_actions[2].trigger()
    assert window.trainer.export_drawings(out) == 1
    images, labels = kaggle.read_kaggle_csv(out)
    assert labels.tolist() == [2] and images.shape == (1, 28, 28)


def test_is_it_a_four_shows_its_loss_per_iteration(window, qtbot):
    with qtbot.waitSignal(window.trainer.job_finished, timeout=FIT_TIMEOUT) as signal:
        window.trainer.start({"kind": "is_four", "train_size": 2000, "iterations": 25})
    kind, status, result = signal.args
    assert (kind, status) == ("is_four", "done")
    losses = [loss for _, loss in window.trainer.monitor.series("train_loss")]
    assert len(losses) == 25 and losses == result["loss_history"]
    assert losses[0] == pytest.approx(np.log(2))  # zero weights: p = 1/2 for every image
    assert losses[-1] < losses[0]
    assert 0.85 < result["test_accuracy"] <= 1.0
    assert models.available() == list(window.shelf.names)  # not a 10-class model: not listed


def test_accuracy_against_training_set_size_plot_and_table(window, qtbot):
    with qtbot.waitSignal(window.trainer.job_finished, timeout=FIT_TIMEOUT) as signal:
        window.trainer.start({"kind": "curve", "family": "rbf_svm", "sizes": [100, 500]})
    kind, status, result = signal.args
    assert (kind, status) == ("curve", "done")
    sizes = [p["size"] for p in result["points"]]
    accuracy = [p["accuracy"] for p in result["points"]]
    assert sizes == [100, 500]
    assert 0.5 < accuracy[0] < accuracy[1] < 1.0  # about 0.68 at 100, 0.88 at 500
    monitor = window.trainer.monitor
    assert monitor.series("size_curve") == list(zip(sizes, accuracy, strict=True))
    assert monitor.table.rowCount() == 2 and monitor.table.item(1, 0).text() == "500"
    assert not models.user_dir().exists()  # an experiment saves no model


def test_a_failed_training_says_why_and_saves_nothing(window, qtbot):
    with qtbot.waitSignal(window.training_finished, timeout=FIT_TIMEOUT) as signal:
        window.trainer.start({"kind": "train", "family": "logistic", "name": "cnn"})
    assert signal.args == ["cnn", None]
    assert "bundled" in window.trainer.monitor.result.text()
    assert models.available() == window.shelf.names


def test_user_models_are_renamed_and_deleted_from_the_app(window):
    models.user_dir().mkdir(parents=True)
    shutil.copytree(models.bundled_dir() / "logistic", models.user_dir() / "mine")
    window.refresh_models()
    assert "mine" in window.shelf.names
    dialog = window.trainer.show_my_models()
    assert dialog.names() == ["mine"]
    assert "bundled" in dialog.rename("mine", "cnn")
    assert "not one of your models" in dialog.delete("logistic")
    assert dialog.rename("mine", "ours") == ""
    assert dialog.names() == ["ours"]
    assert "ours" in window.shelf.names and "mine" not in window.shelf.names
    assert window.model_box.findText("ours") >= 0 and window.model_box.findText("mine") < 0
    window.set_driver("ours")
    assert dialog.delete("ours") == ""
    assert dialog.names() == [] and "ours" not in window.shelf.names
    assert window.driver() in window.shelf.names
    assert (models.bundled_dir() / "logistic" / "meta.json").is_file()


def test_train_dialog_offers_epochs_and_augmentation_for_networks_only(window, qtbot):
    dialog = TrainDialog("mlp", window)
    qtbot.addWidget(dialog)
    job = dialog.job()
    assert job["family"] == "mlp" and job["name"] == "my-mlp-1"
    assert job["epochs"] >= 1 and job["augment"] is True
    assert dialog.epochs.isEnabled() and not dialog.include_user.isEnabled()
    dialog.family.setCurrentIndex(dialog.family.findData("rbf_svm"))
    job = dialog.job()
    assert job["name"] == "my-rbf_svm-1" and job["epochs"] is None and job["augment"] is None
    assert not dialog.epochs.isEnabled()
    dialog.size.setValue(50)
    assert dialog.size.value() == 100  # the smallest training set offered
    dialog.name.setText("lenet5")
    dialog._accept()
    assert "bundled" in dialog.problem.text() and dialog.result() == 0


def _items(box) -> list[str]:
    return box.names() if hasattr(box, "names") else [box.itemText(i) for i in range(box.count())]


def test_a_new_model_appears_in_the_explore_panels_and_drawings_in_the_browser(window, qtbot):
    confusion = window.explore.show_tab("Confusion")
    qtbot.waitUntil(window.explore.data.is_loaded, timeout=30_000)
    qtbot.waitUntil(lambda: "cnn" in _items(confusion.model_box), timeout=10_000)
    with qtbot.waitSignal(window.training_finished, timeout=FIT_TIMEOUT) as signal:
        window.train("logistic", train_size=300)
    name, metrics = signal.args
    assert metrics is not None
    qtbot.waitUntil(lambda: name in _items(confusion.model_box), timeout=10_000)
    confusion.set_model(name)
    assert f"{metrics['test_accuracy']:.2%}" in confusion.title()
    assert name in _items(window.explore.misclassified.model_box)
    # Your labelled drawings, shown in the browser beside MNIST.
    _draw(window, 7)
    seen = window.model_input()
    window.trainer.label_actions[7].trigger()
    window.trainer.show_drawings_in_browser()
    browser = window.explore.browser
    qtbot.waitUntil(lambda: len(browser.shown()) == 1, timeout=10_000)
    samples = window.explore.data.samples
    row = int(browser.shown()[0])
    assert samples.source_names[samples.source[row]] == "your drawings"
    assert samples.labels[row] == 7
    assert np.abs(samples.images[row] / 255.0 - seen).max() <= 1 / 255 + 1e-6


def _controller(owner, **given):
    """A ``TrainingController`` for ``owner`` with no window: callbacks that do nothing unless
    ``given``."""
    from digitpad.gui.actions import ActionFactory
    from digitpad.gui.train import TrainingController

    callbacks = {
        "status": lambda text, ms: None,
        "model_input": lambda: None,
        "clear_canvas": lambda: None,
        "refresh_models": lambda: None,
        "explore_data": lambda: None,
        "open_samples": lambda rows, title: None,
    }
    return TrainingController(owner, make_action=ActionFactory(owner), **{**callbacks, **given})


def test_the_training_controller_needs_no_window(qtbot):
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    qtbot.addWidget(owner)
    said, cleared = [], []
    test_x, _ = mnist.load_mnist("test")
    picture = [test_x[0]]
    trainer = _controller(
        owner,
        status=lambda text, ms: said.append(text),
        model_input=lambda: picture[0],
        clear_canvas=lambda: cleared.append(True),
    )
    texts = [a.text() for a in trainer.train_menu.actions()]
    assert "Is it a 4?…" in texts and "Accuracy against training-set size…" in texts
    seven = trainer.label_actions[7]
    assert seven in owner.actions() and seven.shortcut().toString() == "Alt+7"
    assert "(Alt+7)" in seven.toolTip()
    seven.trigger()
    assert drawings.load()[1].tolist() == [7] and cleared == [True]
    assert said[-1].startswith("Kept as a 7: 1 labelled drawing of yours")
    picture[0] = None
    assert trainer.label_drawing(3) is None and said[-1] == "Draw a digit first, then label it"
    assert drawings.count() == 1 and cleared == [True]
    trainer.shutdown()


# --- where the training window opens, and what it shows ------------------------------------


@pytest.mark.parametrize(
    ("screen", "parent", "expected"),
    [
        # A wide screen: right of the main window, its top level with the window's.
        ((0, 0, 2560, 1400), (100, 50, 1040, 740), (1148, 50, 760, 520)),
        # No room on the right, room on the left.
        ((0, 0, 1920, 1040), (1100, 60, 800, 700), (332, 60, 760, 520)),
    ],
)
def test_the_training_window_opens_beside_its_parent_when_there_is_room(screen, parent, expected):
    from PySide6.QtCore import QSize

    from digitpad.gui.placement import place_child

    got = place_child(QSize(760, 520), QRect(*parent), QRect(*screen), QRect(0, 0, 0, 0))
    assert got.getRect() == expected


@pytest.mark.parametrize(
    ("screen", "window", "canvas"),
    [
        ((0, 0, 1366, 728), (0, 0, 1366, 728), (10, 80, 560, 560)),  # laptop, maximized
        ((0, 0, 1280, 680), (20, 0, 1200, 680), (30, 70, 520, 520)),
        ((0, 0, 1366, 728), (0, 0, 1042, 766), (12, 105, 624, 624)),  # seen under openbox
        ((0, 0, 1280, 990), (0, 0, 1280, 990), (10, 90, 960, 860)),  # a big canvas: no room
    ],
)
def test_without_room_beside_it_it_covers_the_right_hand_side_never_the_canvas(
    screen, window, canvas
):
    from PySide6.QtCore import QSize

    from digitpad.gui.placement import place_child

    screen, window, canvas = QRect(*screen), QRect(*window), QRect(*canvas)
    minimum = QSize(380, 300)
    got = place_child(QSize(760, 520), window, screen, canvas, minimum)
    assert screen.contains(got)  # all of it on the screen's work area
    assert got.top() >= canvas.top()  # below the menu and the toolbar
    assert got.width() >= minimum.width() and got.height() >= minimum.height()
    room = screen.right() - canvas.right()
    if room >= minimum.width():
        assert not got.intersects(canvas)
        assert got.right() <= window.right() or got.left() == canvas.right() + 9  # just right
    else:  # it cannot be helped: as little of the canvas as its minimum width takes
        assert got.right() == screen.right() and got.width() == minimum.width()


def test_the_training_window_is_placed_clear_of_the_canvas_and_has_a_close_button(window, qtbot):
    trainer = window.trainer
    monitor = trainer.show_monitor()
    qtbot.waitExposed(monitor)
    assert monitor.close_button.isVisible() and monitor.close_button.isEnabled()
    canvas = window.canvas
    screen = window.screen().availableGeometry()
    frame = monitor.frameGeometry()
    assert screen.contains(frame)
    beside = frame.left() > window.frameGeometry().right()
    clear = QRect(canvas.mapToGlobal(canvas.rect().topLeft()), canvas.size())
    if not beside:  # over the window's right-hand side, below its menu and toolbar
        assert frame.top() >= clear.top()
        # clear of the canvas, unless the room right of it is less than its minimum width
        narrowest = monitor.minimumSizeHint().expandedTo(monitor.minimumSize()).width()
        assert not frame.intersects(clear) or (
            frame.width() <= narrowest + 8 and frame.right() == screen.right()
        )
    qtbot.mouseClick(monitor.close_button, Qt.MouseButton.LeftButton)
    assert not monitor.isVisible()
    assert trainer.show_monitor().isVisible()  # Train ▸ Show training window brings it back


def test_the_training_window_shows_honest_axes_and_says_why_a_model_has_no_curves(qtbot):
    from digitpad.gui.train.controller import has_curves
    from digitpad.gui.train.monitor import NO_CURVES, TrainingMonitor

    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.show()
    monitor.begin("Training my-cnn-1", "train")
    # One epoch's point of three: the axes span the training, never below 0.
    monitor.show_progress(0.3, {"x": 1.0, "epochs": 3, "members": 1, "loss": 0.4, "accuracy": 0.2})
    monitor.redraw()
    monitor.redraw()
    qtbot.wait(50)
    (x0, x1), (y0, y1) = monitor.acc_plot.viewRange()
    assert (x0, x1) == (0.0, 3.0) and 0.0 <= y0 < 0.2 < y1 <= 1.0
    (x0, x1), (y0, _) = monitor.loss_plot.viewRange()
    assert (x0, x1) == (0.0, 3.0) and y0 >= 0.0
    assert monitor.curves.currentWidget() is monitor.plots
    assert not has_curves({"kind": "train", "family": "logistic"})
    assert has_curves({"kind": "train", "family": "cnn"})
    assert has_curves({"kind": "is_four"})
    monitor.begin("Training my-logistic-1", "train", curves=False)
    assert monitor.curves.currentWidget() is monitor.no_curves
    assert monitor.no_curves.text() == NO_CURVES and "fitted in one go" in NO_CURVES


def test_a_dialog_opens_over_its_parent_right_of_the_canvas_even_with_room_beside():
    from PySide6.QtCore import QSize

    from digitpad.gui.placement import place_child

    screen, window = QRect(0, 0, 2560, 1400), QRect(0, 0, 1042, 766)
    canvas = QRect(12, 105, 624, 624)  # as seen at 1366×768: 397 px right of it
    got = place_child(QSize(480, 284), window, screen, canvas, beside=False)
    assert not got.intersects(canvas) and got.top() == canvas.top()
    assert got.left() == canvas.right() + 9  # over the right-hand side, reaching past it
    small = place_child(QSize(300, 284), window, screen, canvas, beside=False)
    assert window.contains(small) and small.right() == window.right()  # fits: inside it


def test_a_training_window_deleted_before_its_warm_up_is_left_alone(qtbot):
    """The warm-up is queued with the monitor as its context: deleting the monitor first (a
    window closed at once) drops the call instead of raising in Qt's event loop."""
    import shiboken6
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    qtbot.addWidget(owner)
    trainer = _controller(owner)
    trainer._prepare_monitor()  # queues the warm-up
    monitor = trainer._monitor
    shiboken6.delete(monitor)
    qtbot.wait(50)  # pytest-qt fails the test on an exception raised in the event loop
    assert not shiboken6.isValid(monitor)
