"""The confusion matrix of a model on the MNIST test set; its cells open samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ... import analysis
from ..panels import FittedLabel
from .common import AnnotatedHeatmap, ModelBox, export_button, save_png
from .data import ExploreData


class ConfusionPanel(QWidget):
    """Rows: the true digit; columns: the chosen model's answer; counts or row shares.

    Click a cell or drag over several: ``samples_chosen(indices, model, title)`` carries the
    global indices of the test samples behind them (ascending).
    """

    samples_chosen = Signal(object, str, str)

    def __init__(self, data: ExploreData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.model_box = ModelBox("The model whose answers on the 10,000 test images are shown")
        self.normalised = QCheckBox("Row-normalised")
        self.normalised.setToolTip("Each row as shares of that digit's test images")
        self.heatmap = AnnotatedHeatmap("predicted digit", "true digit", colormap="viridis")
        self.note = FittedLabel("Loading MNIST…")  # never widens the window
        self.matrix = np.zeros((10, 10), np.int64)
        self._true = np.empty(0, np.int64)
        self._predicted = np.empty(0, np.int64)
        self._rows = np.empty(0, np.int64)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Model"))
        bar.addWidget(self.model_box)
        bar.addWidget(self.normalised)
        bar.addStretch(1)
        bar.addWidget(export_button(self, lambda: self.heatmap, "confusion_matrix"))
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.heatmap, 1)
        layout.addWidget(self.note)
        self.model_box.currentIndexChanged.connect(lambda _: self.show_model(self.model()))
        self.normalised.toggled.connect(lambda _: self._draw())
        self.heatmap.cells_selected.connect(self.choose_cells)
        data.follow(self._on_data, self.note)

    def _on_data(self) -> None:
        samples = self.data.samples
        self.model_box.blockSignals(True)
        self.model_box.set_models(list(samples.probabilities))
        self.model_box.blockSignals(False)
        if samples.probabilities:
            self.show_model(self.model())
        else:
            self.note.setText("No model has cached test-set answers")

    def model(self) -> str:
        return self.model_box.model() or ""

    def set_model(self, name: str) -> None:
        """Show model ``name``'s matrix (once it is listed, if it is not yet)."""
        self.model_box.set_model(name)

    def show_model(self, name: str) -> None:
        """Compute and draw ``name``'s confusion matrix (from its cached test answers)."""
        samples = self.data.samples
        if samples is None or name not in samples.probabilities:
            return
        if self.model() != name:
            self.model_box.set_model(name)  # comes back here through the signal
            return
        self._rows = samples.test_rows()
        self._true = samples.labels[self._rows]
        self._predicted = samples.predicted(name)[self._rows]
        self.matrix = analysis.confusion_matrix(self._true, self._predicted)
        self._draw()
        self.note.setText(
            "Click a cell, or drag over several, to see those test images in the browser"
        )

    def _draw(self) -> None:
        m = self.matrix
        if self.normalised.isChecked():
            shares = analysis.row_normalised(m)
            labels = [f"{v:.1%}" if v < 0.9995 else "100%" for v in shares.ravel()]
            labels = ["0" if v == 0 else t for v, t in zip(shares.ravel(), labels, strict=True)]
            self.heatmap.set_matrix(shares, labels, levels=(0.0, 1.0))
        else:
            # A log-like scale: the diagonal (about 1,000) would otherwise wash out the mistakes.
            shown = np.log1p(m)
            self.heatmap.set_matrix(shown, [str(v) for v in m.ravel()])
        self.heatmap.plot.setTitle(
            f"{self.model()} on the MNIST test set · accuracy {analysis.accuracy(m):.2%}"
        )

    def title(self) -> str:
        return self.heatmap.plot.titleLabel.text

    def samples_in(self, cells: list[tuple[int, int]]) -> np.ndarray:
        """Global indices of the test samples in ``cells`` ((true, predicted) pairs)."""
        return self._rows[analysis.samples_in_cells(self._true, self._predicted, cells)]

    def choose_cells(self, cells: list[tuple[int, int]]) -> None:
        indices = self.samples_in(cells)
        if len(cells) == 1:
            t, p = cells[0]
            title = f"{self.model()}: true {t}, predicted {p}"
        else:
            title = f"{self.model()}: {len(cells)} cells of the confusion matrix"
        self.samples_chosen.emit(indices, self.model(), title)

    def export_png(self, path: str | Path) -> bool:
        return save_png(self.heatmap, path)

    def shutdown(self) -> bool:
        return False  # no workers
