"""The look every pyqtgraph plot shares: the palette's base colour behind it, and its text
colour for axes, tick labels, titles and legends (pyqtgraph's own grey, #969696, reads at
2.96:1 on white). Kept apart from ``style`` so that the window starts before pyqtgraph is
imported."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette

from .style import text_on


def background(palette: QPalette | None = None) -> QColor:
    """The colour behind a plot: the palette's base (that of lists and fields)."""
    return (QPalette() if palette is None else palette).color(QPalette.ColorRole.Base)


def foreground(palette: QPalette | None = None) -> QColor:
    """The colour of a plot's text and axes: the palette's text colour."""
    return (QPalette() if palette is None else palette).color(QPalette.ColorRole.Text)


def plot_text(colour: QColor | str, palette: QPalette | None = None) -> QColor:
    """``colour`` for text written inside a plot (bar labels, captions): readable on its
    background."""
    return text_on(colour, background(palette))


def style_plot(plot: pg.PlotItem, palette: QPalette | None = None) -> None:
    """Axes, tick labels, axis labels, title and legend in the palette's text colour."""
    text = foreground(palette)
    pen = pg.mkPen(text)
    for name in ("left", "bottom", "top", "right"):
        axis = plot.getAxis(name)
        axis.setPen(pen)
        axis.setTextPen(pen)
    plot.titleLabel.setAttr("color", text.name())
    if plot.titleLabel.text:
        plot.titleLabel.setText(plot.titleLabel.text)
    if plot.legend is not None:
        plot.legend.setLabelTextColor(text)


def legend(plot: pg.PlotItem, offset: tuple[int, int], palette: QPalette | None = None):
    """A legend on ``plot`` at ``offset`` whose labels are in the palette's text colour."""
    return plot.addLegend(offset=offset, labelTextColor=foreground(palette))
