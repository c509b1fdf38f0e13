"""Class distribution: how many samples of each digit each set holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from ..panels import FittedLabel
from ..plots import background, legend, plot_text, style_plot
from ..style import SOURCE_COLOURS
from .common import digit_ticks, export_button, save_png
from .data import ExploreData


class DistributionPanel(QWidget):
    """Bars of samples per digit for every set (train, test, any opened CSV), counts on top."""

    def __init__(self, data: ExploreData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.plot_widget = pg.PlotWidget(background=background())
        self.plot = self.plot_widget.getPlotItem()
        style_plot(self.plot)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("bottom", "digit")
        self.plot.setLabel("left", "samples")
        self.plot.getAxis("bottom").setTicks(digit_ticks(offset=0))
        # Counts and percentages as they are: no "(x0.001)" or "(x1e+03)" scale on the axis.
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setTitle("Samples per digit")
        self.legend = legend(self.plot, (-10, 10))
        self.note = FittedLabel("Loading MNIST…")  # never widens the window
        self.shares = QCheckBox("Shares of each set")
        self.shares.setToolTip("Each set's bars as shares of that set, to compare their balance")
        self.shares.toggled.connect(lambda _: self.refresh())
        self._items: list = []
        self.counts: dict[str, np.ndarray] = {}
        bar = QHBoxLayout()
        bar.addWidget(self.shares)
        bar.addWidget(self.note, 1)
        bar.addWidget(export_button(self, lambda: self.plot_widget, "class_distribution"))
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.plot_widget, 1)
        data.follow(self.refresh, self.note, on_changes=True)

    def refresh(self) -> None:
        samples = self.data.samples
        if samples is None:
            return
        for item in self._items:
            self.plot.removeItem(item)
        self._items.clear()
        self.legend.clear()
        self.counts = samples.counts_per_set()
        shares = self.shares.isChecked()
        width = 0.8 / max(len(self.counts), 1)
        top = 0.0
        for k, (name, counts) in enumerate(self.counts.items()):
            heights = 100 * counts / counts.sum() if shares else counts.astype(np.float64)
            top = max(top, float(heights.max()))
            self._draw_set(k, name, counts, heights, width)
        self.plot.setLabel("left", "share of the set (%)" if shares else "samples")
        self.plot.setYRange(0, (top or 1) * 1.12, padding=0)
        self.plot.setXRange(-0.6, 9.6, padding=0)
        unlabelled = [n for n in samples.source_names if n not in self.counts]
        self.note.setText(
            "Sets without labels are not counted: " + ", ".join(unlabelled) if unlabelled else ""
        )

    def _draw_set(
        self, k: int, name: str, counts: np.ndarray, heights: np.ndarray, width: float
    ) -> None:
        """The ``k``-th set's ten bars of ``heights`` (counts or shares), each with its label."""
        x = np.arange(10) - 0.4 + width * (k + 0.5)
        colour = SOURCE_COLOURS[k % len(SOURCE_COLOURS)]
        bars = pg.BarGraphItem(x=x, height=heights, width=width * 0.92, brush=colour, pen=None)
        self.plot.addItem(bars)
        self.legend.addItem(bars, f"{name} ({counts.sum():,})")
        self._items.append(bars)
        font = QFont()
        font.setPointSizeF(7.5)
        shares = self.shares.isChecked()
        for xi, count, h in zip(x, counts, heights, strict=True):
            text = pg.TextItem(f"{h:.1f}%" if shares else f"{count:,}", anchor=(0.5, 1.0))
            text.setColor(plot_text(colour))
            text.setFont(font)
            text.setPos(float(xi), float(h))
            self.plot.addItem(text)
            self._items.append(text)

    def export_png(self, path: str | Path) -> bool:
        return save_png(self.plot_widget, path)

    def shutdown(self) -> bool:
        return False  # no workers
