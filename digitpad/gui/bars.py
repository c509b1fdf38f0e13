"""The ten probability bars (pyqtgraph). Kept apart from ``panels`` so that the window can be
shown before pyqtgraph is imported: its import costs about a quarter of a second here."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from .style import ACCENT, MUTED


class ProbabilityBars(pg.PlotWidget):
    """Ten bars: the driving model's probability of each digit, the top one in the accent colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        base = parent.palette() if parent is not None else QPalette()
        super().__init__(parent, background=base.color(QPalette.ColorRole.Base))
        text = base.color(QPalette.ColorRole.Text)
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setXRange(-0.6, 9.6, padding=0)
        self.setYRange(0.0, 1.0, padding=0.02)
        item = self.getPlotItem()
        for name in ("bottom", "left"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(text))
            axis.setTextPen(pg.mkPen(text))
        item.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        item.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
        left = item.getAxis("left")
        left.setWidth(42)
        # The "100%" label is centred on the top of the plot: half of it stands above the view.
        # Room for it above (else it is cut, or dropped as overlapping in some themes).
        left.setStyle(hideOverlappingLabels=False)
        half_line = self.fontMetrics().height() // 2 + 2
        item.setContentsMargins(0, half_line, 4, 0)
        self._muted = pg.mkBrush(MUTED)
        self._accent = pg.mkBrush(ACCENT)
        self.bars = pg.BarGraphItem(
            x=np.arange(10), height=np.zeros(10), width=0.72, brush=self._muted, pen=None
        )
        self.addItem(self.bars)
        self.setMinimumHeight(110)
        self.setToolTip("Probability of each digit according to the chosen model")

    def show_probabilities(self, p: np.ndarray | None, sure: bool = True) -> None:
        """p: (10,) probabilities, or ``None`` for an empty canvas. Not ``sure``: no accent."""
        if p is None:
            p = np.zeros(10)
        best = int(np.argmax(p)) if p.any() and sure else -1
        brushes = [self._accent if i == best else self._muted for i in range(10)]
        self.bars.setOpts(height=np.asarray(p, dtype=float), brushes=brushes)
