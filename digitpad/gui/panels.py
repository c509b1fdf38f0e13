"""The panels beside the canvas: the big answer, the ten bars, the model's view, every model."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ..reading.live import Reading
from .style import MUTED, NOT_SURE, text_in

WRAP = int(Qt.TextFlag.TextWordWrap)
#: After the default model's name in every list of models.
DEFAULT_MARK = " (default)"
DETAIL_LINES = 2  # the answer's detail: "97% sure · cnn", or why it is not sure


def fit_text(text: str, metrics: QFontMetrics, width: int, height: int, wrap: bool) -> str:
    """``text`` as it fits a ``width`` × ``height`` box: on one line, or wrapped (``wrap``) into
    the lines the height holds, cut short with "…" where it would not fit."""
    if width <= 0:
        return text
    if not wrap:
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)

    def fits(candidate: str) -> bool:
        box = metrics.boundingRect(QRect(0, 0, width, 1 << 20), WRAP, candidate)
        return box.height() <= height and box.width() <= width

    if fits(text):
        return text
    low, high = 0, len(text)  # the longest start of the text that fits with "…" after it
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + "…"):
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


class FittedLabel(QLabel):
    """Plain text that never widens the window: the layout gives it the width there is, and
    the text is wrapped (``wrap``) into the lines its height holds or kept on one line, and
    ends in "…" where it does not fit; then the whole text is its tooltip. ``text()`` is the
    whole text."""

    def __init__(self, text: str = "", wrap: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(wrap)
        vertical = QSizePolicy.Policy.Fixed if wrap else QSizePolicy.Policy.Preferred
        self.setSizePolicy(QSizePolicy.Policy.Ignored, vertical)
        self._whole = ""
        self.setText(text)

    def text(self) -> str:
        return self._whole

    def shown_text(self) -> str:
        """What the label shows now (the whole text, or its start and "…")."""
        return super().text()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        self._whole = text
        self._fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        box = self.contentsRect()
        shown = fit_text(
            self._whole, self.fontMetrics(), box.width(), box.height(), self.wordWrap()
        )
        super().setText(shown)
        self.setToolTip(self._whole if shown != self._whole else "")


def caption(text: str) -> QLabel:
    """A bold section title."""
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class AnswerPanel(QWidget):
    """The predicted digit, large, beside the 28×28 picture the models read, and below them how
    sure the driving model is, or why there is no answer."""

    def __init__(self, input_view: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.digit = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        font = QFont(self.font())
        font.setPixelSize(120)
        font.setBold(True)
        self.digit.setFont(font)
        self.digit.setMinimumWidth(110)
        self.digit.setToolTip("The answer of the model chosen in the Model menu")
        # Under both the digit and the preview, the panel's whole width: a reason of the
        # verdict takes at most two lines there. However long, it wraps, and what would
        # not fit in two lines ends in "…" (the whole text is its tooltip): the label never
        # asks for more width or height.
        self.detail = FittedLabel("", wrap=True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        detail_font = QFont(self.font())
        detail_font.setPointSizeF(detail_font.pointSizeF() * 1.25)
        self.detail.setFont(detail_font)
        self.detail.setFixedHeight(DETAIL_LINES * self.detail.fontMetrics().lineSpacing() + 4)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.addWidget(caption("Answer"), 0, 0)
        grid.addWidget(caption("What the model sees"), 0, 1)
        self.legend = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.legend.setToolTip(
            "Saliency: which strokes push the model to its answer (red) or to its runner-up "
            "(blue); F2 switches it off"
        )
        self.legend.setFixedHeight(self.legend.fontMetrics().lineSpacing() + 2)
        grid.addWidget(self.digit, 1, 0)
        grid.addWidget(input_view, 1, 1)
        grid.addWidget(self.legend, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.detail, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        self.show_reading(None)

    def set_legend(self, html: str) -> None:
        """The saliency colours' meaning under the preview ('' when there is none)."""
        self.legend.setText(html)

    def show_loading(self) -> None:
        self._set("…", MUTED, "loading the models…")

    def show_reading(self, reading: Reading | None) -> None:
        if reading is None:
            self._set("–", MUTED, "Draw a digit")
            return
        v = reading.verdict
        if v.digit is None:
            self.show_answer(None, v.reason, 0.0, reading.driver, v.note)
        else:
            self.show_answer(v.digit, "", v.confidence, reading.driver, v.note)

    def show_answer(
        self, digit: int | None, reason: str, confidence: float, model: str, note: str = ""
    ) -> None:
        """``model``'s answer ``digit`` (None: not sure, and ``reason`` why). ``note``: why the
        verdict rested on its shape rules alone (fitted statistics missing, damaged or stale)."""
        limited = f" ({note})" if note else ""
        if digit is None:
            self._set("?", NOT_SURE, f"Not sure: {reason}{limited}")
        else:
            self._set(
                str(digit),
                self.palette().color(QPalette.ColorRole.WindowText),
                f"{_percent(confidence)} sure · {model}{limited}",
            )

    def _set(self, text: str, colour: QColor, detail: str) -> None:
        self.digit.setText(text)
        self.digit.setStyleSheet(f"color: {text_in(colour, self.palette())}")
        self.detail.setText(detail)


