"""The main window: draw a digit and watch every model read it while the pen moves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QMargins,
    QObject,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSlider,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import models
from ..models import DEFAULT
from ..preprocess import load_image, read_ink, read_number_ink, to_mnist_placed
from ..reading.api import DigitReading
from ..reading.live import (
    PREFERENCE,
    Complete,
    FirstAnswer,
    LiveReader,
    Reading,
    ReadKey,
    Waiting,
    pick_driver,
)
from ..reading.number import NumberReading
from ..reading.verdict import Verdict
from . import settings as keys
from .actions import ActionFactory
from .canvas import DrawingCanvas
from .explore import ExploreTabs
from .number import HINT as NUMBER_HINT
from .number import NumberController, NumberLabel
from .panels import (
    DEFAULT_MARK,
    AnswerPanel,
    LazyProbabilityBars,
    ModelInputView,
    ModelsTable,
    caption,
)
from .placement import open_over
from .shelf import ModelShelf
from .train import TrainingController
from .why import WhyController

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
PEN_RANGE = (2, 60)
# px on a 280 px canvas, and as much more on a larger one: the thickest pen that loses nothing
# on small digits (benchmarks/bench_pen.py, chosen on seeds 0-1). On the held-out seed, digits
# drawn 15 % of the canvas high: at 18 px 11.7 % were judged "a filled blob" and the cnn read
# 92.0 %; at 12 px none and 99.3 %, as at every pen for larger digits.
DEFAULT_PEN = 12
PANEL_WIDTH = 380
TABLE_WIDTH = 250
START_ANYWAY_MS = 500  # start loading models even if the window is never painted
DEFAULT_SIZE = QSize(1180, 680)  # the first start, as wide as the widest tab; cut down to fit
FRAME_GUESS = QMargins(1, 30, 1, 4)  # a title bar and borders, until the window is framed
FRAMED_AFTER_MS = 300
HINT = "Draw a digit with the mouse · Esc clears · Ctrl+Z undoes"
NUMBER_ASPECT = 3  # Number mode's canvas: three times as wide as tall (280 × 840 at least)
DRAW_ONE = " · draw a digit"  # what the status bar adds while the canvas is empty
TEACH_OFF = "Teach keeps one digit at a time: switch Number mode off (F4) to label a drawing"


def fit_into(frame: QRect, area: QRect, minimum: QSize) -> QRect:
    """``frame`` moved, and made smaller if it must (never below ``minimum``), to lie inside
    ``area``; one larger than the area still starts at its top left."""
    width = max(min(frame.width(), area.width()), minimum.width())
    height = max(min(frame.height(), area.height()), minimum.height())
    left = max(min(frame.left(), area.left() + area.width() - width), area.left())
    top = max(min(frame.top(), area.top() + area.height() - height), area.top())
    return QRect(left, top, width, height)


class AspectBox(QWidget):
    """Keeps its one child ``aspect`` times as wide as tall (square: 1), as large as fits,
    centred."""

    def __init__(self, child: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.child = child
        self.aspect = 1
        child.setParent(self)
        self.setMinimumSize(child.minimumSize())

    def set_aspect(self, aspect: int) -> None:
        self.aspect = aspect
        self.setMinimumSize(self.child.minimumSize())
        self.updateGeometry()
        self._place()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.child.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        self._place()
        super().resizeEvent(event)

    def _place(self) -> None:
        side = min(self.width() // self.aspect, self.height())
        wide = side * self.aspect
        # A square canvas in the middle; a wide one at the top, under the number it reads.
        top = (self.height() - side) // 2 if self.aspect == 1 else 0
        self.child.setGeometry(QRect((self.width() - wide) // 2, top, wide, side))


def _as_reading(digit: DigitReading) -> Reading:
    """A digit of a number as a ``Reading``: its picture, every model's probabilities, the
    model in charge and its verdict (the mean of the answer over the models as support). The
    model in charge's bars are the digit's own probabilities: the sequence reader's, for a digit
    of touching ones that it read (``reading.number``), else that model's answer."""
    probabilities = {name: np.asarray(a.probabilities) for name, a in digit.answers.items()}
    probabilities[digit.model] = np.asarray(digit.probabilities)
    top = int(np.argmax(digit.probabilities)) if digit.digit is None else digit.digit
    support = float(np.mean([p[top] for p in probabilities.values()]))
    judged = Verdict(digit.digit, digit.confidence, support, digit.reason)
    return Reading(np.asarray(digit.picture), probabilities, digit.model, judged)


def _crop_to_ink(ink: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """The smallest part of a (H, W) uint8 picture holding all its ink (to_mnist crops anyway),
    and its top row and left column."""
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], int(rows[0]), int(cols[0])


