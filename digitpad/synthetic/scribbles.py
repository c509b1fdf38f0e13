"""Mouse drawings that are *not* digits, to measure when a reader should say "not sure".

The same hand as ``synthetic.drawn`` (smoothed control points, slant, rotation, wobble, pen,
mouse-move sampling on a 280 px canvas), drawing things a person might put on the canvas that
no one would read as a digit:

- ``letter``: hand-drawn letters, leaving out those written like a digit (O, I, l, Z, S, B, G,
  b, g, q);
- ``scribble``: a tangled random curve; ``zigzag``: a saw-tooth line;
- ``blob``: a filled area coloured in back and forth; ``dots``: a few dots;
- ``shape``: triangle, star, plus, hash, arrow, tick, heart, smiley, wave, dash, equals…;
- ``several``: two or three digits side by side (one answer for them would be wrong).

    >>> things = make_scribbles(100, seed=0)   # the seven kinds in turn
    >>> [t.style.split(":")[0] for t in things[:7]]
    ['letter', 'scribble', 'zigzag', 'blob', 'dots', 'shape', 'several']
    >>> things[0].label, things[0].style
    (-1, 'letter:A')
    >>> image = drawn.render(things[0])        # white ink on black
    >>> image.shape, image.dtype
    ((280, 280), dtype('uint8'))

Each is a ``drawn.Drawing`` with ``label = -1`` and ``style`` "kind:name", so it can be
rendered with ``drawn.render`` or replayed as mouse events like a digit.
"""

from __future__ import annotations

import numpy as np

from . import drawn
from .drawn import (
    CANVAS_SIZE,
    Drawing,
    mouse_events,
    parse_strokes,
    place,
    shape_strokes,
    smooth_stroke,
    unit_strokes,
    wobble,
)

NOT_A_DIGIT = -1

# Same format as drawn's templates: x,y in percent of the height; "*" a sharp corner; "/"
# starts a new stroke.
LETTERS = {
    "A": "0,100 30,0* 60,100 / 12,62 48,62",
    "C": "64,14 46,1 24,3 8,22 2,50 8,80 26,98 46,98 64,86",
    "D": "2,0 2,100 / 2,0 34,4 56,26 60,56 50,84 30,98 2,100",
    "E": "60,0 0,0* 0,100* 62,100 / 0,50 46,50",
    "F": "62,0 0,0* 0,100 / 0,48 46,48",
    "H": "0,0 0,100 / 62,0 62,100 / 0,52 62,52",
    "J": "20,0 70,0 / 48,0 48,76 38,95 20,100 4,90",
    "K": "0,0 0,100 / 58,0 2,56* 60,100",
    "L": "0,0 0,100* 58,100",
    "M": "0,100 4,0* 40,62* 76,0* 80,100",
    "N": "0,100 0,0* 60,100* 60,0",
    "P": "0,100 0,0* 38,2 56,14 58,34 40,48 0,50",
    "Q": "40,0 16,8 2,36 4,68 20,94 42,98 62,84 70,50 62,16 40,0 / 44,70 76,104",
    "R": "0,100 0,0* 38,2 56,14 58,34 40,48 0,50* 58,100",
    "T": "0,0 72,0 / 36,0 36,100",
    "U": "0,0 2,70 14,94 34,100 54,92 64,70 66,0",
    "V": "0,0 32,100* 64,0",
    "W": "0,0 18,100* 40,32* 62,100* 82,0",
    "X": "0,0 66,100 / 66,0 0,100",
    "Y": "0,0 32,48* 66,0 / 32,48 32,100",
    "a": "58,42 40,34 18,40 6,62 12,86 32,94 52,84 58,62* 58,36 60,100",
    "e": "6,62 60,60* 58,44 42,32 20,34 6,50 8,78 28,96 58,88",
    "f": "58,6 44,0 30,6 26,24 26,100 / 6,42 52,42",
    "h": "0,0 0,100 / 0,58 18,42 42,40 56,54 58,100",
    "k": "0,0 0,100 / 48,36 2,70* 50,100",
    "m": "0,40 0,100 / 0,56 14,42 30,44 34,60 34,100 / 34,56 48,42 64,44 68,60 68,100",
    "n": "0,40 0,100 / 0,58 16,44 38,42 52,56 54,100",
    "r": "0,40 0,100 / 0,62 14,46 32,40 48,44",
    "t": "24,0 24,86 32,98 48,100 / 2,34 50,34",
    "u": "0,36 2,80 14,98 34,100 52,88 56,60* 56,36 58,100",
    "w": "0,36 14,100* 32,52* 50,100* 64,36",
    "x": "0,36 56,100 / 56,36 0,100",
    "y": "0,36 28,80* / 56,36 28,80 12,100",
    "&": "56,100 10,40 8,18 22,2 40,6 42,26 4,66 8,90 26,100 46,92 62,66",
    "@": "46,36 30,32 22,50 30,62 46,56 52,36* 50,62 62,66 72,50 68,24 48,6 22,8 4,32 4,68 "
    "22,94 50,98 68,88",
    "?": "6,20 20,2 42,0 58,14 56,34 36,48 32,70 / 32,94 33,96",
    "%": "60,0 0,100 / 8,4 2,16 8,28 20,22 18,8 8,4 / 52,72 46,84 52,96 64,90 62,76 52,72",
}
SHAPES = {
    "triangle": "0,100 40,0* 80,100* 0,100",
    "star": "10,100 40,0* 70,100* 0,36* 80,36* 10,100",
    "plus": "40,0 40,80 / 0,40 80,40",
    "hash": "22,0 14,100 / 58,0 50,100 / 0,30 76,30 / 0,70 70,70",
    "arrow": "0,50 100,50 / 70,20 100,50* 70,80",
    "tick": "0,55 28,100* 80,0",
    "heart": "40,100 6,60 0,30 10,8 28,4 40,24* 52,4 70,8 80,30 74,60 40,100",
    "smiley": "50,0 22,6 4,28 2,60 18,90 50,100 80,90 98,60 96,28 78,6 50,0 "
    "/ 32,34 33,36 / 68,34 69,36 / 26,64 50,80 74,64",
    "wave": "0,50 18,30 36,50 54,70 72,50 90,30 108,50 126,70",
    "dash": "0,50 110,52",
    "equals": "0,36 100,36 / 2,64 100,64",
    "spiral": "50,50 56,42 62,52 52,64 38,56 38,38 54,28 72,38 76,60 62,78 38,80 22,64 "
    "20,38 34,18 58,12 82,24 94,50",
    "cloud": "10,80 0,60 12,44 24,46 28,24 48,14 66,22 72,36 90,34 100,52 92,76 70,82 10,80",
}
KINDS = ("letter", "scribble", "zigzag", "blob", "dots", "shape", "several")

