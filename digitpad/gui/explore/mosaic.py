"""Thousands of digits as one image: a zoomable grid drawn as a single pyqtgraph ImageItem."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QWidget

from ... import analysis
from ..plots import background
from ..style import HIGHLIGHT

TILE = 28
GAP = 1
STEP = TILE + GAP
SHOWN_TILE_PX = 34  # on screen, when the grid first appears: a little larger than MNIST


class ScrollingViewBox(pg.ViewBox):
    """The wheel scrolls the grid up and down; Ctrl+wheel zooms (pyqtgraph's usual wheel)."""

    def wheelEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
            return
        ev.accept()
        height = self.viewRect().height()
        self.translateBy(y=-np.sign(ev.delta()) * 0.25 * height)


class MosaicView(pg.GraphicsLayoutWidget):
    """``K`` digits in a grid, row by row, as one image.

    ``hovered(position)`` gives the tile under the mouse (-1 when none), ``clicked(position)``
    the one clicked; a position is the tile's place in the list given to :meth:`set_tiles`.
    Columns follow the widget's width when it is first shown and when it is resized.
    """

    hovered = Signal(int)
    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(background())
        self.view = ScrollingViewBox(invertY=True, lockAspect=True, enableMenu=False)
        self.addItem(self.view)
        self.image = pg.ImageItem(axisOrder="row-major", autoDownsample=True)
        self.view.addItem(self.image)
        self._frame = pg.QtWidgets.QGraphicsRectItem(0, 0, TILE + 1, TILE + 1)
        self._frame.setPen(pg.mkPen(HIGHLIGHT, width=2, cosmetic=True))
        self._frame.setZValue(10)
        self._frame.hide()
        self.view.addItem(self._frame, ignoreBounds=True)
        self._tiles = np.empty((0, TILE, TILE), np.uint8)
        self._columns = 1
        self._hovered = -1
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(120)
        self._refit.timeout.connect(self._rebuild_if_columns_changed)
        self.setMinimumSize(300, 200)

    # ---------------------------------------------------------------- public

    def set_tiles(self, tiles: np.ndarray) -> None:
        """Show ``tiles`` (K, 28, 28) uint8, the first at the top left; view back to the top."""
        self._tiles = np.asarray(tiles)
        self._columns = self._fitting_columns()
        self._draw()
        self.scroll_to_top()

    def count(self) -> int:
        return len(self._tiles)

    def columns(self) -> int:
        return self._columns

    def scroll_to_top(self) -> None:
        """Show the top of the grid, tiles at about ``SHOWN_TILE_PX``: a short list (one
        result of a filter) stays that size at the top left instead of filling the view."""
        width = max(self._columns, self._widget_columns()) * STEP
        aspect = max(self.height(), 1) / max(self.width(), 1)
        self.view.setRange(QRectF(0, 0, width, width * aspect), padding=0)

    def position_at(self, point: QPointF) -> int:
        """The tile under ``point`` (view coordinates, pixels of the mosaic) or -1."""
        col, row = int(point.x() // STEP), int(point.y() // STEP)
        if point.x() < 0 or point.y() < 0 or col >= self._columns:
            return -1
        k = row * self._columns + col
        return k if k < len(self._tiles) else -1

    def tile_centre(self, position: int) -> QPoint:
        """Where tile ``position`` is on screen, in this widget's pixels (for tests)."""
        row, col = divmod(position, self._columns)
        scene = self.view.mapViewToScene(QPointF(col * STEP + TILE / 2, row * STEP + TILE / 2))
        return self.mapFromScene(scene)

    def reveal(self, position: int) -> None:
        """Scroll so that tile ``position`` is in view."""
        row = position // max(self._columns, 1)
        rect = self.view.viewRect()
        top = row * STEP
        if not rect.top() <= top <= rect.bottom() - STEP:
            self.view.translateBy(y=top - rect.top() - STEP)

    # ---------------------------------------------------------------- drawing

    def _widget_columns(self) -> int:
        """How many tiles of ``SHOWN_TILE_PX`` fit across the widget."""
        return int(max(1, max(self.width(), 300) // SHOWN_TILE_PX))

    def _fitting_columns(self) -> int:
        return int(max(1, min(self._widget_columns(), len(self._tiles) or 1)))

    def tile_size_px(self) -> float:
        """How wide a tile is on screen now, in pixels (for tests)."""
        left = self.view.mapViewToDevice(QPointF(0, 0))
        right = self.view.mapViewToDevice(QPointF(TILE, 0))
        return right.x() - left.x()

    def _draw(self) -> None:
        picture = analysis.mosaic(self._tiles, self._columns, gap=GAP, background=48)
        self.image.setImage(picture, levels=(0, 255), autoLevels=False)
        self._frame.hide()
        self._hovered = -1

    def _rebuild_if_columns_changed(self) -> None:
        columns = self._fitting_columns()
        if columns != self._columns and len(self._tiles):
            self._columns = columns
            self._draw()
            self.scroll_to_top()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if hasattr(self, "_refit"):  # pyqtgraph resizes during its own __init__
            self._refit.start()

    # ---------------------------------------------------------------- mouse

    def _on_move(self, scene_pos: QPointF) -> None:
        k = self.position_at(self.view.mapSceneToView(scene_pos))
        if k == self._hovered:
            return
        self._hovered = k
        if k >= 0:
            row, col = divmod(k, self._columns)
            self._frame.setRect(col * STEP - 1, row * STEP - 1, TILE + 2, TILE + 2)
            self._frame.show()
        else:
            self._frame.hide()
        self.hovered.emit(k)

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        k = self.position_at(self.view.mapSceneToView(event.scenePos()))
        if k >= 0:
            self.clicked.emit(k)
