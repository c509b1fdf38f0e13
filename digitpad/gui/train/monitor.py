"""The training window: progress with time left, cancel, and curves that grow as it learns."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..plots import background, legend, style_plot
from ..style import (
    CANCELLED,
    FAILED,
    FINISHED,
    MUTED,
    SIZE_CURVE,
    TRAIN_CURVE,
    VALIDATION_CURVE,
    text_in,
)

TRAIN_PEN = pg.mkPen(TRAIN_CURVE, width=1.5)
VAL_PEN = pg.mkPen(VALIDATION_CURVE, width=2)
VAL_BRUSH = pg.mkBrush(VALIDATION_CURVE)
CURVE_PEN = pg.mkPen(SIZE_CURVE, width=2)
REDRAW_MS = 200
NEXT_PLOT_MS = 60  # the second plot is redrawn this long after the first
PLOT_KEYS = (("train_loss", "val_loss"), ("train_acc", "val_acc", "size_curve"))
#: Said in place of the curves when a model is fitted in one go.
NO_CURVES = (
    "No curves for this model: it is fitted in one go, not epoch by epoch, so there is no loss "
    "or accuracy to plot while it learns. Its test accuracy is given below when it is done."
)


def time_left(seconds: float) -> str:
    """'about 1 min 20 s left' for a number of seconds."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"about {seconds} s left"
    if seconds < 3600:
        return f"about {seconds // 60} min {seconds % 60:02d} s left"
    return f"about {seconds // 3600} h {seconds % 3600 // 60:02d} min left"


class Eta:
    """Time left from the progress made since the first real step (not the start-up)."""

    def __init__(self) -> None:
        self._t0: float | None = None
        self._f0 = 0.0

    def update(self, fraction: float, now: float | None = None) -> float | None:
        now = time.perf_counter() if now is None else now
        if self._t0 is None:
            if fraction > 0:
                self._t0, self._f0 = now, fraction
            return None
        done = fraction - self._f0
        if done < 0.01 or now - self._t0 < 1.0:
            return None
        return (now - self._t0) * (1.0 - fraction) / done


