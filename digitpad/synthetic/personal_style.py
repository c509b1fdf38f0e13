"""One person's handwriting, drawn consistently one unusual way: to measure fine-tuning.

``drawn`` draws each digit in one of 32 common styles, and the bundled models read those well.
A real person draws every digit the same way each time, and some people draw in ways MNIST
rarely shows. This module is such a person: every digit has one shape of our own design,
strongly slanted to the right (30–40°, where ``drawn``'s normal drawings lean at most 20°) and
narrow. The shapes:

- 0 with a slash through it (as some programmers write it), 1 with a long flag and a base,
- 2 with a straight diagonal and a curl at the end of its base, 3 with a long middle tongue,
- a closed, triangular 4 whose bar runs far out to the right, 5 with a wavy top bar,
- 6 with a long straight stem and a small loop, 7 with a serif and a bar through it,
- 8 with a small top loop on a big bottom loop, 9 with a small head and a long straight tail.

The drawings go the way of ``drawn``'s (jittered control points, smooth curves, hand wobble,
mouse-event spacing, a round anti-aliased pen on a 280×280 canvas), so ``drawn.render`` and
``gui.replay`` take them as they are, and :func:`images` turns them into what the models read
with ``preprocess.to_mnist``, the canvas's own path.

Three draws that never share a drawing, by seed: ``TEACH_SEED`` (what a user teaches),
``TUNING_SEED`` (to choose a recipe on) and ``HELD_OUT_SEED`` (to report on, never tuned on).

    >>> teach = make_drawings(20, seed=TEACH_SEED)
    >>> [d.label for d in teach[:12]]
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    >>> images(teach).shape
    (20, 28, 28)
"""

from __future__ import annotations

import numpy as np

from ..preprocess import to_mnist
from . import drawn

#: The seeds of the three draws (a drawing depends on its seed and its index only).
TEACH_SEED = 1601
TUNING_SEED = 1602
HELD_OUT_SEED = 1603

# One line per digit: the digit, then its strokes separated by "/", as in ``drawn``: points
# "x,y" in percent of the digit height, in drawing order, "*" a sharp corner.
_SHAPES = """
0 40,2 18,10 5,35 4,62 14,88 35,99 56,90 68,62 66,30 56,9 39,2 / 70,4 2,98
1 0,62 52,0* 50,50 48,100 / 18,100 82,100
2 8,22 20,6 38,0 56,6 64,22 58,40 4,98* 62,98 72,90 74,78 66,74
3 8,10 30,0 52,4 60,20 50,38 34,46 4,48* 44,52 62,64 64,82 50,96 28,100 6,92
4 8,0 6,40 16,58 40,62 70,54 / 68,0 64,100
5 70,4 56,0 42,6 28,2 12,4* 8,44* 32,36 54,44 64,62 60,84 44,98 22,100 4,90
6 52,0 36,40 28,80 34,96 50,100 62,90 60,74 46,68 30,76
7 4,22 6,4* 70,4* 38,100 / 18,52 66,50
8 42,4 26,4 22,18 34,30 42,32 / 34,30 12,48 6,72 18,94 40,100 62,92 66,70 54,46 36,32 30,16
  40,2
9 54,6 36,0 20,8 18,24 30,32 48,28 56,12* 58,100
"""


def _parse(table: str) -> dict[int, tuple]:
    """{digit: parsed strokes} from ``_SHAPES`` (an indented line continues the one above)."""
    specs: dict[int, str] = {}
    digit = -1
    for line in table.strip("\n").splitlines():
        if not line[:1].isspace():
            head, line = line.split(maxsplit=1)
            digit = int(head)
            specs[digit] = ""
        specs[digit] += " " + line.strip()
    return {d: drawn.parse_strokes(spec) for d, spec in specs.items()}


SHAPES = _parse(_SHAPES)
STYLE = "personal"


def _look(rng: np.random.Generator) -> dict:
    """How this person draws on a 280 px canvas: always leaning hard right, always narrow."""
    return {
        "height": rng.uniform(0.50, 0.78),
        "offset": rng.uniform(-0.12, 0.12, 2),
        "slant": rng.uniform(42.0, 50.0),
        "rotation": rng.uniform(-4.0, 4.0),
        "aspect": rng.uniform(0.70, 0.85),
        "pen": rng.uniform(14.0, 20.0),
        "wobble": rng.uniform(1.0, 2.5),
    }


def make_drawing(label: int, rng: np.random.Generator, size: int = drawn.CANVAS_SIZE):
    """Digit ``label`` (0–9) in this hand: a ``drawn.Drawing``, all randomness from ``rng``."""
    if label not in SHAPES:
        raise ValueError(f"label must be a digit 0-9, not {label!r}")
    look = _look(rng)
    px = size / drawn.CANVAS_SIZE
    pen = look["pen"] * px
    strokes = drawn.shape_strokes(
        drawn.unit_strokes(SHAPES[label], rng),
        look["height"] * size,
        look["slant"],
        look["rotation"],
        look["aspect"],
    )
    strokes = drawn.wobble(strokes, look["wobble"] * px, rng)
    strokes = drawn.place(strokes, pen, size, tuple(look["offset"]))
    events = []
    for stroke in strokes:
        points = np.clip(drawn.mouse_events(stroke, rng), pen / 2, size - pen / 2)
        points.flags.writeable = False
        events.append(points)
    return drawn.Drawing(tuple(events), int(label), float(pen), int(size), f"{label}-{STYLE}")


def make_drawings(n: int, seed: int, size: int = drawn.CANVAS_SIZE) -> list:
    """``n`` drawings labelled 0, 1, …, 9, 0, …; drawing i depends on (seed, i) only."""
    return [make_drawing(i % 10, np.random.default_rng([seed, 16, i]), size) for i in range(n)]


def images(drawings: list) -> np.ndarray:
    """What the models read of each drawing: (N, 28, 28) float32, ``drawn.render`` then
    ``preprocess.to_mnist`` as the canvas does."""
    out = [to_mnist(drawn.render(d)) for d in drawings]
    return np.stack(out).astype(np.float32) if out else np.zeros((0, 28, 28), np.float32)


def labels(drawings: list) -> np.ndarray:
    """(N,) int64 labels of ``drawings``."""
    return np.array([d.label for d in drawings], np.int64)