class MainWindow(QMainWindow):
    """Draw a digit; every model reads it live.

    ``canvas`` is the drawing widget; ``current_probabilities()`` gives the driving model's
    (10,) probabilities for what is on the canvas now; ``prediction_changed(object)`` is
    emitted with them (or ``None`` for an empty canvas) each time they change.
    """

    prediction_changed = Signal(object)
    #: A training started with ``train`` (or the Train menu) ended: the new model's name and its
    #: metrics dict when it was saved, or None for the metrics when cancelled or failed.
    training_finished = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("DigitPad")
        self.setAcceptDrops(True)
        self._settings = keys.open_settings()
        #: What the models answered for the canvas, and which one drives the big answer.
        self.reader = LiveReader(keys.read_str(self._settings, keys.MODEL) or DEFAULT)
        self._opened: np.ndarray | None = None  # (28, 28) of the last opened image
        self._field: QRectF | None = None  # where the last canvas picture lies on the canvas
        self._pen_chosen = False  # has anyone set the pen width (else it follows the canvas)
        self._fitting_pen = False
        self._single_size: QSize | None = None  # the window's size before Number mode

        self.canvas = DrawingCanvas()
        self.shelf = ModelShelf(self)
        self.input_view = ModelInputView()
        self.answer = AnswerPanel(self.input_view)
        self.bars = LazyProbabilityBars(self)
        self.table = ModelsTable()
        self.table.set_models(self.shelf.names, self._default_name())
        self.model_box = QComboBox()
        self._list_models(self.shelf.names)
        self.model_box.setToolTip("Which model gives the big answer (Ctrl+1 … Ctrl+9)")

        self.make_action = ActionFactory(self)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.draw_page = QWidget()  # laid out by _build_layout
        self.tabs.addTab(self.draw_page, "Draw")
        # The explore panels are built (and MNIST loaded) only when their tab is first opened.
        self.explore = ExploreTabs(self.tabs, self)
        self.trainer = self._make_trainer()
        self.trainer.training_finished.connect(self.training_finished)
        self.why = self._make_why()
        self.number_label = NumberLabel()
        self.numbers = self._make_numbers()
        # After the explore tabs' own handler: the Map panel is built by the time why looks.
        self.tabs.currentChanged.connect(self.why.on_tab_changed)

        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_layout()
        self._restore_settings()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._read_latest)
        # The live path answers in two turns of the event loop: the driving model first (the
        # bars, the 28×28 view, ``prediction_changed``), every other model and the verdict next.
        self._rest_timer = QTimer(self)
        self._rest_timer.setSingleShot(True)
        self._rest_timer.setInterval(0)
        self._rest_timer.timeout.connect(self._read_rest)
        self.canvas.changed.connect(self._schedule)
        self.canvas.changed.connect(self._update_hint)
        self.canvas.history_changed.connect(self._update_history_actions)
        self.canvas.aspect_restored.connect(self._on_aspect_restored)
        self.shelf.model_loaded.connect(self._on_model_loaded)
        self.shelf.model_failed.connect(self._on_model_failed)
        self.shelf.all_done.connect(self._on_models_done)
        self.table.driver_requested.connect(self.set_driver)
        self.model_box.activated.connect(lambda i: self.set_driver(self.model_box.itemData(i)))
        self.explore.model_chosen.connect(self.set_driver)  # one current model in every tab
        self._update_history_actions()
        self._show_driver()
        if self.shelf.problem:
            self.statusBar().showMessage(f"No models: {self.shelf.problem}")
        else:
            self.statusBar().showMessage(HINT)
        # Paint the window first; then import pyqtgraph for the bars and load the models, off
        # the GUI thread (a window that is never painted starts them after a moment anyway).
        self._started = False
        self.canvas.installEventFilter(self)
        QTimer.singleShot(START_ANYWAY_MS, self, self._after_first_paint)

    # ------------------------------------------------------------------ public API

    def current_probabilities(self) -> np.ndarray | None:
        """(10,) float32 of the driving model for the canvas as it is now; ``None`` if empty.

        Reads the canvas now if the last answer is out of date, loading the driving model on
        this thread if the background loader has not reached it yet. In Number mode: those of
        the digit whose bars are shown (see ``current_reading``).
        """
        reading = self.current_reading()
        return None if reading is None else reading.driver_probabilities().copy()

    def current_reading(self) -> Reading | None:
        """Everything the window shows about the canvas now (see ``current_probabilities``).

        In Number mode, the reading of one digit of the number: the one whose bars are shown
        (the digit clicked, else the one nearest the last stroke), from the settled reading of
        the canvas as it is now (``current_number``); None for an empty canvas. The whole
        number is ``current_number()``."""
        if not self.numbers.active:
            return self._read(wait_for_models=True)
        self.current_number()
        digit = self.numbers.selected_digit()
        return None if digit is None else _as_reading(digit.reading)

    def current_number(self) -> NumberReading | None:
        """Number mode: the number on the canvas as it is now, as ``digitpad.read_number``
        reads it (read now on this thread if the one shown is not settled yet, loading the
        driving model if it must); None for an empty canvas, or when Number mode is off."""
        if not self.numbers.active:
            return None
        self._load_driver_now()
        return self.numbers.settle_now()

    def driver(self) -> str | None:
        """The model giving the big answer."""
        return self.reader.driver

    def set_driver(self, name: str) -> None:
        """Let model ``name`` give the big answer (remembered for the next run)."""
        if name not in self.shelf.names:
            return
        self.reader.wanted = name
        self._settings.setValue(keys.MODEL, name)
        if self.shelf.is_pending(name):
            self.shelf.load_now(name)
        self._show_driver()
        self.numbers.forget()
        self._read_latest()

    def number_mode(self) -> bool:
        """Is Number mode on (a wide canvas read as a whole number)?"""
        return self.numbers.active

    def set_number_mode(self, on: bool) -> None:
        """Number mode on or off (remembered for the next run): the canvas three times as
        wide as tall and read as a number, a box and an answer over each digit; off, a square
        canvas read as one digit."""
        on = bool(on)
        self.number_action.setChecked(on)
        self._settings.setValue(keys.NUMBER_MODE, on)
        if on == self.numbers.active:
            return
        if not on and self.canvas.ink_beyond(1):  # keep nothing hidden beyond the square
            self.canvas.clear()
            self.statusBar().showMessage(
                "Number mode off: the number did not fit the square canvas, so it was "
                "cleared · Ctrl+Z brings it back in Number mode",
                10000,
            )
        if on:  # the size to go back to: Number mode widens the window
            self._single_size = None if self.isMaximized() else self.size()
        aspect = NUMBER_ASPECT if on else 1
        self.canvas.set_aspect(aspect)
        self.canvas_box.set_aspect(aspect)
        self.number_row.setVisible(on)
        self.models_column.setVisible(not on)
        self.numbers.set_active(on)
        self.trainer.set_labelling(not on, TEACH_OFF)
        self.why.clear()  # the why-views and the Map star were of the other mode's reading
        if not on:
            self.reader.forget()
            self._read_latest()
        QTimer.singleShot(0, self, self._after_mode_change)  # once the layout has the new size

    def _on_aspect_restored(self, aspect: int) -> None:
        """Undo brought back a drawing cleared in the other mode: go back to that mode."""
        on = aspect == NUMBER_ASPECT
        self.set_number_mode(on)
        self.statusBar().showMessage(
            f"Number mode {'on' if on else 'off'}: the drawing is back", 5000
        )

    def _after_mode_change(self) -> None:
        """Back from Number mode, the size the window had before it; then fit the screen."""
        if not self.numbers.active and self._single_size is not None:
            self.centralWidget().updateGeometry()
            self.layout().activate()
            self.resize(self._single_size.expandedTo(self.minimumSizeHint()))
            self._single_size = None
        self._fit_to_screen()

    def number_reading(self) -> NumberReading | None:
        """The number shown in Number mode now, live or settled (None: empty or off; see
        ``current_number`` for the settled one)."""
        return self.numbers.reading if self.numbers.active else None

    def open_image(self, path: str | Path) -> bool:
        """Show the digit in an image file and read it as ``load_image`` does (in Number mode:
        the number, as ``read_number`` does). False on error."""
        path = Path(path)
        try:
            if self.numbers.active:  # a number: every digit's ink, read as read_number does
                digit, ink = None, read_number_ink(path)[0]
            else:
                digit = load_image(path)
                ink = read_ink(path)
        except ValueError as e:
            self._warn("Cannot read the image", str(e))
            return False
        self._opened = digit
        self.canvas.set_ink(ink)
        self._settings.setValue(keys.LAST_FOLDER, str(path.parent))
        self.statusBar().showMessage(f"Opened {path.name}", 5000)
        return True

    def save_png(self, path: str | Path) -> bool:
        """Save the drawing as a PNG, as it is shown. False on error."""
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        if not self.canvas.image().save(str(path), "PNG"):
            self._warn("Cannot save", f"Could not write {path}")
            return False
        self._settings.setValue(keys.LAST_FOLDER, str(path.parent))
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    # ------------------------------------------------------------------ training

    def train(self, name: str, train_size: int | None = None, epochs: int | None = None) -> bool:
        """Start training model family ``name`` (e.g. "mlp") in a helper process; returns at
        once (False if a training is already running). ``training_finished`` tells the end."""
        return self.trainer.train(name, train_size, epochs) is not None

    def cancel_training(self) -> None:
        """Stop the running training; nothing is saved."""
        self.trainer.cancel()

    def model_input(self) -> np.ndarray | None:
        """(28, 28) float32: what the models read now (the canvas or the opened image)."""
        return self._model_input()

    def refresh_models(self) -> None:
        """Show the models on disk now (one was trained, renamed or deleted) everywhere."""
        self.shelf.refresh()
        names = self.shelf.names
        self.table.set_models(names, self._default_name())
        for name, message in self.shelf.failed().items():
            self.table.set_status(name, "unusable", message)
        for name in self.shelf.loaded():
            self.table.set_status(name, "")
        self._list_models(names)
        for action in self._model_actions.actions():
            self._model_actions.removeAction(action)
            self.model_menu.removeAction(action)
            self.removeAction(action)
            action.deleteLater()
        self._add_model_actions(names)
        self.model_menu.addActions(self._model_actions.actions())
        reader = self.reader
        if reader.wanted not in names:
            reader.wanted = pick_driver(None, names) or DEFAULT
        reader.driver = pick_driver(reader.wanted, list(self.shelf.loaded()))
        reader.forget()
        self.numbers.forget()
        self._show_driver()
        self.shelf.start(first=pick_driver(reader.wanted, names))
        self._schedule()

    def _warn(self, title: str, text: str) -> None:
        """A message that does not block (the drawing stays as it was)."""
        self.statusBar().showMessage(text, 10000)
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        open_over(box, self, self.canvas)

    # ------------------------------------------------------------------ reading

    def _schedule(self) -> None:
        # Latest picture wins: many moves before the timer fires make one prediction.
        if not self._timer.isActive():
            self._timer.start()

    def _read_latest(self) -> None:
        if self.numbers.active:  # Number mode reads the canvas its own way
            self.numbers.schedule()
            return
        self._read(wait_for_models=False, driver_first=True)

    def _read_rest(self) -> None:
        # Only for the picture the driver just read: a newer one gets its own two turns.
        if self.numbers.active:
            return
        if self.reader.rest_due(self.canvas.revision, self.shelf.loaded()):
            self._read(wait_for_models=False)

    def _read(self, wait_for_models: bool, driver_first: bool = False) -> Reading | None:
        """Read the canvas unless the last reading is of this very picture by these models;
        paint what is new. The reading, or None (empty canvas, or not complete yet)."""
        if wait_for_models:
            self._load_driver_now()
        before = self.reader.driver
        step = self.reader.read(
            self.canvas.revision, self.shelf.loaded(), self._model_input, driver_first
        )
        if self.reader.driver != before:
            self._show_driver()
        if isinstance(step, FirstAnswer):
            self._show_first(step)
            return None
        if isinstance(step, Waiting):
            self.answer.show_loading()
            self.input_view.show_digit(step.digit)
            return None
        if isinstance(step, Complete):
            self._show(step)
        return step.reading

    def _load_driver_now(self) -> None:
        """Load the wanted model (or, if it is unusable, the best one that loads) right now."""
        wanted = self.reader.wanted
        if wanted in self.shelf.loaded():
            return
        if self.shelf.is_pending(wanted):
            self.shelf.load_now(wanted)
            return
        for name in (*PREFERENCE, *self.shelf.names):
            if name in self.shelf.loaded():
                return
            if self.shelf.is_pending(name) and self.shelf.load_now(name) is not None:
                return

    def _model_input(self) -> np.ndarray | None:
        """(28, 28) float32: the opened file as ``load_image`` read it, or the canvas.

        Notes in ``_field`` where that 28×28 picture lies on the canvas (None for a file)."""
        self._field = None
        if self._opened is not None and self.canvas.shows_only_background():
            return self._opened
        cropped = _crop_to_ink(self.canvas.ink())
        placed = None if cropped is None else to_mnist_placed(cropped[0])
        if placed is None:
            return None
        digit, where = placed
        left, top, width, height = where.field_rect()
        self._field = QRectF(left + cropped[2], top + cropped[1], width, height)
        return digit

    def _show_first(self, first: FirstAnswer) -> None:
        """The driver's answer alone: the bars, the 28×28 view and ``prediction_changed`` now,
        the other models on the next turn of the event loop."""
        last = self.reader.reading
        sure = last is not None and last.verdict.digit is not None  # until the verdict is in
        self.bars.show_probabilities(first.probabilities, sure=sure)
        self.input_view.show_digit(first.digit)
        self._emit(first.probabilities)
        self._rest_timer.start()
        self._ask_why(first.key, first.digit, first.probabilities)

    def _show(self, step: Complete) -> None:
        reading = step.reading
        after = None if reading is None else reading.driver_probabilities()
        self.answer.show_reading(reading)
        self.bars.show_probabilities(
            after, sure=reading is not None and reading.verdict.digit is not None
        )
        self.input_view.show_digit(None if reading is None else reading.digit)
        self.table.show_reading(reading)
        self._emit(after)
        if reading is None:
            self.why.clear()
        else:
            self.why.show_verdict(reading.verdict)  # the Map star says what the Draw tab says
            self._ask_why(step.key, reading.digit, after)

    def _ask_why(self, key: ReadKey, digit: np.ndarray, p: np.ndarray) -> None:
        """Ask the why-views about the driver's answer (argmax of ``p``, (10,)) for ``digit``."""
        answer = int(np.argmax(p))
        self.why.update((key.revision, key.driver), digit, key.driver, answer, self._field)

    def _emit(self, p: np.ndarray | None) -> None:
        """Send ``prediction_changed`` when ``p`` differs from what was sent last."""
        if self.reader.news(p):
            self.prediction_changed.emit(None if p is None else p.copy())

    # ------------------------------------------------------------------ models

    def _default_name(self) -> str | None:
        return DEFAULT if DEFAULT in self.shelf.names else pick_driver(None, self.shelf.names)

    def _list_models(self, names: list[str]) -> None:
        """The toolbar's Model box lists ``names``, the default marked; the data is the name."""
        self.model_box.clear()
        for name in names:
            self.model_box.addItem(name + (DEFAULT_MARK if name == DEFAULT else ""), name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.canvas and event.type() == QEvent.Type.Paint and not self._started:
            QTimer.singleShot(0, self, self._after_first_paint)
        return super().eventFilter(watched, event)

    def _after_first_paint(self) -> None:
        if self._started:
            return
        self._started = True
        self.canvas.removeEventFilter(self)
        self._start_loading()
        self.bars.build()

    def _start_loading(self) -> None:
        if not self.shelf.names:
            return
        if self.canvas.is_empty():
            self.answer.show_loading()
        self.shelf.start(first=pick_driver(self.reader.wanted, self.shelf.names))

    def _on_model_loaded(self, name: str) -> None:
        self.table.set_status(name, "")
        self.numbers.forget()  # a settled number is read by every model loaded
        self._schedule_full_read()

    def _on_model_failed(self, name: str, message: str) -> None:
        self.table.set_status(name, "unusable", message)
        self.statusBar().showMessage(f"Model {name} is unusable: {message}", 10000)
        self._schedule_full_read()
        if models.is_user_model(name):
            self._offer_removal(name, message)

    def _offer_removal(self, name: str, message: str) -> None:
        """A model of the user's is damaged on disk: say which and offer to remove it."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "A model of yours is damaged",
            f"{message}\n\nRemove your model “{name}” from {models.user_dir()}? "
            "The bundled models are not affected either way.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: (
                self._remove_damaged(name)
                if box.standardButton(button) == QMessageBox.StandardButton.Yes
                else None
            )
        )
        self.damaged_box = box  # the latest one, for tests
        open_over(box, self, self.canvas)

    def _remove_damaged(self, name: str) -> None:
        try:
            models.delete(name)
        except (models.ModelError, OSError) as e:
            self.statusBar().showMessage(f"Could not remove {name}: {e}", 10000)
            return
        self.refresh_models()
        self.statusBar().showMessage(f"Removed your damaged model {name}", 10000)

    def _on_models_done(self) -> None:
        self.why.warm_up()
        loaded = self.shelf.loaded()
        if self.reader.reading is None and self.canvas.is_empty():
            self.answer.show_reading(None)
        if loaded and not self.shelf.failed():
            ready = f"{len(loaded)} models ready"
            empty = self.canvas.is_empty()
            self.statusBar().showMessage(ready + (DRAW_ONE if empty else ""), 5000)

    def _update_hint(self) -> None:
        """The status bar asks for a digit only while the canvas is empty."""
        bar = self.statusBar()
        message = bar.currentMessage()
        if self.canvas.is_empty():
            if not message:
                bar.showMessage(HINT)
        elif message == HINT:
            bar.clearMessage()
        elif message.endswith(DRAW_ONE):
            bar.showMessage(message.removesuffix(DRAW_ONE), 5000)

    def _schedule_full_read(self) -> None:
        if self.reader.reading is None and self.shelf.loaded() and self.canvas.is_empty():
            self.answer.show_reading(None)
        self._schedule()

    def _show_driver(self) -> None:
        name = self.reader.driver or pick_driver(self.reader.wanted, self.shelf.names)
        self.table.set_driver(name)
        self.explore.set_model(name)
        if name is not None:
            self.model_box.setCurrentIndex(self.model_box.findData(name))
        for action in self._model_actions.actions():
            action.setChecked(action.data() == name)

    # ------------------------------------------------------------------ tools

    def _make_trainer(self) -> TrainingController:
        """The Train and Teach menus and the training helper, given what they act on."""
        return TrainingController(
            self,
            make_action=self.make_action,
            status=self.statusBar().showMessage,
            model_input=self.model_input,
            clear_canvas=self.canvas.clear,
            refresh_models=self.refresh_models,
            explore_data=lambda: self.explore.data,  # created when first asked for
            open_samples=self.explore.open_samples,
            model_in_charge=lambda: self.reader.driver or self.reader.wanted,
        )

    def _make_why(self) -> WhyController:
        """The why-views, given the settings, the widgets they paint on and the explore tabs."""
        return WhyController(
            settings=self._settings,
            make_action=self.make_action,
            status=self.statusBar().showMessage,
            preview=self.input_view,
            canvas=self.canvas,
            answer=self.answer,
            driver=self.driver,
            map_panel=self._built_map,
            open_samples=self.explore.open_samples,
            parent=self,
        )

    def _make_numbers(self) -> NumberController:
        """Number mode's reader, given the widgets it paints on and the models."""
        return NumberController(
            canvas=self.canvas,
            answer=self.answer,
            bars=self.bars,
            preview=self.input_view,
            label=self.number_label,
            classifiers=self.shelf.loaded,
            driver=lambda: pick_driver(self.reader.wanted, list(self.shelf.loaded())),
            why_update=lambda key, picture, model, answer: self.why.update(
                key, picture, model, answer, None
            ),
            why_clear=self.why.clear,
            why_verdict=self.why.show_verdict,
            parent=self,
        )

    def _built_map(self) -> QWidget | None:
        """The Map tab's panel once it has been built (the why-views mark the drawing on it)."""
        return self.explore.panel("Map") if "Map" in self.explore.built() else None

    def _build_actions(self) -> None:
        c = self.canvas
        self.pen_action = self.make_action(
            "Pen", "Draw with the pen", "B", lambda: self._set_tool(False), checkable=True
        )
        self.eraser_action = self.make_action(
            "Eraser",
            "Erase with the same round pen",
            "E",
            lambda: self._set_tool(True),
            checkable=True,
        )
        tools = QActionGroup(self)
        tools.addAction(self.pen_action)
        tools.addAction(self.eraser_action)
        self.pen_action.setChecked(True)
        self.thinner_action = self.make_action(
            "Thinner pen", "Make the pen thinner", "[", lambda: self._nudge_pen(-2)
        )
        self.thicker_action = self.make_action(
            "Thicker pen", "Make the pen thicker", "]", lambda: self._nudge_pen(+2)
        )
        self.undo_action = self.make_action("Undo", "Undo the last stroke", "Ctrl+Z", c.undo)
        self.redo_action = self.make_action(
            "Redo", "Redo the stroke undone", ["Ctrl+Shift+Z", "Ctrl+Y"], c.redo
        )
        self.clear_action = self.make_action("Clear", "Clear the canvas", "Esc", self._clear)
        self.open_action = self.make_action(
            "Open…", "Open an image of a digit (or drop one here)", "Ctrl+O", self._ask_open
        )
        self.save_action = self.make_action(
            "Save PNG…", "Save the drawing as a PNG image", "Ctrl+S", self._ask_save
        )
        self.invert_action = self.make_action(
            "Black on white",
            "Show black ink on white paper (the models still see white on black)",
            "Ctrl+I",
            self._toggle_inverted,
            checkable=True,
        )
        self.number_action = self.make_action(
            "Number mode",
            "Read a whole number: a canvas three times as wide, a box and an answer over "
            "each digit",
            "F4",
            self.set_number_mode,
            checkable=True,
        )
        self.number_action.setIconText("Number")  # on the toolbar, which must fit the window
        self.quit_action = self.make_action("Quit", "Close DigitPad", "Ctrl+Q", self.close)
        # Window-wide, so that they switch tabs wherever the focus is (a tab widget's own keys
        # work only inside it, and a focused slider took Ctrl+PgDown for itself).
        self.next_tab_action = self.make_action(
            "Next tab", "Show the next tab", ["Ctrl+Tab", "Ctrl+PgDown"], lambda: self._step_tab(1)
        )
        self.previous_tab_action = self.make_action(
            "Previous tab",
            "Show the previous tab",
            ["Ctrl+Shift+Tab", "Ctrl+PgUp"],
            lambda: self._step_tab(-1),
        )
        for action in (self.next_tab_action, self.previous_tab_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self._model_actions = QActionGroup(self)
        self._add_model_actions(self.shelf.names)

    def _add_model_actions(self, names: list[str]) -> None:
        """One checkable action per model (Ctrl+1 … Ctrl+9) that lets it give the big answer."""
        for i, name in enumerate(names):
            action = self.make_action(
                name + (DEFAULT_MARK if name == DEFAULT else ""),
                f"Let {name} give the big answer",
                f"Ctrl+{i + 1}" if i < 9 else None,
                lambda _=False, n=name: self.set_driver(n),
                checkable=True,
            )
            action.setData(name)
            self._model_actions.addAction(action)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Tools")
        bar.setObjectName("tools")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addAction(self.pen_action)
        bar.addAction(self.eraser_action)
        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setRange(*PEN_RANGE)
        self.pen_slider.setFixedWidth(120)
        self.pen_slider.setToolTip("Pen width in pixels ([ thinner, ] thicker)")
        self.pen_label = QLabel()
        self.pen_label.setMinimumWidth(44)
        self.pen_label.setToolTip(self.pen_slider.toolTip())
        self.pen_slider.valueChanged.connect(self.canvas.set_pen_width)
        self.canvas.pen_width_changed.connect(self._on_pen_width)
        bar.addWidget(QLabel("  Width "))
        bar.addWidget(self.pen_slider)
        bar.addWidget(self.pen_label)
        bar.addSeparator()
        for action in (self.undo_action, self.redo_action, self.clear_action):
            bar.addAction(action)
        bar.addSeparator()
        for action in (self.open_action, self.save_action, self.invert_action):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.number_action)
        bar.addSeparator()
        bar.addWidget(QLabel(" Model "))
        bar.addWidget(self.model_box)
        # A toolbar's buttons take no focus by default: let Tab reach them (a click still
        # leaves the focus where it was).
        for action in bar.actions():
            button = bar.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.pen_slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.addToolBar(bar)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([self.open_action, self.save_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = menus.addMenu("&Edit")
        edit.addActions([self.undo_action, self.redo_action, self.clear_action])
        tools = menus.addMenu("&Tools")
        tools.addActions(
            [self.pen_action, self.eraser_action, self.thinner_action, self.thicker_action]
        )
        tools.addSeparator()
        tools.addAction(self.invert_action)
        self.view_menu = self._build_view_menu()
        menus.addMenu(self.view_menu)
        model_menu = menus.addMenu("&Model")
        model_menu.addActions(self._model_actions.actions())
        self.model_menu = model_menu
        for menu in (file_menu, edit, tools, model_menu):
            menu.setToolTipsVisible(True)
        menus.addMenu(self.trainer.train_menu)
        menus.addMenu(self.trainer.teach_menu)
        menus.addMenu(self._build_help_menu())

    def _build_view_menu(self) -> QMenu:
        view = QMenu("&View", self)
        view.addAction(self.number_action)
        view.addSeparator()
        view.addActions([self.why.saliency_action, self.why.neighbours_action])
        view.addSeparator()
        view.addActions([self.next_tab_action, self.previous_tab_action])
        view.setToolTipsVisible(True)
        return view

    def _build_help_menu(self) -> QMenu:
        from .about import show_about

        self.about_action = self.make_action(
            "About DigitPad",
            "The version and the MNIST credit",
            None,
            lambda: show_about(self, self.canvas),
        )
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu = QMenu("&Help", self)
        help_menu.addAction(self.about_action)
        help_menu.setToolTipsVisible(True)
        return help_menu

    def _build_layout(self) -> None:
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(6)
        right.addWidget(self.answer)
        right.addWidget(caption("Probabilities"))
        right.addWidget(self.bars, 1)
        right.addWidget(self.why.strip)
        self.right_column = right
        panel = QWidget()
        panel.setLayout(right)
        # A fixed width: answers of any length never move the canvas under the pen.
        panel.setFixedWidth(PANEL_WIDTH)
        # Every model in a column of its own, as tall as the canvas: on a laptop screen (720 or
        # 768 px high, a panel taken off) stacked under the answer it left the window too tall.
        every = QVBoxLayout()
        every.setContentsMargins(0, 0, 0, 0)
        every.setSpacing(6)
        every.addWidget(caption("Every model"))
        every.addWidget(self.table)
        every.addStretch(1)
        models_column = QWidget()
        models_column.setLayout(every)
        models_column.setFixedWidth(TABLE_WIDTH)
        self.models_column = models_column
        self.canvas_box = AspectBox(self.canvas)
        row = QHBoxLayout(self.draw_page)
        row.setContentsMargins(10, 10, 10, 10)
        row.setSpacing(14)
        row.addLayout(self._canvas_column(), 1)
        row.addWidget(panel)
        row.addWidget(models_column)
        self.setCentralWidget(self.tabs)

    def _canvas_column(self) -> QVBoxLayout:
        """The canvas, and above it (Number mode only) the number read so far."""
        self.number_row = QWidget()
        line = QHBoxLayout(self.number_row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(caption("Number"))
        line.addWidget(self.number_label, 1)
        hint = QLabel(NUMBER_HINT)
        line.addWidget(hint)
        self.number_row.setVisible(False)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(self.number_row)
        column.addWidget(self.canvas_box, 1)
        return column

    def _restore_settings(self) -> None:
        geometry = self._settings.value(keys.GEOMETRY)
        restored = isinstance(geometry, QByteArray) and not geometry.isEmpty()
        if not (restored and self.restoreGeometry(geometry)):
            self.resize(DEFAULT_SIZE)
        self._fit_to_screen()
        # Until the user picks a width, the pen follows the canvas's size (DEFAULT_PEN px on a
        # 280 px canvas).
        self._fitting_pen = True
        width = keys.read_float(self._settings, keys.PEN_WIDTH, DEFAULT_PEN)
        self.canvas.set_pen_width(min(max(width, 1.0), 100.0))
        self._on_pen_width(self.canvas.pen_width())
        self._fitting_pen = False
        self._pen_chosen = self._settings.contains(keys.PEN_WIDTH)
        inverted = keys.read_bool(self._settings, keys.INVERTED, False)
        self.invert_action.setChecked(inverted)
        self.canvas.set_inverted(inverted)
        self.set_number_mode(keys.read_bool(self._settings, keys.NUMBER_MODE, False))

    def _fit_to_screen(self) -> None:
        """Keep the window, frame and all, inside the work area of its screen (a saved size from
        a larger screen, or one saved while a tab made it wider, is cut down to fit)."""
        if self.isMaximized() or self.isFullScreen():
            return
        screen = self.screen()
        if screen is None:
            return
        frame = self.frameGeometry()
        inner = self.geometry()
        margins = QMargins(
            inner.left() - frame.left(),
            inner.top() - frame.top(),
            frame.right() - inner.right(),
            frame.bottom() - inner.bottom(),
        )
        if margins.isNull():  # not framed yet: what a window manager's title bar takes
            margins = FRAME_GUESS
        area = screen.availableGeometry()
        smallest = self.minimumSizeHint().expandedTo(self.minimumSize()).grownBy(margins)
        fitted = fit_into(inner.marginsAdded(margins), area, smallest).marginsRemoved(margins)
        if fitted != inner:
            self.setGeometry(fitted)

    def _on_pen_width(self, px: float) -> None:
        """The canvas pen changed (slider, shortcut or a script): show and remember it."""
        self.pen_slider.blockSignals(True)
        self.pen_slider.setValue(round(px))
        self.pen_slider.blockSignals(False)
        self.pen_label.setText(f"{px:.0f} px")
        if not self._fitting_pen:
            self._pen_chosen = True
            self._settings.setValue(keys.PEN_WIDTH, float(px))

    def _fit_default_pen(self) -> None:
        if self._pen_chosen:
            return
        self._fitting_pen = True
        try:
            side = min(self.canvas.width() // self.canvas.aspect(), self.canvas.height())
            self.canvas.set_pen_width(round(DEFAULT_PEN * side / 280))
        finally:
            self._fitting_pen = False

    def _step_tab(self, step: int) -> None:
        count = self.tabs.count()
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)

    def _nudge_pen(self, step: int) -> None:
        self.pen_slider.setValue(self.pen_slider.value() + step)

    def _set_tool(self, erase: bool) -> None:
        self.canvas.set_erasing(erase)
        (self.eraser_action if erase else self.pen_action).setChecked(True)

    def _toggle_inverted(self, on: bool) -> None:
        self.canvas.set_inverted(on)
        self._settings.setValue(keys.INVERTED, bool(on))

    def _clear(self) -> None:
        self.canvas.clear()

    def _update_history_actions(self) -> None:
        self.undo_action.setEnabled(self.canvas.can_undo())
        self.redo_action.setEnabled(self.canvas.can_redo())

    def _start_folder(self) -> str:
        return keys.read_str(self._settings, keys.LAST_FOLDER) or str(Path.home())

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a digit", self._start_folder(), IMAGE_FILTER
        )
        if path:
            self.open_image(path)

    def _ask_save(self) -> None:
        if self.canvas.is_empty():
            self.statusBar().showMessage("Nothing to save: the canvas is empty", 5000)
            return
        start = str(Path(self._start_folder()) / "digit.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save the drawing", start, "PNG (*.png)")
        if path:
            self.save_png(path)

    # ------------------------------------------------------------------ Qt events

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_image(files[0])

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if not self._pen_chosen:
            QTimer.singleShot(0, self, self._fit_default_pen)  # once the canvas has its new size

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        QTimer.singleShot(0, self, self._fit_default_pen)  # once the layout has sized the canvas
        # Once the window manager has framed the window: its frame now known, fit that too.
        QTimer.singleShot(FRAMED_AFTER_MS, self, self._fit_to_screen)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self._settings.setValue(keys.GEOMETRY, self.saveGeometry())
        self._settings.sync()
        self.trainer.shutdown()
        self.why.shutdown()
        self.numbers.shutdown()
        self.shelf.stop()
        self.explore.shutdown()
        super().closeEvent(event)
