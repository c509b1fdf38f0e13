"""The window's colours, in one place: the answer panels, the bars, the canvas and the explore
plots take them from here.

A colour that text is written in goes through :func:`text_on` with the background it is written
on: the same hue, darkened on a light background and lightened on a dark one until it reads at
:data:`MIN_CONTRAST` (WCAG 2.x, the level for normal text), so it holds in the light and the dark
palette alike (``tests/test_contrast.py`` measures every pair the window shows)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

#: WCAG 2.x contrast ratio that normal-size text needs (level AA).
MIN_CONTRAST = 4.5

#: The top bar and whatever else marks the answer.
ACCENT = QColor(38, 110, 214)
#: Bars that are not the answer, frames, and the placeholder digit (as text: see ``text_on``).
MUTED = QColor(150, 150, 150)
#: The "?" when the models are not sure.
NOT_SURE = QColor(200, 120, 20)

#: Around the canvas's square of paper, for white ink on black and for black ink on white.
CANVAS_SURROUND = QColor(40, 40, 40)
CANVAS_SURROUND_INVERTED = QColor(235, 235, 235)

#: Number mode: the box around each digit read, and around the digit whose bars are shown.
NUMBER_BOX = QColor(70, 140, 235)
NUMBER_BOX_SELECTED = QColor(242, 142, 43)

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


# --- text that stays readable --------------------------------------------------------------


def luminance(colour: QColor | str) -> float:
    """WCAG 2.x relative luminance of an opaque colour, 0 (black) to 1 (white)."""
    c = QColor(colour)

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in (c.redF(), c.greenF(), c.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor | str, b: QColor | str) -> float:
    """WCAG 2.x contrast ratio of two opaque colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_dark(background: QColor | str) -> bool:
    """Is ``background`` dark, so that text on it should be light?"""
    return contrast(background, "#ffffff") > contrast(background, "#000000")


def text_on(colour: QColor | str, background: QColor | str) -> QColor:
    """``colour`` as text on ``background``: unchanged if it already reads at
    ``MIN_CONTRAST``, else the same hue made darker (light background) or lighter (dark one),
    the least that reaches it (white or black at the end of the road)."""
    c = QColor(colour)
    if contrast(c, background) >= MIN_CONTRAST:
        return c
    h, s, lightness, _ = c.getHslF()
    lighter = is_dark(background)
    for step in range(1, 101):
        shade = (
            lightness + (1 - lightness) * step / 100 if lighter else lightness * (1 - step / 100)
        )
        trial = QColor(QColor.fromHslF(max(h, 0.0), s, shade).name())  # as it will be shown
        if contrast(trial, background) >= MIN_CONTRAST:
            return trial
    return QColor("#ffffff" if lighter else "#000000")


def text_in(colour: QColor | str, palette: QPalette | None = None, *, base: bool = False) -> str:
    """``colour`` (``#rrggbb``) as text on the palette's window colour (``base``: on its
    base colour, that of lists, fields and plots); the application's palette by default."""
    palette = QPalette() if palette is None else palette
    role = QPalette.ColorRole.Base if base else QPalette.ColorRole.Window
    return text_on(colour, palette.color(role)).name()


def chip_text(sure: bool, selected: bool = False) -> tuple[QColor, QColor]:
    """Number mode's answer over a digit's box: its chip's colour (the accent, or the not-sure
    orange; the selected digit's outline colour) and the text colour that reads on it."""
    background = QColor(NUMBER_BOX_SELECTED if selected else ACCENT if sure else NOT_SURE)
    text = ON_DARK if is_dark(background) else ON_LIGHT
    return background, text_on(text, background)
