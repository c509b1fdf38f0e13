"""Where a child window opens: beside its parent when the screen has room, else over the
parent's right-hand side, clear of the canvas, so that a stroke is never started on a window
that just appeared. Pure geometry, so that it is tested for any screen and parent."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect, QSize
from PySide6.QtWidgets import QWidget

GAP = 8  # px between the parent's frame and the child's


def place_child(
    size: QSize,
    parent: QRect,
    available: QRect,
    keep_clear: QRect | None = None,
    minimum: QSize | None = None,
    beside: bool = True,
) -> QRect:
    """The frame rectangle for a child window of frame ``size``.

    ``parent``: the parent's frame; ``available``: the work area of the parent's screen;
    ``keep_clear``: what the child should not cover (the canvas); ``minimum``: the smallest
    frame the child may be shrunk to; not ``beside``: over the parent only (a dialog).
    In order of preference: right of the parent, left of
    it, over the parent's right-hand side right of ``keep_clear`` (reaching past the parent
    onto the screen and shrunk to the room there, down to ``minimum``), and last at the
    screen's right edge. Always inside ``available``.
    """
    minimum = minimum or size
    w = min(size.width(), available.width())
    h = min(size.height(), available.height())
    for x in (parent.right() + 1 + GAP, parent.left() - GAP - w) if beside else ():
        if available.left() <= x and x + w <= available.right() + 1:
            return _clamped(QRect(x, parent.top(), w, h), available)
    clear = keep_clear if keep_clear is not None else QRect(parent.topLeft(), QSize(0, 0))
    left_edge = clear.right() + 1 + GAP  # just right of the canvas
    screen_x = available.right() + 1  # just past the screen's right edge
    w = min(w, max(screen_x - left_edge, minimum.width()))
    top = max(clear.top(), parent.top())
    h = min(h, max(minimum.height(), parent.bottom() + 1 - top))
    # At the parent's right edge if that leaves the canvas clear; else right of the canvas,
    # past the parent's edge onto the screen; else (no room even for its minimum width) at the
    # screen's edge, over as little of the canvas as can be.
    at_edge = min(parent.right() + 1, screen_x) - w
    x = max(at_edge, min(left_edge, screen_x - w))
    return _clamped(QRect(x, top, w, h), available)


def _clamped(rect: QRect, available: QRect) -> QRect:
    """``rect`` moved (not resized) so that it lies inside ``available`` where it can."""
    x = min(max(rect.left(), available.left()), available.right() + 1 - rect.width())
    y = min(max(rect.top(), available.top()), available.bottom() + 1 - rect.height())
    return QRect(max(x, available.left()), max(y, available.top()), rect.width(), rect.height())


def frame_margins(widget: QWidget) -> QMargins:
    """The window manager's frame around ``widget``'s window (zero before it is shown)."""
    window = widget.window()
    frame, inner = window.frameGeometry(), window.geometry()
    return QMargins(
        inner.left() - frame.left(),
        inner.top() - frame.top(),
        frame.right() - inner.right(),
        frame.bottom() - inner.bottom(),
    )


def open_beside(
    child: QWidget, parent: QWidget, keep_clear: QWidget | None = None, beside: bool = True
) -> None:
    """Move (and if need be shrink) the top-level ``child`` to where :func:`place_child` says,
    for ``parent``'s window on its screen; ``keep_clear`` is a widget of the parent not to
    cover; not ``beside``: over the parent only. Call before showing ``child``."""
    window = parent.window()
    screen = window.screen() or child.screen()
    if screen is None:
        return
    margins = frame_margins(window)  # the child gets a frame like its parent's
    extra = QSize(margins.left() + margins.right(), margins.top() + margins.bottom())
    clear = None
    if keep_clear is not None and keep_clear.isVisible():
        clear = QRect(keep_clear.mapToGlobal(keep_clear.rect().topLeft()), keep_clear.size())
    minimum = child.minimumSizeHint().expandedTo(child.minimumSize()) + extra
    frame = place_child(
        QWidget.size(child) + extra,  # unbound: a dialog may have a field called "size"
        window.frameGeometry(),
        screen.availableGeometry(),
        clear,
        minimum,
        beside,
    )
    child.resize(frame.size() - extra)
    child.move(frame.topLeft())


def open_over(dialog: QWidget, parent: QWidget, keep_clear: QWidget | None = None) -> None:
    """Open ``dialog`` (window-modal, without blocking) over ``parent``'s window, on its
    right-hand side clear of ``keep_clear`` (the canvas) where it fits, as :func:`open_beside`
    places a dialog; a message box sets its own size as it is shown, so it is placed again then.
    """
    dialog.adjustSize()
    open_beside(dialog, parent, keep_clear, beside=False)
    dialog.open()
    open_beside(dialog, parent, keep_clear, beside=False)
