"""Pieces the explore panels share: colours, PNG export, workers, the annotated 10×10 heatmap and
the large-digit detail view."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ... import models
from ..bars import ProbabilityBars
from ..panels import DEFAULT_MARK, ModelInputView, caption
from ..plots import background, style_plot
from ..style import ON_DARK, ON_LIGHT, WRONG, is_dark, text_in


def wrong(text: str, on_base: bool = False) -> str:
    """``text`` as rich text in the colour of a wrong answer, readable on the palette's window
    colour (``on_base``: on its base colour, as inside a plot)."""
    return f"<span style='color:{text_in(WRONG, base=on_base)}'>{text}</span>"


def digit_ticks(count: int = 10, offset: float = 0.5) -> list[list[tuple[float, str]]]:
    return [[(i + offset, str(i)) for i in range(count)]]


def percent(p: float) -> str:
    return f"{p:.1%}" if p < 0.999 else f"{min(p, 0.9999):.2%}"


# --- a line that never widens the window ------------------------------------------------


# --- which model --------------------------------------------------------------------------


class ModelBox(QComboBox):
    """A list of models, the default one marked; :meth:`model` is the chosen name.

    :meth:`set_model` picks a model, or remembers it until :meth:`set_models` lists it, so
    that a panel built before its data opens on the current model. ``chosen(name)`` is emitted
    when the person picks one (not when it is set from code); ``extra`` items (such as "all
    models") are chosen like models but are not model names.
    """

    chosen = Signal(str)

    def __init__(self, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(tip)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._wanted: str | None = None
        self.activated.connect(self._on_activated)

    def set_models(self, names: Sequence[str], extra: Sequence[str] = ()) -> None:
        """List ``names`` (then ``extra``); keep the chosen model, else the wanted one, else
        the default, else the first. Emits ``currentIndexChanged`` only if the choice changed."""
        before = self.model()
        self.blockSignals(True)
        self.clear()
        for name in (*names, *extra):
            self.addItem(name + (DEFAULT_MARK if name == models.DEFAULT else ""), name)
        for wanted in (self._wanted, before, models.DEFAULT):
            if wanted is not None and self.findData(wanted) >= 0:
                self.setCurrentIndex(self.findData(wanted))
                break
        self.blockSignals(False)
        if self.model() != before:
            self.currentIndexChanged.emit(self.currentIndex())

    def model(self) -> str | None:
        """The chosen model's name (or extra item), None when the list is empty."""
        return self.currentData()

    def names(self) -> list[str]:
        """Every name listed, in order (without the default's mark)."""
        return [self.itemData(i) for i in range(self.count())]

    def _on_activated(self, index: int) -> None:
        self._wanted = self.itemData(index)
        self.chosen.emit(self._wanted)

    def set_model(self, name: str) -> bool:
        """Choose ``name`` (now if listed, else as soon as it is); False if not listed yet."""
        self._wanted = name
        index = self.findData(name)
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0


# --- export -----------------------------------------------------------------------------


def save_png(widget: QWidget, path: str | Path) -> bool:
    """Render ``widget`` as it is shown into a PNG file; False if it cannot be written."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_suffix(".png")
    return widget.grab().save(str(path), "PNG")


def export_button(
    parent: QWidget, target: Callable[[], QWidget], name: str, what: str = ""
) -> QPushButton:
    """An "Export PNG…" button that asks for a file name and saves ``target()`` there;
    ``what`` names the plot, on the button and in its tooltip, where a panel has two."""
    button = QPushButton(f"Export {what} PNG…" if what else "Export PNG…")
    button.setToolTip(f"Save the {what or 'plot'} as a PNG image")

    def ask() -> None:
        path, _ = QFileDialog.getSaveFileName(
            parent, "Export as PNG", str(Path.home() / f"{name}.png"), "PNG (*.png)"
        )
        if path and not save_png(target(), path):
            window = parent.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(f"Could not write {path}", 10000)

    button.clicked.connect(ask)
    return button


# --- workers ----------------------------------------------------------------------------


class Workers:
    """The workers a panel started, so that it can cancel them all when it goes away."""

    def __init__(self) -> None:
        self._running: set = set()

    def start(
        self,
        func: Callable,
        *args,
        yielded: Callable | None = None,
        returned: Callable | None = None,
        errored: Callable | None = None,
        finished: Callable | None = None,
        **kwargs,
    ):
        """Run ``func(*args, **kwargs)`` (a generator for progress and cancel) off the GUI
        thread; the callbacks run on the GUI thread. Returns the superqt worker."""
        from superqt.utils import create_worker

        worker = create_worker(
            func, *args, _start_thread=False, _ignore_errors=errored is not None, **kwargs
        )
        for signal, slot in (
            ("yielded", yielded),
            ("returned", returned),
            ("errored", errored),
            ("finished", finished),
        ):
            if slot is not None:
                getattr(worker, signal).connect(slot)
        self._running.add(worker)
        worker.finished.connect(lambda: self._running.discard(worker))
        worker.start()
        return worker

    def busy(self) -> bool:
        return bool(self._running)

    def quit(self) -> None:
        """Ask every running worker to stop at its next yield."""
        for worker in list(self._running):
            worker.quit()

    def shutdown(self) -> bool:
        """For a panel going away: ask every worker to stop; True if any was running."""
        busy = self.busy()
        self.quit()
        return busy


# --- the annotated 10×10 heatmap ---------------------------------------------------------


class CellViewBox(pg.ViewBox):
    """A view whose clicks and drags select heatmap cells instead of panning."""

    def __init__(self, heatmap: AnnotatedHeatmap) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False)
        self.setMouseEnabled(x=False, y=False)
        self._heatmap = heatmap
        self._band = pg.QtWidgets.QGraphicsRectItem()
        self._band.setPen(pg.mkPen(ON_DARK, width=2, style=Qt.PenStyle.DashLine))
        self._band.setBrush(pg.mkBrush(255, 255, 255, 40))
        self._band.setZValue(20)
        self._band.hide()
        self.addItem(self._band, ignoreBounds=True)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        ev.accept()
        cell = self._heatmap.cell_at(self.mapToView(ev.pos()))
        if cell is not None:
            self._heatmap.cells_selected.emit([cell])

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        start = self.mapToView(ev.buttonDownPos())
        end = self.mapToView(ev.pos())
        self._band.setRect(QRectF(start, end).normalized())
        self._band.show()
        if ev.isFinish():
            self._band.hide()
            cells = self._heatmap.cells_between(start, end)
            if cells:
                self._heatmap.cells_selected.emit(cells)


class AnnotatedHeatmap(pg.GraphicsLayoutWidget):
    """A rows×columns heatmap with each value written in its cell, digits on both axes.

    Click a cell, or drag over several, and ``cells_selected(list[(row, column)])`` is emitted.
    """

    cells_selected = Signal(list)

    def __init__(
        self,
        x_label: str = "",
        y_label: str = "",
        colormap: str = "viridis",
        square: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setBackground(background())
        self.view = CellViewBox(self)
        self.view.setAspectLocked(square)
        self.plot = self.addPlot(viewBox=self.view)
        self.plot.hideButtons()
        style_plot(self.plot)
        self.plot.setLabel("bottom", x_label)
        self.plot.setLabel("left", y_label)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.set_colormap(colormap)
        self._texts: list[pg.TextItem] = []
        self._cell_colours: list[QColor] = []
        self._values = np.zeros((0, 0))
        self._square = square
        self.setMinimumSize(320, 320)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if getattr(self, "_square", False):  # pyqtgraph resizes during its own __init__
            self._fit_square()

    def _fit_square(self) -> None:
        """A square matrix in a wide widget: margins left and right instead of a wide view,
        so that the row labels stay next to the matrix (not hundreds of pixels away)."""
        rows, cols = self._values.shape if self._values.size else (10, 10)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.ci.layout.activate()
        view = self.view.size()
        wanted = view.height() * cols / max(rows, 1)
        side = max(0.0, (view.width() - wanted) / 2)
        self.ci.setContentsMargins(side, 0, side, 0)

    def set_colormap(self, name: str) -> None:
        self._colormap = pg.colormap.get(name)
        self.image.setLookupTable(self._colormap.getLookupTable(nPts=256))

    def set_matrix(
        self,
        values: np.ndarray,
        labels: Sequence[str] | None = None,
        levels: tuple[float, float] | None = None,
        row_names: Sequence[str] | None = None,
    ) -> None:
        """Show ``values`` ``(rows, columns)``; ``labels`` the text of each cell, row-major
        (default: 2 decimals); ``levels`` the colour range (default: min to max); NaN is grey."""
        values = np.asarray(values, np.float64)
        rows, cols = values.shape
        self._values = values
        finite = values[np.isfinite(values)]
        if levels is None:
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            levels = (lo, hi if hi > lo else lo + 1)
        shown = np.where(np.isfinite(values), values, levels[0])
        self.image.setImage(shown, levels=levels, autoLevels=False)
        self.image.setRect(QRectF(0, 0, cols, rows))
        if labels is None:
            labels = ["–" if not np.isfinite(v) else f"{v:.2f}" for v in values.ravel()]
        self._place_texts(values, list(labels), levels)
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks(digit_ticks(cols))
        left = self.plot.getAxis("left")
        if row_names is None:
            left.setTicks(digit_ticks(rows))
        else:
            left.setTicks([[(i + 0.5, name) for i, name in enumerate(row_names)]])
        self.view.setRange(QRectF(0, 0, cols, rows), padding=0.02)
        if self._square:
            self._fit_square()

    def _place_texts(self, values: np.ndarray, labels: list[str], levels) -> None:
        rows, cols = values.shape
        while len(self._texts) < rows * cols:
            text = pg.TextItem(anchor=(0.5, 0.5))
            font = QFont()
            font.setPointSizeF(8.5)
            text.setFont(font)
            self.plot.addItem(text)
            self._texts.append(text)
        for extra in self._texts[rows * cols :]:
            extra.hide()
        lo, hi = levels
        where = np.clip((np.nan_to_num(values.ravel(), nan=lo) - lo) / (hi - lo), 0, 1)
        self._cell_colours = [QColor(*c) for c in self._colormap.map(where, mode="byte")]
        for k, text in enumerate(self._texts[: rows * cols]):
            r, c = divmod(k, cols)
            # White on a dark cell, black on a light one, whichever reads better (WCAG
            # luminance): at least 4.58:1 on any colour.
            text.setColor(ON_DARK if is_dark(self._cell_colours[k]) else ON_LIGHT)
            text.setText(labels[k])
            text.setPos(c + 0.5, r + 0.5)
            text.show()

    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the matrix shown."""
        rows, cols = self._values.shape
        return rows, cols

    def cell_items(self) -> list[pg.TextItem]:
        """The text items that write the cells' values (shown or spare)."""
        return list(self._texts)

    def cell_text_colour(self, row: int, column: int) -> QColor:
        """The colour cell (row, column)'s value is written in."""
        return QColor(self._texts[row * self._values.shape[1] + column].color)

    def cell_colour(self, row: int, column: int) -> QColor:
        """The colour cell (row, column) is painted in (its text is written on it)."""
        return self._cell_colours[row * self._values.shape[1] + column]

    def cell_text(self, row: int, column: int) -> str:
        return self._texts[row * self._values.shape[1] + column].toPlainText()

    def cell_at(self, point: QPointF) -> tuple[int, int] | None:
        rows, cols = self._values.shape
        r, c = int(np.floor(point.y())), int(np.floor(point.x()))
        return (r, c) if 0 <= r < rows and 0 <= c < cols else None

    def cells_between(self, a: QPointF, b: QPointF) -> list[tuple[int, int]]:
        """Every cell the rectangle from ``a`` to ``b`` touches (clipped to the matrix)."""
        rows, cols = self._values.shape
        r0, r1 = sorted((int(np.floor(a.y())), int(np.floor(b.y()))))
        c0, c1 = sorted((int(np.floor(a.x())), int(np.floor(b.x()))))
        r0, c0 = max(r0, 0), max(c0, 0)
        r1, c1 = min(r1, rows - 1), min(c1, cols - 1)
        return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def cell_centre(self, row: int, column: int) -> QPointF:
        """Where cell (row, column) is, in this widget's pixel coordinates (for tests)."""
        scene = self.view.mapViewToScene(QPointF(column + 0.5, row + 0.5))
        return self.mapFromScene(scene)


# --- one digit, large, with its probabilities -------------------------------------------


class DigitDetail(QWidget):
    """A digit enlarged, what it is, and one model's ten probabilities for it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = ModelInputView()
        self.picture.setMinimumSize(168, 168)
        self.title = QLabel("Click a digit")
        self.title.setWordWrap(True)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.bars = ProbabilityBars(self)
        self.why_no_bars = QLabel("")
        self.why_no_bars.setWordWrap(True)
        self.why_no_bars.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(caption("Sample"))
        layout.addWidget(self.picture, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addWidget(caption("Probabilities"))
        layout.addWidget(self.why_no_bars)
        layout.addWidget(self.bars, 1)
        self.setFixedWidth(260)

    def show_sample(
        self,
        image: np.ndarray | None,
        title: str = "",
        text: str = "",
        probabilities: np.ndarray | None = None,
        why_none: str = "",
    ) -> None:
        """``image`` (28, 28) uint8 or float in [0, 1], or None (nothing chosen);
        ``probabilities`` (10,), or None with ``why_none`` saying why there are none."""
        if image is not None and image.dtype == np.uint8:
            image = image.astype(np.float32) / 255
        self.picture.show_digit(image)
        self.title.setText(title)
        self.text.setText(text)
        has_p = probabilities is not None and bool(np.all(np.isfinite(probabilities)))
        self.bars.show_probabilities(np.asarray(probabilities) if has_p else None)
        self.why_no_bars.setText("" if has_p or image is None else why_none)
        self.why_no_bars.setVisible(bool(self.why_no_bars.text()))

    def clear(self) -> None:
        """Nothing chosen: an empty picture and the invitation to click one."""
        self.show_sample(None, "Click a digit")