_PARSED_LETTERS = {k: parse_strokes(v) for k, v in LETTERS.items()}
_PARSED_SHAPES = {k: parse_strokes(v) for k, v in SHAPES.items()}


def make_scribbles(n: int, seed: int = 0, size: int = CANVAS_SIZE) -> list[Drawing]:
    """``n`` non-digits, kinds in turn (letter, scribble, zigzag, …); the same seed, the same ones.

    Drawing i depends on (seed, i), not on n.
    """
    return [
        make_scribble(KINDS[i % len(KINDS)], np.random.default_rng([seed, 99, i]), size)
        for i in range(n)
    ]


def make_scribble(kind: str, rng: np.random.Generator, size: int = CANVAS_SIZE) -> Drawing:
    """One non-digit of ``kind`` (see ``KINDS``) drawn with randomness from ``rng``."""
    makers = {
        "letter": _letter,
        "scribble": _scribble,
        "zigzag": _zigzag,
        "blob": _blob,
        "dots": _dots,
        "shape": _shape_drawing,
        "several": _several,
    }
    if kind not in makers:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    name, unit, look = makers[kind](rng)
    return finish(unit, look, size, f"{kind}:{name}", rng)


# ------------------------------------------------------------------------------- the kinds


def pen_look(rng: np.random.Generator, **changes) -> dict:
    look = {
        "height": rng.uniform(0.40, 0.80),
        "offset": rng.uniform(-0.15, 0.15, 2),
        "slant": rng.uniform(-15.0, 20.0),
        "rotation": rng.uniform(-10.0, 10.0),
        "aspect": rng.uniform(0.85, 1.15),
        "pen": float(np.clip(rng.normal(18.0, 3.0), 10, 26)),
        "wobble": rng.uniform(1.0, 3.0),
    }
    look.update(changes)
    return look


def _letter(rng):
    name = list(_PARSED_LETTERS)[rng.integers(len(_PARSED_LETTERS))]
    return name, unit_strokes(_PARSED_LETTERS[name], rng), pen_look(rng)


def _shape_drawing(rng):
    name = list(_PARSED_SHAPES)[rng.integers(len(_PARSED_SHAPES))]
    look = pen_look(rng)
    if name in ("dash", "wave", "equals", "arrow"):
        look["height"] = rng.uniform(0.6, 0.8)  # the height is then the width
    return name, unit_strokes(_PARSED_SHAPES[name], rng), look


