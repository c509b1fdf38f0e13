"""The map of the 10,000 MNIST test digits: a t-SNE of the CNN's features, one dot per digit
coloured by its true label. Hover a dot to see the digit, click it to open it in Browse; the
drawing on the canvas is a star on it, and one model's mistakes can be ringed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from ...reading import neighbours
from ..panels import digit_image
from ..plots import background, foreground, style_plot
from ..style import DIGIT_COLOURS, ON_DARK, STAR_EDGE, STAR_FILL, WRONG
from .common import ModelBox, Workers, export_button, percent, save_png, wrong
from .data import ExploreData

DOT_PX = 5
RING_PX = 11
STAR_PX = 30
#: The star's caption: anchored 1.9 of its heights above the star (clear of its halo), or
#: 0.9 below it when there is no room above.
CAPTION_ABOVE = 1.9
CAPTION_BELOW = -0.9
NOT_SURE_CAPTION = "your drawing: not sure"
HOVER_PX = 6.0  # a dot counts as hovered within this many pixels of the mouse
THUMB_PX = 84  # the 28×28 digit, 3× without smoothing
ABOUT = (
    "t-SNE of the CNN's features of the 10,000 MNIST test digits: digits close together look "
    "alike to the CNN (the distances between clusters mean little). Hover a dot to see the "
    "digit, click it to open it in Browse; the wheel zooms, dragging pans."
)


def _load_map() -> neighbours.DigitMap:
    return neighbours.shared_map()


class _Thumbnail(QFrame):
    """The hovered digit enlarged, with one line about it; floats over the plot."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("mapThumbnail")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            f"#mapThumbnail {{ background: {background().name()};"
            f" border: 1px solid {foreground().name()}; border-radius: 4px; }}"
        )
        self.picture = QLabel()
        self.picture.setFixedSize(THUMB_PX, THUMB_PX)
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.text)
        self.hide()

    def show_digit(self, image: np.ndarray | None, html: str) -> None:
        """``image`` (28, 28) uint8, white on black, or None (only the line)."""
        if image is None:
            self.picture.hide()
        else:
            big = digit_image(image).scaled(
                THUMB_PX,
                THUMB_PX,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
            self.picture.setPixmap(QPixmap.fromImage(big))
            self.picture.show()
        self.text.setText(html)
        self.adjustSize()


class MapPanel(QWidget):
    """All 10,000 MNIST test digits on one map (t-SNE of the CNN's features).

    ``sample_chosen(index)`` carries the global index of a clicked digit. :meth:`set_drawing`
    puts the current drawing on the map (cheap: called on every stroke).
    """

    sample_chosen = Signal(int)
    map_loaded = Signal()
    map_failed = Signal(str)

    def __init__(self, data: ExploreData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.map: neighbours.DigitMap | None = None
        self.problem = ""
        self._workers = Workers()
        self._drawing: tuple[np.ndarray, str] | None = None  # where, and the caption
        self._hovered: int | None = None
        self._hover_text = ""
        self._wrong = np.empty(0, np.int64)  # test indices the chosen model gets wrong
        self._ringed = np.empty(0, np.int64)

        self.highlight = QCheckBox("Highlight misclassified")
        self.highlight.setToolTip("Ring the test digits the chosen model gets wrong")
        self.model_box = ModelBox(
            "The model whose mistakes are ringed and whose answers hover shows"
        )
        self.count_label = QLabel("")
        self.message = QLabel("Loading the map…")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.info = QLabel(ABOUT)
        self.info.setWordWrap(True)
        self._build_plot()
        self.thumbnail = _Thumbnail(self.graphics)

        bar = QHBoxLayout()
        bar.addWidget(self.highlight)
        bar.addWidget(QLabel("Model"))
        bar.addWidget(self.model_box)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        bar.addWidget(export_button(self, lambda: self.graphics, "digit_map"))
        self._stack = QStackedLayout()
        self._stack.addWidget(self.message)
        self._stack.addWidget(self.graphics)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(self._stack, 1)
        layout.addWidget(self.info)

        self.highlight.toggled.connect(lambda _: self._update_rings())
        self.model_box.currentIndexChanged.connect(lambda _: self._on_model())
        self.graphics.scene().sigMouseMoved.connect(self._on_move)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self.graphics.viewport().installEventFilter(self)
        self.view.sigRangeChanged.connect(lambda *_: self._follow_hovered())
        self.view.sigRangeChanged.connect(lambda *_: self._place_caption())
        data.follow(self._on_data, self.info, on_changes=True)
        self._workers.start(_load_map, returned=self._on_map, errored=self._on_map_failed)

    def _build_plot(self) -> None:
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(background())
        self.graphics.setMinimumSize(400, 300)
        self.legend = pg.LegendItem(
            colCount=10, frame=False, labelTextColor=foreground(), labelTextSize="10pt"
        )
        self.graphics.addItem(self.legend, row=0, col=0)
        self.plot = self.graphics.addPlot(row=1, col=0)
        style_plot(self.plot)
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMenuEnabled(False)
        self.view = self.plot.getViewBox()
        self.dots = pg.ScatterPlotItem(pxMode=True, size=DOT_PX, pen=None, symbol="o")
        self.plot.addItem(self.dots)
        self._labels: list[pg.TextItem] = []
        self.rings = pg.ScatterPlotItem(
            pxMode=True,
            size=RING_PX,
            symbol="o",
            brush=None,
            pen=pg.mkPen(foreground(), width=1.6),
        )
        self.rings.setZValue(10)
        self.plot.addItem(self.rings, ignoreBounds=True)
        self.hover_ring = pg.ScatterPlotItem(
            pxMode=True, size=RING_PX + 3, symbol="o", brush=None, pen=pg.mkPen(WRONG, width=2.5)
        )
        self.hover_ring.setZValue(15)
        self.hover_ring.hide()
        self.plot.addItem(self.hover_ring, ignoreBounds=True)
        # The drawing: a star on a white halo (it stands out on every digit's colour), moved
        # with setPos (never rebuilt), and its caption.
        self.marker = pg.ScatterPlotItem(pxMode=True, symbol="star")
        self.marker.setData(
            x=[0.0, 0.0],
            y=[0.0, 0.0],
            size=[STAR_PX + 9, STAR_PX],
            brush=[pg.mkBrush(ON_DARK), pg.mkBrush(STAR_FILL)],
            pen=[pg.mkPen(ON_DARK, width=2), pg.mkPen(STAR_EDGE, width=2.5)],
        )
        self.marker.setZValue(30)
        self.marker.hide()
        self.plot.addItem(self.marker, ignoreBounds=True)
        self.marker_text = pg.TextItem(
            "your drawing",
            color=STAR_EDGE,
            anchor=(0.5, CAPTION_ABOVE),
            fill=pg.mkBrush(255, 255, 255, 225),
            border=pg.mkPen(STAR_EDGE),
        )
        font = QFont()
        font.setBold(True)
        self.marker_text.setFont(font)
        self.marker_text.setZValue(31)
        self.marker_text.hide()
        self.plot.addItem(self.marker_text, ignoreBounds=True)

    # ---------------------------------------------------------------- public API

    def is_loaded(self) -> bool:
        return self.map is not None

    def model(self) -> str | None:
        return self.model_box.model()

    def set_model(self, name: str) -> None:
        """Ring model ``name``'s mistakes (once it is listed, if it is not yet)."""
        self.model_box.set_model(name)

    def set_drawing(
        self,
        xy: np.ndarray | None,
        answer: int | None = None,
        not_sure: bool = False,
        note: str = "",
    ) -> None:
        """Put the drawing at ``xy`` (2,) map coordinates with the caption "your ``answer``",
        "your drawing: not sure" when the answer is not sure (the Draw tab's verdict), or "your
        drawing" while there is no answer yet, followed by `` (note)`` when ``note`` is given
        (Number mode: which digit it is); None hides it. Before the map has loaded it is kept
        and shown once it has."""
        if xy is None:
            self._drawing = None
        else:
            caption = (
                NOT_SURE_CAPTION
                if not_sure
                else "your drawing"
                if answer is None
                else f"your {answer}"
            )
            if note:
                caption += f" ({note})"
            self._drawing = (np.asarray(xy, np.float64).reshape(2).copy(), caption)
        self._show_drawing()

    def marker_position(self) -> np.ndarray | None:
        """(2,) where the drawing's star is on the map, or None when none is shown."""
        if not self.marker.isVisible():
            return None
        pos = self.marker.pos()
        return np.array([pos.x(), pos.y()])

    def marker_caption(self) -> str:
        return self.marker_text.toPlainText() if self.marker_text.isVisible() else ""

    def highlighted(self) -> np.ndarray:
        """Test-set indices of the digits ringed now (ascending; empty when none)."""
        return self._ringed.copy()

    def dot_colours(self) -> np.ndarray:
        """(10000,) '#rrggbb' of every dot, in test-set order (for tests)."""
        brushes = self.dots.data["brush"]
        return np.array([b.color().name() for b in brushes])

    def point_at(self, pos: QPointF) -> int | None:
        """The test digit whose dot is nearest ``pos`` (view coordinates) if within
        ``HOVER_PX`` pixels of it, else None."""
        if self.map is None:
            return None
        pw, ph = self.view.viewPixelSize()
        dx = (self.map.xy[:, 0] - pos.x()) / pw
        dy = (self.map.xy[:, 1] - pos.y()) / ph
        d2 = dx * dx + dy * dy
        nearest = int(np.argmin(d2))
        return nearest if d2[nearest] <= HOVER_PX**2 else None

    def point_centre(self, index: int) -> QPoint:
        """Where test digit ``index`` is drawn, in pixels of ``self.graphics`` (for tests)."""
        x, y = self.map.xy[index]
        scene = self.view.mapViewToScene(QPointF(float(x), float(y)))
        return self.graphics.mapFromScene(scene)

    def hover(self, index: int | None) -> None:
        """Show test digit ``index`` enlarged beside its dot; None hides it."""
        self._hovered = index
        if index is None or self.map is None:
            self.thumbnail.hide()
            self.hover_ring.hide()
            return
        x, y = (float(v) for v in self.map.xy[index])
        self.hover_ring.setData(x=[x], y=[y])
        self.hover_ring.show()
        plain, html = self._describe(index)
        samples = self.data.samples
        image = None
        if samples is not None and len(samples.test_rows()) == len(self.map.xy):
            image = samples.images[samples.test_rows()[index]]
        self.thumbnail.show_digit(image, html)
        self._hover_text = plain
        self._place_thumbnail(self.point_centre(index))
        self.thumbnail.show()
        self.thumbnail.raise_()

    def hovered(self) -> int | None:
        return self._hovered

    def thumbnail_text(self) -> str:
        """The hovered digit's line, plain, or '' when nothing is hovered."""
        return self._hover_text if self.thumbnail.isVisible() else ""

    def choose(self, index: int) -> None:
        """Emit ``sample_chosen`` with the global index of test digit ``index``."""
        samples = self.data.samples
        if samples is None:
            return
        rows = samples.test_rows()
        if 0 <= index < len(rows):
            self.sample_chosen.emit(int(rows[index]))

    def export_png(self, path: str | Path) -> bool:
        return save_png(self.graphics, path)

    def shutdown(self) -> bool:
        """Ask the loading worker to stop; True if it was running."""
        return self._workers.shutdown()

    # ---------------------------------------------------------------- loading

    def _on_map(self, digit_map: neighbours.DigitMap) -> None:
        self.map = digit_map
        labels = np.asarray(digit_map.labels, np.int64)
        brushes = np.array([pg.mkBrush(c) for c in DIGIT_COLOURS], dtype=object)
        self.dots.setData(pos=digit_map.xy, brush=brushes[labels])
        self.legend.clear()
        counts = np.bincount(labels, minlength=10)
        for digit, colour in enumerate(DIGIT_COLOURS):
            sample = pg.ScatterPlotItem(symbol="o", size=10, pen=None, brush=pg.mkBrush(colour))
            self.legend.addItem(sample, f"{digit} ({counts[digit]:,})")
        self._label_clusters(digit_map.xy, labels)
        self.plot.setTitle(f"{len(labels):,} MNIST test digits, by true label")
        self.view.autoRange(padding=0.03)
        self._stack.setCurrentWidget(self.graphics)
        self._show_drawing()
        self._update_rings()
        self.map_loaded.emit()

    def _label_clusters(self, xy: np.ndarray, labels: np.ndarray) -> None:
        """Each digit written where most of its dots are (the median of their positions)."""
        for text in self._labels:
            self.plot.removeItem(text)
        self._labels = []
        font = QFont()
        font.setPointSizeF(15)
        font.setBold(True)
        for digit in range(10):
            mine = xy[labels == digit]
            if not len(mine):
                continue
            text = pg.TextItem(
                str(digit),
                color=STAR_EDGE,
                anchor=(0.5, 0.5),
                fill=pg.mkBrush(QColor(DIGIT_COLOURS[digit]).lighter(115)),
                border=pg.mkPen(STAR_EDGE),
            )
            text.setFont(font)
            text.setZValue(20)
            x, y = np.median(mine, axis=0)
            text.setPos(float(x), float(y))
            self.plot.addItem(text, ignoreBounds=True)
            self._labels.append(text)

    def _on_map_failed(self, error: Exception) -> None:
        self.problem = str(error)
        self.message.setText(f"Cannot show the map: {self.problem}")
        self.count_label.setText("")
        self.map_failed.emit(self.problem)

    def _on_data(self) -> None:
        samples = self.data.samples
        if samples is None:
            return
        self.model_box.blockSignals(True)
        self.model_box.set_models(list(samples.probabilities))
        self.model_box.blockSignals(False)
        self._on_model()

    def _on_model(self) -> None:
        samples = self.data.samples
        name = self.model()
        self._wrong = np.empty(0, np.int64)
        if samples is not None and name in samples.probabilities:
            rows = samples.test_rows()
            predicted = samples.probabilities[name][rows].argmax(axis=1)
            self._wrong = np.flatnonzero(predicted != samples.labels[rows])
        self._update_rings()
        if self._hovered is not None:
            self.hover(self._hovered)

    # ---------------------------------------------------------------- drawing

    def _show_drawing(self) -> None:
        if self._drawing is None or self.map is None:
            self.marker.hide()
            self.marker_text.hide()
            return
        (x, y), caption = self._drawing
        self.marker.setPos(x, y)
        self.marker_text.setPos(x, y)
        if self.marker_text.toPlainText() != caption:
            self.marker_text.setText(caption)
        self.marker.show()
        if not self.marker_text.isVisible():
            # TextItem's own setVisible (not Qt's show) re-fits it to the view's scale now.
            self.marker_text.setVisible(True)
        self._place_caption()

    def _place_caption(self) -> None:
        """The star's caption above it, or below it where above would run out of the top of
        the plot (it was cut off there), and kept inside the plot's left and right edges."""
        if self._drawing is None or self.map is None:
            return
        (x, y), _ = self._drawing
        rect = self.view.viewRect()
        pw, ph = self.view.viewPixelSize()
        if pw <= 0 or ph <= 0:
            return
        size = self.marker_text.boundingRect()
        above = (rect.bottom() - y) / ph  # pixels between the star and the top of the plot
        ay = CAPTION_ABOVE if above >= size.height() * CAPTION_ABOVE else CAPTION_BELOW
        left, right = (x - rect.left()) / pw, (rect.right() - x) / pw
        half = size.width() / 2
        ax = 0.5
        if left < half:
            ax = max(left, 0.0) / max(size.width(), 1.0)
        elif right < half:
            ax = 1.0 - max(right, 0.0) / max(size.width(), 1.0)
        if tuple(self.marker_text.anchor) != (ax, ay):
            self.marker_text.setAnchor((ax, ay))

    def _update_rings(self) -> None:
        name = self.model()
        on = self.highlight.isChecked() and self.map is not None and name is not None
        total = len(self.map.xy) if self.map is not None else 0
        self._ringed = self._wrong[self._wrong < total] if on else np.empty(0, np.int64)
        if on:
            self.rings.setData(pos=self.map.xy[self._ringed])
            self.count_label.setText(f"{name} gets {len(self._ringed):,} of {total:,} wrong")
        else:
            self.rings.clear()
            self.count_label.setText("")
        self.rings.setVisible(on)

    # ---------------------------------------------------------------- mouse

    def _on_move(self, scene_pos: QPointF) -> None:
        if self.map is None:
            return
        inside = self.view.sceneBoundingRect().contains(scene_pos)
        index = self.point_at(self.view.mapSceneToView(scene_pos)) if inside else None
        if index != self._hovered:
            self.hover(index)

    def _on_click(self, event) -> None:
        if self.map is None or event.button() != Qt.MouseButton.LeftButton:
            return
        index = self.point_at(self.view.mapSceneToView(event.scenePos()))
        if index is not None:
            self.choose(index)

    def _follow_hovered(self) -> None:
        """The view was zoomed or panned: keep the thumbnail beside its dot, or drop it."""
        if self._hovered is None or self.map is None:
            return
        x, y = (float(v) for v in self.map.xy[self._hovered])
        if self.view.viewRect().contains(QPointF(x, y)):
            self._place_thumbnail(self.point_centre(self._hovered))
        else:
            self.hover(None)

    def _place_thumbnail(self, at: QPoint) -> None:
        """Beside the dot, below right unless that leaves the plot."""
        size = self.thumbnail.sizeHint()
        gap = 12
        x, y = at.x() + gap, at.y() + gap
        if x + size.width() > self.graphics.width():
            x = at.x() - gap - size.width()
        if y + size.height() > self.graphics.height():
            y = at.y() - gap - size.height()
        self.thumbnail.move(max(x, 0), max(y, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Leave and self._hovered is not None:
            self.hover(None)
        return super().eventFilter(watched, event)

    def _describe(self, index: int) -> tuple[str, str]:
        """(plain, rich) "test #123 · label 7 · cnn says 7 (99%)" for test digit ``index``."""
        label = int(self.map.labels[index])
        head = f"test #{index} · label {label}"
        samples = self.data.samples
        name = self.model()
        if samples is None or name not in samples.probabilities:
            return head, head
        p = samples.probabilities[name][samples.test_rows()[index]]
        best = int(p.argmax())
        says = f"{name} says {best} ({percent(float(p[best]))})"
        rich = wrong(f"<b>{says}</b>", on_base=True) if best != label else says
        return f"{head} · {says}", f"{head} · {rich}"
