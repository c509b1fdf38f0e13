"""Letters as a pen writes them: A. V. Hershey's single-stroke fonts (1967), read through the
Hershey-Fonts package (MIT; the glyph data is Hershey's, public domain).

Each glyph is a few polylines, the strokes a person makes writing the letter: print, italic,
cursive and gothic hands. ``strokes`` gives them in the stroke templates' units (glyph heights,
x right, y down, centred on (0.5, 0.5)), so that ``scribbles.finish`` draws them with the
mouse's pens, jitter and placement as it draws the hand-made templates
(``negatives.pen_letters``). Build and benchmark time only: the window never imports it.

    >>> [len(s) for s in strokes("futural", "H")]
    [2, 2, 2]
"""

from __future__ import annotations

import functools

import numpy as np

#: Cursive hands. Their capitals Q and J are written like a 2 and an 8 (``letters_of``).
CURSIVE = ("scripts", "scriptc", "cursive")


@functools.cache
def _face(font: str):
    from HersheyFonts import HersheyFonts  # a dependency; imported when a glyph is wanted

    face = HersheyFonts()
    face.load_default_font(font)
    return face


def strokes(font: str, char: str) -> list[np.ndarray]:
    """``char`` of Hershey's ``font`` as pen strokes, (K, 2) points in glyph heights, y down."""
    lines = [np.array(s, float) for s in _face(font).strokes_for_text(char) if len(s)]
    points = np.vstack(lines)
    height = max(float(np.ptp(points[:, 1])), 1.0)
    centre = points.min(axis=0) + np.ptp(points, axis=0) / 2
    return [(s - centre) / height + 0.5 for s in lines]


def letters_of(font: str, chars: str) -> str:
    """The letters of ``chars`` that ``font`` writes as no digit: a cursive Q and J left out."""
    return chars.replace("Q", "").replace("J", "") if font in CURSIVE else chars
