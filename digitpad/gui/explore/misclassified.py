"""The test images a model gets wrong, most confident first, and every model's
mistakes side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ... import analysis
from ..panels import FittedLabel
from .common import (
    AnnotatedHeatmap,
    DigitDetail,
    ModelBox,
    export_button,
    percent,
    save_png,
    wrong,
)
from .data import ExploreData
from .mosaic import MosaicView

EVERY = "All models side by side"


class MisclassifiedPanel(QWidget):
    """One model's mistakes on the test set, the most confident first; or, for all models, the
    images at least k of them get wrong (most models first) and a models × digits table of how
    many mistakes each makes."""

    def __init__(self, data: ExploreData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self._shown = np.empty(0, np.int64)
        self._wrong_count = np.empty(0, np.int64)
        self.model_box = ModelBox("One model's mistakes, or every model's side by side")
        self.min_box = QSpinBox()
        self.min_box.setRange(1, 1)
        self.min_box.setPrefix("wrong by ≥ ")
        self.min_box.setSuffix(" models")
        self.min_box.setToolTip("Show the images at least this many models get wrong")
        self.min_box.setKeyboardTracking(False)  # applied on Enter or the arrows, not per key
        self.mosaic = MosaicView()
        self.detail = DigitDetail()
        self.by_digit = AnnotatedHeatmap("true digit", "", colormap="inferno", square=False)
        self.by_digit.setMinimumSize(300, 200)
        self.info = FittedLabel("Loading MNIST…")  # never widens the window
        self.count_label = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Model"))
        bar.addWidget(self.model_box)
        bar.addWidget(self.min_box)
        bar.addStretch(1)
        bar.addWidget(export_button(self, lambda: self.mosaic, "misclassified", "digits"))
        bar.addWidget(export_button(self, lambda: self.by_digit, "mistakes_by_digit", "table"))
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.mosaic)
        left.addWidget(self.by_digit)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)
        row = QHBoxLayout()
        row.addWidget(left, 1)
        row.addWidget(self.detail)
        status = QHBoxLayout()
        status.addWidget(self.info, 1)
        status.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(row, 1)
        layout.addLayout(status)
        self.model_box.currentIndexChanged.connect(lambda _: self.refresh())
        self.min_box.valueChanged.connect(lambda _: self.refresh())
        self.mosaic.hovered.connect(self._on_hover)
        self.mosaic.clicked.connect(self.show_detail)
        data.follow(self._on_data, self.info)

    def _on_data(self) -> None:
        names = list(self.data.samples.probabilities)
        self.model_box.blockSignals(True)
        self.model_box.set_models(names, [EVERY] if len(names) > 1 else [])
        self.model_box.blockSignals(False)
        self.min_box.blockSignals(True)
        self.min_box.setRange(1, max(len(names), 1))
        self.min_box.setValue(max(len(names), 1))
        self.min_box.blockSignals(False)
        self.refresh()

    # ---------------------------------------------------------------- public API

    def shown(self) -> np.ndarray:
        """Global indices of the images in the grid, in grid order."""
        return self._shown.copy()

    def set_model(self, name: str) -> None:
        """Show model ``name``'s mistakes (or ``EVERY``'s), once it is listed."""
        self.model_box.set_model(name)

    def model(self) -> str | None:
        return self.model_box.model()

    def refresh(self) -> None:
        samples = self.data.samples
        if samples is None or not samples.probabilities:
            return
        rows = samples.test_rows()
        true = samples.labels[rows]
        probas = {name: p[rows] for name, p in samples.probabilities.items()}
        choice = self.model()
        self.min_box.setVisible(choice == EVERY)
        wrong, count = analysis.misclassified_by_models(probas, true)
        self._wrong_count = np.zeros(len(samples), np.int64)
        self._wrong_count[rows] = count
        if choice == EVERY:
            k = self.min_box.value()
            picked = np.flatnonzero(count >= k)
            mean_conf = np.mean([p.max(axis=1) for p in probas.values()], axis=0)
            # Most models wrong first, then the most confidently wrong.
            picked = picked[np.lexsort((-mean_conf[picked], -count[picked]))]
            what = f"wrong by at least {k} of {len(probas)} models"
        else:
            picked = analysis.misclassified(probas[choice], true)
            what = f"{choice} gets wrong, most confident first"
        self._shown = rows[picked]
        self.mosaic.set_tiles(samples.images[self._shown])
        self.detail.clear()  # the grid changed: the sample shown large was one of the old grid
        self.count_label.setText(f"{len(self._shown):,} test images {what}")
        self.info.setText("Hover an image for its label and every model's answer; click it")
        self._draw_table(wrong, true, list(probas))

    def _draw_table(self, wrong: np.ndarray, true: np.ndarray, names: list[str]) -> None:
        table = np.array([np.bincount(true[w], minlength=10)[:10] for w in wrong], np.float64)
        self.by_digit.set_matrix(table, [str(int(v)) for v in table.ravel()], row_names=names)
        self.by_digit.plot.setTitle("Mistakes per true digit (test set)")
        self.table = table

    def export_png(self, path: str | Path) -> bool:
        return save_png(self.mosaic, path)

    def shutdown(self) -> bool:
        return False  # no workers

    # ---------------------------------------------------------------- events

    def _describe(self, index: int) -> tuple[str, str]:
        s = self.data.samples
        label = int(s.labels[index])
        lines = []
        for name, p in s.probabilities.items():
            best = int(p[index].argmax())
            text = f"{name}: {best} ({percent(float(p[index, best]))})"
            lines.append(wrong(text) if best != label else text)
        by = int(self._wrong_count[index])
        title = f"{s.describe(index)} · label {label} · wrong by {by} of {len(lines)} models"
        return title, "<br>".join(lines)

    def _on_hover(self, position: int) -> None:
        if position >= 0:
            title, _ = self._describe(int(self._shown[position]))
            self.info.setText(title)

    def show_detail(self, position: int) -> None:
        s = self.data.samples
        index = int(self._shown[position])
        title, lines = self._describe(index)
        choice = self.model()
        if choice in s.probabilities:
            p = s.probabilities[choice][index]
        else:  # all models: their mean
            p = np.mean([q[index] for q in s.probabilities.values()], axis=0)
        self.detail.show_sample(s.images[index], title, lines, p)