class TrainingMonitor(QWidget):
    """Shows one job at a time: ``begin(title, kind)``, ``show_progress(fraction, info)``,
    ``show_result(status, text)``. ``cancel_requested`` when its Cancel button is pressed."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("DigitPad · training")
        self.resize(760, 520)
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.stage = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFormat("%p %")
        self.left = QLabel()
        self.left.setMinimumWidth(190)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the training; nothing is saved")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip(
            "Hide this window; the training goes on (Train ▸ Show training window brings it back)"
        )
        self.close_button.clicked.connect(self.close)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(background())
        # No context menus: building them is most of a plot's cost, paid on the GUI thread.
        self.loss_plot = self.plots.addPlot(row=0, col=0, title="Loss", enableMenu=False)
        self.acc_plot = self.plots.addPlot(row=0, col=1, title="Accuracy", enableMenu=False)
        # Loss falls: its legend goes top right; accuracy rises: bottom right.
        self.loss_legend = legend(self.loss_plot, (-10, 10))
        self.acc_legend = legend(self.acc_plot, (-10, -10))
        for plot in (self.loss_plot, self.acc_plot):
            style_plot(plot)
            plot.showGrid(x=False, y=True, alpha=0.15)
        # A loss is never negative, an accuracy lies in [0, 1] and epochs start at 0: the
        # views may not wander past them (pyqtgraph pads a single point by ±0.5 otherwise).
        self.loss_plot.setLimits(xMin=0, yMin=0)
        self.acc_plot.setLimits(xMin=0, yMin=0, yMax=1.0)
        self.no_curves = QLabel(NO_CURVES)
        self.no_curves.setWordWrap(True)
        self.no_curves.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_curves.setMargin(24)
        self.curves = QStackedWidget()
        self.curves.addWidget(self.plots)
        self.curves.addWidget(self.no_curves)
        self.train_loss = self.loss_plot.plot(pen=TRAIN_PEN)
        self.val_loss = self.loss_plot.plot(
            pen=VAL_PEN, symbol="o", symbolSize=6, symbolBrush=VAL_BRUSH
        )
        self.train_acc = self.acc_plot.plot(pen=TRAIN_PEN)
        self.val_acc = self.acc_plot.plot(
            pen=VAL_PEN, symbol="o", symbolSize=6, symbolBrush=VAL_BRUSH
        )
        self.size_curve = self.acc_plot.plot(
            pen=CURVE_PEN, symbol="o", symbolSize=7, symbolBrush=pg.mkBrush(SIZE_CURVE)
        )
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {text_in(MUTED, self.palette())}")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Training images", "Test accuracy", "Fit time"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setFixedWidth(340)

        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.left)
        row.addWidget(self.cancel_button)
        row.addWidget(self.close_button)
        body = QHBoxLayout()
        body.addWidget(self.curves, 1)
        body.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.stage)
        layout.addLayout(row)
        layout.addLayout(body, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.result)
        self._kind = "train"
        self._x_span = 0.0
        self._eta = Eta()
        self._series: dict[str, list[tuple[float, float]]] = {}
        self._dirty: set[str] = set()
        # Curves are redrawn at most every REDRAW_MS, however fast the progress comes.
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(REDRAW_MS)
        self._redraw.timeout.connect(self.redraw)
        self.begin("No training yet", "train")
        self.show_result("idle", "")

    # ------------------------------------------------------------------ API

    def begin(self, title: str, kind: str, note: str = "", curves: bool = True) -> None:
        """Clear the curves for a new job of ``kind`` ("train", "is_four", "curve");
        ``curves``: False for a model fitted in one go (a sentence says why there are none)."""
        self._kind = kind
        self._x_span = 0.0
        self._eta = Eta()
        self._series = {}
        self._dirty.clear()
        self.title.setText(title)
        self.stage.setText("starting…")
        self.bar.setValue(0)
        self.left.setText("")
        self.result.setText("")
        self.note.setText(note)
        self.cancel_button.setEnabled(True)
        for item in (self.train_loss, self.val_loss, self.train_acc, self.val_acc):
            item.setData([], [])
        self.size_curve.setData([], [])
        self.table.setRowCount(0)
        self.table.setVisible(kind == "curve")
        self.loss_plot.setVisible(kind != "curve")
        self.acc_plot.setVisible(kind != "is_four")
        self.curves.setCurrentWidget(self.plots if curves else self.no_curves)
        self._set_legends(kind)
        bottom = self.acc_plot.getAxis("bottom")
        if kind == "curve":
            self.acc_plot.setTitle("Test accuracy against training-set size")
            self.acc_plot.setLabel("bottom", "training images (log scale)")
            bottom.setTicks([[]])
        else:
            self.acc_plot.setTitle("Accuracy")
            self.acc_plot.setLabel("bottom", "epoch")
            bottom.setTicks(None)
        self.loss_plot.setTitle("Loss per iteration" if kind == "is_four" else "Loss")
        for plot in (self.loss_plot, self.acc_plot):
            plot.enableAutoRange()
        self.loss_plot.setLabel("bottom", "iteration" if kind == "is_four" else "epoch")

    def show_progress(self, fraction: float, info: dict[str, Any]) -> None:
        self.bar.setValue(round(1000 * min(max(fraction, 0.0), 1.0)))
        left = self._eta.update(fraction)
        self.left.setText("estimating time left…" if left is None else time_left(left))
        self.stage.setText(describe(info))
        if self._kind == "is_four" and "iteration" in info:
            self._add("train_loss", info["iteration"], info["loss"])
        elif self._kind == "curve" and info.get("stage") == "point":
            self._add("size_curve", info["size"], info["accuracy"])
            self._add_point_row(info)
            # A log axis of our own: pyqtgraph's labels every minor tick until they overlap.
            sizes = [x for x, _ in self._series["size_curve"]]
            ticks = [(float(np.log10(n)), f"{n:,.0f}") for n in sizes]
            self.acc_plot.getAxis("bottom").setTicks([ticks])
        elif "x" in info:
            self._add_epoch_values(info)

    def show_result(self, status: str, text: str) -> None:
        """``status``: "done", "cancelled", "failed" or "idle"."""
        self.redraw()
        self.cancel_button.setEnabled(False)
        if status == "done":
            self.bar.setValue(1000)
            self.left.setText("finished")
            self.stage.setText("done")
        elif status in ("cancelled", "failed"):
            self.left.setText(status)
        colour = {"failed": FAILED, "cancelled": CANCELLED}.get(status, FINISHED)
        self.result.setStyleSheet(f"color: {text_in(colour, self.palette())}")
        self.result.setText(text)

    def warm_up(self) -> None:
        """Draw the plots once off screen: their first paint is the slow one."""
        if not self.isVisible():
            # The native window, made now rather than when first shown; create(), not winId():
            # winId() marks it native, which makes every sibling in the main window native too.
            self.create()
            for child in self.findChildren(QWidget):
                child.ensurePolished()
            self.layout().activate()
            self.plots.grab()

    def series(self, key: str) -> list[tuple[float, float]]:
        """The points drawn so far for curve ``key`` (e.g. "train_loss", "val_accuracy")."""
        return list(self._series.get(key, []))

    # ------------------------------------------------------------------ internals

    def _set_legends(self, kind: str) -> None:
        self.loss_legend.clear()
        self.acc_legend.clear()
        if kind == "train":
            self.loss_legend.addItem(self.train_loss, "train")
            self.loss_legend.addItem(self.val_loss, "validation")
            self.acc_legend.addItem(self.train_acc, "train")
            self.acc_legend.addItem(self.val_acc, "validation")
        elif kind == "is_four":
            self.loss_legend.addItem(self.train_loss, "train (mean cross-entropy)")

    def _add_epoch_values(self, info: dict[str, Any]) -> None:
        x = float(info["x"])
        # The epoch axis spans the whole training from the first point, so that it does not
        # jump about (and one point is not shown at the middle of −0.5…1.5).
        last = float(info.get("epochs", 0)) * float(info.get("members", 1))
        if last > 0 and self._x_span != last:
            self._x_span = last
            for plot in (self.loss_plot, self.acc_plot):
                plot.setXRange(0, last, padding=0)
        if "loss" in info:
            self._add("train_loss", x, info["loss"])
        if "accuracy" in info:
            self._add("train_acc", x, info["accuracy"])
        if "val_loss" in info:
            self._add("val_loss", x, info["val_loss"])
        if "val_accuracy" in info:
            self._add("val_acc", x, info["val_accuracy"])

    def redraw(self) -> None:
        """Draw the points that came since the last redraw, one plot per turn.

        Repainting both plots in one go takes about 50 ms on a slow machine; one plot now and
        the other a moment later keeps each pause of the window well under that.
        """
        for keys in PLOT_KEYS:
            due = [k for k in keys if k in self._dirty]
            if due:
                break
        for key in due:
            xs, ys = np.array(self._series[key]).T
            if key == "size_curve":
                xs = np.log10(xs)
            getattr(self, key).setData(xs, ys)
            self._dirty.discard(key)
        if self._dirty:
            QTimer.singleShot(NEXT_PLOT_MS, self, self.redraw)

    def _add(self, key: str, x: float, y: float) -> None:
        self._series.setdefault(key, []).append((float(x), float(y)))
        self._dirty.add(key)
        if not self._redraw.isActive():
            self._redraw.start()

    def _add_point_row(self, info: dict[str, Any]) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, text in enumerate(
            (f"{info['size']:,}", f"{info['accuracy']:.2%}", f"{info.get('seconds', 0):.1f} s")
        ):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()


#: The numbers a progress report may carry, as the training window names them.
NUMBERS = (
    ("loss", "loss"),
    ("accuracy", "accuracy"),
    ("val_loss", "validation loss"),
    ("val_accuracy", "validation accuracy"),
)


def describe(info: dict[str, Any]) -> str:
    """One line about where the job is: the stage and the latest numbers."""
    if info.get("stage") == "point":
        return f"{info['size']:,} training images: test accuracy {info['accuracy']:.2%}"
    parts = _where(info)
    if "size" in info:
        parts.append(f"{info['size']:,} training images")
    for key, label in NUMBERS:
        if key in info:
            value = info[key]
            parts.append(f"{label} {value:.2%}" if "accuracy" in key else f"{label} {value:.4f}")
    return " · ".join(p for p in parts if p)


def _where(info: dict[str, Any]) -> list[str]:
    """The first words of ``describe``: the iteration, the epoch (and net), or the stage."""
    if "iteration" in info:
        return [f"iteration {info['iteration']}"]
    if info.get("stage") in ("fit", "epoch") and "epoch" in info:
        of = f" of {info['epochs']}" if "epochs" in info else ""
        parts = [f"epoch {info['epoch']}{of}"]
        if info.get("members", 1) > 1:
            parts.append(f"net {info['member']}")
        return parts
    return [str(info.get("stage", ""))]
