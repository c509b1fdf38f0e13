"""Number mode in the window: the number read so far while you draw, a box and an answer over
each digit on the canvas, and one digit's bars and reason beside it (the reading itself is
``reading.live_number``: live readings on this thread, settled ones in a worker thread)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from .. import models
from ..reading.api import DigitReading
from ..reading.live_number import LiveNumber, PenStroke, Settled
from ..reading.number import NumberDigit, NumberReading
from .canvas import DrawingCanvas, NumberBox
from .panels import AnswerPanel, LazyProbabilityBars, ModelInputView
from .style import MUTED, NOT_SURE, text_in
from .worker import LatestWorker

EMPTY = "Write a number"
HINT = "click a digit's answer for its bars"
PANEL_MS = 50


class NumberLabel(QLabel):
    """The number read so far, large; a "?" (not sure) in the not-sure colour. Never widens
    the window (a very long number is cut at the right)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFont(self.font())
        font.setPixelSize(30)
        font.setBold(True)
        self.setFont(font)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setToolTip("The number read so far; click a digit's answer on the canvas for its bars")
        self._text: str | None = None
        self._palette = ""
        self.show_number(None)

    def show_number(self, text: str | None) -> None:
        """``text`` (digits, "?" for each one not sure), or None for an empty canvas."""
        palette = self.palette().color(self.backgroundRole()).name()
        if (text or "", palette) == (self._text, self._palette):
            return  # while the pen moves, the number seldom changes
        self._text, self._palette = text or "", palette
        if not text:
            self.setText(f"<span style='color:{text_in(MUTED, self.palette())}'>{EMPTY}</span>")
            return
        unsure = text_in(NOT_SURE, self.palette())
        self.setText(
            "".join(f"<span style='color:{unsure}'>?</span>" if c == "?" else c for c in text)
        )

    def number(self) -> str:
        """The number shown ("" when there is none)."""
        return self._text


@dataclass(frozen=True, eq=False)
class SettleRequest:
    """Read the whole canvas as ``read_number`` does: picture ``revision``, its ``ink`` (H, W)
    uint8, drawn with strokes ``strokes`` (their keys), by ``classifiers``, ``driver`` in
    charge; from the strokes themselves, ``pens``, when they are all there is (none when an
    opened image is on the canvas: its picture is read)."""

    revision: int
    strokes: tuple
    ink: np.ndarray
    classifiers: dict[str, models.Classifier]
    driver: str
    pens: tuple[PenStroke, ...] = ()


class NumberWorker(LatestWorker):
    """Settles the latest :class:`SettleRequest` in a daemon thread; ``ready((request,
    reading))`` arrives on the GUI thread."""

    thread_name = "number"

    def __init__(self, live: LiveNumber, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live = live

    def starting(self) -> None:
        # Below the window's thread when the processor is busy: the pen's next stroke must
        # not wait behind a settled reading of the last one (Linux: a thread's own priority).
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)

    def work(self, request: SettleRequest) -> tuple[SettleRequest, NumberReading]:
        live, r = self._live, request
        return r, live.settle(r.ink, r.classifiers, r.driver, list(r.pens))