def _percent(p: float) -> str:
    """'97%', or '99.8%' near certainty, where a rounded '100%' would claim too much."""
    return f"{p:.0%}" if p < 0.99 else f"{min(p, 0.999):.1%}"


def digit_image(pixels: np.ndarray) -> QImage:
    """A (28, 28) uint8 picture (white on black) as a QImage that owns its pixels (one built on
    the array's buffer would point into freed memory once the array is gone)."""
    a = np.ascontiguousarray(pixels, np.uint8)
    return QImage(a.data, 28, 28, 28, QImage.Format.Format_Grayscale8).copy()


class ModelInputView(QWidget):
    """The 28×28 picture the models get, enlarged without smoothing (always white on black)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage(28, 28, QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._overlay: QImage | None = None
        self.setMinimumSize(112, 112)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setToolTip("The 28×28 picture exactly as the models see it (MNIST format)")

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(140, 140)

    def show_digit(self, digit: np.ndarray | None) -> None:
        """digit: (28, 28) float32 in [0, 1], or ``None`` for an empty canvas."""
        if digit is None:
            self._image.fill(0)
            self._overlay = None
        else:
            self._image = digit_image((digit * 255).round().astype(np.uint8))
        self.update()

    def show_overlay(self, overlay: QImage | None) -> None:
        """Lay ``overlay`` (28×28 RGBA, the saliency) over the picture; None removes it."""
        self._overlay = overlay
        self.update()

    def overlay(self) -> QImage | None:
        return self._overlay

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        side = (min(self.width(), self.height()) // 28) * 28
        left, top = (self.width() - side) // 2, (self.height() - side) // 2
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            target = QRect(left, top, side, side)
            painter.drawImage(target, self._image)
            if self._overlay is not None:  # tints the ink (white), leaves the paper black
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
                painter.drawImage(target, self._overlay)
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            painter.setPen(MUTED)
            painter.drawRect(target.adjusted(0, 0, -1, -1))
        finally:
            painter.end()


class ModelsTable(QTableWidget):
    """Every model's answer side by side; the default model in bold; the driver selected.

    Clicking a row asks for that model to drive the big answer (``driver_requested``).
    """

    driver_requested = Signal(str)
    COLUMNS = ("Model", "Digit", "Confidence")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Tab reaches it (the arrow keys then choose the model); a click leaves the focus be.
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        # Tab leaves the table (arrows move between its rows): cell by cell, Tab never got out
        # of it, and the toolbar's first buttons after it were never reached.
        self.setTabKeyNavigation(False)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip(
            "Every model reads the same drawing; click a row to make it drive the "
            "big answer. Bold: the default model."
        )
        self._names: list[str] = []
        self._status: dict[str, str] = {}
        self._default: str | None = None
        self.itemSelectionChanged.connect(self._on_selection)

    def set_models(self, names: list[str], default: str | None) -> None:
        self._names = list(names)
        self._default = default
        self._status = dict.fromkeys(names, "loading…")
        self.blockSignals(True)
        self.setRowCount(len(names))
        for row, name in enumerate(names):
            label = name + DEFAULT_MARK if name == default else name
            self._put(row, 0, label, bold=name == default)
            self._show_status(row)
        self.blockSignals(False)
        self._fit_height()

    def set_status(self, name: str, status: str, tooltip: str = "") -> None:
        """'loading…', 'unusable' (the reason in ``tooltip``) or '' once the model is ready."""
        if name not in self._names:
            return
        row = self._names.index(name)
        self._status[name] = status
        self._show_status(row)
        for c in range(3):
            self.item(row, c).setToolTip(tooltip)

    def set_driver(self, name: str | None) -> None:
        self.blockSignals(True)
        self.clearSelection()
        if name in self._names:
            self.selectRow(self._names.index(name))
        self.blockSignals(False)

    def show_reading(self, reading: Reading | None) -> None:
        for row, name in enumerate(self._names):
            p = None if reading is None else reading.probabilities.get(name)
            if p is None:
                self._show_status(row)
                continue
            best = int(np.argmax(p))
            self._put(
                row, 1, str(best), align=Qt.AlignmentFlag.AlignCenter, bold=name == reading.driver
            )
            self._put(
                row, 2, f"{min(float(p[best]), 0.999):.1%}", align=Qt.AlignmentFlag.AlignRight
            )

    def _show_status(self, row: int) -> None:
        status = self._status[self._names[row]]
        self._put(row, 1, "" if status else "–", align=Qt.AlignmentFlag.AlignCenter)
        self._put(row, 2, status, align=Qt.AlignmentFlag.AlignRight)

    def _put(self, row: int, col: int, text: str, align=None, bold: bool = False) -> None:
        item = self.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            self.setItem(row, col, item)
        item.setText(text)
        if align is not None:
            item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        if bold or item.font().bold():
            font = item.font()
            font.setBold(bold or (col == 0 and self._names[row] == self._default))
            item.setFont(font)

    def _fit_height(self) -> None:
        """Tall enough for every row where there is room (more scroll), and never less than
        four rows."""
        row = self.verticalHeader().defaultSectionSize()
        chrome = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
        self.setMaximumHeight(max(self.rowCount(), 1) * row + chrome)
        self.setMinimumHeight(min(self.rowCount(), 4) * row + chrome)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(super().sizeHint().width(), self.maximumHeight())

    def _on_selection(self) -> None:
        rows = {i.row() for i in self.selectedIndexes()}
        if len(rows) == 1:
            self.driver_requested.emit(self._names[rows.pop()])


class LazyProbabilityBars(QWidget):
    """Holds the place of the probability bars until ``build()`` (called once the window has been
    painted) imports pyqtgraph and puts the real ``ProbabilityBars`` in; what was asked for in the
    meantime is shown then."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setToolTip("Probability of each digit according to the chosen model")
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.plot = None  # the ProbabilityBars, once built
        self._pending: tuple[np.ndarray | None, bool] = (None, True)

    def build(self) -> None:
        if self.plot is not None:
            return
        from .bars import ProbabilityBars  # imports pyqtgraph

        self.plot = ProbabilityBars(self)
        self._layout.addWidget(self.plot, 0, 0)
        self.plot.show_probabilities(*self._pending)

    def show_probabilities(self, p: np.ndarray | None, sure: bool = True) -> None:
        """p: (10,) probabilities, or ``None`` for an empty canvas. Not ``sure``: no accent."""
        if self.plot is None:
            self._pending = (p, sure)
        else:
            self.plot.show_probabilities(p, sure)
