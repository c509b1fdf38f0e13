"""Replay a ``drawn.Drawing`` on a canvas as the mouse events a hand would make.

Used by the tests and the benchmarks; the events are ordinary ``QMouseEvent`` objects sent to
the canvas, so the canvas cannot tell them from a person drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from ..synthetic.drawn import Drawing
from ..synthetic.numbers import DrawnNumber


def send_mouse(
    widget: QWidget,
    kind: QEvent.Type,
    x: float,
    y: float,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
) -> None:
    """Send one press, move (with ``button`` held) or release at (x, y) in widget pixels."""
    local = QPointF(x, y)
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    which = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else button
    event = QMouseEvent(
        kind, local, widget.mapToGlobal(local), which, held, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def strokes_for(drawing: Drawing, side: float) -> tuple[list[np.ndarray], float]:
    """The drawing's strokes and pen width scaled from its canvas to a ``side`` px canvas."""
    scale = side / drawing.size
    return [np.asarray(s) * scale for s in drawing.strokes], drawing.pen_width * scale


def replay(
    canvas: QWidget,
    drawing: Drawing,
    between: Callable[[], None] | None = None,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
) -> None:
    """Draw ``drawing`` on ``canvas`` (a ``DrawingCanvas``) with its pen width, scaled to fit.

    between: called after every event (e.g. ``QApplication.processEvents``) to let live
    predictions run while the "hand" moves.
    """
    strokes, pen = strokes_for(drawing, min(canvas.width(), canvas.height()))
    canvas.set_pen_width(pen)
    for stroke in strokes:
        replay_stroke(canvas, stroke, between, button)


def replay_stroke(
    canvas: QWidget,
    points: Iterable,
    between: Callable[[], None] | None = None,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
) -> None:
    """Press at the first point, move through the others, release at the last: (K, 2) px."""
    pts = [(float(x), float(y)) for x, y in points]
    send_mouse(canvas, QEvent.Type.MouseButtonPress, *pts[0], button=button)
    if between:
        between()
    for x, y in pts[1:]:
        send_mouse(canvas, QEvent.Type.MouseMove, x, y, button=button)
        if between:
            between()
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, *pts[-1], button=button)
    if between:
        between()


def replay_number(
    canvas: QWidget,
    number: DrawnNumber,
    between: Callable[[], None] | None = None,
    strokes: int | None = None,
) -> None:
    """Draw ``number`` (``synthetic.numbers``) on ``canvas`` with its pen, scaled from its
    picture's height to the canvas's; only its first ``strokes`` strokes when given."""
    scale = canvas.scale() / number.image.shape[0]
    canvas.set_pen_width(number.pen * scale)
    for stroke in number.strokes[:strokes]:
        replay_stroke(canvas, np.asarray(stroke) * scale, between)