class NumberController(QObject):
    """Reads the canvas as a number while Number mode is on (``set_active``).

    Every change of the ink is read live a turn of the event loop later (the settled reading
    and the digit under the pen read again, ``reading.live_number``); when no stroke is being
    drawn the whole canvas is also read as ``read_number`` reads its strokes (an opened image:
    its picture), in a worker thread, and that settled reading replaces the live one.
    ``number_changed(reading)`` is emitted each time a reading is shown (None for an empty
    canvas); ``settled()`` says whether the one shown is settled. A press on a digit's answer
    shows that digit's bars and reason.

    It is given the widgets it paints on, ``classifiers()`` (the models loaded) and
    ``driver()`` (the model in charge), and ``why_update(key, picture, model, answer)``,
    ``why_verdict(reading, note)`` (the digit's verdict and "digit 2 of 3", for the Map star's
    caption) and ``why_clear()`` for the why-views of the digit shown.
    """

    number_changed = Signal(object)

    def __init__(
        self,
        *,
        canvas: DrawingCanvas,
        answer: AnswerPanel,
        bars: LazyProbabilityBars,
        preview: ModelInputView,
        label: NumberLabel,
        classifiers: Callable[[], dict[str, models.Classifier]],
        driver: Callable[[], str | None],
        why_update: Callable[[object, np.ndarray, str, int], None],
        why_clear: Callable[[], None],
        why_verdict: Callable[[DigitReading, str], None] = lambda _r, _n: None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._canvas = canvas
        self._answer = answer
        self._bars = bars
        self._preview = preview
        self._label = label
        self._classifiers = classifiers
        self._driver = driver
        self._why_update = why_update
        self._why_clear = why_clear
        self._why_verdict = why_verdict
        self.active = False
        self.live = LiveNumber()
        self.worker = NumberWorker(self.live, self)
        self.worker.ready.connect(self._on_settled)
        self.reading: NumberReading | None = None  # the reading shown
        self._settled = False  # is it a settled one
        self._revision = -1  # of the picture it reads
        self._asked = -1  # the last picture sent to the worker
        self._chosen: tuple[int, int, int, int] | None = None  # the box clicked
        self.selected: int | None = None  # the digit whose bars are shown
        self._digit_shown: NumberDigit | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.read_now)
        # While the pen moves, the digit's panel (answer, bars, 28×28) is painted at most every
        # PANEL_MS; the number and the boxes on the canvas follow every move.
        self._panel_timer = QTimer(self)
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(PANEL_MS)
        self._panel_timer.timeout.connect(self._show_selected)
        canvas.changed.connect(self.schedule)
        canvas.stroke_finished.connect(self.schedule)
        canvas.stroke_started.connect(self._forget_choice)
        canvas.box_clicked.connect(self.select)

    # ---------------------------------------------------------------- for the window

    def set_active(self, on: bool) -> None:
        """Number mode on or off (off: the boxes go; the window reads single digits)."""
        self.active = bool(on)
        self.forget()
        if not self.active:
            self._canvas.set_number_boxes([])
        self.schedule()

    def forget(self) -> None:
        """Read the canvas afresh (the models, the model in charge or the canvas changed)."""
        self.live.settled = None
        self._asked = -1
        self._revision = -1

    def schedule(self) -> None:
        if self.active and not self._timer.isActive():
            self._timer.start()

    def revision(self) -> int:
        """The canvas revision the reading shown is of (-1: none yet)."""
        return self._revision

    def settled(self) -> bool:
        """Is the reading shown ``read_number``'s of the canvas as it is now?"""
        return self._settled and self._revision == self._canvas.revision

    def settle_now(self) -> NumberReading | None:
        """The settled reading of the canvas as it is now (``read_number``'s), read on this
        thread if the one shown is not, and shown (None: an empty canvas, no model loaded or
        Number mode off)."""
        canvas = self._canvas
        if not self.active or self.settled():
            return self.reading if self.active else None
        classifiers, driver = self._classifiers(), self._driver()
        if not canvas.is_empty() and (driver is None or driver not in classifiers):
            return None
        reading = None
        if not canvas.is_empty():
            strokes = self.strokes()
            reading = self.live.settle(canvas.ink(), classifiers, driver, self._pens(strokes))
            self.live.accept(Settled(tuple(s.key for s in strokes), reading))
        self._revision = self._asked = canvas.revision
        self._show(reading, True)
        return reading

    def selected_digit(self) -> NumberDigit | None:
        """The digit whose bars are shown (None when there is none)."""
        r = self.reading
        return None if r is None or self.selected is None else r.digits[self.selected]

    def select(self, index: int) -> None:
        """Show digit ``index``'s bars and reason (a press on its answer)."""
        if self.reading is None or not 0 <= index < len(self.reading.digits):
            return
        self._chosen = self.reading.digits[index].box
        self._show(self.reading, self._settled)

    def read_now(self) -> None:
        """Read the canvas as it is now: live, and ask the worker to settle it."""
        if not self.active:
            return
        canvas = self._canvas
        classifiers, driver = self._classifiers(), self._driver()
        if canvas.is_empty():
            self._revision = canvas.revision
            self._show(None, True)
            return
        if driver is None or driver not in classifiers:
            self._answer.show_loading()
            return
        drawing = canvas.current_stroke() is not None
        if not canvas.has_background() and self._revision != canvas.revision:
            reading = self.live.live(canvas.ink(), self.strokes(), classifiers, driver)
            self._revision = canvas.revision
            self._show(reading, False)
        if not drawing and self._asked != canvas.revision:
            self._asked = canvas.revision
            strokes = self.strokes()
            keys = tuple(s.key for s in strokes)
            pens = tuple(self._pens(strokes))
            ink = canvas.ink()
            self.worker.request(
                SettleRequest(canvas.revision, keys, ink, classifiers, driver, pens)
            )

    def shutdown(self) -> None:
        self.worker.stop()

    # ---------------------------------------------------------------- inside

    def strokes(self) -> list[PenStroke]:
        """The canvas's strokes (the one being drawn last) in ink pixels, as the reader sees
        them."""
        canvas = self._canvas
        scale = canvas.scale()
        current = canvas.current_stroke()
        strokes = canvas.strokes() + ([current] if current is not None else [])
        return [
            PenStroke(
                np.asarray(s.points, np.float64) * scale,
                s.width * scale,
                s.erase,
                (s.serial, len(s.points), scale),
            )
            for s in strokes
            if s.points
        ]

    def _pens(self, strokes: list[PenStroke]) -> list[PenStroke]:
        """The strokes to read the number from: ``strokes``, unless an opened image is on the
        canvas (then none: its picture is read, ``read_number``'s way)."""
        return [] if self._canvas.has_background() else strokes

    def _on_settled(self, result: tuple[SettleRequest, NumberReading | None]) -> None:
        request, reading = result
        if not self.active:
            return
        self.live.accept(Settled(request.strokes, reading))
        if request.revision == self._canvas.revision:
            self._revision = request.revision
            self._show(reading, True)
        else:
            self._revision = -1  # build the live reading on it
            self.schedule()

    def _forget_choice(self) -> None:
        """A stroke begins: the digit under the pen is shown, and the why-views of the last
        one go until the pen lifts (they would tint the new digit with the old one's)."""
        self._chosen = None
        if self.active:
            self._why_clear()

    def _show(self, reading: NumberReading | None, settled: bool) -> None:
        self.reading, self._settled = reading, settled
        self._label.show_number(None if reading is None else reading.text)
        self.selected = self._pick(reading)
        boxes = [
            NumberBox(d.box, "?" if d.digit is None else str(d.digit), d.sure, i == self.selected)
            for i, d in enumerate(reading.digits if reading is not None else ())
        ]
        self._canvas.set_number_boxes(boxes)
        if self._canvas.current_stroke() is None:
            self._panel_timer.stop()
            self._show_selected()
        elif not self._panel_timer.isActive():
            self._panel_timer.start()
        self.number_changed.emit(reading)

    def _show_selected(self) -> None:
        r = self.reading
        self._show_digit(None if r is None or self.selected is None else r.digits[self.selected])

    def _pick(self, reading: NumberReading | None) -> int | None:
        """The digit to show: the one clicked (the digit now nearest its box), else the one
        nearest the last stroke."""
        if reading is None or not reading.digits:
            return None
        if self._chosen is not None:
            x = self._chosen[0] + self._chosen[2] / 2
        else:
            strokes = self._canvas.strokes()
            current = self._canvas.current_stroke()
            last = current if current is not None else (strokes[-1] if strokes else None)
            if last is None or not last.points:
                return len(reading.digits) - 1
            x = float(np.mean([p[0] for p in last.points])) * self._canvas.scale()
        centres = [d.box[0] + d.box[2] / 2 for d in reading.digits]
        return int(np.argmin([abs(c - x) for c in centres]))

    def _show_digit(self, digit: NumberDigit | None) -> None:
        """One digit's answer, reason, 28×28 picture and bars (the canvas empty: none)."""
        if digit is not None and digit is self._digit_shown:
            return
        self._digit_shown = digit
        if digit is None:
            self._why_clear()  # the Map star and the tints of a digit no longer there
            self._answer.show_reading(None)
            self._answer.detail.setText(EMPTY)
            self._bars.show_probabilities(None)
            self._preview.show_digit(None)
            return
        r = digit.reading
        self._answer.show_answer(r.digit, r.reason, r.confidence, r.model)
        self._bars.show_probabilities(np.asarray(r.probabilities), sure=r.sure)
        self._preview.show_digit(np.asarray(r.picture))
        if self._canvas.current_stroke() is None:  # not while the pen moves: the why-views'
            # work would take the processor from the live reading (p99 67 against 35 ms)
            answer = int(np.argmax(r.probabilities))
            where = f"digit {self.selected + 1} of {len(self.reading.digits)}"
            self._why_verdict(r, where if len(self.reading.digits) > 1 else "")
            self._why_update(("number", self._revision, digit.box), r.picture, r.model, answer)
