"""The drawing canvas: strokes kept as point lists, painted into a grey ink image.

The canvas keeps two things in step:

- the strokes, each a list of points in *canvas units* (fractions of the canvas's height, its
  side when square, so a drawing scales with the window) with its pen width and whether it
  erases;
- an ink image (``QImage.Format_Grayscale8``, ink 255 on 0, the canvas's size in device-independent
  pixels), painted segment by segment while the mouse moves.

The canvas is square, or ``aspect`` times as wide as tall (Number mode: 3). In Number mode it
can also show a box and an answer over each digit (``set_number_boxes``); a press on an answer
emits ``box_clicked(index)`` instead of starting a stroke.

Re-rendering replays exactly the same painter calls as live drawing, so undo gives back the
very same pixels. The ink image is always white on black, as MNIST; ``inverted`` only changes
what is shown on screen. A pen tablet works through the mouse events Qt synthesises from
tablet events.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from .style import (
    CANVAS_SURROUND,
    CANVAS_SURROUND_INVERTED,
    NUMBER_BOX,
    NUMBER_BOX_SELECTED,
    chip_text,
)

MIN_SIDE = 280
MAX_BACKGROUND = 2048  # opened images are kept at most this many pixels on a side
INK = 255
PAPER = 0
CHIP_PX = 22  # the answer over a digit's box: its height (and least width) in pixels


@dataclass(frozen=True)
class NumberBox:
    """A digit of the number read, to show over the drawing: ``box`` (left, top, width,
    height) in canvas pixels, its ``answer`` ("7", or "?" when not sure), whether it is the
    digit whose bars are shown (``selected``)."""

    box: tuple[int, int, int, int]
    answer: str
    sure: bool
    selected: bool = False


@dataclass
class Stroke:
    """One press-move-release.

    points: (x, y) in canvas units, fractions of the canvas's height. width: the pen's
    diameter as a share of the height. erase: painted with the background. serial: which
    stroke it is (unique in the process; Number mode keys what it read on it).
    """

    width: float
    erase: bool = False
    points: list[tuple[float, float]] = field(default_factory=list)
    serial: int = field(default_factory=itertools.count().__next__, compare=False)


class DrawingCanvas(QWidget):
    """A canvas, square or ``aspect`` times as wide as tall, drawn on with a round,
    anti-aliased pen.

    Signals: ``changed`` after every change of the ink (a move, a stroke, undo, clear, an
    image loaded); ``stroke_started`` on a press that starts a stroke and ``stroke_finished``
    on its release; ``box_clicked(index)`` on a press on a number box's answer;
    ``history_changed`` when what undo and redo can do changes; ``pen_width_changed(px)``;
    ``aspect_restored(aspect)`` when undo brings back a drawing cleared while the canvas had
    another aspect (the window goes back to the mode it was drawn in).
    """

    changed = Signal()
    stroke_started = Signal()
    stroke_finished = Signal()
    history_changed = Signal()
    pen_width_changed = Signal(float)
    box_clicked = Signal(int)
    aspect_restored = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(MIN_SIDE, MIN_SIDE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit here with the mouse or a pen tablet")
        self._strokes: list[Stroke] = []
        self._redo: list[Stroke] = []
        self._current: Stroke | None = None
        self._background: np.ndarray | None = None  # an opened image, (H, W) float32 ink
        # undo of clear: the strokes, the opened image and the aspect they were drawn at
        self._cleared: tuple[list[Stroke], np.ndarray | None, int] | None = None
        self._pen_px = 18.0
        self._erasing = False
        self._inverted = False
        self.revision = 0  # grows with every change of the ink; predictions key on it
        self._overlay: tuple[QImage, QRectF] | None = None
        self._aspect = 1  # width / height
        self._boxes: list[NumberBox] = []
        self._image = QImage(MIN_SIDE, MIN_SIDE, QImage.Format.Format_Grayscale8)
        self._image.fill(PAPER)
        # A window that is never shown never lays out: the canvas then stays 280 × 280.
        self.resize(MIN_SIDE, MIN_SIDE)

    # ------------------------------------------------------------------ settings

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(420 * self._aspect, 420)

    def aspect(self) -> int:
        """The canvas's width / height: 1 (square), 3 in Number mode."""
        return self._aspect

    def set_aspect(self, aspect: int) -> None:
        """Make the canvas ``aspect`` times as wide as tall (at least ``MIN_SIDE`` tall). The
        strokes keep their place from the left edge, in units of the height."""
        aspect = max(1, int(aspect))
        if aspect == self._aspect:
            return
        self._aspect = aspect
        self.setMinimumSize(MIN_SIDE * aspect, MIN_SIDE)
        self._boxes = []
        self.updateGeometry()
        self._ensure_size()
        self.update()

    def pen_width(self) -> float:
        """Pen diameter in (device-independent) pixels of the canvas as it is now."""
        return self._pen_px

    def set_pen_width(self, px: float) -> None:
        """Pen diameter in pixels for the next strokes (1-100)."""
        self._pen_px = float(min(max(px, 1.0), 100.0))
        self.pen_width_changed.emit(self._pen_px)  # even when unchanged: someone chose it

    def is_erasing(self) -> bool:
        return self._erasing

    def set_erasing(self, on: bool) -> None:
        """The eraser paints the background back with the same round pen."""
        self._erasing = bool(on)

    def is_inverted(self) -> bool:
        return self._inverted

    def set_inverted(self, on: bool) -> None:
        """Show black ink on white (the model still gets white on black)."""
        self._inverted = bool(on)
        self.update()

    # ------------------------------------------------------------------ content

    def is_empty(self) -> bool:
        """True when nothing is drawn and no image is open (erased strokes count as drawn)."""
        return not self._strokes and self._current is None and self._background is None

    def has_ink(self) -> bool:
        return not self.is_empty() and bool(self.ink().any())

    def shows_only_background(self) -> bool:
        """True when an opened image is on the canvas with nothing drawn over it."""
        return self._background is not None and not self._strokes and self._current is None

    def strokes(self) -> list[Stroke]:
        return list(self._strokes)

    def current_stroke(self) -> Stroke | None:
        """The stroke being drawn now (its points grow), or None between strokes."""
        return self._current

    def has_background(self) -> bool:
        """True when an opened image is on the canvas (drawn over or not)."""
        return self._background is not None

    def scale(self) -> int:
        """Pixels per canvas unit: the ink image's height."""
        return self._side()

    def set_number_boxes(self, boxes: list[NumberBox]) -> None:
        """Show ``boxes`` over the drawing (Number mode); an empty list removes them."""
        if boxes == self._boxes:
            return
        # Repaint where boxes that changed were and are now: the rest did not change.
        old, new = set(self._boxes), set(boxes)
        dirty = QRegion()
        for shown in (old - new, new - old):
            for b in shown:
                left, top, width, height = b.box
                dirty = dirty.united(QRect(left - 4, top - 4, width + 8, height + 8))
                dirty = dirty.united(self._chip_rect(b).adjusted(-1, -1, 1, 1))
        self._boxes = list(boxes)
        self.update(dirty)

    def number_boxes(self) -> list[NumberBox]:
        return list(self._boxes)

    def chip_rect(self, index: int) -> QRect:
        """Where the answer over box ``index`` is painted (and pressed), in widget pixels:
        above the box, inside the canvas."""
        return self._chip_rect(self._boxes[index])

    def _chip_rect(self, box: NumberBox) -> QRect:
        left, top, width, _ = box.box
        w = max(CHIP_PX, min(width, 2 * CHIP_PX))
        y = max(0, top - CHIP_PX - 2)
        x = min(max(0, left + (width - w) // 2), max(0, self._image.width() - w))
        return QRect(x, y, w, CHIP_PX)

    def can_undo(self) -> bool:
        return bool(self._strokes) or self._background is not None or self._cleared is not None

    def can_redo(self) -> bool:
        return bool(self._redo)

    def set_overlay(self, image: QImage | None, where: QRectF | None = None) -> None:
        """Lay ``image`` (a faint saliency map) over the drawing, stretched over ``where`` (in
        widget pixels); None removes it. The window keeps it in step with the drawing."""
        old = self._overlay
        self._overlay = None if image is None or where is None else (image, QRectF(where))
        for shown in (old, self._overlay):  # repaint only where an overlay was or is
            if shown is not None:
                self.update(shown[1].toAlignedRect().adjusted(-1, -1, 1, 1))

    def overlay(self) -> tuple[QImage, QRectF] | None:
        return self._overlay

    def ink(self) -> np.ndarray:
        """(H, W) uint8 copy of the ink image: 255 is ink, 0 is background, whatever is shown."""
        self._ensure_size()
        img = self._image
        h, w, stride = img.height(), img.width(), img.bytesPerLine()
        rows = np.frombuffer(img.constBits(), np.uint8, count=h * stride).reshape(h, stride)
        return rows[:, :w].copy()  # rows are padded to 4 bytes

    def image(self) -> QImage:
        """A copy of the ink image as shown (inverted when the setting asks)."""
        img = self._image.copy()
        if self._inverted:
            img.invertPixels()
        return img

    def ink_beyond(self, aspect: int) -> bool:
        """Would part of the ink be cut off on a canvas ``aspect`` times as wide as tall?"""
        side = self._side()
        return bool(self.ink()[:, side * max(1, int(aspect)) :].any())

    def clear(self) -> None:
        """Wipe the canvas. Undo right after brings the whole drawing back (at the aspect it
        was drawn at: ``aspect_restored``)."""
        if self._strokes or self._background is not None:
            self._cleared = (list(self._strokes), self._background, self._aspect)
        self._strokes.clear()
        self._redo.clear()
        self._current = None
        self._background = None
        self._rerender()
        self.history_changed.emit()

    def undo(self) -> None:
        """Take back the last stroke (the opened image when no stroke is left; a clear)."""
        if self._current is not None:
            return
        if self._strokes:
            self._redo.append(self._strokes.pop())
        elif self._background is not None:
            self._background = None
        elif self._cleared is not None:
            self._strokes, self._background, aspect = self._cleared
            self._cleared = None
            if aspect != self._aspect:
                self.aspect_restored.emit(aspect)
        else:
            return
        self._rerender()
        self.history_changed.emit()

    def redo(self) -> None:
        """Put back the last stroke undone."""
        if self._current is not None or not self._redo:
            return
        self._strokes.append(self._redo.pop())
        self._rerender()
        self.history_changed.emit()

    def set_ink(self, ink: np.ndarray) -> None:
        """Replace the drawing by an image: (H, W) float in [0, 1] or uint8, ink bright.

        The image is fitted into the canvas keeping its aspect ratio; strokes drawn on top can
        be undone one by one, then the image itself.
        """
        ink = np.asarray(ink)
        if ink.dtype == np.uint8:
            ink = ink.astype(np.float32) / 255.0
        ink = np.clip(ink.astype(np.float32), 0.0, 1.0)
        if max(ink.shape) > MAX_BACKGROUND:  # a 40-megapixel photo need not stay in memory
            from PIL import Image

            scale = MAX_BACKGROUND / max(ink.shape)
            size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
            ink = np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.BOX))
        self._strokes.clear()
        self._redo.clear()
        self._current = None
        self._cleared = None
        self._background = ink
        self._rerender()
        self.history_changed.emit()

    # ------------------------------------------------------------------ mouse

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return super().mousePressEvent(event)
        if self._current is not None:  # a second button during a stroke: ignore it
            return
        chip = self._chip_at(event.position().toPoint())
        if chip is not None:
            event.accept()
            self.box_clicked.emit(chip)
            return
        self._ensure_size()
        erase = self._erasing or event.button() == Qt.MouseButton.RightButton
        side = self._side()
        self._current = Stroke(width=self._pen_px / side, erase=erase)
        self.stroke_started.emit()
        self._add_point(event.position())
        event.accept()

    def _chip_at(self, pos) -> int | None:
        for i in range(len(self._boxes)):
            if self.chip_rect(i).contains(pos):
                return i
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self._current is None:
            return super().mouseMoveEvent(event)
        self._add_point(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self._current is None:
            return super().mouseReleaseEvent(event)
        stroke, self._current = self._current, None
        self._strokes.append(stroke)
        self._redo.clear()
        self._cleared = None
        event.accept()
        self.history_changed.emit()
        self.stroke_finished.emit()

    def _add_point(self, pos: QPointF) -> None:
        side = self._side()
        stroke = self._current
        assert stroke is not None
        point = (pos.x() / side, pos.y() / side)
        if stroke.points and stroke.points[-1] == point:
            return
        stroke.points.append(point)
        dirty = self._paint_tail(stroke, len(stroke.points) - 1)
        self.revision += 1
        self.update(dirty)
        self.changed.emit()

    # ------------------------------------------------------------------ painting

    def _side(self) -> int:
        return self._image.height()

    def _pen(self, stroke: Stroke) -> QPen:
        colour = QColor(PAPER, PAPER, PAPER) if stroke.erase else QColor(INK, INK, INK)
        width = max(stroke.width * self._side(), 1.0)
        return QPen(
            colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
        )

    def _paint_tail(self, stroke: Stroke, index: int) -> QRect:
        """Paint point ``index`` of ``stroke`` (a dot, or the segment from the point before)."""
        painter = QPainter(self._image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            pen = self._pen(stroke)
            painter.setPen(pen)
            return self._paint_point(painter, stroke, index, pen.widthF())
        finally:
            painter.end()

    def _paint_point(self, painter: QPainter, stroke: Stroke, index: int, width: float) -> QRect:
        side = self._side()
        x, y = stroke.points[index]
        here = QPointF(x * side, y * side)
        if index == 0:
            painter.drawPoint(here)
            area = QRectF(here, here)
        else:
            px, py = stroke.points[index - 1]
            before = QPointF(px * side, py * side)
            painter.drawLine(before, here)
            area = QRectF(before, here).normalized()
        margin = width / 2 + 2
        return area.adjusted(-margin, -margin, margin, margin).toAlignedRect()

    def _rerender(self) -> None:
        """Paint the image and every stroke again from scratch, exactly as they were drawn."""
        self._image.fill(PAPER)
        if self._background is not None:
            self._paint_background()
        strokes = self._strokes + ([self._current] if self._current is not None else [])
        if strokes:
            painter = QPainter(self._image)
            try:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                for stroke in strokes:
                    pen = self._pen(stroke)
                    painter.setPen(pen)
                    for i in range(len(stroke.points)):
                        self._paint_point(painter, stroke, i, pen.widthF())
            finally:
                painter.end()
        self.revision += 1
        self.update()
        self.changed.emit()

    def _paint_background(self) -> None:
        from PIL import Image

        ink = self._background
        assert ink is not None
        side, across = self._side(), self._image.width()
        h, w = ink.shape
        scale = min(side / h, across / w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        picture = Image.fromarray((ink * 255).round().astype(np.uint8))
        picture = picture.resize(
            (nw, nh), Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BILINEAR
        )
        top, left = (side - nh) // 2, (across - nw) // 2
        rows = self._writable_rows()
        rows[top : top + nh, left : left + nw] = np.asarray(picture)

    def _writable_rows(self) -> np.ndarray:
        img = self._image
        h, w, stride = img.height(), img.width(), img.bytesPerLine()
        return np.frombuffer(img.bits(), np.uint8, count=h * stride).reshape(h, stride)[:, :w]

    def _ensure_size(self) -> None:
        """Match the ink image to the widget (resize events of hidden widgets come late)."""
        side = max(1, min(self.width() // self._aspect, self.height()))
        if side != self._image.height() or side * self._aspect != self._image.width():
            self._image = QImage(side * self._aspect, side, QImage.Format.Format_Grayscale8)
            self._rerender()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        self._ensure_size()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        self._ensure_size()
        painter = QPainter(self)
        try:
            outside = CANVAS_SURROUND_INVERTED if self._inverted else CANVAS_SURROUND
            rect = event.rect()
            painter.fillRect(rect, outside)
            shown = rect.intersected(self._image.rect())
            if shown.isEmpty():
                return
            part = self._image.copy(shown)
            if self._inverted:
                part.invertPixels()
            painter.drawImage(shown.topLeft(), part)
            if self._overlay is not None:
                # Multiply tints white ink and leaves black paper black; Screen does the same
                # for black ink on white paper.
                mode = QPainter.CompositionMode
                painter.setCompositionMode(
                    mode.CompositionMode_Screen if self._inverted else mode.CompositionMode_Multiply
                )
                painter.setClipRect(shown)
                image, where = self._overlay
                if image.size() == where.size().toSize():  # already stretched: no scaling
                    painter.drawImage(where.topLeft(), image)
                else:
                    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                    painter.drawImage(where, image)
            if self._boxes:
                painter.setClipping(False)
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
                self._paint_boxes(painter)
        finally:
            painter.end()

    def _paint_boxes(self, painter: QPainter) -> None:
        """Each digit's box, and its answer above it on a chip of its own colour."""
        font = painter.font()
        font.setPixelSize(CHIP_PX - 6)
        font.setBold(True)
        painter.setFont(font)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for i, b in enumerate(self._boxes):
            left, top, width, height = b.box
            colour = NUMBER_BOX_SELECTED if b.selected else NUMBER_BOX
            painter.setPen(QPen(colour, 3 if b.selected else 1, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRect(left - 2, top - 2, width + 4, height + 4))
            chip = self.chip_rect(i)
            background, text = chip_text(b.sure, b.selected)
            painter.fillRect(chip, background)
            painter.setPen(text)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, b.answer)
