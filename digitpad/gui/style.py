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
#: Saliency: strokes that make the answer win, and strokes that argue for the runner-up.
FOR_ANSWER = QColor(230, 60, 40)
FOR_RUNNER_UP = QColor(40, 130, 240)
#: A faint shade over a thumbnail under the pointer.
SHADE = QColor(0, 0, 0, 40)

#: Wrong answers (Browse, Misclassified, the Map's rings).
WRONG = "#d1495b"
#: The frame around the chosen sample in a mosaic.
HIGHLIGHT = "#f28e2b"
#: The drawing's star on the Map.
STAR_FILL = "#ffd21f"
STAR_EDGE = "#111111"
#: Text over a dark and over a light heatmap cell; the selection band.
ON_DARK = "#ffffff"
ON_LIGHT = "#000000"

#: Training curves: training loss/accuracy, validation, accuracy against size.
TRAIN_CURVE = "#1f77b4"
VALIDATION_CURVE = "#d62728"
SIZE_CURVE = "#2ca02c"
#: How a training ended, and a problem in a dialog.
FAILED = "#b00020"
CANCELLED = "#8a6d00"
FINISHED = "#1b5e20"

#: One per set of samples (train, test, each opened CSV) in the class distribution.
SOURCE_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2")
