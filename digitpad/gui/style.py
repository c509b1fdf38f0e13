"""The window's colours, in one place: the answer panels, the bars, the canvas and the explore
plots take them from here."""

from __future__ import annotations

from PySide6.QtGui import QColor

#: The top bar and whatever else marks the answer.
ACCENT = QColor(38, 110, 214)
#: Bars that are not the answer, frames, and the placeholder digit.
MUTED = QColor(150, 150, 150)
#: The "?" when the models are not sure.
NOT_SURE = QColor(200, 120, 20)

#: Around the canvas's square of paper, for white ink on black and for black ink on white.
CANVAS_SURROUND = QColor(40, 40, 40)
CANVAS_SURROUND_INVERTED = QColor(235, 235, 235)

#: Tableau's ten categorical colours: one per digit in the label bands and bar charts.
DIGIT_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
#: One per set of samples (train, test, each opened CSV) in the class distribution.
SOURCE_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2")
