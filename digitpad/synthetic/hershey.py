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

from .. import preprocess
from . import drawn, scribbles

#: The fonts drawn, by part (``negatives.pen_letters``, ``pen_digits``). Tuning: a cursive hand
#: (twice as often: cursive letters are what the cnn takes for digits most), a sans, an italic.
#: Held out, other designs: another cursive hand (scripts, and scriptc, the same gone over
#: twice), a roman, a serif, a gothic.
FONTS = {
    "tune": ("cursive", "futural", "cursive", "timesi"),
    "held-out": ("scripts", "scriptc", "rowmans", "timesr", "gothiceng"),
}
PARTS = tuple(FONTS)
#: Designs whose strokes are doubled or tripled to look bold: letters in them are still letters,
#: but a digit so drawn is no digit anyone draws with a mouse (most are refused as too thick
#: or unlike any digit), so ``pen_digits`` leaves them out.
DOUBLED = ("scriptc", "gothiceng")

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


def fonts(part: str, doubled: bool = True) -> tuple[str, ...]:
    """The ``FONTS`` of ``part`` ("tune" or "held-out"), without ``DOUBLED`` unless ``doubled``."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    return tuple(f for f in FONTS[part] if doubled or f not in DOUBLED)


def written(font: str, char: str, rng: np.random.Generator) -> np.ndarray:
    """``char`` of ``font`` written on a 280 px canvas with the mouse's pen (its widths, jitter
    and placement, ``scribbles.pen_look``), bright ink on black."""
    look = scribbles.pen_look(rng)
    drawing = scribbles.finish(strokes(font, char), look, drawn.CANVAS_SIZE, font, rng)
    return drawn.render(drawing)


def pen_digits(n: int, seed: int = 0, part: str = "held-out"):
    """``n`` digits of the ``FONTS[part]`` but ``DOUBLED`` written with the mouse's pen, through
    ``to_mnist``: (pictures (n, 28, 28), labels, sources). Real digits in print, italic and
    cursive hands, as ``negatives.pen_letters`` has those letters."""
    drawn_in = fonts(part, doubled=False)
    pictures, labels, sources = [], [], []
    for i in range(n):
        rng = np.random.default_rng([seed, 10, int(part == "held-out"), i])
        font = drawn_in[i % len(drawn_in)]
        digit = int(rng.integers(10))
        pictures.append(preprocess.to_mnist(written(font, str(digit), rng)))
        labels.append(digit)
        sources.append(f"hershey:{font}:{digit}")
    return np.stack(pictures), np.array(labels), sources