def _scribble(rng):
    k = int(rng.integers(7, 16))
    points = rng.uniform(0.0, 1.0, (k, 2))
    line = smooth_stroke(points, ())
    strokes = [line]
    if rng.random() < 0.3:
        strokes.append(smooth_stroke(rng.uniform(0.0, 1.0, (int(rng.integers(4, 8)), 2)), ()))
    return "tangle", strokes, pen_look(rng, height=rng.uniform(0.45, 0.85))


def _zigzag(rng):
    teeth = int(rng.integers(3, 9))
    depth = rng.uniform(0.4, 1.0)
    xs = np.linspace(0.0, 1.0, 2 * teeth + 1)
    ys = np.where(np.arange(len(xs)) % 2 == 0, 0.0, depth) + rng.normal(0, 0.04, len(xs))
    points = np.column_stack([xs * rng.uniform(0.8, 1.8), ys])
    vertical = rng.random() < 0.35
    if vertical:
        points = points[:, ::-1]
    line = smooth_stroke(points, tuple(range(1, len(points) - 1)))
    return ("vertical" if vertical else "horizontal"), [line], pen_look(rng)


def _blob(rng):
    """An ellipse (or a rough polygon) coloured in with a zig-zag hatch."""
    rx, ry = rng.uniform(0.25, 0.5), rng.uniform(0.25, 0.5)
    hatch = int(rng.integers(5, 11))
    ys = np.linspace(-ry, ry, hatch)
    half = rx * np.sqrt(np.clip(1 - (ys / ry) ** 2, 0.05, 1))
    points = []
    for i, (y, h) in enumerate(zip(ys, half, strict=True)):
        ends = [(-h, y), (h, y)] if i % 2 == 0 else [(h, y), (-h, y)]
        points += ends
    points = np.array(points) + rng.normal(0, 0.02, (len(points), 2))
    line = smooth_stroke(points, tuple(range(1, len(points) - 1)))
    strokes = [line]
    if rng.random() < 0.5:  # an outline around it, as people do
        t = np.linspace(0, 2 * np.pi, 24)
        strokes.append(np.column_stack([rx * np.cos(t), ry * np.sin(t)]))
    look = pen_look(rng, height=rng.uniform(0.35, 0.7), pen=rng.uniform(20.0, 30.0))
    return "filled", strokes, look


def _dots(rng):
    k = int(rng.integers(3, 10))
    dots = rng.uniform(0.0, 1.0, (k, 2))
    strokes = [d[None, :] + rng.normal(0, 0.01, (2, 2)) for d in dots]
    return f"{k}", strokes, pen_look(rng, height=rng.uniform(0.4, 0.8))


def _several(rng):
    """Two or three digits side by side, each from ``digitpad.synthetic.drawn``'s templates."""
    count = 2 if rng.random() < 0.7 else 3
    labels = rng.integers(0, 10, count)
    strokes: list[np.ndarray] = []
    x = 0.0
    for label in labels:
        styles = drawn.PARSED[int(label)]
        _, template = styles[rng.integers(len(styles))]
        unit = unit_strokes(template, rng)
        lo = np.vstack(unit).min(axis=0)
        hi = np.vstack(unit).max(axis=0)
        unit = [s - lo + np.array([x, rng.normal(0, 0.05)]) for s in unit]
        x += (hi[0] - lo[0]) + rng.uniform(0.15, 0.4)
        strokes += unit
    look = pen_look(rng, height=rng.uniform(0.3, 0.5), pen=rng.uniform(10.0, 18.0))
    return "".join(map(str, labels)), strokes, look


# ------------------------------------------------------------------------------- shaping


def finish(
    unit: list[np.ndarray], look: dict, size: int, style: str, rng: np.random.Generator
) -> Drawing:
    px = size / CANVAS_SIZE
    pen = look["pen"] * px
    strokes = shape_strokes(
        unit, look["height"] * size, look["slant"], look["rotation"], look["aspect"]
    )
    width, height = np.vstack(strokes).max(axis=0) - np.vstack(strokes).min(axis=0)
    if width > height:  # a wide thing: its width, not its height, is the size drawn
        strokes = [s * (height / width) for s in strokes]
    strokes = wobble(strokes, look["wobble"] * px, rng)
    strokes = place(strokes, pen, size, tuple(look["offset"]))
    events = []
    for stroke in strokes:
        points = stroke if len(stroke) < 3 else mouse_events(stroke, rng)
        points = np.clip(points, pen / 2, size - pen / 2)
        if len(points) == 2 and np.linalg.norm(points[1] - points[0]) < 3:
            points = points[:1]  # a dot: one press and release
        points.flags.writeable = False
        events.append(points)
    return Drawing(tuple(events), NOT_A_DIGIT, float(pen), int(size), style)
