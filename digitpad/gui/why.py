"""Why the model said what it said: saliency over the drawing and the nearest MNIST digits.

Both are worked out in a thread of their own *after* the prediction is shown, so they never
hold it back: the window hands :class:`WhyWorker` each new picture, the worker answers for the
latest one only (older requests are dropped) and its answer comes back as a Qt signal. The
worker runs its own copy of the model, so its batches never wait on (or make wait) the one the
window predicts with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRect, QRectF, QSettings, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from .. import models
from ..models import ModelError
from . import settings as keys
from .actions import ActionFactory
from .canvas import DrawingCanvas
from .panels import AnswerPanel, ModelInputView, digit_image
from .style import FOR_ANSWER, FOR_RUNNER_UP, NOT_SURE, SHADE, text_in
from .worker import LatestWorker

if TYPE_CHECKING:  # imported when first used: they are not needed to show the window
    from ..reading import neighbours, saliency
    from ..reading.api import DigitReading
    from ..reading.verdict import Verdict
    from .explore.map import MapPanel

K = 8  # neighbours shown (neighbours.K)

SPACES = {"features": "by the CNN's features", "pixels": "by pixels"}
CANVAS_STRENGTH = 0.55  # the tint over the drawing is fainter than over the 28×28 preview
MIN_GAP_S = 0.05  # while the pen moves, why-results are shown at most 20 times a second
WARM_UP = ("warm-up",)  # the key of the request that loads everything before the first drawing


@dataclass(frozen=True)
class WhyRequest:
    key: object  # what the window uses to match the answer to its picture
    digit: np.ndarray  # (28, 28) float32
    model: str  # the model whose answer the saliency explains
    saliency: bool
    neighbours: str | None  # "features", "pixels" or None
    place: bool  # put the drawing on the map of all digits
    answer: int | None = None  # the model's answer for this picture
    on_canvas: QRectF | None = None  # where this picture's 28×28 field lies on the canvas


@dataclass
class WhyResult:
    key: object
    model: str
    answer: int | None = None
    on_canvas: QRectF | None = None
    saliency: saliency.Saliency | None = None
    neighbours: neighbours.Neighbours | None = None
    space: str | None = None
    map_xy: np.ndarray | None = None
    # the faint saliency already stretched over the canvas (done here, off the GUI thread)
    canvas_overlay: tuple[QImage, QRectF] | None = None
    errors: list[str] = field(default_factory=list)


class WhyWorker(LatestWorker):
    """Computes :class:`WhyResult` for the latest :class:`WhyRequest` in a daemon thread.

    ``ready(WhyResult)`` arrives on the GUI thread. ``stop()`` ends the thread (closing).
    """

    thread_name = "why"
    # At most one piece of work per MIN_GAP_S: while the pen moves, requests come 60 times a
    # second, and a worker busy all the time would slow the window.
    gap_s = MIN_GAP_S

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # (name, meta.json time) and this thread's copy of the model explained now
        self._copy: tuple[tuple[str, int], models.Classifier] | None = None

    def warm_up(self, model: str, space: str | None) -> None:
        """Load what the first request will need (indexes, a copy of ``model``, its batch
        interpreter), in the worker thread, before anyone draws."""
        blank = np.zeros((28, 28), np.float32)
        blank[8:20, 12:16] = 1.0  # any picture will do
        self.request(WhyRequest(WARM_UP, blank, model, True, space, True))

    def work(self, request: WhyRequest) -> WhyResult:
        return self.compute(request)

    def _model(self, name: str) -> models.Classifier:
        """A copy of model ``name`` for this thread only (reloaded when it is retrained or when
        another model was explained since)."""
        folder = models.folder(name)
        key = (name, (folder / "meta.json").stat().st_mtime_ns)
        # Only the model explained now: a network's copy holds an interpreter sized for the
        # saliency batch (tens of MB), and switching models back is a 50 ms reload here.
        if self._copy is None or self._copy[0] != key:
            from ..models.store import load_folder

            clf = load_folder(folder, name)
            if hasattr(clf, "batch_threads"):
                clf.batch_threads = 1  # the other core stays with the window
            self._copy = (key, clf)
        return self._copy[1]

    def compute(self, r: WhyRequest) -> WhyResult:
        """The answer to ``r`` (runs in the worker thread; callable directly in tests)."""
        from ..reading import neighbours, saliency

        out = WhyResult(r.key, r.model, r.answer, r.on_canvas)
        if r.saliency:
            out.saliency = _attempt(
                out, "saliency", lambda: saliency.saliency(self._model(r.model), r.digit)
            )
        if out.saliency is not None and r.on_canvas is not None:
            out.canvas_overlay = canvas_overlay(out.saliency.map, r.on_canvas)
        features = None
        if r.neighbours == "features" or r.place:
            features = _attempt(
                out,
                "nearest digits",
                lambda: neighbours.shared_index().features(r.digit[None])[0],
            )
        if r.neighbours is not None:
            out.neighbours = _attempt(
                out, "nearest digits", lambda: _nearest(r.neighbours, r.digit, features)
            )
            out.space = None if out.neighbours is None else r.neighbours
        if r.place and features is not None:
            out.map_xy = _attempt(out, "map", lambda: neighbours.shared_map().place(features)[0])
        return out


def _attempt(out: WhyResult, what: str, work: Callable[[], object]) -> Any:
    """``work()``, or None with the reason noted in ``out.errors`` when a model or an index
    cannot be read."""
    try:
        return work()
    except (ModelError, OSError) as e:
        out.errors.append(f"{what}: {e}")
        return None


def _nearest(
    space: str, digit: np.ndarray, features: np.ndarray | None
) -> neighbours.Neighbours | None:
    """The K training digits nearest to ``digit`` (28, 28) float32, by pixels or by the
    ``features`` (128,) float32 of the feature model (None when those could not be had)."""
    from ..reading import neighbours

    if space == "pixels":
        return neighbours.shared_pixels().nearest(digit)
    if features is None:
        return None
    return neighbours.shared_index().nearest_to_features(features)


def canvas_overlay(smap: np.ndarray, field: QRectF) -> tuple[QImage, QRectF]:
    """The faint tint of ``smap`` (28, 28) stretched over ``field``, the 28×28 field's place
    on the canvas (done in the worker thread: scaling it is too slow for the pen's pace)."""
    rect = field.toAlignedRect()
    faint = saliency_image(smap, CANVAS_STRENGTH).scaled(
        rect.size(),
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    return faint, QRectF(rect)


def saliency_image(smap: np.ndarray, strength: float = 1.0) -> QImage:
    """A 28×28 RGBA tint of ``smap``: red where strokes argue for the answer, blue where they
    argue for the runner-up, clear where they do not matter. Multiplied over white ink it
    colours the strokes and leaves black paper black; ``strength`` scales it (1 for the
    preview, less over the drawing)."""
    s = np.asarray(smap, np.float32)
    top = float(np.abs(s).max())
    rgba = np.zeros((28, 28, 4), np.uint8)
    if top > 0:
        level = np.sqrt(np.clip(np.abs(s) / top, 0, 1)) * strength
        for sign, colour in ((1, FOR_ANSWER), (-1, FOR_RUNNER_UP)):
            where = np.sign(s) == sign
            alpha = level[where]
            # premultiplied: colour × alpha
            rgba[where, 0] = np.rint(colour.red() * alpha)
            rgba[where, 1] = np.rint(colour.green() * alpha)
            rgba[where, 2] = np.rint(colour.blue() * alpha)
            rgba[where, 3] = np.rint(255 * alpha)
    image = QImage(rgba.data, 28, 28, 28 * 4, QImage.Format.Format_RGBA8888_Premultiplied)
    return image.copy()  # own its pixels


def legend_html(answer: int, runner_up: int) -> str:
    return (
        f"<span style='color:{FOR_ANSWER.name()}'>■</span> for {answer} &nbsp; "
        f"<span style='color:{FOR_RUNNER_UP.name()}'>■</span> for {runner_up}"
    )


class ThumbnailRow(QWidget):
    """Eight 28×28 digits side by side, each with its label under it, painted in one go (eight
    tool buttons cost several milliseconds to repaint, and this repaints while the pen moves).
    ``clicked(k)`` when thumbnail ``k`` is clicked; its tooltip says what it is."""

    clicked = Signal(int)
    THUMB = 36

    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._count = count
        self._images: list[QImage] = []
        self._texts: list[str] = []
        self._tips: list[str] = []
        line = self.fontMetrics().lineSpacing()
        self.setFixedHeight(self.THUMB + line + 6)
        self.setMinimumWidth(count * (self.THUMB + 2))
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_items(self, images: list[np.ndarray], texts: list[str], tips: list[str]) -> None:
        """``images`` (28, 28) uint8 each (up to ``count``); none: empty boxes."""
        self._images = [digit_image(im) for im in images]
        self._texts = list(texts)
        self._tips = list(tips)
        self.update()

    def texts(self) -> list[str]:
        return list(self._texts)

    def cell(self, k: int) -> QRect:
        """Where thumbnail ``k`` is drawn (its label below it is part of the cell)."""
        step = self.width() / self._count
        left = round(k * step + (step - self.THUMB) / 2)
        return QRect(left, 0, self.THUMB, self.height())

    def _at(self, x: float) -> int | None:
        k = int(x // (self.width() / self._count))
        return k if 0 <= k < len(self._images) else None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            pen = self.palette().color(QPalette.ColorRole.WindowText)
            line = self.fontMetrics().lineSpacing()
            for k in range(self._count):
                r = self.cell(k)
                box = QRect(r.left(), 0, self.THUMB, self.THUMB)
                if k < len(self._images):
                    painter.drawImage(box, self._images[k])
                else:
                    painter.fillRect(box, SHADE)
                painter.setPen(pen)
                text = self._texts[k] if k < len(self._texts) else "–"
                painter.drawText(
                    QRect(r.left() - 4, self.THUMB + 2, self.THUMB + 8, line),
                    Qt.AlignmentFlag.AlignCenter,
                    text,
                )
        finally:
            painter.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        k = self._at(event.position().x())
        if k is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(k)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip:
            k = self._at(e.pos().x())
            if k is not None and k < len(self._tips):
                QToolTip.showText(e.globalPos(), self._tips[k], self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)


class NeighboursStrip(QWidget):
    """The eight nearest MNIST training digits, each with its label; a click on one emits
    ``opened(index)`` (its index in MNIST's training set). Says when their labels disagree with
    the answer. ``space_changed(str)`` when the person picks features or pixels."""

    opened = Signal(int)
    space_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.space_box = QComboBox()
        for key, text in SPACES.items():
            self.space_box.addItem(text, key)
        self.space_box.setToolTip(
            "Nearest by the default CNN's view of a digit (its last 128 features before the "
            "answer), or by plain pixel distance"
        )
        self.space_box.currentIndexChanged.connect(lambda _: self.space_changed.emit(self.space()))
        self.row = ThumbnailRow(K)
        self.row.clicked.connect(self._on_click)
        self.message = QLabel("")
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.message.setFixedHeight(self.message.fontMetrics().lineSpacing() + 2)
        self.message.setStyleSheet(f"color: {text_in(NOT_SURE, self.palette())}")
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(QLabel("<b>Nearest MNIST digits</b>"))
        head.addStretch(1)
        head.addWidget(self.space_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(self.row)
        layout.addWidget(self.message)
        self._shown: neighbours.Neighbours | None = None
        self.show_neighbours(None)

    def space(self) -> str:
        return self.space_box.currentData()

    def set_space(self, space: str) -> None:
        i = self.space_box.findData(space)
        if i >= 0:
            self.space_box.setCurrentIndex(i)

    def shown(self) -> neighbours.Neighbours | None:
        return self._shown

    def show_neighbours(
        self, found: neighbours.Neighbours | None, answer: int | None = None, note: str = ""
    ) -> None:
        """Show ``found`` (None: empty boxes and ``note``), and a warning when their labels
        disagree with ``answer``."""
        same = (
            found is not None
            and self._shown is not None
            and np.array_equal(found.indices, self._shown.indices)
        )
        self._shown = found
        if found is None:
            self.row.set_items([], [], [])
        elif not same:  # while the pen moves the eight often stay the same: no repaint then
            self.row.set_items(*thumbnails(found))
        text = note if found is None else "" if answer is None else found.disagreement(answer)
        if text != self.message.text():
            self.message.setText(text)
            self.message.setToolTip(text)

    def _on_click(self, k: int) -> None:
        if self._shown is not None and k < len(self._shown.indices):
            self.opened.emit(int(self._shown.indices[k]))


def thumbnails(found: neighbours.Neighbours) -> tuple[list[np.ndarray], list[str], list[str]]:
    """The (28, 28) uint8 training images of ``found``, their labels and their tooltips."""
    from ..data import mnist

    images, _ = mnist.load_mnist("train", as_float=False)
    return (
        [images[int(i)] for i in found.indices],
        [str(int(v)) for v in found.labels],
        [
            f"MNIST training #{int(i)}, a {int(v)} (distance {d:.2f}); click to open it in Browse"
            for i, v, d in zip(found.indices, found.labels, found.distances, strict=True)
        ],
    )


#: What the nearest-digits strip says before there is anything to compare.
NO_DRAWING = "Draw a digit to see the MNIST digits nearest to it"


class WhyController(QObject):
    """The why-views: the saliency over the 28×28 preview and (faintly) over the canvas, the
    nearest MNIST digits (``strip``, for the window to place), and the drawing's marker on the
    Map tab. ``saliency_action`` and ``neighbours_action`` switch the first two on and off.

    It is given what it needs: the ``settings`` it remembers its switches in, the window's
    ``make_action``, a ``status(text, ms)`` line, the three widgets it paints on (``preview``,
    ``canvas``, ``answer``), ``driver()`` (the model giving the answer), ``map_panel()`` (the
    Map panel, None until it is built) and ``open_samples(indices, title, focus=...)`` (Browse
    on those MNIST digits). The window calls :meth:`update` right after it has shown a
    prediction, :meth:`clear` for an empty canvas and :meth:`on_tab_changed` when another tab
    is shown; the work happens in :class:`WhyWorker` and arrives a frame or two later.
    ``shown(WhyResult)`` is emitted each time a result is put on screen.
    """

    shown = Signal(object)

    def __init__(
        self,
        *,
        settings: QSettings,
        make_action: ActionFactory,
        status: Callable[[str, int], None],
        preview: ModelInputView,
        canvas: DrawingCanvas,
        answer: AnswerPanel,
        driver: Callable[[], str | None],
        map_panel: Callable[[], MapPanel | None],
        open_samples: Callable[..., object],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._status = status
        self._preview = preview
        self._canvas = canvas
        self._answer = answer
        self._driver = driver
        self._map_panel = map_panel
        self._open_samples = open_samples
        self._asked: WhyRequest | None = None  # the latest request
        self._result: WhyResult | None = None  # the latest result shown
        self._map_xy: np.ndarray | None = None
        # what the Draw tab says of the latest picture, and which digit of a number it is
        self._verdict: Verdict | DigitReading | None = None
        self._note = ""
        # key, digit, model, answer, field of the latest picture
        self._last: tuple[object, np.ndarray, str, int, QRectF | None] | None = None
        self._stopped = False
        self._shown_at = 0.0  # time.monotonic() of the last result shown
        self.worker = WhyWorker(self)
        self.worker.ready.connect(self._on_ready)
        self.strip = NeighboursStrip()
        self.strip.opened.connect(self._open_in_browser)
        self.strip.space_changed.connect(self._on_space)
        self.saliency_action = make_action(
            "Saliency (why this answer)",
            "Colour the strokes that push the chosen model to its answer (red) and to its "
            "runner-up (blue)",
            "F2",
            self._on_toggle,
            checkable=True,
        )
        self.neighbours_action = make_action(
            "Nearest MNIST digits",
            "Show the eight MNIST training digits closest to the drawing",
            "F3",
            self._on_toggle,
            checkable=True,
        )
        self.saliency_action.setChecked(settings.value(keys.WHY_SALIENCY, True, type=bool))
        self.neighbours_action.setChecked(settings.value(keys.WHY_NEIGHBOURS, True, type=bool))
        self.strip.set_space(keys.read_str(settings, keys.WHY_SPACE) or "features")
        self.strip.setVisible(self.neighbours_action.isChecked())
        self.strip.show_neighbours(None, note=NO_DRAWING)

    # ---------------------------------------------------------------- for the window

    def saliency_on(self) -> bool:
        return self.saliency_action.isChecked()

    def neighbours_on(self) -> bool:
        return self.neighbours_action.isChecked()

    def result(self) -> WhyResult | None:
        """The latest result on screen (None after a clear or before the first)."""
        return self._result

    def map_position(self) -> np.ndarray | None:
        """Where the drawing is on the map of all digits (None: no drawing, or not asked)."""
        return None if self._map_xy is None else self._map_xy.copy()

    def pending(self) -> bool:
        """Is a request on its way (asked for, not yet shown)?"""
        return self._asked is not None and (
            self._result is None or self._result.key != self._asked.key
        )

    def update(
        self, key: object, digit: np.ndarray, model: str, answer: int, on_canvas: QRectF | None
    ) -> None:
        """The window shows ``model``'s ``answer`` for ``digit`` (28, 28) float32; ``on_canvas``
        is where the 28×28 picture lies on the canvas (None for an opened image)."""
        self._last = (key, digit, model, answer, on_canvas)
        self._ask(*self._last)

    def show_verdict(self, answer: Verdict | DigitReading, note: str = "") -> None:
        """The window shows ``answer`` for the latest picture (its ``digit`` None: not sure):
        the star on the map says the same, followed by ``note`` (Number mode: "digit 2 of
        3")."""
        self._verdict = answer
        self._note = note
        if self._map_xy is not None:
            self._show_on_map(self._map_xy)

    def clear(self) -> None:
        """The canvas is empty: take every why-view down."""
        self._verdict = None
        self._note = ""
        self._asked = None
        self._last = None
        self._result = None
        self._map_xy = None
        self._paint_saliency(None, None, "")
        self.strip.show_neighbours(None, note=NO_DRAWING)
        self._show_on_map(None)

    def on_tab_changed(self, _index: int = 0) -> None:
        """Another tab is shown: if it is the Map, put the drawing on it."""
        if self._map_panel() is not None:
            self._show_on_map(self._map_xy)
            if self._asked is not None and not self._asked.place:
                self._again()

    def warm_up(self) -> None:
        """The models are loaded: prepare the worker before the first drawing."""
        if (self.saliency_on() or self.neighbours_on()) and self._last is None:
            model = self._driver()
            if model is not None:
                space = self.strip.space() if self.neighbours_on() else None
                self.worker.warm_up(model, space)

    def shutdown(self) -> None:
        self._stopped = True
        self.worker.stop()

    # ---------------------------------------------------------------- inside

    def _ask(
        self, key: object, digit: np.ndarray, model: str, answer: int, on_canvas: QRectF | None
    ) -> None:
        space = self.strip.space() if self.neighbours_on() else None
        wanted = (self.saliency_on(), space, self._map_panel() is not None)
        full_key = (key, model, *wanted)
        if self._asked is not None and self._asked.key == full_key:
            return
        if not any(wanted):
            self._asked = None
            return
        self._asked = WhyRequest(
            full_key, digit, model, wanted[0], space, wanted[2], answer, on_canvas
        )
        self.worker.request(self._asked)

    def _again(self) -> None:
        """Ask again for the latest picture, with what is switched on now."""
        if self._last is not None:
            self._ask(*self._last)

    def _on_toggle(self) -> None:
        self._settings.setValue(keys.WHY_SALIENCY, self.saliency_on())
        self._settings.setValue(keys.WHY_NEIGHBOURS, self.neighbours_on())
        self.strip.setVisible(self.neighbours_on())
        if not self.saliency_on():
            self._paint_saliency(None, None, "")
        self._again()

    def _on_space(self, space: str) -> None:
        self._settings.setValue(keys.WHY_SPACE, space)
        self._again()

    def _is_due(self, result: WhyResult, now: float) -> bool:
        """Should ``result`` go on screen? While the pen moves, a result is for a picture a
        stroke or so old: shown anyway (the one for the newest picture follows), unless the
        canvas was cleared since, or one was shown less than MIN_GAP_S ago (the window's own
        answer comes first)."""
        if self._stopped or self._asked is None or result.key == WARM_UP:
            return False
        return result.key == self._asked.key or now - self._shown_at >= MIN_GAP_S

    def _on_ready(self, result: WhyResult) -> None:
        now = time.monotonic()
        if not self._is_due(result, now):
            return
        self._shown_at = now
        self._result = result
        s = result.saliency
        if s is not None:
            legend = legend_html(s.answer, s.runner_up)
            self._paint_saliency(saliency_image(s.map), result.canvas_overlay, legend)
        if result.neighbours is not None:
            self.strip.show_neighbours(result.neighbours, result.answer)
        elif result.space is None and self.neighbours_on():
            self.strip.show_neighbours(None, note="; ".join(result.errors))
        if result.map_xy is not None:
            self._map_xy = result.map_xy
            self._show_on_map(result.map_xy)
        if result.errors:
            self._status(" · ".join(result.errors), 8000)
        self.shown.emit(result)

    def _paint_saliency(
        self,
        preview_tint: QImage | None,
        canvas_tint: tuple[QImage, QRectF] | None,
        legend: str,
    ) -> None:
        """Tint the preview and the canvas (None: take the tint off) and caption the colours."""
        self._preview.show_overlay(preview_tint)
        self._canvas.set_overlay(*(canvas_tint or (None, None)))
        self._answer.set_legend(legend)

    def _show_on_map(self, xy: np.ndarray | None) -> None:
        """The star at ``xy``, captioned with the verdict the Draw tab shows (never the raw
        top answer: a drawing that is "not sure" there is not "your 6" here)."""
        panel = self._map_panel()
        if panel is not None:
            v = self._verdict
            digit = None if v is None else v.digit
            panel.set_drawing(xy, digit, v is not None and digit is None, self._note)

    def _open_in_browser(self, index: int) -> None:
        shown = self.strip.shown()
        indices = np.array([index]) if shown is None else shown.indices
        self._open_samples(indices, "Nearest to your drawing", focus=index)
