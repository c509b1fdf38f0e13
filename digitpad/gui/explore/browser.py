"""The dataset browser: every sample as one zoomable grid, filtered and sorted live."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ... import analysis
from ...data import kaggle
from ...data.samples import TEST, TRAIN, Samples
from ..panels import FittedLabel
from .common import (
    DigitDetail,
    ModelBox,
    Workers,
    export_button,
    percent,
    save_png,
    wrong,
)
from .data import ExploreData
from .mosaic import MosaicView

ANY = "Any"
SORTS = ("Index", "Confidence, highest first", "Confidence, lowest first", "Loss, highest first")
RESULTS = (ANY, "Right", "Wrong")


def _combo(tip: str, items=()) -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    box.setToolTip(tip)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return box


def _read_csv(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    return kaggle.read_kaggle_csv(path)


def _why_no_answer(samples: Samples, index: int, model: str | None) -> str:
    """Why sample ``index`` has no probabilities of ``model`` to show."""
    if model is None:
        return "No model to show the probabilities of."
    if samples.source[index] != TEST:
        code = int(samples.source[index])
        where = "the training set" if code == TRAIN else samples.source_names[code]
        return (
            f"No probabilities for this digit: the models' answers are cached for the 10,000 "
            f"MNIST test images only, and this one is from {where}. Draw it on the canvas to "
            f"see what {model} says."
        )
    return f"{model} has no cached answer for this digit."


class BrowserPanel(QWidget):
    """All of MNIST (and any opened Kaggle CSV) as one grid of digits.

    Filter by set, label, the chosen model's answer and whether it is right; sort by the
    model's confidence or loss. Hover a digit for what it is and what every model says; click it
    for it large with its probabilities. :meth:`show_samples` shows exactly a given list
    (the confusion matrix's cells); :meth:`shown` is what is in the grid now, in order.
    """

    csv_opened = Signal(str)  # the new set's name
    csv_failed = Signal(str)  # the message
    refreshed = Signal()

    def __init__(self, data: ExploreData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self._workers = Workers()
        self._shown = np.empty(0, np.int64)
        self._selection: np.ndarray | None = None
        self._detail: int | None = None  # the sample shown large (global index)
        self.last_filter_ms = 0.0

        self.set_box = _combo("Which set of digits to show", ["All sets"])
        self.label_box = _combo("Only digits with this true label", [ANY, *map(str, range(10))])
        self.model_box = ModelBox("The model whose answers the filters and sorts use")
        self.predicted_box = _combo(
            "Only digits the model reads as this (test set only: the models' answers are cached "
            "for the test images)",
            [ANY, *map(str, range(10))],
        )
        self.result_box = _combo("Only the digits the model gets right, or wrong", RESULTS)
        self.sort_box = _combo("Order of the grid", SORTS)
        # As wide as its shortest choices: the list drops down in full (the bar is crowded).
        self.sort_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.sort_box.setMinimumContentsLength(12)
        self.open_button = QPushButton("Open Kaggle CSV…")
        self.open_button.setToolTip("Browse a Kaggle Digit Recognizer train.csv or test.csv")
        self.open_button.clicked.connect(self._ask_open)
        self.mosaic = MosaicView()
        self.detail = DigitDetail()
        # Hovering writes every model's answer here: elided, never widening the window.
        self.info = FittedLabel("Loading MNIST…")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_label = QLabel("")
        self.selection_label = FittedLabel("")
        self.clear_button = QPushButton("Show all")
        self.clear_button.setToolTip("Leave the chosen samples and use the filters again")
        self.clear_button.clicked.connect(self.clear_selection)
        self.selection_label.hide()
        self.clear_button.hide()
        self._build_layout()

        for box in (
            self.set_box,
            self.label_box,
            self.model_box,
            self.predicted_box,
            self.result_box,
            self.sort_box,
        ):
            box.currentIndexChanged.connect(self.refresh)
        self.mosaic.hovered.connect(self._on_hover)
        self.mosaic.clicked.connect(self.show_detail)
        data.follow(self._on_data, self.info, on_changes=True)

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        for text, box in (
            ("Set", self.set_box),
            ("Label", self.label_box),
            ("Model", self.model_box),
            ("Predicted", self.predicted_box),
            ("Result", self.result_box),
            ("Sort", self.sort_box),
        ):
            bar.addWidget(QLabel(text))
            bar.addWidget(box)
        bar.addStretch(1)
        selection = QHBoxLayout()
        selection.addWidget(self.selection_label, 1)
        selection.addWidget(self.clear_button)
        left = QVBoxLayout()
        left.addLayout(selection)
        left.addWidget(self.mosaic, 1)
        status = QHBoxLayout()
        status.addWidget(self.info, 1)
        status.addWidget(self.count_label)
        # Under the grid, not in the filter bar: one row of both was wider than the Draw tab
        # and widened the window on a laptop screen.
        status.addWidget(self.open_button)
        status.addWidget(export_button(self, lambda: self.mosaic, "digits"))
        left.addLayout(status)
        row = QHBoxLayout()
        row.addLayout(left, 1)
        row.addWidget(self.detail)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(row, 1)

    # ---------------------------------------------------------------- public API

    def shown(self) -> np.ndarray:
        """Global indices of the samples in the grid, in grid order."""
        return self._shown.copy()

    def model(self) -> str | None:
        return self.model_box.model()

    def set_model(self, name: str) -> None:
        """Filter and sort by model ``name`` (once it is listed, if it is not yet)."""
        self.model_box.set_model(name)

    def show_samples(self, indices: np.ndarray, title: str, model: str | None = None) -> None:
        """Show exactly the samples ``indices`` (global), in that order, until "Show all"."""
        self._selection = np.asarray(indices, np.int64)
        if model is not None:
            self.model_box.blockSignals(True)
            self.set_model(model)
            self.model_box.blockSignals(False)
        self.sort_box.blockSignals(True)
        self.sort_box.setCurrentIndex(0)
        self.sort_box.blockSignals(False)
        n = len(self._selection)
        self.selection_label.setText(f"{title}: {n:,} sample{'' if n == 1 else 's'}")
        self.selection_label.show()
        self.clear_button.show()
        self.refresh()

    def clear_selection(self) -> None:
        self._selection = None
        self.selection_label.hide()
        self.clear_button.hide()
        self.refresh()

    def open_csv(self, path: str | Path) -> None:
        """Read a Kaggle CSV in a worker and show it; ``csv_opened`` or ``csv_failed`` follows."""
        path = Path(path)
        self.info.setText(f"Reading {path.name}…")
        self._workers.start(
            _read_csv,
            str(path),
            returned=lambda result: self._on_csv(path, result),
            errored=self._on_csv_failed,
        )

    def export_png(self, path: str | Path) -> bool:
        return save_png(self.mosaic, path)

    def shutdown(self) -> bool:
        """Ask the running workers to stop; True if there were any."""
        return self._workers.shutdown()

    # ---------------------------------------------------------------- filtering

    def refresh(self) -> None:
        """Apply the filters and the sort, and redraw the grid."""
        samples = self.data.samples
        if samples is None:
            return
        started = time.perf_counter()
        self._shown = self.filtered(samples)
        self.last_filter_ms = (time.perf_counter() - started) * 1000
        self.mosaic.set_tiles(samples.images[self._shown])
        self.count_label.setText(f"{len(self._shown):,} of {len(samples):,} digits")
        if self._detail is not None:
            where = np.flatnonzero(self._shown == self._detail)
            if where.size:
                self.show_detail(int(where[0]))  # still in the grid: with the model's answer now
            else:
                self._detail = None  # filtered out: the Sample pane does not keep showing it
                self.detail.clear()
        self.refreshed.emit()

    def filtered(self, samples: Samples) -> np.ndarray:
        """The global indices the controls ask for, sorted as they ask."""
        model = self.model()
        if self._selection is not None:
            indices = self._selection
        else:
            chosen_set = self.set_box.currentIndex() - 1
            label = self.label_box.currentIndex() - 1
            predicted_label = self.predicted_box.currentIndex() - 1
            result = self.result_box.currentText()
            indices = analysis.filter_samples(
                samples.source,
                samples.labels,
                samples.predicted(model),
                sources=None if chosen_set < 0 else [chosen_set],
                label=None if label < 0 else label,
                predicted_label=None if predicted_label < 0 else predicted_label,
                correct=None if result == ANY else result == "Right",
            )
        sort = self.sort_box.currentIndex()
        if sort == 0:
            return indices
        score = samples.loss(model) if sort == 3 else samples.confidence(model)
        return analysis.sort_samples(indices, score, descending=sort != 2)

    # ---------------------------------------------------------------- events

    def _on_data(self) -> None:
        samples = self.data.samples
        if samples is None:
            return
        box = self.set_box
        current = box.currentText()
        box.blockSignals(True)
        while box.count() > 1:
            box.removeItem(box.count() - 1)
        box.addItems(samples.source_names)
        if box.findText(current) >= 0:
            box.setCurrentText(current)
        box.blockSignals(False)
        self.model_box.blockSignals(True)
        self.model_box.set_models(list(samples.probabilities))
        self.model_box.blockSignals(False)
        problems = "; ".join(f"{k}: {v}" for k, v in samples.problems.items())
        self.info.setText(
            f"Models left out: {problems}"
            if problems
            else "Hover a digit to see what it is · click it to see it large · "
            "wheel scrolls, Ctrl+wheel zooms"
        )
        self.refresh()

    def _describe(self, index: int) -> tuple[str, str]:
        """(title, every model's answer as rich text) for sample ``index``."""
        s = self.data.samples
        label = int(s.labels[index])
        title = f"{s.describe(index)} · label {label if label >= 0 else 'unknown'}"
        answers = []
        for name, p in s.probabilities.items():
            row = p[index]
            if not np.isfinite(row[0]):
                continue
            best = int(row.argmax())
            text = f"{name}: {best} ({percent(float(row[best]))})"
            answers.append(wrong(text) if label >= 0 and best != label else text)
        return title, "<br>".join(answers)

    def _on_hover(self, position: int) -> None:
        if position < 0 or self.data.samples is None:
            return
        title, answers = self._describe(int(self._shown[position]))
        plain = re.sub(r"<[^>]*>", "", answers.replace("<br>", " · "))
        self.info.setText(f"{title}{' · ' + plain if plain else ''}")

    def show_detail(self, position: int) -> None:
        """Show the digit at grid ``position`` large, with the chosen model's probabilities."""
        s = self.data.samples
        index = int(self._shown[position])
        title, answers = self._describe(index)
        model = self.model()
        p = s.probabilities[model][index] if model in s.probabilities else None
        self._detail = index
        self.detail.show_sample(s.images[index], title, answers, p, _why_no_answer(s, index, model))

    # ---------------------------------------------------------------- Kaggle CSV

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a Kaggle CSV", str(Path.home()), "CSV (*.csv);;All files (*)"
        )
        if path:
            self.open_csv(path)

    def _on_csv(self, path: Path, result: tuple[np.ndarray, np.ndarray | None]) -> None:
        images, labels = result
        if self.data.samples is None:
            self._on_csv_failed(RuntimeError("MNIST is not loaded yet; try again in a moment"))
            return
        name = path.name
        taken = set(self.data.samples.source_names)
        suffix = 2
        while name in taken:
            name, suffix = f"{path.name} ({suffix})", suffix + 1
        self.clear_selection() if self._selection is not None else None
        self.data.add_source(name, images, labels)
        self.set_box.setCurrentText(name)
        self.csv_opened.emit(name)

    def _on_csv_failed(self, error: Exception) -> None:
        message = str(error)
        self.info.setText(message)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Cannot open the CSV",
            message,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.csv_failed.emit(message)
